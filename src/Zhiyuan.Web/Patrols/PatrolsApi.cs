using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Localization;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Infrastructure;

namespace Zhiyuan.Web.Patrols;

public static class PatrolsApi
{
    public static IServiceCollection AddPatrols(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PatrolOptions>().Bind(configuration.GetSection("Patrols"))
            .Validate(o => o.AnswerWithinDays is > 0 and <= 90, "Patrols:AnswerWithinDays must be between 1 and 90.").ValidateOnStart();
        return services.AddScoped<PatrolUseCases>();
    }

    public static IEndpointRouteBuilder MapPatrolsApi(this IEndpointRouteBuilder app)
    {
        var departments = app.MapGroup("/api/departments").WithTags("Patrols").RequireAuthorization();
        departments.MapGet("/", Departments);
        departments.MapPost("/", CreateDepartment).RequireAuthorization(Policies.UnitAdministration);
        departments.MapPost("/{id:guid}/liaisons", AddLiaison).RequireAuthorization(Policies.UnitAdministration);

        var patrols = app.MapGroup("/api/patrols").WithTags("Patrols").RequireAuthorization();
        patrols.MapGet("/teams", Teams);
        patrols.MapPost("/teams", CreateTeam);
        patrols.MapGet("/rounds", Rounds);
        patrols.MapPost("/rounds", CreateRound);
        patrols.MapGet("/rounds/{id:guid}", Round);
        patrols.MapPost("/rounds/{id:guid}/finish", FinishRound);
        patrols.MapGet("/findings", Findings);
        patrols.MapGet("/findings/{id:guid}", Finding);
        patrols.MapPost("/findings", File).DisableAntiforgery();
        patrols.MapPost("/findings/{id:guid}/answer", Answer).DisableAntiforgery();
        patrols.MapPost("/findings/{id:guid}/verification", Verify);
        patrols.MapGet("/statistics", Statistics);
        app.MapGet("/patrols/photos/{id:guid}", Photo).RequireAuthorization().ExcludeFromDescription();
        // The pages' upload forms (cookie and antiforgery token): back to the page with the outcome.
        app.MapPost("/patrols/rounds/{id:guid}/findings", FileFromPage).RequireAuthorization().ExcludeFromDescription();
        app.MapPost("/patrols/findings/{id:guid}/answer", AnswerFromPage).RequireAuthorization().ExcludeFromDescription();
        return app;
    }

    static async Task<Ok<List<DepartmentView>>> Departments(PatrolUseCases patrols, CancellationToken cancellationToken) => TypedResults.Ok(await patrols.DepartmentsAsync(cancellationToken));

    static async Task<Results<Ok<DepartmentView>, ProblemHttpResult, ValidationProblem>> CreateDepartment(CreateDepartmentRequest request, UnitScope scope, PatrolUseCases patrols,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) => (await patrols.CreateDepartmentAsync(scope, request, cancellationToken)).ToHttpResult(text);

    /// <summary>Links an account with the DepartmentLiaison role to the department: <c>{ "userName": "…" }</c>.</summary>
    static async Task<Results<Ok<DepartmentView>, ProblemHttpResult, ValidationProblem>> AddLiaison(Guid id, AddLiaisonRequest request, UnitScope scope, PatrolUseCases patrols,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) => (await patrols.AddLiaisonAsync(scope, id, request, cancellationToken)).ToHttpResult(text);

    static async Task<Ok<List<TeamView>>> Teams(ClaimsPrincipal user, PatrolUseCases patrols, CancellationToken cancellationToken) => TypedResults.Ok(await patrols.TeamsAsync(user, cancellationToken));

    /// <summary>A patrol team of an organisation's approved members; isRiverTeam for 河小青.</summary>
    static async Task<Results<Ok<TeamView>, ProblemHttpResult, ValidationProblem>> CreateTeam(CreateTeamRequest request, ClaimsPrincipal user, PatrolUseCases patrols,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) => (await patrols.CreateTeamAsync(user, request, cancellationToken)).ToHttpResult(text);

    static async Task<Ok<List<RoundView>>> Rounds(ClaimsPrincipal user, PatrolUseCases patrols, CancellationToken cancellationToken) => TypedResults.Ok(await patrols.RoundsAsync(user, cancellationToken));

    /// <summary>A round (Open or Undercover); it becomes an activity with the team's members assigned.</summary>
    static async Task<Results<Ok<RoundView>, ProblemHttpResult, ValidationProblem>> CreateRound(CreateRoundRequest request, ClaimsPrincipal user, PatrolUseCases patrols,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) => (await patrols.CreateRoundAsync(user, request, cancellationToken)).ToHttpResult(text);

