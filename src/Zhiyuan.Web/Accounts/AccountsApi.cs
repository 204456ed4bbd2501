using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using Zhiyuan.Web.Infrastructure;

namespace Zhiyuan.Web.Accounts;

public sealed record RefreshRequest(string? RefreshToken);

public sealed record CurrentUserView(string UserName, string DisplayName, string[] Roles, string? UnitCode);

public static class AccountsApi
{
    public static IEndpointRouteBuilder MapAccountsApi(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/api/auth").WithTags("Sign-in");
        // The bearer handler writes the token pair itself: documented here so that clients get its type.
        auth.MapPost("/token", IssueToken).AllowAnonymous().Produces<AccessTokenResponse>().ProducesProblem(StatusCodes.Status401Unauthorized);
        auth.MapPost("/refresh", RefreshToken).AllowAnonymous().Produces<AccessTokenResponse>().ProducesProblem(StatusCodes.Status401Unauthorized);
        auth.MapGet("/me", CurrentUser).RequireAuthorization();
        auth.MapPost("/password", ChangePassword).RequireAuthorization();

        var accounts = app.MapGroup("/api/accounts").WithTags("Accounts").RequireAuthorization(Policies.UnitAdministration);
        accounts.MapGet("/", ListAccounts);
        accounts.MapPost("/", CreateAccount);
        accounts.MapPost("/{userName}/unlock", UnlockAccount).ProducesProblem(StatusCodes.Status404NotFound);

        // Volunteers' accounts belong to no unit: the volunteer record's unit decides who may help them.
        var volunteers = app.MapGroup("/api/volunteers").WithTags("Volunteers").RequireAuthorization(Policies.UnitAdministration);
        volunteers.MapPost("/{number}/unlock", UnlockVolunteer).ProducesProblem(StatusCodes.Status404NotFound);
        volunteers.MapPost("/{number}/password-reset", ResetVolunteerPassword).ProducesProblem(StatusCodes.Status404NotFound);

        // Where signing in lands without a return address: everyone at their workbench (their queue, or their hours and next sessions).
        app.MapGet("/account/start", () => TypedResults.LocalRedirect("/workbench")).RequireAuthorization().ExcludeFromDescription();

        // The page's sign-out button posts here (with the form's antiforgery token).
        // Checked by hand: minimal APIs reject a bad antiforgery token only where they bind form fields.
        app.MapPost("/account/sign-out", async Task<Results<RedirectHttpResult, BadRequest>> (HttpContext http, IAntiforgery antiforgery, SignInManager<AppUser> signIn) =>
        {
            if (!await antiforgery.IsRequestValidAsync(http))
            {
                return TypedResults.BadRequest();
            }
            await signIn.SignOutAsync();
            return TypedResults.LocalRedirect("/");
        }).DisableAntiforgery().ExcludeFromDescription();
        return app;
    }

