using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Localization;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Infrastructure;

namespace Zhiyuan.Web.Organizations;

public static class OrganizationsApi
{
    public static IServiceCollection AddOrganizations(this IServiceCollection services) => services.AddScoped<OrganizationUseCases>().AddScoped<MemberPicking>();

    public static IEndpointRouteBuilder MapOrganizationsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/organizations").WithTags("Organizations").RequireAuthorization()
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/", List);
        group.MapPost("/", Register);
        group.MapGet("/{id:guid}", Get);
        group.MapPut("/{id:guid}", UpdateProfile);
        group.MapPost("/{id:guid}/review", Review);
        group.MapPost("/{id:guid}/applications", Apply);
        group.MapGet("/{id:guid}/members", Members);
        group.MapPost("/{id:guid}/members/{number}/decision", Decide);
        group.MapPost("/{id:guid}/admins", AddAdmin);
        app.MapGet("/api/volunteers/me/organizations", MyMemberships).WithTags("Volunteers").RequireAuthorization();
        // The member picker's search as you type, for the pages (cookie sign-in); the API has /api/organizations/{id}/members?q=.
        app.MapGet("/pick/members/{id:guid}", Pick).RequireAuthorization().ExcludeFromDescription();
        app.MapGet("/pick/volunteers", PickInSubtree).RequireAuthorization(Policies.UnitAdministration).ExcludeFromDescription();
        return app;
    }

    static async Task<IResult> Pick(Guid id, string? q, ClaimsPrincipal user, MemberPicking picking, CancellationToken cancellationToken) =>
        await picking.SearchAsync(user, id, q, cancellationToken) is { } page ? Results.Ok(page) : Results.NotFound();

    static async Task<IResult> PickInSubtree(string? q, ClaimsPrincipal user, MemberPicking picking, CancellationToken cancellationToken) =>
        await picking.SearchAsync(user, null, q, cancellationToken) is { } page ? Results.Ok(page) : Results.NotFound();

    /// <summary>
    /// Changes the organisation's own profile — name, introduction, contact, address, service lines — with the
    /// <c>version</c> read from GET (an older one is refused with 409). Its unit and approval stay as they are.
    /// </summary>
    static async Task<Results<Ok<OrganizationView>, ProblemHttpResult, ValidationProblem>> UpdateProfile(
        Guid id, UpdateOrganizationRequest request, ClaimsPrincipal user, OrganizationUseCases organizations, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await organizations.UpdateProfileAsync(user, id, request, cancellationToken)).ToHttpResult(text);

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

    /// <summary>
    /// Members and applicants, for the organisation's administrators and the unit's (mobiles masked). <c>q</c> finds
    /// by name, volunteer number or the last digits of the mobile; <c>status=Approved</c> keeps the members only.
    /// </summary>
    static async Task<Results<Ok<List<MemberView>>, ProblemHttpResult>> Members(Guid id, string? q, MembershipStatus? status, ClaimsPrincipal user,
        OrganizationUseCases organizations, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        await organizations.MembersAsync(user, id, q, status, cancellationToken) is { } members ? TypedResults.Ok(members) : Problems.NotFound(text);

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
