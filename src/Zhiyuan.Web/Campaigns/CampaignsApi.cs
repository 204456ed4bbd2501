using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Localization;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Infrastructure;

namespace Zhiyuan.Web.Campaigns;

public static class CampaignsApi
{
    public const string XlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    const long MaxUploadBytes = 5 * 1024 * 1024;

    public static IServiceCollection AddCampaigns(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<MailOptions>().Bind(configuration.GetSection("Mail"));
        return services
            .AddScoped<CampaignUseCases>()
            .AddScoped<ReportUseCases>()
            .AddScoped<ReportCalculator>()
            .AddScoped<ReportNotices>()
            .AddScoped<CampaignDashboard>()
            .AddScoped<CampaignPackages>()
            .AddScoped<PackageVerification>()
            .AddSingleton<MailSender>()
            .AddHostedService<ReportNoticeService>();
    }

    public static IEndpointRouteBuilder MapCampaignsApi(this IEndpointRouteBuilder app)
    {
        var campaigns = app.MapGroup("/api/campaigns").WithTags("Campaign reports");
        campaigns.MapGet("/", List).AllowAnonymous();
        campaigns.MapGet("/{id:guid}", Get).AllowAnonymous();
        campaigns.MapGet("/{id:guid}/dashboard", Dashboard).AllowAnonymous();
        campaigns.MapPost("/", Create).RequireAuthorization(Policies.UnitAdministration);
        campaigns.MapGet("/{id:guid}/completeness", Completeness).RequireAuthorization(Policies.UnitAdministration);
        campaigns.MapPost("/{id:guid}/units", AddUnit).RequireAuthorization(Policies.UnitAdministration);
        campaigns.MapPost("/{id:guid}/packages", CreatePackage).RequireAuthorization(Policies.UnitAdministration);
        campaigns.MapGet("/{id:guid}/packages", Packages).RequireAuthorization(Policies.UnitAdministration);
        campaigns.MapGet("/{id:guid}/packages/{packageId:guid}.zip", DownloadPackage).RequireAuthorization(Policies.UnitAdministration);

        var reports = campaigns.MapGroup("/{id:guid}/reports/{unitCode}/{period:int}").RequireAuthorization(Policies.UnitAdministration);
        reports.MapGet("/", GetReport);
        reports.MapGet("/form.xlsx", Form);
        reports.MapPost("/typed-in-rows", AddRows);
        reports.MapDelete("/typed-in-rows/{rowId:guid}", DeleteRow);
        reports.MapPut("/typed-in-rows/{rowId:guid}", EditRow);
        reports.MapPost("/import", Import).DisableAntiforgery();
        reports.MapPut("/summary", SaveSummary);
        reports.MapPost("/screenshots", AddScreenshot).DisableAntiforgery();
        reports.MapPost("/submit", Submit);
        reports.MapPost("/withdraw", Withdraw);
        reports.MapPost("/return", Return);
        reports.MapPost("/approve", Approve);
        reports.MapPost("/waive", Waive);
        reports.MapPost("/reopen", Reopen);
        reports.MapGet("/cells/{row}/{column}", Drill).Produces<CellDrillView>().Produces(StatusCodes.Status200OK, contentType: "text/csv").ProducesProblem(StatusCodes.Status404NotFound).ProducesValidationProblem();
        // Anyone may check a province package: by its SHA-256 or by uploading it (rate-limited like the certificate check).
        var packages = app.MapGroup("/api/public/packages").WithTags("Campaign reports").AllowAnonymous().RequireRateLimiting(Recognition.RecognitionApi.VerificationPolicy);
        packages.MapGet("/{sha256}", LookUpPackage);
        packages.MapPost("/verify", VerifyPackage).DisableAntiforgery();
        app.MapGet("/campaigns/screenshots/{id:guid}", Screenshot).RequireAuthorization(Policies.UnitAdministration).ExcludeFromDescription();
        // The report page's download link and upload form use the cookie.
        app.MapGet("/campaigns/{id:guid}/reports/{unitCode}/{period:int}/form.xlsx", Form).RequireAuthorization(Policies.UnitAdministration).ExcludeFromDescription();
        app.MapPost("/campaigns/{id:guid}/reports/{unitCode}/{period:int}/import", ImportFromPage).RequireAuthorization(Policies.UnitAdministration).ExcludeFromDescription();
        app.MapPost("/campaigns/{id:guid}/reports/{unitCode}/{period:int}/screenshots", ScreenshotFromPage).RequireAuthorization(Policies.UnitAdministration).ExcludeFromDescription();
        app.MapGet("/campaigns/{id:guid}/reports/{unitCode}/{period:int}/cells/{row}/{column}/records.csv", DrillCsvFromPage).RequireAuthorization(Policies.UnitAdministration).ExcludeFromDescription();
        app.MapGet("/campaigns/{id:guid}/packages/{packageId:guid}.zip", DownloadPackage).RequireAuthorization(Policies.UnitAdministration).ExcludeFromDescription();
        return app;
    }

