using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Activities;
using Zhiyuan.Web.BackEntries;
using Zhiyuan.Web.Campaigns;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Hours;
using Zhiyuan.Web.Messages;
using Zhiyuan.Web.Organizations;
using Zhiyuan.Web.Patrols;
using Zhiyuan.Web.Recognition;
using Zhiyuan.Web.ServicePosts;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Web.Workbench;

/// <summary>One line of a workbench: how many things wait, and the list that shows exactly those.</summary>
/// <param name="Key">What waits (Hours, SignUps, OrdersDispatch …); the page's label is "Workbench.Item.{Key}".</param>
/// <param name="Count">How many: the number of entries on the linked list.</param>
/// <param name="Link">The list (or the section of this page) showing them.</param>
/// <param name="Overdue">Of those, how many are past their due date, where the list marks that.</param>
/// <param name="Subject">What the line is about when there are several of the same kind (an organisation's name).</param>
public sealed record WorkItem(string Key, int Count, string Link, int? Overdue = null, string? Subject = null);

/// <summary>A session the volunteer has signed up for and that has not ended.</summary>
public sealed record UpcomingSession(Guid ActivityId, string ActivityTitle, DateTime StartsAtUtc, DateTime EndsAtUtc, string Address, SignUpStatus Status, int? WaitlistPosition);

/// <summary>The volunteer's part of the workbench.</summary>
public sealed record VolunteerHome(string Number, string Name, HoursSummary? Hours, List<UpcomingSession> NextSessions);

/// <summary>
/// The landing page after sign-in. <see cref="Items"/> holds every queue the caller's roles have
/// (with count 0 where nothing waits); <see cref="Reports"/> lists each campaign-report task the
/// Reports* items count.
/// </summary>
public sealed record WorkbenchView(string[] Roles, List<WorkItem> Items, List<ReportTask> Reports, int UnreadMessages, VolunteerHome? Volunteer)
{
    public int Waiting => Items.Sum(i => i.Count);
}

