using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Data;

namespace Zhiyuan.Web.Components.Layout;

/// <summary>
/// Which parts of the site the caller may use, for the header's menus: a link is shown only to
/// those its page serves (a plain volunteer sees no order management and no patrol lists; the API
/// documentation sits in the footer for everyone).
/// </summary>
/// <param name="UnitAdministrator">Administers a unit subtree (city or unit administrator).</param>
/// <param name="Manager">Runs activities: unit or organisation administrator (the pages' manager roles).</param>
/// <param name="Orders">Dispatches citizens' orders (unit administrator) or answers them (organisation administrator).</param>
/// <param name="Patrols">Sees patrol findings: administrators, department liaisons and members of a patrol team.</param>
/// <param name="Volunteer">Has a volunteer record (service record, certificate).</param>
public sealed record NavAccess(bool SignedIn, bool UnitAdministrator, bool Manager, bool Orders, bool Patrols, bool Volunteer)
{
    public static readonly NavAccess Anonymous = new(false, false, false, false, false, false);

    public static async Task<NavAccess> ForAsync(ClaimsPrincipal user, AppDbContext db, UserManager<AppUser> users, CancellationToken cancellationToken = default)
    {
        if (user.Identity?.IsAuthenticated != true)
        {
            return Anonymous;
        }
        var userId = users.GetUserId(user);
        var unitAdministrator = Roles.UnitAdministrators.Any(user.IsInRole) && user.HasClaim(c => c.Type == UnitScope.UnitClaim);
        var organizationAdministrator = user.IsInRole(Roles.OrganizationAdmin);
        var manager = unitAdministrator || organizationAdministrator;
        var liaison = user.IsInRole(Roles.DepartmentLiaison) || (userId is not null && await db.DepartmentLiaisons.AnyAsync(l => l.UserId == userId, cancellationToken));
        var patrolMember = !manager && !liaison && userId is not null
            && await db.PatrolTeams.AnyAsync(t => t.Members.Any(m => m.Volunteer!.UserId == userId), cancellationToken);
        var volunteer = userId is not null && await db.Volunteers.AnyAsync(v => v.UserId == userId, cancellationToken);
        return new NavAccess(true, unitAdministrator, manager, manager, manager || liaison || patrolMember, volunteer);
    }
}
