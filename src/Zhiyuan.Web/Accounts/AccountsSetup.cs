using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Zhiyuan.Web.Data;

namespace Zhiyuan.Web.Accounts;

public static class Policies
{
    public const string UnitAdministration = "UnitAdministration";
}

public static class AccountsSetup
{
    /// <summary>Picks the bearer handler for the API and the cookie for pages.</summary>
    const string CookieOrBearer = "CookieOrBearer";

    public static readonly TimeSpan TokenLifetime = TimeSpan.FromHours(1);

    public const int MaxFailedSignIns = 5;
    public static readonly TimeSpan LockoutDuration = TimeSpan.FromMinutes(15);

    public static IServiceCollection AddAccounts(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AdminOptions>().Bind(configuration.GetSection(AdminOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SignInLimitOptions>().Bind(configuration.GetSection(SignInLimitOptions.Section))
            .Validate(o => o.FailuresPerAddressPerMinute > 0, "SignIn:FailuresPerAddressPerMinute must be at least 1.").ValidateOnStart();

        // Cookies and tokens are protected by the data-protection key ring (Infrastructure/KeyRing.cs).
        services.AddAuthentication(o =>
            {
                o.DefaultScheme = CookieOrBearer;
                o.DefaultChallengeScheme = CookieOrBearer;
            })
            // The API takes bearer tokens only: a cookie never authenticates an API call, so another
            // site cannot make a signed-in browser change data through the API (no CSRF).
            .AddPolicyScheme(CookieOrBearer, CookieOrBearer, o => o.ForwardDefaultSelector = http =>
                http.Request.Path.StartsWithSegments("/api") ? IdentityConstants.BearerScheme : IdentityConstants.ApplicationScheme)
            // A password change or lock-out ends tokens at once (BearerStampCheck); refresh tokens are single use (RefreshTokenStore).
            .AddBearerToken(IdentityConstants.BearerScheme, o =>
            {
                o.BearerTokenExpiration = TokenLifetime;
                o.RefreshTokenExpiration = RefreshTokenStore.Lifetime;
                o.Events.OnMessageReceived = BearerStampCheck.RejectStaleAsync;
            })
            .AddIdentityCookies();

        services.ConfigureApplicationCookie(o =>
        {
            o.LoginPath = "/account/sign-in";
            o.AccessDeniedPath = "/account/access-denied";
            o.Cookie.Name = "zhiyuan.auth";
            o.SlidingExpiration = true;
            o.ExpireTimeSpan = TimeSpan.FromHours(8);
            // The API answers with a status code, never a redirect to the sign-in page.
            o.Events.OnRedirectToLogin = context => RedirectUnlessApi(context.HttpContext, context.RedirectUri, StatusCodes.Status401Unauthorized);
            o.Events.OnRedirectToAccessDenied = context => RedirectUnlessApi(context.HttpContext, context.RedirectUri, StatusCodes.Status403Forbidden);
        });

        services.AddIdentityCore<AppUser>(o =>
            {
                o.Password.RequiredLength = 8;
                o.Password.RequireNonAlphanumeric = false;
                o.Password.RequireUppercase = false;
                o.Lockout.MaxFailedAccessAttempts = MaxFailedSignIns;
                o.Lockout.DefaultLockoutTimeSpan = LockoutDuration;
                o.Lockout.AllowedForNewUsers = true;
                o.User.RequireUniqueEmail = false;
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<AppDbContext>()
            .AddSignInManager()
            .AddClaimsPrincipalFactory<AppClaimsPrincipalFactory>()
            .AddErrorDescriber<LocalizedIdentityErrors>()
            .AddDefaultTokenProviders();

        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.UnitAdministration, p => p.RequireRole(Roles.UnitAdministrators).RequireClaim(UnitScope.UnitClaim));

        services.AddScoped<AccountUseCases>();
        services.AddScoped<RefreshTokenStore>();
        return services;
    }

    static Task RedirectUnlessApi(HttpContext http, string redirectUri, int apiStatus)
    {
        if (http.Request.Path.StartsWithSegments("/api"))
        {
            http.Response.StatusCode = apiStatus;
        }
        else
        {
            http.Response.Redirect(redirectUri);
        }
        return Task.CompletedTask;
    }
}

/// <summary>Adds the administrator's unit and display name to the sign-in, for cookie and token alike.</summary>
sealed class AppClaimsPrincipalFactory(UserManager<AppUser> users, RoleManager<IdentityRole> roles, IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<AppUser, IdentityRole>(users, roles, options)
{
    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(AppUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        if (user.UnitId is { } unitId)
        {
            identity.AddClaim(new Claim(UnitScope.UnitClaim, unitId.ToString()));
        }
        identity.AddClaim(new Claim("zhiyuan:name", string.IsNullOrEmpty(user.DisplayName) ? user.UserName ?? "" : user.DisplayName));
        return identity;
    }
}
