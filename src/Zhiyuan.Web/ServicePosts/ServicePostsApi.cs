using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Localization;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Activities;
using Zhiyuan.Web.Infrastructure;

namespace Zhiyuan.Web.ServicePosts;

public static class ServicePostsApi
{
    public static IServiceCollection AddServicePosts(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<OrderOptions>().Bind(configuration.GetSection("Orders"))
            .Validate(o => o.DispatchWithinHours > 0 && o.AcceptWithinHours > 0 && o.MaxOrdersPerPhonePerDay > 0 && o.MaxCodesPerPhonePerHour > 0 && o.CodeValidMinutes > 0,
                "Orders: the deadlines and limits must be positive.")
            .ValidateOnStart();
        return services.AddScoped<AssignedActivities>().AddScoped<ServiceMenuUseCases>().AddScoped<OrderUseCases>();
    }

    public static IEndpointRouteBuilder MapServicePostsApi(this IEndpointRouteBuilder app)
    {
        var posts = app.MapGroup("/api/service-posts").WithTags("Service posts and menus");
        posts.MapGet("/", Posts).AllowAnonymous();
        posts.MapPost("/", CreatePost).RequireAuthorization();
        var menus = app.MapGroup("/api/service-menus").WithTags("Service posts and menus");
        menus.MapGet("/", Menus).AllowAnonymous();
        menus.MapGet("/managed", ManagedMenus).RequireAuthorization();
        menus.MapGet("/{id:guid}", Menu).AllowAnonymous();
        menus.MapPost("/", CreateMenu).RequireAuthorization();
        menus.MapPost("/{id:guid}/published", Publish).RequireAuthorization();

        var orders = app.MapGroup("/api/orders").WithTags("Citizen orders");
        orders.MapPost("/verification-codes", SendCode).AllowAnonymous();
        orders.MapPost("/", Place).AllowAnonymous();
        orders.MapGet("/{id:guid}/track", Track).AllowAnonymous();
        orders.MapPost("/{id:guid}/rating", Rate).AllowAnonymous();
        orders.MapPost("/{id:guid}/citizen-cancellation", CancelByCitizen).AllowAnonymous();
        orders.MapGet("/", List).RequireAuthorization();
        orders.MapGet("/figures", Figures).RequireAuthorization(Policies.UnitAdministration);
        orders.MapGet("/{id:guid}", Get).RequireAuthorization();
        orders.MapGet("/{id:guid}/personal-data", RevealPhone).RequireAuthorization();
        orders.MapGet("/assignments/{activityId:guid}", Assignment).RequireAuthorization();
        orders.MapPost("/{id:guid}/dispatch", Dispatch).RequireAuthorization();
        orders.MapPost("/{id:guid}/answer", Answer).RequireAuthorization();
        orders.MapPost("/{id:guid}/completion", Complete).RequireAuthorization();
        orders.MapPost("/{id:guid}/cancellation", Cancel).RequireAuthorization();
        return app;
    }

    static async Task<Ok<List<PostView>>> Posts(ServiceMenuUseCases menus, CancellationToken cancellationToken) => TypedResults.Ok(await menus.PostsAsync(cancellationToken));

    /// <summary>A service post (学雷锋志愿服务岗) of an organisation the caller manages.</summary>
    static async Task<Results<Ok<PostView>, ProblemHttpResult, ValidationProblem>> CreatePost(CreatePostRequest request, ClaimsPrincipal user, ServiceMenuUseCases menus,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) => (await menus.CreatePostAsync(user, request, cancellationToken)).ToHttpResult(text);

    /// <summary>The public service menu; filters: mode (DoorToDoor, Appointment, Online), q.</summary>
    static async Task<Ok<List<MenuView>>> Menus(ServiceMenuUseCases menus, ServiceMode? mode, string? q, CancellationToken cancellationToken) =>
        TypedResults.Ok(await menus.ListAsync(mode, q, cancellationToken));

    static async Task<Ok<List<MenuView>>> ManagedMenus(ClaimsPrincipal user, ServiceMenuUseCases menus, CancellationToken cancellationToken) =>
        TypedResults.Ok(await menus.ManagedAsync(user, cancellationToken));

