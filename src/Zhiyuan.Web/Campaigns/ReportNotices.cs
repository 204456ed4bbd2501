using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Infrastructure;
using Zhiyuan.Web.Messages;

namespace Zhiyuan.Web.Campaigns;

/// <summary>
/// Report emails: a reminder before each due time to units that have not submitted, an overdue
/// notice after it, and a receipt on approval. Each is first recorded as a <see cref="CampaignNotice"/>
/// under a unique key (campaign, unit, period, kind), so two nodes noticing the same due time record it
/// once; then one node claims it with a conditional update (for Jobs:ClaimSeconds) and sends it. A
/// failed send, or one whose node died, is retried after the claim runs out.
/// </summary>
public sealed class ReportNotices(AppDbContext db, MailSender mail, TimeProvider time, IOptions<JobOptions> jobs, ILogger<ReportNotices> log)
{
    public const int MaxAttempts = 5;

    /// <summary>Overdue notices go out within this long after a due time, not for periods long past.</summary>
    static readonly TimeSpan OverdueWindow = TimeSpan.FromDays(7);

    /// <summary>Records the reminders and overdue notices that are due now; returns how many it recorded.</summary>
    public async Task<int> ScheduleAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var today = DateOnly.FromDateTime(ChinaTime.ToChina(now));
        var campaigns = await db.Campaigns.AsNoTracking().Include(c => c.Periods)
            .Where(c => c.StartDate <= today.AddDays(8) && c.FinalDueDate >= today.AddDays(-8)).ToListAsync(cancellationToken);
        var recorded = 0;
        foreach (var campaign in campaigns)
        {
            var columns = campaign.Periods.Select(p => (p.Number, p.DueAtUtc)).Append((Number: 0, DueAtUtc: CampaignCalendar.DueAtUtc(campaign.FinalDueDate, campaign.DueHour)));
            foreach (var (number, due) in columns)
            {
                NoticeKind? kind = now >= due.AddHours(-campaign.ReminderHoursBefore) && now < due ? NoticeKind.Reminder
                    : now >= due && now < due + OverdueWindow ? NoticeKind.Overdue : null;
                if (kind is null)
                {
                    continue;
                }
                var units = await NotSubmitted(campaign.Id, number).Where(u => u.AddedAtUtc == null || u.AddedAtUtc < due)
                    .Where(u => !db.CampaignNotices.Any(n => n.CampaignId == campaign.Id && n.UnitId == u.UnitId && n.PeriodNumber == number && n.Kind == kind))
                    .Select(u => u.UnitId).ToListAsync(cancellationToken);
                foreach (var unitId in units)
                {
                    db.CampaignNotices.Add(new CampaignNotice { CampaignId = campaign.Id, UnitId = unitId, PeriodNumber = number, Kind = kind.Value, CreatedAtUtc = now });
                    // The unit's administrators find it in their message centre too, saved with the notice (once, like it).
                    await EventMessages.ReportAsync(db, kind == NoticeKind.Reminder ? MessageKind.ReportReminder : MessageKind.ReportOverdue, campaign.Id, unitId, number, null, now, cancellationToken);
                    try
                    {
                        await db.SaveChangesAsync(cancellationToken);
                        recorded++;
                    }
                    catch (DbUpdateException)
                    {
                        // Another node recorded the same notice a moment earlier: it exists once, as it should.
                        db.ChangeTracker.Clear();
                    }
                }
            }
        }
        return recorded;
    }

    /// <summary>Expected units with no submission (and no waiver) for a period.</summary>
    IQueryable<CampaignUnit> NotSubmitted(Guid campaignId, int periodNumber) =>
        db.CampaignUnits.Where(u => u.CampaignId == campaignId && !db.CampaignReports.Any(r => r.CampaignId == campaignId && r.UnitId == u.UnitId
            && r.PeriodNumber == periodNumber && (r.FirstSubmittedAtUtc != null || r.Status == ReportStatus.Waived)));

    /// <summary>Sends every recorded notice that no node holds; returns how many went out.</summary>
    public async Task<int> SendPendingAsync(CancellationToken cancellationToken = default)
    {
        if (!mail.Options.IsConfigured)
        {
            return 0;
        }
        var now = time.GetUtcNow().UtcDateTime;
        var claimedUntil = now + jobs.Value.ClaimFor;
        var pending = await db.CampaignNotices.AsNoTracking()
            .Where(n => n.SentAtUtc == null && n.Attempts < MaxAttempts && (n.ClaimedUntilUtc == null || n.ClaimedUntilUtc < now))
            .OrderBy(n => n.CreatedAtUtc).Select(n => n.Id).Take(200).ToListAsync(cancellationToken);
        var sent = 0;
        foreach (var id in pending)
        {
            int claimed;
            try
            {
                claimed = await db.CampaignNotices
                    .Where(n => n.Id == id && n.SentAtUtc == null && (n.ClaimedUntilUtc == null || n.ClaimedUntilUtc < now))
                    .ExecuteUpdateAsync(n => n.SetProperty(x => x.ClaimedUntilUtc, claimedUntil).SetProperty(x => x.Attempts, x => x.Attempts + 1), cancellationToken);
            }
            catch (Exception busy) when (Conflicts.IsConflict(busy))
            {
                // Another node is writing right now (SQLite answers "busy"): this notice waits for the next run.
                continue;
            }
            if (claimed == 1 && await SendAsync(id, cancellationToken))
            {
                sent++;
            }
        }
        return sent;
    }

    async Task<bool> SendAsync(Guid id, CancellationToken cancellationToken)
    {
        var notice = await db.CampaignNotices.SingleAsync(n => n.Id == id, cancellationToken);
        var campaign = await db.Campaigns.AsNoTracking().Include(c => c.Periods).SingleAsync(c => c.Id == notice.CampaignId, cancellationToken);
        var unit = await db.CampaignUnits.AsNoTracking().SingleAsync(u => u.CampaignId == notice.CampaignId && u.UnitId == notice.UnitId, cancellationToken);
        var now = time.GetUtcNow().UtcDateTime;
        if (notice.Kind != NoticeKind.Receipt && !await NotSubmitted(notice.CampaignId, notice.PeriodNumber).AnyAsync(u => u.UnitId == notice.UnitId, cancellationToken))
        {
            return await FinishAsync(notice, now, "", "not sent: the unit submitted in the meantime", cancellationToken);
        }
        var adminRoles = new[] { Roles.CityAdmin, Roles.UnitAdmin };
        var recipients = await (
                from user in db.Users
                join userRole in db.UserRoles on user.Id equals userRole.UserId
                join role in db.Roles on userRole.RoleId equals role.Id
                where user.UnitId == notice.UnitId && user.Email != null && adminRoles.Contains(role.Name!)
                orderby user.Email
                select user.Email!)
            .Distinct().ToListAsync(cancellationToken);
        if (recipients.Count == 0)
        {
            return await FinishAsync(notice, now, "", "not sent: no administrator of the unit has an email address", cancellationToken);
        }
        var (subject, body) = Compose(campaign, unit, notice);
        try
        {
            await mail.SendAsync(recipients, subject, body, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogWarning(e, "Notice {Id} could not be sent (attempt {Attempt})", notice.Id, notice.Attempts);
            notice.LastError = e.Message.Length > 500 ? e.Message[..500] : e.Message;
            await db.SaveChangesAsync(cancellationToken);
            return false;
        }
        return await FinishAsync(notice, now, string.Join(", ", recipients), null, cancellationToken);
    }

    async Task<bool> FinishAsync(CampaignNotice notice, DateTime now, string recipients, string? note, CancellationToken cancellationToken)
    {
        notice.SentAtUtc = now;
        notice.Recipients = recipients;
        notice.LastError = note;
        // The mail has gone: recording that must not be lost to a moment's "busy" from another node,
        // or the notice would be sent again when its claim runs out.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                return note is null;
            }
            catch (DbUpdateException busy) when (attempt < 10 && busy.GetBaseException() is Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 5 or 6 })
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), cancellationToken);
            }
        }
    }

    /// <summary>The mail, in Chinese: the recipients are the units' administrators.</summary>
    (string Subject, string Body) Compose(Campaign campaign, CampaignUnit unit, CampaignNotice notice)
    {
        var period = campaign.Periods.SingleOrDefault(p => p.Number == notice.PeriodNumber);
        var what = EventMessages.ReportWhat(notice.PeriodNumber, period?.StartDate, period?.EndDate);
        var due = ChinaTime.Format(period?.DueAtUtc ?? CampaignCalendar.DueAtUtc(campaign.FinalDueDate, campaign.DueHour));
        var link = $"{mail.Options.PublicUrl.TrimEnd('/')}/campaigns/{campaign.Id}/reports/{Uri.EscapeDataString(unit.Code)}/{notice.PeriodNumber}";
        var (tag, sentence) = notice.Kind switch
        {
            NoticeKind.Reminder => ("提醒", $"{campaign.Name}{what}将于{due}截止，贵单位尚未提交。统计表已由平台记录自动计算，请核对、补充平台外活动后提交。"),
            NoticeKind.Overdue => ("逾期", $"{campaign.Name}{what}已于{due}截止，贵单位尚未提交，请尽快提交。"),
            _ => ("回执", $"贵单位报送的{campaign.Name}{what}已审核通过并锁定。"),
        };
        var body = $"{unit.Name}：\n\n{sentence}\n\n{link}\n\n联系人：{campaign.ContactName} {campaign.ContactPhone}\n（本邮件由志愿肇庆平台自动发送）";
        return ($"【{tag}】{campaign.Name}{what}", body);
    }
}

/// <summary>Runs the notices every minute on every node; the claims keep each mail to one sender.</summary>
sealed class ReportNoticeService(IServiceScopeFactory scopes, ILogger<ReportNoticeService> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Not before the database has every migration (Database:MigrateOnStart=false, `migrate` not run yet).
        using (var first = scopes.CreateScope())
        {
            await first.ServiceProvider.GetRequiredService<Zhiyuan.Web.Data.MigrationState>().WaitCurrentAsync(stoppingToken);
        }
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(1));
        do
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var notices = scope.ServiceProvider.GetRequiredService<ReportNotices>();
                await notices.ScheduleAsync(stoppingToken);
                await notices.SendPendingAsync(stoppingToken);
                PlatformMetrics.JobRan("report-notices", ok: true);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                PlatformMetrics.JobRan("report-notices", ok: false);
                log.LogError(e, "Report notices failed; trying again in a minute");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
