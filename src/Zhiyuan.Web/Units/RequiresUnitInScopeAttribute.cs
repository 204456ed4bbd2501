using Microsoft.EntityFrameworkCore;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Data;

namespace Zhiyuan.Web.Units;

/// <summary>
/// Marks a page whose route value <c>{code}</c> names a unit: the request is answered 404 before the
/// page runs when that unit lies outside the caller's subtree. Checking before the page matters for
/// form posts, which would otherwise reach the page's handlers.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class RequiresUnitInScopeAttribute : Attribute;

public static class UnitScopeCheck
{
    /// <summary>Answers 404 for pages marked <see cref="RequiresUnitInScopeAttribute"/> whose unit is out of reach.</summary>
    public static IApplicationBuilder UseUnitScopeCheck(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (http.GetEndpoint()?.Metadata.GetMetadata<RequiresUnitInScopeAttribute>() is not null
            && http.Request.RouteValues["code"] is string code)
        {
            var db = http.RequestServices.GetRequiredService<AppDbContext>();
            var scope = await UnitScope.ForAsync(http.User, db, http.RequestAborted);
            if (scope is null || !await scope.Filter(db.Units).AnyAsync(u => u.Code == code, http.RequestAborted))
            {
                http.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }
        }
        await next(http);
    });
}