    static async Task<Results<Ok<RoundView>, ProblemHttpResult>> Round(Guid id, ClaimsPrincipal user, PatrolUseCases patrols, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        await patrols.RoundAsync(user, id, cancellationToken) is { } round ? TypedResults.Ok(round) : Problems.NotFound(text);

    /// <summary>Ends the round: the members who took part (all when none are named) get their hours confirmed.</summary>
    static async Task<Results<Ok<RoundView>, ProblemHttpResult, ValidationProblem>> FinishRound(Guid id, FinishRoundRequest request, ClaimsPrincipal user, PatrolUseCases patrols,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) => (await patrols.FinishRoundAsync(user, id, request, cancellationToken)).ToHttpResult(text);

    /// <summary>The findings the caller sees (a department liaison: only their department's); filter: status.</summary>
    static async Task<Ok<List<FindingView>>> Findings(ClaimsPrincipal user, FindingStatus? status, PatrolUseCases patrols, CancellationToken cancellationToken) =>
        TypedResults.Ok(await patrols.FindingsAsync(user, status, cancellationToken));

    static async Task<Results<Ok<FindingView>, ProblemHttpResult>> Finding(Guid id, ClaimsPrincipal user, PatrolUseCases patrols, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        await patrols.FindingAsync(user, id, cancellationToken) is { } finding ? TypedResults.Ok(finding) : Problems.NotFound(text);

    /// <summary>Files a finding (multipart form): roundId, place, category, description, suggestion, departmentId, waterPh, waterDissolvedOxygen, waterTurbidity, and up to six "photos".</summary>
    static async Task<Results<Ok<FindingView>, ProblemHttpResult, ValidationProblem>> File(IFormCollection form, ClaimsPrincipal user, PatrolUseCases patrols,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken)
    {
        var (request, photos, errors) = await ReadFindingAsync(form, null, text, cancellationToken);
        if (errors.Any)
        {
            return Problems.Invalid(errors.ToDictionary(), text);
        }
        return (await patrols.FileAsync(user, request, photos, cancellationToken)).ToHttpResult(text);
    }

    /// <summary>The liaison's answer (multipart form): answer, and up to six "photos" of the rectification.</summary>
    static async Task<Results<Ok<FindingView>, ProblemHttpResult, ValidationProblem>> Answer(Guid id, IFormCollection form, ClaimsPrincipal user, PatrolUseCases patrols,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken)
    {
        return (await patrols.AnswerAsync(user, id, new AnswerFindingRequest(form["answer"]), await PhotosAsync(form, cancellationToken), cancellationToken)).ToHttpResult(text);
    }

    /// <summary>Close (<c>{ "close": true }</c>) or reopen with a comment.</summary>
    static async Task<Results<Ok<FindingView>, ProblemHttpResult, ValidationProblem>> Verify(Guid id, VerifyFindingRequest request, ClaimsPrincipal user, PatrolUseCases patrols,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) => (await patrols.VerifyAsync(user, id, request, cancellationToken)).ToHttpResult(text);

    static async Task<Ok<PatrolStatistics>> Statistics(ClaimsPrincipal user, PatrolUseCases patrols, CancellationToken cancellationToken) =>
        TypedResults.Ok(await patrols.StatisticsAsync(user, cancellationToken));

    static async Task<IResult> Photo(Guid id, ClaimsPrincipal user, PatrolUseCases patrols, CancellationToken cancellationToken) =>
        await patrols.PhotoAsync(user, id, cancellationToken) is { } photo ? Results.File(photo.Content, photo.ContentType) : Results.NotFound();

    static async Task<IResult> FileFromPage(Guid id, IFormCollection form, ClaimsPrincipal user, PatrolUseCases patrols, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken)
    {
        var (request, photos, errors) = await ReadFindingAsync(form, id, text, cancellationToken);
        var outcome = errors.Any ? Outcome<FindingView>.Invalid(errors) : await patrols.FileAsync(user, request, photos, cancellationToken);
        return outcome.Succeeded
            ? Results.Redirect($"/patrols/findings/{outcome.Value!.Id}?message=filed")
            : Results.Redirect($"/patrols/rounds/{id}?error={Uri.EscapeDataString(Message(outcome, text))}");
    }

    static async Task<IResult> AnswerFromPage(Guid id, IFormCollection form, ClaimsPrincipal user, PatrolUseCases patrols, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken)
    {
        var outcome = await patrols.AnswerAsync(user, id, new AnswerFindingRequest(form["answer"]), await PhotosAsync(form, cancellationToken), cancellationToken);
        return Results.Redirect(outcome.Succeeded ? $"/patrols/findings/{id}?message=answered" : $"/patrols/findings/{id}?error={Uri.EscapeDataString(Message(outcome, text))}");
    }

    static string Message<T>(Outcome<T> outcome, IStringLocalizer text)
    {
        var message = outcome.IsNotFound ? text["Problem.NotFound"].Value : string.Join("\n", outcome.Errors!.Values.SelectMany(m => m));
        // Kept short enough for a page address.
        return message.Length > 600 ? message[..600] : message;
    }

    static async Task<(FileFindingRequest, List<byte[]>, FieldErrors)> ReadFindingAsync(IFormCollection form, Guid? roundId, IStringLocalizer text, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        double? Number(string field) => FormValues.Decimal(errors, field, form[field], text);
        FindingCategory? category = Enum.TryParse<FindingCategory>(form["category"], out var c) ? c : null;
        var request = new FileFindingRequest(roundId ?? (Guid.TryParse(form["roundId"], out var r) ? r : null), form["place"], category, form["description"], form["suggestion"],
            Guid.TryParse(form["departmentId"], out var d) ? d : null, Number("waterPh"), Number("waterDissolvedOxygen"), Number("waterTurbidity"));
        return (request, await PhotosAsync(form, cancellationToken), errors);
    }

    static async Task<List<byte[]>> PhotosAsync(IFormCollection form, CancellationToken cancellationToken)
    {
        var photos = new List<byte[]>();
        foreach (var file in form.Files.GetFiles("photos").Where(f => f.Length > 0).Take(PatrolUseCases.MaxPhotos + 1))
        {
            if (file.Length > PhotoUpload.MaxBytes)
            {
                // Too large to read: handed on as an empty-but-marked file so the use case names the reason.
                photos.Add(new byte[PhotoUpload.MaxBytes + 1]);
                continue;
            }
            using var buffer = new MemoryStream();
            await file.CopyToAsync(buffer, cancellationToken);
            photos.Add(buffer.ToArray());
        }
        return photos;
    }
}
