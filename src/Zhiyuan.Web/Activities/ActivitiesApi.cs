using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;
using Zhiyuan.Web.Hours;
using Zhiyuan.Web.Infrastructure;
using Zhiyuan.Web.Organizations;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Web.Activities;

public static class ActivitiesApi
{
    public static IServiceCollection AddActivities(this IServiceCollection services) => services
        .AddScoped<ActivityUseCases>()
        .AddScoped<ActivityEditUseCases>()
        .AddScoped<SignUpUseCases>()
        .AddScoped<AttendanceUseCases>()
        .AddScoped<WalkInUseCases>()
        .AddScoped<OutcomeUseCases>()
        .AddScoped<CoverUseCases>()
        .AddScoped<HourUseCases>()
        .AddHostedService<ForgottenCheckOuts>();

    public static IEndpointRouteBuilder MapActivitiesApi(this IEndpointRouteBuilder app)
    {
        var open = app.MapGroup("/api/activities").WithTags("Activities");
        open.MapGet("/", List).AllowAnonymous();
        open.MapGet("/{id:guid}", Get).AllowAnonymous();
        open.MapGet("/{id:guid}/outcome", GetOutcome).AllowAnonymous();
        open.MapGet("/managed", Managed).RequireAuthorization();
        open.MapPost("/", Create).RequireAuthorization();
        open.MapPost("/{id:guid}/sessions", AddSession).RequireAuthorization();
        open.MapPost("/{id:guid}/status", ChangeStatus).RequireAuthorization();
        open.MapPut("/{id:guid}", Edit).RequireAuthorization();
        open.MapPost("/{id:guid}/cancellation", CancelActivity).RequireAuthorization();
        open.MapPost("/{id:guid}/sessions/{sessionId:guid}/cancellation", CancelSession).RequireAuthorization();
        open.MapPut("/{id:guid}/outcome", SaveOutcome).RequireAuthorization();
        open.MapPost("/{id:guid}/photos", AddPhoto).RequireAuthorization().DisableAntiforgery();
        app.MapGet("/activities/photos/{id:guid}", Photo).AllowAnonymous().ExcludeFromDescription();
        app.MapPost("/activities/{id:guid}/photos", AddPhotoFromPage).RequireAuthorization().ExcludeFromDescription();
        open.MapPost("/{id:guid}/cover", SetCover).RequireAuthorization().DisableAntiforgery();
        open.MapDelete("/{id:guid}/cover", RemoveCover).RequireAuthorization();
        app.MapGet("/activities/covers/{id:guid}", Cover).AllowAnonymous().ExcludeFromDescription();
        app.MapPost("/activities/{id:guid}/cover", SetCoverFromPage).RequireAuthorization().ExcludeFromDescription();
        app.MapPost("/activities/{id:guid}/cover/removal", RemoveCoverFromPage).RequireAuthorization().ExcludeFromDescription();

        var sessions = app.MapGroup("/api/sessions/{sessionId:guid}").WithTags("Sign-ups and attendance").RequireAuthorization();
        sessions.MapPost("/signups", SignUp);
        sessions.MapDelete("/signups/me", Cancel);
        sessions.MapPost("/signups/{number}/decision", Decide);
        sessions.MapGet("/leader", Leader);
        sessions.MapPost("/attendance", Attend);
        sessions.MapPost("/roster/{number}", Mark);
        sessions.MapPost("/walk-ins", WalkIn);
        sessions.MapPost("/walk-ins/photo", WalkInPhoto).DisableAntiforgery();
        sessions.MapPost("/walk-ins/registrations", WalkInRegistration);
        sessions.MapPost("/absences", MarkAbsent);
        sessions.MapDelete("/absences/{signUpId:guid}", UndoAbsence);
        sessions.MapPost("/confirm", Confirm);
        app.MapPost("/sessions/{sessionId:guid}/walk-ins/photo", WalkInPhotoFromPage).RequireAuthorization().ExcludeFromDescription();
        sessions.MapGet("/ledger", SessionLedger);
        sessions.MapPost("/correction-requests", RequestCorrection);

        var hours = app.MapGroup("/api/hours").WithTags("Service hours").RequireAuthorization();
        hours.MapGet("/pending", Pending);
        hours.MapPost("/entries/{id:guid}/correction", Correct);
        hours.MapPost("/correction-requests/{id:guid}/decline", DeclineCorrection);
        app.MapGet("/api/volunteers/me/signups", MySignUps).WithTags("Volunteers").RequireAuthorization();
        app.MapGet("/api/volunteers/me/record", MyRecord).WithTags("Volunteers").RequireAuthorization();
        app.MapGet("/api/volunteers/me/record.csv", MyRecordCsv).WithTags("Volunteers").RequireAuthorization();
        app.MapGet("/me/record.csv", MyRecordCsv).RequireAuthorization().ExcludeFromDescription();
        return app;
    }