    static async Task<Ok<List<CampaignView>>> List(CampaignUseCases campaigns, CancellationToken cancellationToken) =>
        TypedResults.Ok(await campaigns.ListAsync(cancellationToken));

    static async Task<Results<Ok<CampaignView>, ProblemHttpResult>> Get(Guid id, CampaignUseCases campaigns, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        await campaigns.GetAsync(id, cancellationToken) is { } view ? TypedResults.Ok(view) : Problems.NotFound(text);

    /// <summary>Opens a campaign run from the caller's unit (city administrators). Dates are China dates; dueDay e.g. "Friday"; dueHour 0–23 China time.</summary>
    static async Task<Results<Ok<CampaignView>, ProblemHttpResult, ValidationProblem>> Create(CreateCampaignRequest request, ClaimsPrincipal user, CampaignUseCases campaigns,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await campaigns.CreateAsync(user, request, cancellationToken)).ToHttpResult(text);

    /// <summary>Units × periods (period 0 is the final summary) for the caller's unit or a unit below it, with reporting and on-time rates.</summary>
    static async Task<Results<Ok<CompletenessView>, ProblemHttpResult, ValidationProblem>> Completeness(Guid id, string? unitCode, ClaimsPrincipal user, CampaignUseCases campaigns,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await campaigns.CompletenessAsync(user, id, unitCode, cancellationToken)).ToHttpResult(text);

    /// <summary>
    /// The city adds a unit of the campaign's tree to the expected list of an open campaign (one whose final summary is not yet due).
    /// It is expected for the periods due after now, and the final summary; the answer lists them.
    /// </summary>
    static async Task<Results<Ok<AddedUnitView>, ProblemHttpResult, ValidationProblem>> AddUnit(Guid id, AddUnitRequest request, ClaimsPrincipal user, CampaignUseCases campaigns,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await campaigns.AddUnitAsync(user, id, request, cancellationToken)).ToHttpResult(text);

    /// <summary>Aggregate figures for the campaign's dashboard: no personal data, open to everyone.</summary>
    static async Task<Results<Ok<DashboardView>, ProblemHttpResult>> Dashboard(Guid id, CampaignDashboard dashboard, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        await dashboard.GetAsync(id, cancellationToken) is { } view ? TypedResults.Ok(view) : Problems.NotFound(text);

    /// <summary>One unit's report: period 1…n, or 0 for the final summary. The table is frozen once submitted; liveDifferences shows what changed since.</summary>
    static async Task<Results<Ok<ReportView>, ProblemHttpResult, ValidationProblem>> GetReport(Guid id, string unitCode, int period, ClaimsPrincipal user, ReportUseCases reports,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await reports.GetAsync(user, id, unitCode, period, cancellationToken)).ToHttpResult(text);

    /// <summary>The official form (.xlsx) exactly as the notice's attachment lays it out.</summary>
    static async Task<IResult> Form(Guid id, string unitCode, int period, ClaimsPrincipal user, ReportUseCases reports, IStringLocalizer<SharedResource> text,
        CancellationToken cancellationToken)
    {
        var table = await reports.TableAsync(user, id, unitCode, period, cancellationToken);
        if (!table.Succeeded)
        {
            return table.IsNotFound ? Problems.NotFound(text) : Problems.Invalid(table.Errors!, text);
        }
        var file = new MemoryStream();
        OfficialForm.Write(table.Value!, file);
        var name = $"{table.Value!.UnitName}-{(period == 0 ? "总结" : $"第{period}期")}-统计表.xlsx";
        return TypedResults.File(file.ToArray(), XlsxType, name);
    }

    /// <summary>Adds typed-in rows (activities run outside the platform): all or none.</summary>
    static async Task<Results<Ok<ReportView>, ProblemHttpResult, ValidationProblem>> AddRows(Guid id, string unitCode, int period, TypedInRowRequest[] rows, ClaimsPrincipal user,
        ReportUseCases reports, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await reports.AddTypedInRowsAsync(user, id, unitCode, period, rows, cancellationToken)).ToHttpResult(text);

    static async Task<Results<Ok<ReportView>, ProblemHttpResult, ValidationProblem>> DeleteRow(Guid id, string unitCode, int period, Guid rowId, ClaimsPrincipal user,
        ReportUseCases reports, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await reports.DeleteTypedInRowAsync(user, id, unitCode, period, rowId, cancellationToken)).ToHttpResult(text);

    static async Task<Results<Ok<ReportView>, ProblemHttpResult, ValidationProblem>> EditRow(Guid id, string unitCode, int period, Guid rowId, TypedInRowRequest row,
        ClaimsPrincipal user, ReportUseCases reports, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await reports.EditTypedInRowAsync(user, id, unitCode, period, rowId, row, cancellationToken)).ToHttpResult(text);

    static async Task<Results<Ok<PublicPackageCheck>, ProblemHttpResult, ValidationProblem>> LookUpPackage(string sha256, PackageVerification verification,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await verification.LookupAsync(sha256, cancellationToken)).ToHttpResult(text);

    /// <summary>Checks an uploaded package (multipart, field "file").</summary>
    static async Task<Results<Ok<PublicPackageCheck>, ProblemHttpResult, ValidationProblem>> VerifyPackage(IFormFile? file, PackageVerification verification,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken)
    {
        if (file is null || file.Length == 0 || file.Length > PackageVerification.MaxUploadBytes)
        {
            return Problems.Invalid(new Dictionary<string, string[]>
            {
                ["file"] = [file is null || file.Length == 0 ? text["PackageCheck.Error.Empty"] : text["PackageCheck.Error.TooLarge", PackageVerification.MaxUploadBytes / 1024 / 1024]],
            }, text);
        }
        await using var stream = new MemoryStream();
        await file.CopyToAsync(stream, cancellationToken);
        return (await verification.VerifyAsync(stream.ToArray(), cancellationToken)).ToHttpResult(text);
    }

    /// <summary>Imports a filled official form (.xlsx, field "file"): its rows become typed-in rows, or errors name each wrong cell and nothing is taken.</summary>
    static async Task<Results<Ok<ReportView>, ProblemHttpResult, ValidationProblem>> Import(Guid id, string unitCode, int period, IFormFile? file, ClaimsPrincipal user,
        ReportUseCases reports, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken)
    {
        if (file is null || file.Length == 0 || file.Length > MaxUploadBytes)
        {
            return Problems.Invalid(new Dictionary<string, string[]> { ["file"] = [text["Reports.Error.Upload", MaxUploadBytes / 1024 / 1024]] }, text);
        }
        await using var stream = new MemoryStream();
        await file.CopyToAsync(stream, cancellationToken);
        stream.Position = 0;
        return (await reports.ImportAsync(user, id, unitCode, period, stream, file.FileName, cancellationToken)).ToHttpResult(text);
    }

    static async Task<IResult> ImportFromPage(Guid id, string unitCode, int period, IFormFile? file, ClaimsPrincipal user, ReportUseCases reports,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        BackToReport(id, unitCode, period, "import", await Import(id, unitCode, period, file, user, reports, text, cancellationToken), text);

    static async Task<Results<Ok<ReportView>, ProblemHttpResult, ValidationProblem>> SaveSummary(Guid id, string unitCode, int period, SummaryRequest request, ClaimsPrincipal user,
        ReportUseCases reports, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        period != 0 ? Problems.Invalid(new Dictionary<string, string[]> { ["period"] = [text["Reports.Error.SummaryOnly"]] }, text)
            : (await reports.SaveSummaryAsync(user, id, unitCode, request, cancellationToken)).ToHttpResult(text);

    /// <summary>A screenshot for the final summary (field "screenshot"; JPEG, PNG or WebP).</summary>
    static async Task<Results<Ok<ReportView>, ProblemHttpResult, ValidationProblem>> AddScreenshot(Guid id, string unitCode, int period, IFormFile? screenshot, ClaimsPrincipal user,
        ReportUseCases reports, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken)
    {
        if (period != 0)
        {
            return Problems.Invalid(new Dictionary<string, string[]> { ["period"] = [text["Reports.Error.SummaryOnly"]] }, text);
        }
        if (screenshot is null || screenshot.Length == 0 || screenshot.Length > PhotoUpload.MaxBytes)
        {
            return Problems.Invalid(new Dictionary<string, string[]> { ["screenshot"] = [text["Photos.Error.TooLarge", PhotoUpload.MaxBytes / 1024 / 1024]] }, text);
        }
        using var buffer = new MemoryStream();
        await screenshot.CopyToAsync(buffer, cancellationToken);
        return (await reports.AddScreenshotAsync(user, id, unitCode, buffer.ToArray(), cancellationToken)).ToHttpResult(text);
    }

    static async Task<IResult> ScreenshotFromPage(Guid id, string unitCode, int period, IFormFile? screenshot, ClaimsPrincipal user, ReportUseCases reports,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        BackToReport(id, unitCode, period, "screenshot", await AddScreenshot(id, unitCode, period, screenshot, user, reports, text, cancellationToken), text);

    static async Task<IResult> Screenshot(Guid id, ClaimsPrincipal user, ReportUseCases reports, CancellationToken cancellationToken) =>
        await reports.ScreenshotAsync(user, id, cancellationToken) is { } shot ? Results.File(shot.Content, shot.ContentType) : Results.NotFound();

    /// <summary>Freezes the computed figures and submits; contact name and phone are the form's 联系人 and 联系电话.</summary>
    static async Task<Results<Ok<ReportView>, ProblemHttpResult, ValidationProblem>> Submit(Guid id, string unitCode, int period, SubmitRequest request, ClaimsPrincipal user,
        ReportUseCases reports, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await reports.SubmitAsync(user, id, unitCode, period, request, cancellationToken)).ToHttpResult(text);

    /// <summary>The unit's own administrators take a submission back (撤回) until a reviewer has acted on it; refused clearly afterwards.</summary>
    static async Task<Results<Ok<ReportView>, ProblemHttpResult, ValidationProblem>> Withdraw(Guid id, string unitCode, int period, WithdrawRequest request, ClaimsPrincipal user,
        ReportUseCases reports, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await reports.WithdrawAsync(user, id, unitCode, period, request, cancellationToken)).ToHttpResult(text);

    /// <summary>The reviewer (an administrator above the unit) returns a submitted report with a comment.</summary>
    static async Task<Results<Ok<ReportView>, ProblemHttpResult, ValidationProblem>> Return(Guid id, string unitCode, int period, ReviewCommentRequest request, ClaimsPrincipal user,
        ReportUseCases reports, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await reports.ReturnAsync(user, id, unitCode, period, request, cancellationToken)).ToHttpResult(text);

    /// <summary>Approves and locks a submitted report; its expected sub-units must be approved or waived first.</summary>
    static async Task<Results<Ok<ReportView>, ProblemHttpResult, ValidationProblem>> Approve(Guid id, string unitCode, int period, ReviewCommentRequest request, ClaimsPrincipal user,
        ReportUseCases reports, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await reports.ApproveAsync(user, id, unitCode, period, request, cancellationToken)).ToHttpResult(text);

    /// <summary>Excuses a unit from a report, with the reason as comment.</summary>
    static async Task<Results<Ok<ReportView>, ProblemHttpResult, ValidationProblem>> Waive(Guid id, string unitCode, int period, ReviewCommentRequest request, ClaimsPrincipal user,
        ReportUseCases reports, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await reports.WaiveAsync(user, id, unitCode, period, request, cancellationToken)).ToHttpResult(text);

    /// <summary>City administrators reopen an approved or waived report; it goes back to the unit as returned.</summary>
    static async Task<Results<Ok<ReportView>, ProblemHttpResult, ValidationProblem>> Reopen(Guid id, string unitCode, int period, ReviewCommentRequest request, ClaimsPrincipal user,
        ReportUseCases reports, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await reports.ReopenAsync(user, id, unitCode, period, request, cancellationToken)).ToHttpResult(text);

    /// <summary>
    /// The records behind one cell of the table (drill-down): row is a row's id (activities[].id or media[].id of the table) or "total" for the 合计 row;
    /// column is personTimes, organizations, populationTypes, populationPersonTimes, hours, moneyYuan, printReports, websiteReports, links or reads.
    /// Listed by the same queries that compute the table, so the items' values add up to the figure (hours in minutes). Volunteers' names are masked.
    /// format=csv answers the same list as CSV.
    /// </summary>
    static async Task<IResult> Drill(Guid id, string unitCode, int period, string row, string column, string? format, ClaimsPrincipal user, ReportUseCases reports,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken)
    {
        if (format is not null && format is not ("csv" or "json"))
        {
            return Problems.Invalid(new Dictionary<string, string[]> { ["format"] = [text["Drill.Error.Format"]] }, text);
        }
        var drill = await reports.DrillAsync(user, id, unitCode, period, row, column, cancellationToken);
        if (!drill.Succeeded)
        {
            return drill.IsNotFound ? Problems.NotFound(text) : Problems.Invalid(drill.Errors!, text);
        }
        return format == "csv"
            ? Results.File(System.Text.Encoding.UTF8.GetBytes(reports.DrillCsv(drill.Value!)), "text/csv; charset=utf-8", $"{unitCode}-{period}-{drill.Value!.Column}.csv")
            : TypedResults.Ok(drill.Value!);
    }

    static Task<IResult> DrillCsvFromPage(Guid id, string unitCode, int period, string row, string column, ClaimsPrincipal user, ReportUseCases reports,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        Drill(id, unitCode, period, row, column, "csv", user, reports, text, cancellationToken);

    /// <summary>Freezes the city's package for the province: the final summaries and tables, with the SHA-256 of the file.</summary>
    static async Task<Results<Ok<PackageView>, ProblemHttpResult, ValidationProblem>> CreatePackage(Guid id, ClaimsPrincipal user, CampaignPackages packages,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await packages.CreateAsync(user, id, cancellationToken)).ToHttpResult(text);

    static async Task<Ok<List<PackageView>>> Packages(Guid id, ClaimsPrincipal user, CampaignPackages packages, CancellationToken cancellationToken) =>
        TypedResults.Ok(await packages.ListAsync(user, id, cancellationToken));

    static async Task<IResult> DownloadPackage(Guid id, Guid packageId, ClaimsPrincipal user, CampaignPackages packages, CancellationToken cancellationToken) =>
        await packages.GetAsync(user, id, packageId, cancellationToken) is { } package
            ? Results.File(package.Content, "application/zip", $"campaign-package-{package.ContentHash[..12]}.zip")
            : Results.NotFound();

    static string Shorten(List<string> errors, IStringLocalizer text) =>
        string.Join("\n", errors.Take(20)) + (errors.Count > 20 ? "\n" + text["Reports.MoreErrors", errors.Count - 20] : "");

    static IResult BackToReport<T>(Guid id, string unitCode, int period, string what, Results<Ok<T>, ProblemHttpResult, ValidationProblem> result, IStringLocalizer text)
    {
        var message = result.Result switch
        {
            Ok<T> => "ok",
            // At most 20 cell errors travel in the address; the count of the rest is said.
            ValidationProblem invalid => Shorten(invalid.ProblemDetails.Errors.Values.SelectMany(v => v).ToList(), text),
            _ => text["Problem.NotFound"].Value,
        };
        return Results.LocalRedirect($"/campaigns/{id}/reports/{Uri.EscapeDataString(unitCode)}/{period}?{what}={Uri.EscapeDataString(message)}#{what}");
    }
}