/// <summary>
/// Each role's queue. Every count is taken from the same query as the list it links to (each
/// feature's *QueueAsync / AwaitingConfirmationAsync …), so a count never disagrees with its list.
/// </summary>
public sealed class WorkbenchUseCases(
    AppDbContext db,
    UserManager<AppUser> users,
    HourUseCases hours,
    ActivityUseCases activities,
    SignUpUseCases signUps,
    BackEntryUseCases backEntries,
    OrderUseCases orders,
    PatrolUseCases patrols,
    StarAwardUseCases stars,
    CommendationUseCases commendations,
    OrganizationUseCases organizations,
    ReportQueue reports,
    MessageUseCases messages,
    VolunteerUseCases volunteers,
    VolunteerStanding standing,
    TimeProvider time)
{
    public const int UpcomingShown = 5;

    public async Task<WorkbenchView> GetAsync(ClaimsPrincipal principal, CancellationToken cancellationToken = default)
    {
        var userId = users.GetUserId(principal);
        var roles = Accounts.Roles.All.Where(principal.IsInRole).ToArray();
        var unitAdministrator = await UnitScope.ForAsync(principal, db, cancellationToken) is not null;
        var organizationAdministrator = userId is not null && await db.OrganizationAdmins.AnyAsync(a => a.UserId == userId, cancellationToken);
        var liaison = userId is not null && await db.DepartmentLiaisons.AnyAsync(l => l.UserId == userId, cancellationToken);
        var items = new List<WorkItem>();
        var reportTasks = new List<ReportTask>();

        if (unitAdministrator)
        {
            reportTasks = await reports.ForAsync(principal, cancellationToken);
            foreach (var kind in Enum.GetValues<ReportTaskKind>())
            {
                items.Add(new WorkItem("Reports" + kind, reportTasks.Count(t => t.Kind == kind), "/workbench#reports-" + kind.ToString().ToLowerInvariant()));
            }
        }
        if (unitAdministrator || organizationAdministrator)
        {
            var pending = await (await hours.AwaitingConfirmationAsync(principal, cancellationToken)).Select(s => s.EndsAtUtc).ToListAsync(cancellationToken);
            items.Add(new WorkItem("Hours", pending.Count, "/hours", pending.Count(end => hours.ConfirmationDue(end).Overdue)));
            items.Add(new WorkItem("Corrections", await (await hours.OpenCorrectionRequestsAsync(principal, cancellationToken)).CountAsync(cancellationToken), "/hours#correction-requests"));
            items.Add(new WorkItem("SignUps", await (await activities.AwaitingSignUpsAsync(principal, cancellationToken)).CountAsync(cancellationToken), "/activities/managed?awaiting=signups"));
        }
        if (unitAdministrator && await backEntries.ReviewQueueQueryAsync(principal, cancellationToken) is { } reviewQueue)
        {
            items.Add(new WorkItem("BackEntries", await reviewQueue.CountAsync(cancellationToken), "/activities/back-entries/review"));
        }
        if (unitAdministrator)
        {
            items.Add(new WorkItem("OrdersDispatch", await (await orders.QueueAsync(principal, OrderQueue.Dispatch, cancellationToken)).CountAsync(cancellationToken), "/orders?queue=dispatch"));
        }
        if (organizationAdministrator)
        {
            items.Add(new WorkItem("OrdersAccept", await (await orders.QueueAsync(principal, OrderQueue.Accept, cancellationToken)).CountAsync(cancellationToken), "/orders?queue=accept"));
        }
        if (liaison)
        {
            items.Add(new WorkItem("FindingsAnswer", await (await patrols.QueueAsync(principal, FindingQueue.Answer, cancellationToken)).CountAsync(cancellationToken), "/patrols?queue=answer"));
        }
        if (unitAdministrator || organizationAdministrator || liaison)
        {
            items.Add(new WorkItem("FindingsOverdue", await (await patrols.QueueAsync(principal, FindingQueue.Overdue, cancellationToken)).CountAsync(cancellationToken), "/patrols?queue=overdue"));
        }
        if (unitAdministrator && await stars.OverviewAsync(principal, cancellationToken) is { } overview)
        {
            // The stars page's own lists: volunteers ready for review, and awards on public notice.
            items.Add(new WorkItem("StarsEligible", overview.EligibleCount, "/recognition/stars#eligible"));
            items.Add(new WorkItem("StarsOnNotice", overview.Awards.Count(a => a.Status == RecognitionStatus.OnNotice), "/recognition/stars#awards"));
        }
        if (unitAdministrator)
        {
            // The commendations page's own rounds: nominations the caller's unit reviews, and those on public notice.
            var rounds = await commendations.ListAsync(principal, cancellationToken);
            items.Add(new WorkItem("NominationsToReview", rounds.Where(r => r.CanReview).Sum(r => r.Nominations.Count(n => n.Status == RecognitionStatus.Nominated)), "/commendations"));
            items.Add(new WorkItem("NominationsOnNotice", rounds.Sum(r => r.Nominations.Count(n => n.Status == RecognitionStatus.OnNotice)), "/commendations"));
        }
        if (unitAdministrator || organizationAdministrator)
        {
            var applications = await (await organizations.ApplicationsAsync(principal, cancellationToken))
                .GroupBy(m => new { m.OrganizationId, m.Organization!.Name })
                .Select(g => new { g.Key.OrganizationId, g.Key.Name, Count = g.Count() })
                .ToListAsync(cancellationToken);
            items.AddRange(applications.OrderBy(a => a.Name, StringComparer.Ordinal)
                .Select(a => new WorkItem("Applications", a.Count, $"/organizations/{a.OrganizationId}#application-list", Subject: a.Name)));
        }

        VolunteerHome? volunteer = null;
        if (await volunteers.GetOwnAsync(principal, cancellationToken) is { } own)
        {
            var withHours = await standing.WithHoursAsync(own, cancellationToken);
            var now = time.GetUtcNow().UtcDateTime;
            var next = (await signUps.MineAsync(principal, cancellationToken))
                .Where(s => s.EndsAtUtc > now && s.Status is SignUpStatus.Accepted or SignUpStatus.Pending or SignUpStatus.Waitlisted)
                .OrderBy(s => s.StartsAtUtc).Take(UpcomingShown)
                .Select(s => new UpcomingSession(s.ActivityId, s.ActivityTitle, s.StartsAtUtc, s.EndsAtUtc, s.Address, s.Status, s.WaitlistPosition))
                .ToList();
            volunteer = new VolunteerHome(own.Number, own.Name, withHours.Hours, next);
        }
        var unread = await messages.UnreadCountAsync(principal, cancellationToken);
        return new WorkbenchView(roles, items, reportTasks, unread, volunteer);
    }
}
