using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Infrastructure;

namespace Zhiyuan.Web.Messages;

/// <summary>
/// Mail and text messages for messages of the centre, sent after the request that wrote them, never
/// inside it: a slow or broken mail server or gateway neither delays nor breaks anyone's sign-up,
/// cancellation or review. Every node runs it (<see cref="MessageDeliveryService"/>); a node first
/// claims a message with a conditional update (only while unclaimed or its claim has run out; a claim
/// holds for Jobs:ClaimSeconds), so two nodes never send the same one. Mail goes to the account's email address when it has one and
/// Mail:Host is set; a text message only for the kinds of <see cref="MessageChannels.Texted"/>, only to a
/// volunteer's registered mobile, and only through a real gateway (<see cref="ISmsSender.SendsNotices"/>):
/// without one nothing is sent and nothing records that anything was.
/// </summary>
public sealed class MessageDelivery(AppDbContext db, MailSender mail, ISmsSender sms, PersonalData personalData, TimeProvider time, IOptions<JobOptions> jobs,
    ILogger<MessageDelivery> log)
{
    public const int MaxAttempts = 5;

    /// <summary>A message not delivered within this long (no channel configured meanwhile, or every attempt failed) is no longer sent: it would be news of the past.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromDays(2);

    bool CanMail => mail.Options.IsConfigured;

    bool CanText => sms.SendsNotices;

    /// <summary>Delivers every recent message that no node holds; returns how many were finished.</summary>
    public async Task<int> SendPendingAsync(CancellationToken cancellationToken = default)
    {
        if (!CanMail && !CanText)
        {
            // Nothing to send with: no writes either.
            return 0;
        }
        var now = time.GetUtcNow().UtcDateTime;
        var claimedUntil = now + jobs.Value.ClaimFor;
        var since = now - MaxAge;
        var pending = await db.Messages.AsNoTracking()
            .Where(m => m.DeliveryDoneAtUtc == null && m.CreatedAtUtc > since && m.DeliveryAttempts < MaxAttempts
                        && (m.DeliveryClaimedUntilUtc == null || m.DeliveryClaimedUntilUtc < now))
            .OrderBy(m => m.CreatedAtUtc).Select(m => m.Id).Take(200).ToListAsync(cancellationToken);
        var done = 0;
        foreach (var id in pending)
        {
            int claimed;
            try
            {
                claimed = await db.Messages
                    .Where(m => m.Id == id && m.DeliveryDoneAtUtc == null && (m.DeliveryClaimedUntilUtc == null || m.DeliveryClaimedUntilUtc < now))
                    .ExecuteUpdateAsync(m => m.SetProperty(x => x.DeliveryClaimedUntilUtc, claimedUntil).SetProperty(x => x.DeliveryAttempts, x => x.DeliveryAttempts + 1),
                        cancellationToken);
            }
            catch (Exception busy) when (Conflicts.IsConflict(busy))
            {
                // Another node is writing right now (SQLite answers "busy"): this message waits for the next run.
                continue;
            }
            if (claimed == 1 && await DeliverAsync(id, cancellationToken))
            {
                done++;
            }
        }
        return done;
    }

    /// <summary>Sends what the claimed message still needs, each channel once; true when nothing is left to send.</summary>
    async Task<bool> DeliverAsync(Guid id, CancellationToken cancellationToken)
    {
        var message = await db.Messages.SingleAsync(m => m.Id == id, cancellationToken);
        var email = await db.Users.Where(u => u.Id == message.RecipientUserId).Select(u => u.Email).SingleOrDefaultAsync(cancellationToken);
        var notes = new List<string>();
        var failed = false;

        if (message.EmailedAtUtc is null && MessageChannels.Mailed(message.Kind))
        {
            if (!CanMail)
            {
                notes.Add("no mail: Mail:Host is not set");
            }
            else if (string.IsNullOrWhiteSpace(email))
            {
                notes.Add("no mail: the account has no email address");
            }
            else
            {
                try
                {
                    await mail.SendAsync([email], "【志愿肇庆】" + message.Title, MailBody(message), cancellationToken);
                    message.EmailedAtUtc = time.GetUtcNow().UtcDateTime;
                    PlatformMetrics.MessagesSent.Add(1, new KeyValuePair<string, object?>("channel", "mail"));
                    await RecordSentAsync(cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException and not DbUpdateException)
                {
                    log.LogWarning(e, "Message {Id} could not be mailed (attempt {Attempt})", message.Id, message.DeliveryAttempts);
                    notes.Add("mail failed: " + e.Message);
                    PlatformMetrics.MessagesFailed.Add(1, new KeyValuePair<string, object?>("channel", "mail"));
                    failed = true;
                }
            }
        }

        if (message.TextedAtUtc is null && MessageChannels.Texted(message.Kind))
        {
            var phoneCipher = await db.Volunteers.Where(v => v.UserId == message.RecipientUserId).Select(v => v.PhoneCipher).FirstOrDefaultAsync(cancellationToken);
            if (!CanText)
            {
                notes.Add("no text message: no gateway sends notices (Sms:Provider, Sms:NoticeTemplateId)");
            }
            else if (phoneCipher is null)
            {
                notes.Add("no text message: the account has no registered mobile");
            }
            else
            {
                try
                {
                    await sms.SendNoticeAsync(personalData.Decrypt(phoneCipher), message.Kind.ToString(), message.Title, cancellationToken);
                    message.TextedAtUtc = time.GetUtcNow().UtcDateTime;
                    PlatformMetrics.MessagesSent.Add(1, new KeyValuePair<string, object?>("channel", "text"));
                    await RecordSentAsync(cancellationToken);
                }
                catch (SmsException e)
                {
                    // The gateway's words only: never the number.
                    log.LogWarning("Message {Id} could not be texted (attempt {Attempt}): {Error}", message.Id, message.DeliveryAttempts, e.Message);
                    notes.Add("text message failed: " + e.Message);
                    PlatformMetrics.MessagesFailed.Add(1, new KeyValuePair<string, object?>("channel", "text"));
                    failed = true;
                }
            }
        }

        var note = string.Join("; ", notes);
        message.DeliveryNote = note.Length == 0 ? null : note.Length > Message.DeliveryNoteMaxLength ? note[..Message.DeliveryNoteMaxLength] : note;
        if (!failed)
        {
            message.DeliveryDoneAtUtc = time.GetUtcNow().UtcDateTime;
        }
        // A failed channel is tried again when the claim runs out (at most MaxAttempts times); a channel that went out is never sent again.
        await RecordSentAsync(cancellationToken);
        return !failed;
    }

    /// <summary>
    /// Saves what was sent. The mail or text has gone: recording that must not be lost to a moment's
    /// "busy" from another node, or it would be sent again when the claim runs out.
    /// </summary>
    async Task RecordSentAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                return;
            }
            catch (DbUpdateException busy) when (attempt < 10 && busy.GetBaseException() is Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 5 or 6 })
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), cancellationToken);
            }
        }
    }

    string MailBody(Message message) =>
        $"{message.Body}\n\n{mail.Options.PublicUrl.TrimEnd('/')}{message.Link}\n\n（本邮件由志愿肇庆平台自动发送；全部消息见 {mail.Options.PublicUrl.TrimEnd('/')}/messages）";
}

/// <summary>Delivers messages every Jobs:MessageDeliverySeconds (half a minute) on every node; the claims keep each message to one sender.</summary>
sealed class MessageDeliveryService(IServiceScopeFactory scopes, IOptions<JobOptions> jobs, ILogger<MessageDeliveryService> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Not before the database has every migration (Database:MigrateOnStart=false, `migrate` not run yet).
        using (var first = scopes.CreateScope())
        {
            await first.ServiceProvider.GetRequiredService<Zhiyuan.Web.Data.MigrationState>().WaitCurrentAsync(stoppingToken);
        }
        using var timer = new PeriodicTimer(jobs.Value.MessageDeliveryInterval);
        do
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<MessageDelivery>().SendPendingAsync(stoppingToken);
                PlatformMetrics.JobRan("message-delivery", ok: true);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                PlatformMetrics.JobRan("message-delivery", ok: false);
                log.LogError(e, "Message delivery failed; trying again at the next run");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
