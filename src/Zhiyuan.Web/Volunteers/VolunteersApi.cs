using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Infrastructure;

namespace Zhiyuan.Web.Volunteers;

public static class VolunteersApi
{
    public static IServiceCollection AddVolunteers(this IServiceCollection services)
    {
        // Loaded once, after the database is migrated (Program.cs asks for it at start-up).
        services.AddSingleton(provider => PersonalData.LoadAsync(provider).GetAwaiter().GetResult());
        return services.AddScoped<VolunteerRules>().AddScoped<VolunteerUseCases>().AddScoped<VolunteerImport>().AddScoped<Certificates>().AddScoped<VolunteerStanding>();
    }

    public static IEndpointRouteBuilder MapVolunteersApi(this IEndpointRouteBuilder app)
    {
        var open = app.MapGroup("/api").WithTags("Volunteers");
        open.MapPost("/volunteers", Register).AllowAnonymous();
        open.MapPost("/volunteers/verification-codes", SendMobileCode).AllowAnonymous();
        open.MapGet("/certificates/{code}", Verify).AllowAnonymous().ProducesProblem(StatusCodes.Status404NotFound);

        var own = app.MapGroup("/api/volunteers/me").WithTags("Volunteers").RequireAuthorization();
        own.MapGet("/", GetOwn).ProducesProblem(StatusCodes.Status404NotFound);
        own.MapPut("/contact", UpdateContact);
        own.MapGet("/certificate", GetOwnCertificate).ProducesProblem(StatusCodes.Status404NotFound);

        var administered = app.MapGroup("/api/volunteers").WithTags("Volunteers")
            .RequireAuthorization(Policies.UnitAdministration)
            .ProducesProblem(StatusCodes.Status404NotFound);
        administered.MapGet("/", Search);
        administered.MapGet("/export.csv", Export);
        administered.MapGet("/{number}", Get);
        administered.MapPost("/{number}/personal-data", Reveal);
        administered.MapPost("/{number}/certificate/revoke", Revoke);
        administered.MapPost("/{number}/certificate/restore", Restore);

        // The same export for the pages, which sign in with the cookie rather than a token.
        app.MapGet("/volunteers/export.csv", Export).RequireAuthorization(Policies.UnitAdministration).ExcludeFromDescription();

        // Unit administrators import into their subtree; organisation administrators into their organisation.
        app.MapPost("/api/volunteers/import", Import).WithTags("Volunteers").RequireAuthorization().DisableAntiforgery()
            .ProducesProblem(StatusCodes.Status404NotFound);
        // Only the header row, so anyone may have it (the import page links here).
        app.MapGet("/api/volunteers/import/template.csv", () => TypedResults.File(Encoding.UTF8.GetBytes(VolunteerImport.TemplateCsv), "text/csv", "volunteer-import-template.csv"))
            .WithTags("Volunteers").AllowAnonymous();
        return app;
    }

    /// <summary>
    /// Real-name registration. Gives a volunteer number (ZY…) and an account whose user name is that
    /// number; the mobile number signs in too. ID and mobile numbers come back masked. When the platform
    /// sends text messages, <c>code</c> is the one from /api/volunteers/verification-codes and the mobile
    /// is stored verified (mobileVerified); without text messages no code is asked and it is unverified.
    /// </summary>
    static async Task<Results<Ok<VolunteerView>, ProblemHttpResult, ValidationProblem>> Register(
        RegisterVolunteerRequest request, VolunteerUseCases volunteers, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await volunteers.RegisterAsync(request, cancellationToken)).ToHttpResult(text);

    /// <summary>
    /// 获取验证码: <c>{ "mobile": "…" }</c> sends a code for registering with that mobile, or (signed in) for
    /// changing to it, valid 10 minutes; at most 5 an hour per number, with the client address's and the
    /// platform's hourly limits. 400 when text messages are not configured or the mobile is another volunteer's.
    /// </summary>
    static async Task<Results<Ok<CodeSentView>, ProblemHttpResult, ValidationProblem>> SendMobileCode(SendMobileCodeRequest request, HttpContext http,
        VolunteerUseCases volunteers, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await volunteers.SendMobileCodeAsync(http.User, request, http.Connection.RemoteIpAddress, cancellationToken)).ToHttpResult(text);

