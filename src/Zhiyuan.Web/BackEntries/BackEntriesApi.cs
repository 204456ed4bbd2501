using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;
using Zhiyuan.Web.Infrastructure;

namespace Zhiyuan.Web.BackEntries;

public static class BackEntriesApi
{
    public static IServiceCollection AddBackEntries(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<BackEntryOptions>().Bind(configuration.GetSection("Hours"))
            .Validate(o => o.BackEntryDays is > 0 and <= 366, "Hours:BackEntryDays must be between 1 and 366.").ValidateOnStart();
        return services.AddScoped<BackEntryUseCases>();
    }

    public static IEndpointRouteBuilder MapBackEntriesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/back-entries").WithTags("Back-entry (补录)").RequireAuthorization();
        group.MapGet("/", Mine);
        group.MapGet("/review", ReviewQueue);
        group.MapGet("/{id:guid}", Get);
        group.MapPost("/", Create);
        group.MapPut("/{id:guid}", Update);
        group.MapPost("/{id:guid}/roster", ImportRoster).DisableAntiforgery();
        group.MapPost("/{id:guid}/submit", Submit);
        group.MapPost("/{id:guid}/approve", Approve);
        group.MapPost("/{id:guid}/return", Return);
        // Only the header row, so anyone may have it (the back-entry page links here).
        app.MapGet("/api/back-entries/roster-template.csv", () => TypedResults.File(Encoding.UTF8.GetBytes(BackEntryRoster.TemplateCsv), "text/csv", "back-entry-roster.csv"))
            .WithTags("Back-entry (补录)").AllowAnonymous();
        return app;
    }

    /// <summary>The back-entries of the activities the caller runs, newest first.</summary>
    static async Task<Ok<List<BackEntrySummary>>> Mine(ClaimsPrincipal user, BackEntryUseCases backEntries, CancellationToken cancellationToken) =>
        TypedResults.Ok(await backEntries.MineAsync(user, cancellationToken));

    /// <summary>Submitted back-entries of the caller's unit subtree waiting for their review (not their own), oldest first.</summary>
    static async Task<Ok<List<BackEntrySummary>>> ReviewQueue(ClaimsPrincipal user, BackEntryUseCases backEntries, CancellationToken cancellationToken) =>
        TypedResults.Ok(await backEntries.ReviewQueueAsync(user, cancellationToken));

    static async Task<Results<Ok<BackEntryView>, ProblemHttpResult>> Get(Guid id, ClaimsPrincipal user, BackEntryUseCases backEntries,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        await backEntries.GetAsync(user, id, cancellationToken) is { } view ? TypedResults.Ok(view) : Problems.NotFound(text);

    /// <summary>
    /// Records an activity that already happened: its sessions (over, and started within Hours:BackEntryDays days)
    /// and attendance (volunteer number or mobile; check-in and check-out, or hours, or neither for the whole session).
    /// Submitted for review unless <c>submit</c> is false. Nothing reaches the ledger before the unit approves.
    /// </summary>
    static async Task<Results<Ok<BackEntryView>, ProblemHttpResult, ValidationProblem>> Create(BackEntryRequest request, ClaimsPrincipal user, BackEntryUseCases backEntries,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await backEntries.CreateAsync(user, request, cancellationToken)).ToHttpResult(text);

    /// <summary>Replaces a draft's or a returned back-entry's details, sessions and attendance; submits it again unless <c>submit</c> is false.</summary>
    static async Task<Results<Ok<BackEntryView>, ProblemHttpResult, ValidationProblem>> Update(Guid id, BackEntryRequest request, ClaimsPrincipal user,
        BackEntryUseCases backEntries, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await backEntries.UpdateAsync(user, id, request, cancellationToken)).ToHttpResult(text);

    /// <summary>
    /// Replaces the attendance of a draft or returned back-entry with a roster spreadsheet (multipart field <c>file</c>,
    /// .xlsx or .csv; columns 志愿者编号或手机号, 时段日期, 开始, 结束, 时长（小时）). All or nothing: with any wrong row
    /// the answer is 400 with every row's number, column and reason (<c>rowErrors</c>).
    /// </summary>
    static async Task<IResult> ImportRoster(Guid id, IFormFile? file, ClaimsPrincipal user, BackEntryUseCases backEntries, IStringLocalizer<SharedResource> text,
        CancellationToken cancellationToken)
    {
        if (file is null || file.Length == 0)
        {
            return Problems.Invalid(new Dictionary<string, string[]> { ["file"] = [text["Import.Error.NoFile"]] }, text);
        }
        if (file.Length > BackEntryRoster.MaxFileBytes)
        {
            return Problems.Invalid(new Dictionary<string, string[]> { ["file"] = [text["BackEntries.Error.FileTooLarge", BackEntryRoster.MaxFileBytes / 1024 / 1024]] }, text);
        }
        await using var stream = new MemoryStream();
        await file.CopyToAsync(stream, cancellationToken);
        stream.Position = 0;
        var result = await backEntries.ImportRosterAsync(user, id, stream, file.FileName, cancellationToken);
        if (result.NotFound)
        {
            return Problems.NotFound(text);
        }
        if (result.Succeeded)
        {
            return TypedResults.Ok(result.BackEntry);
        }
        return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: result.FileError ?? text["BackEntries.Error.RowsInvalid", result.Errors.Count],
            extensions: new Dictionary<string, object?> { ["rowErrors"] = result.Errors });
    }

    /// <summary>Sends a draft or returned back-entry for review.</summary>
    static async Task<Results<Ok<BackEntryView>, ProblemHttpResult, ValidationProblem>> Submit(Guid id, [FromBody] BackEntryDecisionRequest? request, ClaimsPrincipal user,
        BackEntryUseCases backEntries, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await backEntries.SubmitAsync(user, id, request, cancellationToken)).ToHttpResult(text);

    /// <summary>
    /// Approves a submitted back-entry (an administrator of the organisation's unit or a unit above, not its submitter):
    /// its hours are credited to the ledger, marked 补录, once.
    /// </summary>
    static async Task<Results<Ok<BackEntryApproval>, ProblemHttpResult, ValidationProblem>> Approve(Guid id, [FromBody] BackEntryDecisionRequest? request, ClaimsPrincipal user,
        BackEntryUseCases backEntries, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await backEntries.ApproveAsync(user, id, request, cancellationToken)).ToHttpResult(text);

    /// <summary>Returns a submitted back-entry to its organisation with the reason (<c>reason</c>, required).</summary>
    static async Task<Results<Ok<BackEntryView>, ProblemHttpResult, ValidationProblem>> Return(Guid id, [FromBody] BackEntryDecisionRequest? request, ClaimsPrincipal user,
        BackEntryUseCases backEntries, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await backEntries.ReturnAsync(user, id, request, cancellationToken)).ToHttpResult(text);
}