    /// <summary>Published, closed and finished activities; filters: q (title, organiser, place), line, unitCode (its subtree), from/to (China dates), openPlaces.</summary>
    static async Task<Ok<ActivityPage>> List(ActivityUseCases activities, string? q, ServiceLines? line, string? unitCode, DateOnly? from, DateOnly? to,
        bool? openPlaces, int? page, CancellationToken cancellationToken) =>
        TypedResults.Ok(await activities.ListAsync(new ActivityListQuery(q, line, unitCode, from, to, openPlaces ?? false, page ?? 1), cancellationToken));

    static async Task<Results<Ok<ActivityView>, ProblemHttpResult>> Get(Guid id, ClaimsPrincipal user, ActivityUseCases activities, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        await activities.GetForAsync(user, id, cancellationToken) is { } view ? TypedResults.Ok(view) : Problems.NotFound(text);

    static async Task<Ok<List<ActivitySummary>>> Managed(ClaimsPrincipal user, ActivityUseCases activities, CancellationToken cancellationToken) =>
        TypedResults.Ok(await activities.ManagedAsync(user, cancellationToken));

    /// <summary>Creates a draft activity with its sessions, for an organisation the caller administers. Times carry their offset, e.g. 2019-03-05T09:00:00+08:00.</summary>
    static async Task<Results<Ok<ActivityView>, ProblemHttpResult, ValidationProblem>> Create(CreateActivityRequest request, ClaimsPrincipal user, ActivityUseCases activities,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await activities.CreateAsync(user, request, cancellationToken)).ToHttpResult(text);

    static async Task<Results<Ok<ActivityView>, ProblemHttpResult, ValidationProblem>> AddSession(Guid id, SessionRequest request, ClaimsPrincipal user, ActivityUseCases activities,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await activities.AddSessionAsync(user, id, request, cancellationToken)).ToHttpResult(text);

    /// <summary>
    /// Edits the activity: the whole activity as it should be, with the <c>version</c> read from GET (an older
    /// version is refused with 409 and nothing is saved) and its sessions — kept ones with their id, new ones
    /// without; a session still to come that is left out is removed (refused while it has sign-ups: cancel it
    /// instead). Capacities never drop below the places accepted; a moved session keeps its volunteers only if
    /// none of them is signed up elsewhere at the new time. Once a session has started only the description,
    /// the sign-up window and the sessions still to come change. Volunteers affected are told.
    /// </summary>
    static async Task<Results<Ok<ActivityView>, ProblemHttpResult, ValidationProblem>> Edit(Guid id, EditActivityRequest request, ClaimsPrincipal user,
        ActivityEditUseCases editing, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await editing.EditAsync(user, id, request, cancellationToken)).ToHttpResult(text);

    /// <summary>Calls the activity off before it begins, with a reason (<c>{ "reason": "…" }</c>) shown publicly: every sign-up is cancelled and its volunteer told.</summary>
    static async Task<Results<Ok<ActivityView>, ProblemHttpResult, ValidationProblem>> CancelActivity(Guid id, CancelActivityRequest request, ClaimsPrincipal user,
        ActivityEditUseCases editing, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await editing.CancelAsync(user, id, request, cancellationToken)).ToHttpResult(text);

    /// <summary>Calls one session off before it begins, with a reason: its sign-ups are cancelled and their volunteers told. The last remaining session cannot be cancelled alone.</summary>
    static async Task<Results<Ok<ActivityView>, ProblemHttpResult, ValidationProblem>> CancelSession(Guid id, Guid sessionId, CancelActivityRequest request, ClaimsPrincipal user,
        ActivityEditUseCases editing, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await editing.CancelSessionAsync(user, id, sessionId, request, cancellationToken)).ToHttpResult(text);

    /// <summary>Publish, close, reopen or finish: <c>{ "status": "Published" }</c>.</summary>
    static async Task<Results<Ok<ActivityView>, ProblemHttpResult, ValidationProblem>> ChangeStatus(Guid id, ActivityStatusRequest request, ClaimsPrincipal user, ActivityUseCases activities,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await activities.ChangeStatusAsync(user, id, request.Status, cancellationToken)).ToHttpResult(text);

    static async Task<Results<Ok<OutcomeView>, ProblemHttpResult>> GetOutcome(Guid id, ClaimsPrincipal user, ActivityUseCases activities, OutcomeUseCases outcomes,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        await activities.GetForAsync(user, id, cancellationToken) is not null && await outcomes.GetAsync(id, cancellationToken) is { } view
            ? TypedResults.Ok(view) : Problems.NotFound(text);

    /// <summary>Person-times per population type, money and materials (yuan), media reports and links, news text. Replaces what was saved before.</summary>
    static async Task<Results<Ok<OutcomeView>, ProblemHttpResult, ValidationProblem>> SaveOutcome(Guid id, OutcomeRequest request, ClaimsPrincipal user, OutcomeUseCases outcomes,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await outcomes.SaveAsync(user, id, request, cancellationToken)).ToHttpResult(text);

    /// <summary>Uploads one photo (multipart field "photo"): JPEG, PNG or WebP by content, at most 10 MB; stored without metadata.</summary>
    static async Task<Results<Ok<Guid>, ProblemHttpResult, ValidationProblem>> AddPhoto(Guid id, IFormFile? photo, ClaimsPrincipal user, OutcomeUseCases outcomes,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken)
    {
        if (photo is null)
        {
            return Problems.Invalid(new Dictionary<string, string[]> { ["photo"] = [text["Photos.Error.Empty"]] }, text);
        }
        if (photo.Length > PhotoUpload.MaxBytes)
        {
            return Problems.Invalid(new Dictionary<string, string[]> { ["photo"] = [text["Photos.Error.TooLarge", PhotoUpload.MaxBytes / 1024 / 1024]] }, text);
        }
        using var buffer = new MemoryStream();
        await photo.CopyToAsync(buffer, cancellationToken);
        return (await outcomes.AddPhotoAsync(user, id, buffer.ToArray(), cancellationToken)).ToHttpResult(text);
    }

    /// <summary>The manage page's upload form (cookie and antiforgery token): back to the page with the result.</summary>
    static async Task<IResult> AddPhotoFromPage(Guid id, IFormFile? photo, ClaimsPrincipal user, OutcomeUseCases outcomes,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken)
    {
        var result = await AddPhoto(id, photo, user, outcomes, text, cancellationToken);
        var message = result.Result switch
        {
            Ok<Guid> => "ok",
            ValidationProblem invalid => invalid.ProblemDetails.Errors.Values.First()[0],
            _ => text["Problem.NotFound"].Value,
        };
        return Results.LocalRedirect($"/activities/{id}/manage?photo={Uri.EscapeDataString(message)}#outcome");
    }

    static async Task<IResult> Photo(Guid id, OutcomeUseCases outcomes, CancellationToken cancellationToken) =>
        await outcomes.PhotoAsync(id, cancellationToken) is { } photo ? Results.File(photo.Content, photo.ContentType) : Results.NotFound();

    /// <summary>
    /// Sets the activity's cover photo (multipart field "photo"), replacing any other: JPEG, PNG or WebP by content,
    /// at most 10 MB and 24 megapixels; stored re-encoded without metadata. Shown publicly only while the activity
    /// is published (or closed, finished) and not private work.
    /// </summary>
    static async Task<Results<Ok<CoverView>, ProblemHttpResult, ValidationProblem>> SetCover(Guid id, IFormFile? photo, ClaimsPrincipal user, CoverUseCases covers,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken)
    {
        if (photo is null || photo.Length == 0)
        {
            return Problems.Invalid(new Dictionary<string, string[]> { ["photo"] = [text["Photos.Error.Empty"]] }, text);
        }
        if (photo.Length > PhotoUpload.MaxBytes)
        {
            return Problems.Invalid(new Dictionary<string, string[]> { ["photo"] = [text["Photos.Error.TooLarge", PhotoUpload.MaxBytes / 1024 / 1024]] }, text);
        }
        using var buffer = new MemoryStream();
        await photo.CopyToAsync(buffer, cancellationToken);
        return (await covers.SetAsync(user, id, buffer.ToArray(), cancellationToken)).ToHttpResult(text);
    }

    /// <summary>Removes the activity's cover photo; removing it again changes nothing.</summary>
    static async Task<Results<NoContent, ProblemHttpResult, ValidationProblem>> RemoveCover(Guid id, ClaimsPrincipal user, CoverUseCases covers,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await covers.RemoveAsync(user, id, cancellationToken)).Succeeded ? TypedResults.NoContent() : Problems.NotFound(text);

    /// <summary>The edit page's cover form (cookie and antiforgery token): back to the page with the result.</summary>
    static async Task<IResult> SetCoverFromPage(Guid id, IFormFile? photo, ClaimsPrincipal user, CoverUseCases covers,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken)
    {
        var result = await SetCover(id, photo, user, covers, text, cancellationToken);
        var message = result.Result switch
        {
            Ok<CoverView> => "ok",
            ValidationProblem invalid => invalid.ProblemDetails.Errors.Values.First()[0],
            _ => text["Problem.NotFound"].Value,
        };
        return Results.LocalRedirect($"/activities/{id}/edit?cover={Uri.EscapeDataString(message)}#cover");
    }

    static async Task<IResult> RemoveCoverFromPage(Guid id, ClaimsPrincipal user, CoverUseCases covers, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await covers.RemoveAsync(user, id, cancellationToken)).Succeeded
            ? Results.LocalRedirect($"/activities/{id}/edit?cover=removed#cover")
            : Results.LocalRedirect($"/activities/{id}/edit?cover={Uri.EscapeDataString(text["Problem.NotFound"].Value)}#cover");

    static async Task<IResult> Cover(Guid id, ClaimsPrincipal user, CoverUseCases covers, HttpContext http, CancellationToken cancellationToken)
    {
        if (await covers.ServeAsync(user, id, cancellationToken) is not { } cover)
        {
            return Results.NotFound();
        }
        // A cover's id changes with every upload: what is served under one never changes.
        http.Response.Headers.CacheControl = "public, max-age=86400";
        return Results.File(cover.Content, cover.ContentType);
    }

    /// <summary>The calling volunteer signs up. 200 says accepted, waitlisted (with the place in line) or waiting for review; 400 says why not.</summary>
    static async Task<Results<Ok<SignUpView>, ProblemHttpResult, ValidationProblem>> SignUp(Guid sessionId, ClaimsPrincipal user, SignUpUseCases signUps,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await signUps.SignUpAsync(user, sessionId, cancellationToken)).ToHttpResult(text);

    static async Task<Results<Ok<SignUpView>, ProblemHttpResult, ValidationProblem>> Cancel(Guid sessionId, ClaimsPrincipal user, SignUpUseCases signUps,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await signUps.CancelAsync(user, sessionId, cancellationToken)).ToHttpResult(text);

    static async Task<Results<Ok<SignUpView>, ProblemHttpResult, ValidationProblem>> Decide(Guid sessionId, string number, ReviewRequest request, ClaimsPrincipal user,
        SignUpUseCases signUps, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await signUps.DecideAsync(user, sessionId, number, request, cancellationToken)).ToHttpResult(text);

    /// <summary>The leader's view: the current check-in code (valid about two minutes) and the roster.</summary>
    static async Task<Results<Ok<LeaderView>, ProblemHttpResult>> Leader(Guid sessionId, ClaimsPrincipal user, AttendanceUseCases attendance,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        await attendance.LeaderAsync(user, sessionId, cancellationToken) is { } view ? TypedResults.Ok(view) : Problems.NotFound(text);

    /// <summary>The volunteer sends the scanned code (and, for a geofenced activity, their position): first check-in, then check-out.</summary>
    static async Task<Results<Ok<AttendanceView>, ProblemHttpResult, ValidationProblem>> Attend(Guid sessionId, AttendRequest request, ClaimsPrincipal user,
        AttendanceUseCases attendance, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await attendance.AttendAsync(user, sessionId, request, cancellationToken)).ToHttpResult(text);

    /// <summary>The leader ticks the roster: <c>{ "action": "checkIn" }</c>, <c>{ "action": "checkOut" }</c>, or explicit times.</summary>
    static async Task<Results<Ok<RosterEntry>, ProblemHttpResult, ValidationProblem>> Mark(Guid sessionId, string number, RosterRequest request, ClaimsPrincipal user,
        AttendanceUseCases attendance, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await attendance.MarkAsync(user, sessionId, number, request, cancellationToken)).ToHttpResult(text);

    /// <summary>
    /// The organisation confirms the session's hours: attendance becomes ledger entries. Without a body (or without
    /// <c>signUpIds</c>) every attendance not yet confirmed and not marked absent; with <c>{ "signUpIds": [...] }</c>
    /// only those (the rest can be confirmed later). Each attendance is credited at most once.
    /// </summary>
    static async Task<Results<Ok<ConfirmationView>, ProblemHttpResult, ValidationProblem>> Confirm(Guid sessionId, [FromBody] ConfirmRequest? request, ClaimsPrincipal user,
        HourUseCases hours, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await hours.ConfirmAsync(user, sessionId, request?.SignUpIds, cancellationToken)).ToHttpResult(text);

    /// <summary>
    /// The leader adds a registered volunteer on site (现场加入), on the session's day until it ends: <c>{ "volunteer": "ZY00000001" }</c>,
    /// a mobile number, or the certificate's QR text (its verification link, or the code). The walk-in is checked in now and takes no
    /// place (outside the capacity); someone already signed up is just checked in; adding the same person again changes nothing.
    /// </summary>
    static async Task<Results<Ok<WalkInView>, ProblemHttpResult, ValidationProblem>> WalkIn(Guid sessionId, WalkInRequest request, ClaimsPrincipal user,
        WalkInUseCases walkIns, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await walkIns.AddAsync(user, sessionId, request, cancellationToken)).ToHttpResult(text);

    /// <summary>As <c>walk-ins</c>, from a photo of the volunteer's certificate QR (multipart field "photo": JPEG, PNG or WebP, at most 10 MB); the photo is not kept.</summary>
    static async Task<Results<Ok<WalkInView>, ProblemHttpResult, ValidationProblem>> WalkInPhoto(Guid sessionId, IFormFile? photo, ClaimsPrincipal user,
        WalkInUseCases walkIns, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken)
    {
        if (photo is null || photo.Length == 0)
        {
            return Problems.Invalid(new Dictionary<string, string[]> { ["photo"] = [text["Photos.Error.Empty"]] }, text);
        }
        if (photo.Length > PhotoUpload.MaxBytes)
        {
            return Problems.Invalid(new Dictionary<string, string[]> { ["photo"] = [text["Photos.Error.TooLarge", PhotoUpload.MaxBytes / 1024 / 1024]] }, text);
        }
        using var buffer = new MemoryStream();
        await photo.CopyToAsync(buffer, cancellationToken);
        return (await walkIns.AddFromPhotoAsync(user, sessionId, buffer.ToArray(), cancellationToken)).ToHttpResult(text);
    }

    /// <summary>The leader's page: the photo taken with the phone's camera, then back to the page with what happened.</summary>
    static async Task<IResult> WalkInPhotoFromPage(Guid sessionId, IFormFile? photo, ClaimsPrincipal user, WalkInUseCases walkIns,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken)
    {
        var result = await WalkInPhoto(sessionId, photo, user, walkIns, text, cancellationToken);
        var (key, message) = result.Result switch
        {
            Ok<WalkInView> added => ("walkin", added.Value!.Message),
            ValidationProblem invalid => ("walkinError", invalid.ProblemDetails.Errors.Values.First()[0]),
            _ => ("walkinError", text["Problem.NotFound"].Value),
        };
        return Results.LocalRedirect($"/sessions/{sessionId}/walk-ins?{key}={Uri.EscapeDataString(message)}#walk-in");
    }

    /// <summary>
    /// The leader registers someone on the spot — name, ID document, mobile (and a guardian for 14–17-year-olds), by the registration
    /// rules, without an account: the person claims the record later by registering with the same document and mobile number — and adds
    /// them as a walk-in. Someone already registered with this document and mobile number is just added.
    /// </summary>
    static async Task<Results<Ok<WalkInView>, ProblemHttpResult, ValidationProblem>> WalkInRegistration(Guid sessionId, OnSiteRegistrationRequest request, ClaimsPrincipal user,
        WalkInUseCases walkIns, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await walkIns.RegisterAsync(user, sessionId, request, cancellationToken)).ToHttpResult(text);

    /// <summary>Marks attendances absent (缺席) with a reason: <c>{ "signUpIds": [...], "reason": "未到场" }</c>. They are left out of the ledger until the mark is taken back.</summary>
    static async Task<Results<Ok<List<RosterEntry>>, ProblemHttpResult, ValidationProblem>> MarkAbsent(Guid sessionId, AbsenceRequest request, ClaimsPrincipal user,
        AttendanceUseCases attendance, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await attendance.MarkAbsentAsync(user, sessionId, request, cancellationToken)).ToHttpResult(text);

    /// <summary>Takes back an absence mark.</summary>
    static async Task<Results<Ok<RosterEntry>, ProblemHttpResult, ValidationProblem>> UndoAbsence(Guid sessionId, Guid signUpId, ClaimsPrincipal user,
        AttendanceUseCases attendance, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await attendance.UndoAbsenceAsync(user, sessionId, signUpId, cancellationToken)).ToHttpResult(text);

    static async Task<Results<Ok<List<LedgerEntryView>>, ProblemHttpResult>> SessionLedger(Guid sessionId, ClaimsPrincipal user, HourUseCases hours,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        await hours.SessionLedgerAsync(user, sessionId, cancellationToken) is { } entries ? TypedResults.Ok(entries) : Problems.NotFound(text);

    static async Task<Results<Ok<MyCorrectionRequest>, ProblemHttpResult, ValidationProblem>> RequestCorrection(Guid sessionId, CorrectionRequestBody body, ClaimsPrincipal user,
        HourUseCases hours, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await hours.RequestCorrectionAsync(user, sessionId, body, cancellationToken)).ToHttpResult(text);

    /// <summary>Sessions waiting for confirmation (due 10 working days after the service; overdue ones first) and open correction requests.</summary>
    static async Task<Ok<PendingHours>> Pending(ClaimsPrincipal user, HourUseCases hours, CancellationToken cancellationToken)
    {
        var (sessions, requests) = await hours.PendingAsync(user, cancellationToken);
        return TypedResults.Ok(new PendingHours(sessions, requests));
    }

    /// <summary>Reverses an entry and, with new times, writes the corrected one. A reason is required.</summary>
    static async Task<Results<Ok<List<LedgerEntryView>>, ProblemHttpResult, ValidationProblem>> Correct(Guid id, CorrectLedgerRequest request, ClaimsPrincipal user,
        HourUseCases hours, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await hours.CorrectAsync(user, id, request, cancellationToken)).ToHttpResult(text);

    static async Task<Results<Ok<OpenCorrectionRequest>, ProblemHttpResult, ValidationProblem>> DeclineCorrection(Guid id, ReviewRequest request, ClaimsPrincipal user,
        HourUseCases hours, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await hours.DeclineCorrectionAsync(user, id, request, cancellationToken)).ToHttpResult(text);

    static async Task<Ok<List<MySignUpView>>> MySignUps(ClaimsPrincipal user, SignUpUseCases signUps, CancellationToken cancellationToken) =>
        TypedResults.Ok(await signUps.MineAsync(user, cancellationToken));

    static async Task<Results<Ok<ServiceRecord>, ProblemHttpResult>> MyRecord(ClaimsPrincipal user, HourUseCases hours, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        await hours.RecordAsync(user, cancellationToken) is { } record ? TypedResults.Ok(record) : Problems.NotFound(text);

    static async Task<IResult> MyRecordCsv(ClaimsPrincipal user, HourUseCases hours, CancellationToken cancellationToken) =>
        await hours.RecordAsync(user, cancellationToken) is { } record
            ? Results.File(System.Text.Encoding.UTF8.GetBytes(hours.RecordCsv(record)), "text/csv; charset=utf-8", $"service-record-{record.VolunteerNumber}.csv")
            : Results.NotFound();
}

public sealed record PendingHours(List<PendingConfirmation> Sessions, List<OpenCorrectionRequest> CorrectionRequests);

/// <summary>Closes forgotten check-outs every few minutes, so the flag is there before anyone confirms.</summary>
sealed class ForgottenCheckOuts(IServiceScopeFactory scopes, ILogger<ForgottenCheckOuts> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Not before the database has every migration (Database:MigrateOnStart=false, `migrate` not run yet).
        using (var first = scopes.CreateScope())
        {
            await first.ServiceProvider.GetRequiredService<Zhiyuan.Web.Data.MigrationState>().WaitCurrentAsync(stoppingToken);
        }
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(5));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var closed = await scope.ServiceProvider.GetRequiredService<AttendanceUseCases>().CloseForgottenCheckOutsAsync(AttendanceUseCases.LateCheckOut, cancellationToken: stoppingToken);
                if (closed > 0)
                {
                    log.LogInformation("Closed {Count} forgotten check-outs at their sessions' end", closed);
                }
                PlatformMetrics.JobRan("forgotten-check-outs", ok: true);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                PlatformMetrics.JobRan("forgotten-check-outs", ok: false);
                log.LogWarning(exception, "Closing forgotten check-outs failed; trying again at the next tick");
            }
        }
    }
}
