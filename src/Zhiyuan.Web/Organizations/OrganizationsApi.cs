using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Localization;
using Zhiyuan.Web.Infrastructure;

namespace Zhiyuan.Web.Organizations;

public static class OrganizationsApi
{
    public static IServiceCollection AddOrganizations(this IServiceCollection services) => services.AddScoped<OrganizationUseCases>();

    public static IEndpointRouteBuilder MapOrganizationsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/organizations").WithTags("Organizations").RequireAuthorization()
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/", List);
        group.MapPost("/", Register);
        group.MapGet("/{id:guid}", Get);
        group.MapPost("/{id:guid}/review", Review);
        group.MapPost("/{id:guid}/applications", Apply);
        group.MapGet("/{id:guid}/members", Members);
        group.MapPost("/{id:guid}/members/{number}/decision", Decide);
        group.MapPost("/{id:guid}/admins", AddAdmin);
        app.MapGet("/api/volunteers/me/organizations", MyMemberships).WithTags("Volunteers").RequireAuthorization();
        return app;
    }

    /// <summary>Approved organisations (to apply to), plus, for an administrator, every organisation of their subtree.</summary>
    static async Task<Ok<List<OrganizationView>>> List(ClaimsPrincipal user, OrganizationUseCases organizations, string? q, CancellationToken cancellationToken) =>
        TypedResults.Ok(await organizations.ListAsync(user, q, cancellationToken));

    /// <summary>Registers an organisation under a unit; it waits for that unit's administrator unless one of them registers it.</summary>
    static async Task<Results<Ok<OrganizationView>, ProblemHttpResult, ValidationProblem>> Register(
        RegisterOrganizationRequest request, ClaimsPrincipal user, OrganizationUseCases organizations, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await organizations.RegisterAsync(user, request, cancellationToken)).ToHttpResult(text);

    static async Task<Results<Ok<OrganizationView>, ProblemHttpResult>> Get(Guid id, ClaimsPrincipal user, OrganizationUseCases organizations, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        await organizations.GetAsync(user, id, cancellationToken) is { } found ? TypedResults.Ok(found.View) : Problems.NotFound(text);

    /// <summary>The unit's administrator approves (<c>approve: true</c>) or refuses with a reason.</summary>
    static async Task<Results<Ok<OrganizationView>, ProblemHttpResult, ValidationProblem>> Review(
        Guid id, ReviewRequest request, ClaimsPrincipal user, OrganizationUseCases organizations, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await organizations.ReviewAsync(user, id, request, cancellationToken)).ToHttpResult(text);

    /// <summary>The calling volunteer applies to join.</summary>
    static async Task<Results<Ok<MyMembershipView>, ProblemHttpResult, ValidationProblem>> Apply(
        Guid id, ClaimsPrincipal user, OrganizationUseCases organizations, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await organizations.ApplyAsync(user, id, cancellationToken)).ToHttpResult(text);

    /// <summary>Members and applicants, for the organisation's administrators and the unit's.</summary>
    static async Task<Results<Ok<List<MemberView>>, ProblemHttpResult>> Members(Guid id, ClaimsPrincipal user, OrganizationUseCases organizations, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        await organizations.MembersAsync(user, id, cancellationToken) is { } members ? TypedResults.Ok(members) : Problems.NotFound(text);

    /// <summary>Approves an application, or declines it with a reason the applicant will see.</summary>
    static async Task<Results<Ok<MemberView>, ProblemHttpResult, ValidationProblem>> Decide(
        Guid id, string number, ReviewRequest request, ClaimsPrincipal user, OrganizationUseCases organizations, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await organizations.DecideAsync(user, id, number, request, cancellationToken)).ToHttpResult(text);

    /// <summary>Makes an approved member an administrator of the organisation.</summary>
    static async Task<Results<Ok<MemberView>, ProblemHttpResult, ValidationProblem>> AddAdmin(
        Guid id, AddOrganizationAdminRequest request, ClaimsPrincipal user, OrganizationUseCases organizations, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await organizations.AddAdminAsync(user, id, request, cancellationToken)).ToHttpResult(text);

    static async Task<Ok<List<MyMembershipView>>> MyMemberships(ClaimsPrincipal user, OrganizationUseCases organizations, CancellationToken cancellationToken) =>
        TypedResults.Ok(await organizations.MyMembershipsAsync(user, cancellationToken));
}