    /// <summary>
    /// Exchanges a user name (or mobile number) and password for a bearer token valid for one hour:
    /// <c>{ tokenType, accessToken, expiresIn, refreshToken }</c>. Send it as "Authorization: Bearer …".
    /// Five wrong passwords lock an administrator's account for 15 minutes; a volunteer's account is
    /// never locked but each further attempt waits longer (2, 4, 8 … seconds, at most 15 minutes).
    /// More than SignIn:FailuresPerAddressPerMinute failures from one address in a minute: 429.
    /// </summary>
    static async Task<Results<EmptyHttpResult, ProblemHttpResult>> IssueToken(SignInRequest request, AccountUseCases accounts, HttpContext http)
    {
        var (kind, message) = await accounts.SignInAsync(request, bearer: true, persistent: false, http.Connection.RemoteIpAddress, http.RequestAborted);
        // On success the bearer handler has already written the token to the response.
        return kind switch
        {
            SignInResultKind.SignedIn => TypedResults.Empty,
            SignInResultKind.TooManyFromAddress => TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: message),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: message),
        };
    }

    /// <summary>
    /// Exchanges the refreshToken of an earlier answer for a new token pair. Each refresh token works
    /// once; using one again later revokes every token refreshed from the same sign-in. Refused once
    /// the password has changed since, or the account is locked.
    /// </summary>
    static async Task<Results<EmptyHttpResult, ProblemHttpResult>> RefreshToken(
        RefreshRequest request, IOptionsMonitor<BearerTokenOptions> bearer, SignInManager<AppUser> signIn, RefreshTokenStore refreshTokens,
        IStringLocalizer<SharedResource> text, TimeProvider time, CancellationToken cancellationToken)
    {
        var ticket = string.IsNullOrEmpty(request.RefreshToken) ? null
            : bearer.Get(IdentityConstants.BearerScheme).RefreshTokenProtector.Unprotect(request.RefreshToken);
        var user = ticket?.Properties.ExpiresUtc is { } expires && time.GetUtcNow() < expires
            ? await signIn.ValidateSecurityStampAsync(ticket.Principal)
            : null;
        var refused = TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: text["SignIn.Error.RefreshRefused"]);
        if (user is null || await signIn.UserManager.IsLockedOutAsync(user)
            || !Guid.TryParse(ticket!.Principal.FindFirstValue(RefreshTokenStore.TokenClaim), out var tokenId)
            || !Guid.TryParse(ticket.Principal.FindFirstValue(RefreshTokenStore.ChainClaim), out var chainId)
            || !await refreshTokens.TryUseAsync(tokenId, chainId, cancellationToken))
        {
            return refused;
        }
        signIn.AuthenticationScheme = IdentityConstants.BearerScheme;
        var claims = await refreshTokens.IssueAsync(user, chainId, cancellationToken);
        await signIn.SignInWithClaimsAsync(user, isPersistent: false, claims);
        return TypedResults.Empty;
    }

    /// <summary>Ends the sign-in delay of a volunteer registered in the caller's subtree.</summary>
    static async Task<Results<Ok<VolunteerAccountView>, ProblemHttpResult, ValidationProblem>> UnlockVolunteer(
        string number, UnitScope scope, AccountUseCases accounts, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await accounts.UnlockVolunteerAsync(scope, number, cancellationToken)).ToHttpResult(text);

    /// <summary>
    /// Sets a generated password for a volunteer registered in the caller's subtree and answers it this
    /// once (audited, never stored in the clear); it ends the volunteer's tokens and sign-in delay.
    /// </summary>
    static async Task<Results<Ok<TemporaryPasswordView>, ProblemHttpResult, ValidationProblem>> ResetVolunteerPassword(
        string number, UnitScope scope, AccountUseCases accounts, IStringLocalizer<SharedResource> text, HttpContext http, CancellationToken cancellationToken)
    {
        // The password is on this one response only; keep it out of every cache.
        http.Response.Headers.CacheControl = "no-store";
        return (await accounts.ResetVolunteerPasswordAsync(scope, number, cancellationToken)).ToHttpResult(text);
    }

    static async Task<Ok<CurrentUserView>> CurrentUser(ClaimsPrincipal user, UserManager<AppUser> users, Data.AppDbContext db)
    {
        var me = await users.GetUserAsync(user);
        var unitCode = me?.UnitId is { } unitId ? (await db.Units.FindAsync(unitId))?.Code : null;
        var roles = me is null ? [] : (await users.GetRolesAsync(me)).ToArray();
        return TypedResults.Ok(new CurrentUserView(me?.UserName ?? "", me?.DisplayName ?? "", roles, unitCode));
    }

    /// <summary>Changes the caller's own password; the current one must be given.</summary>
    static async Task<Results<NoContent, ProblemHttpResult, ValidationProblem>> ChangePassword(
        ChangePasswordRequest request, ClaimsPrincipal user, AccountUseCases accounts, IStringLocalizer<SharedResource> text)
    {
        var outcome = await accounts.ChangePasswordAsync(user, request, refreshCookie: false);
        return outcome.IsNotFound ? Problems.NotFound(text)
            : outcome.Errors is not null ? Problems.Invalid(outcome.Errors, text)
            : TypedResults.NoContent();
    }

    /// <summary>Ends the lock-out of an account in the caller's subtree.</summary>
    static async Task<Results<Ok<AccountView>, ProblemHttpResult, ValidationProblem>> UnlockAccount(
        string userName, UnitScope scope, AccountUseCases accounts, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await accounts.UnlockAsync(scope, userName, cancellationToken)).ToHttpResult(text);

    static async Task<Ok<List<AccountView>>> ListAccounts(UnitScope scope, AccountUseCases accounts, CancellationToken cancellationToken) =>
        TypedResults.Ok(await accounts.ListAsync(scope, cancellationToken));

    /// <summary>Creates an administrator for a unit in the caller's subtree.</summary>
    static async Task<Results<Ok<AccountView>, ProblemHttpResult, ValidationProblem>> CreateAccount(
        CreateAccountRequest request, UnitScope scope, ClaimsPrincipal user, AccountUseCases accounts, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await accounts.CreateAsync(scope, user.IsInRole(Roles.CityAdmin), request, cancellationToken)).ToHttpResult(text);
}