    /// <summary>Checks a registered-volunteer certificate by the code in its QR link: genuine or revoked, with masked data only.</summary>
    static async Task<Results<Ok<VerificationView>, ProblemHttpResult>> Verify(string code, Certificates certificates, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        await certificates.VerifyAsync(code, cancellationToken) is { } found ? TypedResults.Ok(found) : Problems.NotFound(text);

    /// <summary>The caller's own registration (numbers masked), with their confirmed hours in all and this year and how far the next star is.</summary>
    static async Task<Results<Ok<VolunteerView>, ProblemHttpResult>> GetOwn(ClaimsPrincipal user, VolunteerUseCases volunteers, VolunteerStanding standing,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        await volunteers.GetOwnAsync(user, cancellationToken) is { } found ? TypedResults.Ok(await standing.WithHoursAsync(found, cancellationToken)) : Problems.NotFound(text);

    /// <summary>
    /// Changes the caller's mobile number (leave it empty to keep it), skills and preferred service lines.
    /// A changed mobile is unverified unless <c>code</c> (sent to it by /api/volunteers/verification-codes)
    /// is given; the current mobile with its code becomes verified.
    /// </summary>
    static async Task<Results<Ok<VolunteerView>, ProblemHttpResult, ValidationProblem>> UpdateContact(
        UpdateContactRequest request, ClaimsPrincipal user, VolunteerUseCases volunteers, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await volunteers.UpdateContactAsync(user, request, cancellationToken)).ToHttpResult(text);

    /// <summary>The caller's certificate, with the path of its public verification page (the QR code's target).</summary>
    static async Task<Results<Ok<CertificateView>, ProblemHttpResult>> GetOwnCertificate(ClaimsPrincipal user, Certificates certificates, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        await certificates.GetOwnAsync(user, cancellationToken) is { } found ? TypedResults.Ok(found) : Problems.NotFound(text);

    /// <summary>Volunteers of the caller's subtree: <c>q</c> is a volunteer number, the last four digits of a mobile number, or part of a name; 20 a page.</summary>
    static async Task<Ok<VolunteerPage>> Search(UnitScope scope, VolunteerUseCases volunteers, string? q, int? page, CancellationToken cancellationToken) =>
        TypedResults.Ok(await volunteers.SearchAsync(scope, q, page ?? 1, cancellationToken));

    /// <summary>The volunteers a search finds (<c>q</c> as in the search; all without it) as CSV, numbers masked; audited.</summary>
    static async Task<FileContentHttpResult> Export(UnitScope scope, VolunteerUseCases volunteers, string? q, CancellationToken cancellationToken) =>
        TypedResults.File(await volunteers.ExportAsync(scope, q, cancellationToken), "text/csv", "volunteers.csv");

    /// <summary>A volunteer of the caller's subtree (numbers masked), with confirmed hours (all, this year), star progress, the latest ledger lines and their organisations.</summary>
    static async Task<Results<Ok<VolunteerView>, ProblemHttpResult>> Get(string number, UnitScope scope, VolunteerUseCases volunteers, VolunteerStanding standing,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        await volunteers.GetAsync(scope, number, cancellationToken) is { } found ? TypedResults.Ok(await standing.WithServiceAsync(found, cancellationToken)) : Problems.NotFound(text);

    /// <summary>The full ID and mobile number. A reason is required, and the view is written to the audit log with it.</summary>
    static async Task<Results<Ok<PersonalDataView>, ProblemHttpResult, ValidationProblem>> Reveal(
        string number, RevealRequest request, HttpContext http, UnitScope scope, VolunteerUseCases volunteers, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken)
    {
        http.Response.Headers.CacheControl = "no-store";
        return (await volunteers.RevealAsync(scope, number, request, cancellationToken)).ToHttpResult(text);
    }

    static async Task<Results<Ok<VolunteerView>, ProblemHttpResult, ValidationProblem>> Revoke(
        string number, RevokeRequest request, UnitScope scope, VolunteerUseCases volunteers, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await volunteers.SetCertificateRevokedAsync(scope, number, revoke: true, request.Reason, cancellationToken)).ToHttpResult(text);

    static async Task<Results<Ok<VolunteerView>, ProblemHttpResult, ValidationProblem>> Restore(
        string number, UnitScope scope, VolunteerUseCases volunteers, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await volunteers.SetCertificateRevokedAsync(scope, number, revoke: false, null, cancellationToken)).ToHttpResult(text);

    /// <summary>
    /// Imports volunteers from an .xlsx or .csv file (multipart field <c>file</c>; <c>unitCode</c> is
    /// the unit for rows without one; with <c>organizationId</c> everyone imported joins that
    /// organisation, and its administrators may import). All or nothing: with any bad row the answer
    /// is 400 with every error's row, column and reason (as JSON, or as CSV when the request accepts text/csv).
    /// </summary>
    static async Task<IResult> Import(
        HttpContext http, IFormFile? file, [FromForm] string? unitCode, [FromForm] Guid? organizationId,
        VolunteerImport import, Organizations.OrganizationUseCases organizations, Data.AppDbContext db, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken)
    {
        var scope = organizationId is { } id
            ? await organizations.ImportScopeAsync(http.User, id, cancellationToken)
            : await UnitScope.ForAsync(http.User, db, cancellationToken);
        if (scope is null)
        {
            return Problems.NotFound(text);
        }
        if (file is null || file.Length == 0)
        {
            return Problems.Invalid(new Dictionary<string, string[]> { ["file"] = [text["Import.Error.NoFile"]] }, text);
        }
        if (file.Length > VolunteerImport.MaxFileBytes)
        {
            return Problems.Invalid(new Dictionary<string, string[]> { ["file"] = [text["Import.Error.TooLarge"]] }, text);
        }
        await using var stream = new MemoryStream();
        await file.CopyToAsync(stream, cancellationToken);
        stream.Position = 0;
        var result = await import.ImportAsync(scope, unitCode, organizationId, stream, file.FileName, cancellationToken);
        if (result.Succeeded)
        {
            return TypedResults.Ok(new { imported = result.Imported });
        }
        if (http.Request.Headers.Accept.ToString().Contains("text/csv", StringComparison.OrdinalIgnoreCase))
        {
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            return TypedResults.File(result.ErrorsCsv(text["Import.Column.Row"], text["Import.Column.Column"], text["Import.Column.Reason"]), "text/csv", "import-errors.csv");
        }
        return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: result.FileError ?? text["Import.Error.RowsInvalid", result.Errors.Count],
            extensions: new Dictionary<string, object?> { ["rowErrors"] = result.Errors });
    }
}
