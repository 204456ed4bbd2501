using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Web.Campaigns;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Hours;
using Zhiyuan.Web.Infrastructure;

namespace Zhiyuan.Web.Messages;

/// <summary>
/// The messages of the platform's existing events, each read from the key the use case already holds,
/// so that every hook in a use case stays one line. Like <see cref="Inbox"/>, each only adds to the
/// DbContext: the caller's SaveChanges writes the message with the event, or not at all.
/// </summary>
public static class EventMessages
{
    /// <summary>A place freed up and the sign-up moved from the waitlist into the session: its volunteer is told.</summary>
    public static async Task WaitlistPromotedAsync(AppDbContext db, Guid signUpId, DateTime nowUtc, CancellationToken cancellationToken)
    {
        var s = await db.SignUps.Where(u => u.Id == signUpId)
            .Select(u => new { u.Volunteer!.UserId, u.Session!.ActivityId, u.Session.Activity!.Title, u.Session.StartsAtUtc, u.Session.Activity.Address })
            .SingleAsync(cancellationToken);
        Inbox.Tell(db, s.UserId, MessageKind.WaitlistPromoted, ActivityLink(s.ActivityId), nowUtc, s.Title, ChinaTime.Format(s.StartsAtUtc), s.Address);
    }

    /// <summary>
    /// An activity changed where it concerns its volunteers (a session moved, the place changed): each
    /// volunteer is told once, with what changed for them.
    /// </summary>
    public static async Task ActivityChangedAsync(AppDbContext db, Guid activityId, string title, IReadOnlyDictionary<Guid, string> changesByVolunteer, DateTime nowUtc,
        CancellationToken cancellationToken)
    {
        var accounts = await AccountsAsync(db, changesByVolunteer.Keys, cancellationToken);
        foreach (var (volunteerId, changes) in changesByVolunteer.OrderBy(c => c.Key))
        {
            Inbox.Tell(db, accounts.GetValueOrDefault(volunteerId), MessageKind.ActivityChanged, ActivityLink(activityId), nowUtc, title, changes);
        }
    }

    /// <summary>
    /// An activity or one of its sessions was called off: each volunteer whose sign-up it cancelled is
    /// told once, with the sessions they had signed up for and the reason.
    /// </summary>
    public static async Task ActivityCancelledAsync(AppDbContext db, Guid activityId, string title, IReadOnlyDictionary<Guid, string> sessionsByVolunteer, string reason,
        DateTime nowUtc, CancellationToken cancellationToken)
    {
        var accounts = await AccountsAsync(db, sessionsByVolunteer.Keys, cancellationToken);
        foreach (var (volunteerId, sessions) in sessionsByVolunteer.OrderBy(c => c.Key))
        {
            Inbox.Tell(db, accounts.GetValueOrDefault(volunteerId), MessageKind.ActivityCancelled, ActivityLink(activityId), nowUtc, title, sessions, reason);
        }
    }

    /// <summary>The accounts of many volunteers in one query (an activity may have thousands of sign-ups); imported volunteers without one are left out.</summary>
    static async Task<Dictionary<Guid, string?>> AccountsAsync(AppDbContext db, IEnumerable<Guid> volunteerIds, CancellationToken cancellationToken)
    {
        var ids = volunteerIds.ToArray();
        return ids.Length == 0 ? [] : await db.Volunteers.Where(v => ids.Contains(v.Id)).Select(v => new { v.Id, v.UserId }).ToDictionaryAsync(v => v.Id, v => v.UserId, cancellationToken);
    }

    /// <summary>The organisation turned a sign-up down: its volunteer is told why.</summary>
    public static async Task SignUpRejectedAsync(AppDbContext db, Guid signUpId, string reason, DateTime nowUtc, CancellationToken cancellationToken)
    {
        var s = await db.SignUps.Where(u => u.Id == signUpId)
            .Select(u => new { u.Volunteer!.UserId, u.Session!.ActivityId, u.Session.Activity!.Title, u.Session.StartsAtUtc })
            .SingleAsync(cancellationToken);
        Inbox.Tell(db, s.UserId, MessageKind.SignUpRejected, ActivityLink(s.ActivityId), nowUtc, s.Title, ChinaTime.Format(s.StartsAtUtc), reason);
    }

