using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Zhiyuan.Web.Accounts;

namespace Zhiyuan.Web.Messages;

/// <summary>
/// One message in a person's message centre (站内信): what happened, in a sentence, and the page where
/// it can be seen. Written by <see cref="Inbox"/> in the same transaction as the event it tells of;
/// afterwards only its read time and its delivery by mail or text message change.
/// </summary>
public sealed class Message
{
    public const int TitleMaxLength = 200;
    public const int BodyMaxLength = 2000;
    public const int LinkMaxLength = 500;

    public Guid Id { get; set; } = Guid.CreateVersion7();

    /// <summary>The account told: only its holder ever sees the message.</summary>
    public required string RecipientUserId { get; set; }

    public MessageKind Kind { get; set; }

    public required string Title { get; set; }

    public required string Body { get; set; }

    /// <summary>The page on this platform where the matter can be seen (a path such as /activities/…).</summary>
    public required string Link { get; set; }

    public DateTime CreatedAtUtc { get; set; }

    /// <summary>Set once, by a conditional update, when the recipient opens it or marks everything read.</summary>
    public DateTime? ReadAtUtc { get; set; }

    /// <summary>
    /// When nothing more is to be sent beyond the centre: set at once for kinds that are never mailed
    /// or texted, otherwise by the node that delivered it (see <see cref="MessageDelivery"/>).
    /// </summary>
    public DateTime? DeliveryDoneAtUtc { get; set; }

    /// <summary>A node that claimed the delivery holds it until then; after that another may retry.</summary>
    public DateTime? DeliveryClaimedUntilUtc { get; set; }

    public int DeliveryAttempts { get; set; }

    /// <summary>When the mail went out (to the account's address at that time); empty when none was sent.</summary>
    public DateTime? EmailedAtUtc { get; set; }

    /// <summary>When the text message went out; empty when none was sent (no gateway, no mobile, or a kind never texted).</summary>
    public DateTime? TextedAtUtc { get; set; }

    /// <summary>Why a channel was left out or failed, for operators.</summary>
    public string? DeliveryNote { get; set; }

    public const int DeliveryNoteMaxLength = 500;
}

/// <summary>What a message is about. Stored by name: add new kinds at will, never rename one.</summary>
public enum MessageKind
{
    /// <summary>A place freed up and the volunteer was moved from the waitlist into the session.</summary>
    WaitlistPromoted,

    /// <summary>The organisation turned down a sign-up that waited for review.</summary>
    SignUpRejected,

    /// <summary>The organisation confirmed a session's hours: the volunteer's credit is in the ledger.</summary>
    HoursConfirmed,

    /// <summary>A correction the volunteer asked for was made.</summary>
    CorrectionMade,

    /// <summary>A correction the volunteer asked for was declined, with the reason.</summary>
    CorrectionDeclined,

    /// <summary>A report of the unit was returned by the unit above, with the comment.</summary>
    ReportReturned,

    /// <summary>The city reopened an approved or waived report of the unit.</summary>
    ReportReopened,

    /// <summary>A report of the unit was approved and locked.</summary>
    ReportApproved,

    /// <summary>A report of the unit is due soon and not yet submitted.</summary>
    ReportReminder,

    /// <summary>A report of the unit is past its due time and not yet submitted.</summary>
    ReportOverdue,

    /// <summary>An activity the volunteer signed up for was changed where it concerns them: a session moved, the place changed.</summary>
    ActivityChanged,

    /// <summary>An activity (or the session) the volunteer signed up for was called off, with the reason; their sign-up is cancelled.</summary>
    ActivityCancelled,
}

/// <summary>Which kinds go beyond the centre, and how.</summary>
public static class MessageChannels
{
    /// <summary>
    /// Mailed when the account has an address. Not the report reminders, overdue notices and approvals:
    /// the report notices (Campaigns/ReportNotices.cs) already mail those to the same administrators.
    /// </summary>
    public static bool Mailed(MessageKind kind) => kind is not (MessageKind.ReportReminder or MessageKind.ReportOverdue or MessageKind.ReportApproved);

    /// <summary>
    /// Texted (with a gateway configured and a mobile on the volunteer record) only when the person has
    /// to act soon: a place they waited for is now theirs, or what they were going to is called off (so
    /// nobody sets out for it). Everything else waits in the centre and the mail.
    /// </summary>
    public static bool Texted(MessageKind kind) => kind is MessageKind.WaitlistPromoted or MessageKind.ActivityCancelled;

    public static bool GoesBeyondTheCentre(MessageKind kind) => Mailed(kind) || Texted(kind);
}

sealed class MessageConfiguration : IEntityTypeConfiguration<Message>
{
    public void Configure(EntityTypeBuilder<Message> message)
    {
        message.HasOne<AppUser>().WithMany().HasForeignKey(m => m.RecipientUserId).OnDelete(DeleteBehavior.Cascade);
        message.Property(m => m.Kind).HasConversion<string>().HasMaxLength(32);
        message.Property(m => m.Title).HasMaxLength(Message.TitleMaxLength);
        message.Property(m => m.Body).HasMaxLength(Message.BodyMaxLength);
        message.Property(m => m.Link).HasMaxLength(Message.LinkMaxLength);
        message.Property(m => m.DeliveryNote).HasMaxLength(Message.DeliveryNoteMaxLength);
        // The list (newest first) and the unread count in the header read one person's rows only.
        message.HasIndex(m => new { m.RecipientUserId, m.CreatedAtUtc });
        message.HasIndex(m => new { m.RecipientUserId, m.ReadAtUtc });
        // The delivery run looks for recent messages not yet delivered.
        message.HasIndex(m => new { m.DeliveryDoneAtUtc, m.CreatedAtUtc });
    }
}