    static async Task<Results<Ok<MenuView>, ProblemHttpResult>> Menu(Guid id, ServiceMenuUseCases menus, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        await menus.GetAsync(id, cancellationToken: cancellationToken) is { } menu ? TypedResults.Ok(menu) : Problems.NotFound(text);

    /// <summary>A service menu line with its mode, area (unit code) and time slots.</summary>
    static async Task<Results<Ok<MenuView>, ProblemHttpResult, ValidationProblem>> CreateMenu(CreateMenuRequest request, ClaimsPrincipal user, ServiceMenuUseCases menus,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) => (await menus.CreateMenuAsync(user, request, cancellationToken)).ToHttpResult(text);

    public sealed record PublishRequest(bool Published);

    static async Task<Results<Ok<MenuView>, ProblemHttpResult, ValidationProblem>> Publish(Guid id, PublishRequest request, ClaimsPrincipal user, ServiceMenuUseCases menus,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) => (await menus.PublishAsync(user, id, request.Published, cancellationToken)).ToHttpResult(text);

    /// <summary>Sends a one-time code to the phone number by text message (at most a few an hour per number and per address); 400 when text messages are not configured.</summary>
    static async Task<Results<Ok<CodeSentView>, ProblemHttpResult, ValidationProblem>> SendCode(SendCodeRequest request, HttpContext http, OrderUseCases orders,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await orders.SendCodeAsync(request, http.Connection.RemoteIpAddress, cancellationToken)).ToHttpResult(text);

    /// <summary>点单. Anonymous callers give the code from /verification-codes; keep the returned tracking link: it is the only way back to the order.</summary>
    static async Task<Results<Ok<PlacedOrder>, ProblemHttpResult, ValidationProblem>> Place(PlaceOrderRequest request, ClaimsPrincipal user, OrderUseCases orders,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) => (await orders.PlaceAsync(user, request, cancellationToken)).ToHttpResult(text);

    /// <summary>The citizen's view of an order, with the token of the tracking link (?t=…).</summary>
    static async Task<Results<Ok<OrderTracking>, ProblemHttpResult>> Track(Guid id, string? t, OrderUseCases orders, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        await orders.TrackAsync(id, t, cancellationToken) is { } view ? TypedResults.Ok(view) : Problems.NotFound(text);

    /// <summary>评单: 1–5 stars and a comment, once the order is completed.</summary>
    static async Task<Results<Ok<OrderTracking>, ProblemHttpResult, ValidationProblem>> Rate(Guid id, string? t, RateOrderRequest request, OrderUseCases orders,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) => (await orders.RateAsync(id, t, request, cancellationToken)).ToHttpResult(text);

    static async Task<Results<Ok<OrderTracking>, ProblemHttpResult, ValidationProblem>> CancelByCitizen(Guid id, string? t, CancelOrderRequest request, OrderUseCases orders,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) => (await orders.CancelByCitizenAsync(id, t, request, cancellationToken)).ToHttpResult(text);

    /// <summary>Orders the caller dispatches or serves, newest first; filter: status.</summary>
    static async Task<Ok<List<OrderView>>> List(ClaimsPrincipal user, OrderStatus? status, OrderUseCases orders, CancellationToken cancellationToken) =>
        TypedResults.Ok(await orders.ManagedListAsync(user, status, cancellationToken));

    /// <summary>Per unit of the caller's subtree: orders, open, overdue, and average hours to dispatch, accept and complete.</summary>
    static async Task<Ok<List<UnitOrderFigures>>> Figures(UnitScope scope, OrderUseCases orders, CancellationToken cancellationToken) =>
        TypedResults.Ok(await orders.FiguresAsync(scope, cancellationToken));

    static async Task<Results<Ok<OrderView>, ProblemHttpResult>> Get(Guid id, ClaimsPrincipal user, OrderUseCases orders, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        await orders.ManagedAsync(user, id, cancellationToken) is { } managed ? TypedResults.Ok(managed.Order) : Problems.NotFound(text);



    /// <summary>Where to go and what the citizen asked, for a volunteer assigned to the order's activity (phone masked); audited.</summary>
    static async Task<Results<Ok<OrderContact>, ProblemHttpResult>> Assignment(Guid activityId, ClaimsPrincipal user, OrderUseCases orders, IStringLocalizer<SharedResource> text,
        CancellationToken cancellationToken) =>
        await orders.AssignmentDetailsAsync(user, activityId, cancellationToken) is { } contact ? TypedResults.Ok(contact) : Problems.NotFound(text);

    /// <summary>The citizen's full phone number, address and notes, for the dispatching unit or the serving organisation; audited.</summary>
    static async Task<Results<Ok<OrderContact>, ProblemHttpResult>> RevealPhone(Guid id, ClaimsPrincipal user, OrderUseCases orders, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        await orders.RevealContactAsync(user, id, cancellationToken) is { } contact ? TypedResults.Ok(contact) : Problems.NotFound(text);

    /// <summary>派单 (again, after a rejection): <c>{ "organizationId": "…" }</c>.</summary>
    static async Task<Results<Ok<OrderView>, ProblemHttpResult, ValidationProblem>> Dispatch(Guid id, DispatchRequest request, ClaimsPrincipal user, OrderUseCases orders,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) => (await orders.DispatchAsync(user, id, request, cancellationToken)).ToHttpResult(text);

    /// <summary>接单 with volunteer numbers, or reject with a reason: <c>{ "accept": false, "reason": "…" }</c>.</summary>
    static async Task<Results<Ok<OrderView>, ProblemHttpResult, ValidationProblem>> Answer(Guid id, AnswerOrderRequest request, ClaimsPrincipal user, OrderUseCases orders,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) => (await orders.AnswerAsync(user, id, request, cancellationToken)).ToHttpResult(text);

    /// <summary>Marks the order done once its time is over: the assigned volunteers' hours go to the ledger.</summary>
    static async Task<Results<Ok<OrderView>, ProblemHttpResult, ValidationProblem>> Complete(Guid id, CompleteOrderRequest request, ClaimsPrincipal user, OrderUseCases orders,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) => (await orders.CompleteAsync(user, id, request, cancellationToken)).ToHttpResult(text);

    static async Task<Results<Ok<OrderView>, ProblemHttpResult, ValidationProblem>> Cancel(Guid id, CancelOrderRequest request, ClaimsPrincipal user, OrderUseCases orders,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) => (await orders.CancelAsync(user, id, request, cancellationToken)).ToHttpResult(text);
}