    /// <summary>A session's hours were confirmed: the volunteer is told once for the session, with the hours credited.</summary>
    public static void HoursConfirmed(AppDbContext db, string? userId, string activityTitle, DateTime sessionStartsAtUtc, int minutes, DateTime nowUtc) =>
        Inbox.Tell(db, userId, MessageKind.HoursConfirmed, RecordLink, nowUtc, activityTitle, ChinaTime.Format(sessionStartsAtUtc), HourUseCases.FormatHours(minutes));

    /// <summary>A correction request was answered (corrected or declined): its volunteer is told, with the organisation's words.</summary>
    public static async Task CorrectionAnsweredAsync(AppDbContext db, CorrectionRequest request, DateTime nowUtc, CancellationToken cancellationToken)
    {
        var s = await db.ActivitySessions.Where(x => x.Id == request.SessionId).Select(x => new { x.Activity!.Title, x.StartsAtUtc }).SingleAsync(cancellationToken);
        var userId = await db.Volunteers.Where(v => v.Id == request.VolunteerId).Select(v => v.UserId).SingleAsync(cancellationToken);
        var kind = request.Status == CorrectionStatus.Corrected ? MessageKind.CorrectionMade : MessageKind.CorrectionDeclined;
        Inbox.Tell(db, userId, kind, RecordLink, nowUtc, s.Title, ChinaTime.Format(s.StartsAtUtc), request.Response ?? "");
    }

    /// <summary>
    /// Something happened to a unit's report (returned, reopened, approved, due soon, overdue): the unit's own
    /// administrators are told, with the comment when there is one. Returns how many were told.
    /// </summary>
    public static async Task<int> ReportAsync(AppDbContext db, MessageKind kind, Guid campaignId, Guid unitId, int periodNumber, string? comment, DateTime nowUtc,
        CancellationToken cancellationToken)
    {
        var campaign = await db.Campaigns.AsNoTracking().Where(c => c.Id == campaignId)
            .Select(c => new { c.Name, c.FinalDueDate, c.DueHour, Period = c.Periods.FirstOrDefault(p => p.Number == periodNumber) })
            .SingleAsync(cancellationToken);
        var unitCode = await db.CampaignUnits.Where(u => u.CampaignId == campaignId && u.UnitId == unitId).Select(u => u.Code).SingleAsync(cancellationToken);
        var due = campaign.Period?.DueAtUtc ?? CampaignCalendar.DueAtUtc(campaign.FinalDueDate, campaign.DueHour);
        var what = ReportWhat(campaign.Period?.Number ?? 0, campaign.Period?.StartDate, campaign.Period?.EndDate);
        // Approval comments are optional: the sentence about them is left out when there is none.
        var said = string.IsNullOrWhiteSpace(comment) ? "" : kind == MessageKind.ReportApproved ? "意见：" + comment.Trim() : comment.Trim();
        var link = $"/campaigns/{campaignId}/reports/{Uri.EscapeDataString(unitCode)}/{periodNumber}";
        return await Inbox.TellUnitAdministratorsAsync(db, unitId, kind, link, nowUtc, [campaign.Name, what, said, ChinaTime.Format(due)], cancellationToken);
    }

    /// <summary>What a report is, as the notices and messages name it: "第1期统计表（3月1日至3月7日）" or the final summary.</summary>
    public static string ReportWhat(int periodNumber, DateOnly? startDate, DateOnly? endDate) =>
        periodNumber == 0 || startDate is null || endDate is null
            ? "活动总结（含统计表）"
            : $"第{periodNumber}期统计表（{Day(startDate.Value)}至{Day(endDate.Value)}）";

    static string Day(DateOnly day) => day.ToString("M月d日", CultureInfo.InvariantCulture);

    public const string RecordLink = "/me/record";

    static string ActivityLink(Guid activityId) => $"/activities/{activityId}";
}
