using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Units;

namespace Zhiyuan.Web.Accounts;

/// <summary>The subtree a signed-in administrator may see and change.</summary>
/// <param name="RootId">The administrator's own unit.</param>
/// <param name="RootPath">Its materialised path; every unit in scope has a path starting with it.</param>
public sealed record UnitScope(Guid RootId, string RootPath)
{
    public const string UnitClaim = "zhiyuan:unit";

    /// <summary>
    /// Looks the scope up from the database on each request rather than trusting a path kept in the
    /// cookie, so that moving a unit takes effect at once for everyone who administers it.
    /// Returns null for anyone who administers no unit.
    /// </summary>
    public static async Task<UnitScope?> ForAsync(ClaimsPrincipal user, AppDbContext db, CancellationToken cancellationToken = default)
    {
        if (!Roles.UnitAdministrators.Any(user.IsInRole) || !Guid.TryParse(user.FindFirstValue(UnitClaim), out var unitId))
        {
            return null;
        }
        var path = await db.Units.Where(u => u.Id == unitId).Select(u => u.Path).SingleOrDefaultAsync(cancellationToken);
        return path is null ? null : new UnitScope(unitId, path);
    }

    /// <summary>The whole tree, for choosing a unit where anyone may (registering as a volunteer or an organisation).</summary>
    public static Task<UnitScope> WholeTreeAsync(AppDbContext db) =>
        db.Units.Where(u => u.ParentId == null).OrderBy(u => u.Code).Select(u => new UnitScope(u.Id, u.Path)).FirstAsync();

    /// <summary>The depth of the caller's own unit: its path holds one "/id" per level.</summary>
    public int RootDepth => RootPath.Count(c => c == '/') - 2;

    /// <summary>Lets an endpoint take the caller's scope as a parameter.</summary>
    public static async ValueTask<UnitScope?> BindAsync(HttpContext http) =>
        await ForAsync(http.User, http.RequestServices.GetRequiredService<AppDbContext>(), http.RequestAborted);

    public IQueryable<Unit> Filter(IQueryable<Unit> units) => units.Where(u => u.Path.StartsWith(RootPath));
}
