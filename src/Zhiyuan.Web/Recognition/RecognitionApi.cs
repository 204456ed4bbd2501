using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Infrastructure;

namespace Zhiyuan.Web.Recognition;

public static class RecognitionApi
{
    /// <summary>Rate limit of certificate verification by short code: per address, per node.</summary>
    public const string VerificationPolicy = "verification";

    public static IServiceCollection AddRecognition(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RecognitionOptions>().Bind(configuration.GetSection("Recognition")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RecognitionOptions>, RecognitionOptionsValidation>();
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(VerificationPolicy, http => RateLimitPartition.GetFixedWindowLimiter(http.Connection.RemoteIpAddress?.ToString() ?? "",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = 20, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
        });
        return services
            .AddScoped<StarAwardUseCases>()
            .AddScoped<NoticeBoard>()
            .AddScoped<CommendationUseCases>()
            .AddScoped<PartnerUseCases>()
            .AddScoped<ServiceCertificateUseCases>();
    }

    public static IEndpointRouteBuilder MapRecognitionApi(this IEndpointRouteBuilder app)
    {
        var stars = app.MapGroup("/api/stars").WithTags("Recognition").RequireAuthorization(Policies.UnitAdministration);
        stars.MapGet("/", StarOverview);
        stars.MapPost("/notices", StartNotice);
        stars.MapPost("/eligible/{number}/reject", RejectStar);
        stars.MapPost("/{id:guid}/award", AwardStar);
        stars.MapPost("/{id:guid}/revoke", RevokeStar);
        stars.MapPost("/objections/{id:guid}/answer", AnswerStarObjection);

        var notices = app.MapGroup("/api/notices").WithTags("Recognition").AllowAnonymous();
        notices.MapGet("/", Notices);
        notices.MapPost("/{kind}/{id:guid}/objections", Object);

        var commendations = app.MapGroup("/api/commendations").WithTags("Recognition").RequireAuthorization(Policies.UnitAdministration);
        commendations.MapGet("/", Rounds);
        commendations.MapPost("/", CreateRound);
        commendations.MapGet("/{id:guid}", Round);
        commendations.MapPost("/{id:guid}/nominations", Nominate);
        commendations.MapPost("/nominations/{id:guid}/review", ReviewNomination);
        commendations.MapPost("/nominations/{id:guid}/award", AwardNomination);
        commendations.MapPost("/nominations/{id:guid}/photos", AddStoryPhoto).DisableAntiforgery();
        commendations.MapPost("/objections/{id:guid}/answer", AnswerNominationObjection);
        app.MapGet("/api/honours", Honours).WithTags("Recognition").AllowAnonymous();
        app.MapPost("/commendations/nominations/{id:guid}/photos", AddStoryPhotoFromPage).RequireAuthorization(Policies.UnitAdministration).ExcludeFromDescription();
        app.MapGet("/honours/photos/{id:guid}", StoryPhoto).AllowAnonymous().ExcludeFromDescription();

        app.MapGet("/api/partners", Partners).WithTags("Recognition").AllowAnonymous();
        app.MapPost("/api/partners", CreatePartner).WithTags("Recognition").RequireAuthorization(Policies.UnitAdministration);
        app.MapGet("/api/partners/managed", ManagedPartners).WithTags("Recognition").RequireAuthorization(Policies.UnitAdministration);
        app.MapGet("/api/partners/check/{code}", PartnerCheck).WithTags("Recognition").AllowAnonymous().RequireRateLimiting(VerificationPolicy);

        var certificates = app.MapGroup("/api/volunteers/me/service-certificates").WithTags("Recognition").RequireAuthorization();
        certificates.MapGet("/", MyServiceCertificates);
        certificates.MapPost("/", IssueServiceCertificate);
        app.MapGet("/api/service-certificates/verify", VerifyServiceCertificate).WithTags("Recognition").AllowAnonymous().RequireRateLimiting(VerificationPolicy);
        return app;
    }

    /// <summary>
    /// Eligible volunteers (confirmed hours over a threshold), 50 a page, most hours first, with their count; stars on notice and decided,
    /// stars that corrections left above the hours, objections. <c>unit</c> (a unit code) limits every list to that unit and the units below it.
    /// </summary>
    static async Task<Results<Ok<StarOverview>, ProblemHttpResult, ValidationProblem>> StarOverview(int? page, string? unit, ClaimsPrincipal user, StarAwardUseCases stars,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) => (await stars.ListAsync(user, page, unit, cancellationToken)).ToHttpResult(text);

    /// <summary>Puts the next star of the given volunteers (numbers) on public notice.</summary>
    static async Task<Results<Ok<StarOverview>, ProblemHttpResult, ValidationProblem>> StartNotice(StartNoticeRequest request, ClaimsPrincipal user, StarAwardUseCases stars,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) => (await stars.StartNoticeAsync(user, request, cancellationToken)).ToHttpResult(text);

    static async Task<Results<Ok<StarOverview>, ProblemHttpResult, ValidationProblem>> RejectStar(string number, DecisionRequest request, ClaimsPrincipal user, StarAwardUseCases stars,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) => (await stars.RejectAsync(user, number, request, cancellationToken)).ToHttpResult(text);

    /// <summary>Awards a star whose notice has ended with no open objection.</summary>
    static async Task<Results<Ok<StarOverview>, ProblemHttpResult, ValidationProblem>> AwardStar(Guid id, ClaimsPrincipal user, StarAwardUseCases stars,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) => (await stars.AwardAsync(user, id, cancellationToken)).ToHttpResult(text);

    static async Task<Results<Ok<StarOverview>, ProblemHttpResult, ValidationProblem>> RevokeStar(Guid id, DecisionRequest request, ClaimsPrincipal user, StarAwardUseCases stars,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) => (await stars.RevokeAsync(user, id, request, cancellationToken)).ToHttpResult(text);

    static async Task<Results<Ok<StarOverview>, ProblemHttpResult, ValidationProblem>> AnswerStarObjection(Guid id, AnswerObjectionRequest request, ClaimsPrincipal user,
        StarAwardUseCases stars, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await stars.AnswerObjectionAsync(user, id, request, cancellationToken)).ToHttpResult(text);

    /// <summary>Everything on public notice now.</summary>
    static async Task<Ok<List<NoticeItem>>> Notices(NoticeBoard board, CancellationToken cancellationToken) => TypedResults.Ok(await board.ListAsync(cancellationToken));

    /// <summary>An objection to a star ("star") or a nomination ("nomination") on notice: <c>{ "text": "…", "contact": "…" }</c>. Limited per sender address.</summary>
    static async Task<Results<Ok<bool>, ProblemHttpResult, ValidationProblem>> Object(string kind, Guid id, ObjectionRequest request, HttpContext http, NoticeBoard board,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await board.ObjectAsync(kind, id, request, http.Connection.RemoteIpAddress?.ToString() ?? "", cancellationToken)).ToHttpResult(text);

    static async Task<Ok<List<RoundView>>> Rounds(ClaimsPrincipal user, CommendationUseCases commendations, CancellationToken cancellationToken) =>
        TypedResults.Ok(await commendations.ListAsync(user, cancellationToken));

    /// <summary>A commendation round run by the caller's unit: kind MostBeautifulVolunteer, FiveStarVolunteer, OutstandingOrganization or OutstandingProject.</summary>
    static async Task<Results<Ok<RoundView>, ProblemHttpResult, ValidationProblem>> CreateRound(CreateRoundRequest request, ClaimsPrincipal user, CommendationUseCases commendations,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) => (await commendations.CreateRoundAsync(user, request, cancellationToken)).ToHttpResult(text);

    static async Task<Results<Ok<RoundView>, ProblemHttpResult>> Round(Guid id, ClaimsPrincipal user, CommendationUseCases commendations, IStringLocalizer<SharedResource> text,
        CancellationToken cancellationToken) => await commendations.GetAsync(user, id, cancellationToken) is { } view ? TypedResults.Ok(view) : Problems.NotFound(text);

    static async Task<Results<Ok<RoundView>, ProblemHttpResult, ValidationProblem>> Nominate(Guid id, NominateRequest request, ClaimsPrincipal user, CommendationUseCases commendations,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) => (await commendations.NominateAsync(user, id, request, cancellationToken)).ToHttpResult(text);

    /// <summary><c>{ "action": "notice" }</c> or <c>{ "action": "reject", "reason": "…" }</c>.</summary>
    static async Task<Results<Ok<RoundView>, ProblemHttpResult, ValidationProblem>> ReviewNomination(Guid id, ReviewNominationRequest request, ClaimsPrincipal user,
        CommendationUseCases commendations, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await commendations.ReviewAsync(user, id, request, cancellationToken)).ToHttpResult(text);

    static async Task<Results<Ok<RoundView>, ProblemHttpResult, ValidationProblem>> AwardNomination(Guid id, ClaimsPrincipal user, CommendationUseCases commendations,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) => (await commendations.AwardAsync(user, id, cancellationToken)).ToHttpResult(text);

    static async Task<Results<Ok<RoundView>, ProblemHttpResult, ValidationProblem>> AnswerNominationObjection(Guid id, AnswerObjectionRequest request, ClaimsPrincipal user,
        CommendationUseCases commendations, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await commendations.AnswerObjectionAsync(user, id, request, cancellationToken)).ToHttpResult(text);

    /// <summary>A photo for a role-model story (multipart field "photo").</summary>
    static async Task<Results<Ok<RoundView>, ProblemHttpResult, ValidationProblem>> AddStoryPhoto(Guid id, IFormFile? photo, ClaimsPrincipal user, CommendationUseCases commendations,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken)
    {
        if (photo is null || photo.Length == 0 || photo.Length > PhotoUpload.MaxBytes)
        {
            return Problems.Invalid(new Dictionary<string, string[]> { ["photo"] = [text["Photos.Error.TooLarge", PhotoUpload.MaxBytes / 1024 / 1024]] }, text);
        }
        using var buffer = new MemoryStream();
        await photo.CopyToAsync(buffer, cancellationToken);
        return (await commendations.AddPhotoAsync(user, id, buffer.ToArray(), cancellationToken)).ToHttpResult(text);
    }

    /// <summary>The commendations page's upload form (cookie and antiforgery token): back to the page with the result.</summary>
    static async Task<IResult> AddStoryPhotoFromPage(Guid id, IFormFile? photo, ClaimsPrincipal user, CommendationUseCases commendations,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken)
    {
        var message = (await AddStoryPhoto(id, photo, user, commendations, text, cancellationToken)).Result switch
        {
            Ok<RoundView> => "ok",
            ValidationProblem invalid => invalid.ProblemDetails.Errors.Values.First()[0],
            _ => text["Problem.NotFound"].Value,
        };
        return Results.LocalRedirect($"/commendations?photo={Uri.EscapeDataString(message)}");
    }

    static async Task<Ok<HonoursView>> Honours(CommendationUseCases commendations, CancellationToken cancellationToken)
    {
        var (awarded, stars) = await commendations.HonoursAsync(cancellationToken);
        return TypedResults.Ok(new HonoursView(awarded, stars));
    }

    static async Task<IResult> StoryPhoto(Guid id, CommendationUseCases commendations, CancellationToken cancellationToken) =>
        await commendations.PhotoAsync(id, cancellationToken) is { } photo ? Results.File(photo.Content, photo.ContentType) : Results.NotFound();

    static async Task<Ok<List<PartnerView>>> Partners(PartnerUseCases partners, CancellationToken cancellationToken) => TypedResults.Ok(await partners.PublicAsync(cancellationToken));

    /// <summary>A venue or merchant with benefits by star level (1–5) and validity dates; the answer carries the staff link.</summary>
    static async Task<Results<Ok<ManagedPartnerView>, ProblemHttpResult, ValidationProblem>> CreatePartner(PartnerRequest request, ClaimsPrincipal user, PartnerUseCases partners,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) => (await partners.CreateAsync(user, request, cancellationToken)).ToHttpResult(text);

    static async Task<Ok<List<ManagedPartnerView>>> ManagedPartners(ClaimsPrincipal user, PartnerUseCases partners, CancellationToken cancellationToken) =>
        TypedResults.Ok(await partners.ManagedAsync(user, cancellationToken));

    /// <summary>A partner's staff check a certificate (header X-Partner-Key or the staff cookie): star level and the benefits that apply, nothing else.</summary>
    static async Task<Results<Ok<PartnerCheckView>, ProblemHttpResult>> PartnerCheck(string code, HttpContext http, PartnerUseCases partners, IStringLocalizer<SharedResource> text,
        CancellationToken cancellationToken)
    {
        var key = http.Request.Headers["X-Partner-Key"].FirstOrDefault() ?? http.Request.Cookies[PartnerUseCases.StaffCookie];
        return await partners.CheckAsync(key, code, cancellationToken) is { } view ? TypedResults.Ok(view) : Problems.NotFound(text);
    }

    static async Task<Ok<List<ServiceCertificateView>>> MyServiceCertificates(ClaimsPrincipal user, ServiceCertificateUseCases certificates, CancellationToken cancellationToken) =>
        TypedResults.Ok(await certificates.MineAsync(user, cancellationToken));

    /// <summary>Issues a service-record certificate for China dates from…to (both optional: all time).</summary>
    static async Task<Results<Ok<ServiceCertificateView>, ProblemHttpResult, ValidationProblem>> IssueServiceCertificate(IssueCertificateRequest request, ClaimsPrincipal user,
        ServiceCertificateUseCases certificates, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await certificates.IssueAsync(user, request, cancellationToken)).ToHttpResult(text);

    /// <summary>Verifies a service-record certificate by its QR code (<c>?code=</c>) or its short code (<c>?short=</c>); 404 for anything not issued.</summary>
    static async Task<Results<Ok<CertificateCheckView>, ProblemHttpResult>> VerifyServiceCertificate(string? code, string? @short, ServiceCertificateUseCases certificates,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        await certificates.VerifyAsync(code, @short, cancellationToken) is { } view ? TypedResults.Ok(view) : Problems.NotFound(text);
}

public sealed record HonoursView(List<HonourView> Commendations, List<StarHonour> Stars);
