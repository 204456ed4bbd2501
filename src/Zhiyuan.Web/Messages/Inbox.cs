using System.Globalization;
using System.Resources;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Data;

namespace Zhiyuan.Web.Messages;

/// <summary>
/// How a feature tells someone that something happened to them. Call it inside the use case's own
/// unit of work, after the checks and beside the state change it tells of:
/// <code>
/// await Inbox.TellVolunteerAsync(db, volunteerId, MessageKind.WaitlistPromoted, $"/activities/{activityId}", now, [title, startsAt], cancellationToken);
/// await db.SaveChangesAsync(cancellationToken);   // the caller's own save writes the message
/// </code>
/// Why not a service that sends at once, or a message written after the commit: the message is only
/// added to the same <see cref="AppDbContext"/>, so it is saved by the caller's SaveChanges in the same
/// transaction as the event. An event that rolls back (a lost race, a 409, a failed check) leaves no
/// message; the second of two identical requests, which changes nothing, tells nobody; and a message
/// is never missing for an event that happened. Mail and text messages go out afterwards, from the saved
/// row, on whichever node claims it first (<see cref="MessageDelivery"/>), never inside the request.
/// </summary>
/// <remarks>
/// Texts are the resource strings <c>Messages.{Kind}.Title</c> and <c>Messages.{Kind}.Body</c> with the
/// given arguments, written in Chinese — the platform's working language, in which the mail goes out too —
/// whichever language the person who caused the event uses. Pass arguments that read the same in any
/// language: names, titles, reasons, times from <see cref="Infrastructure.ChinaTime.Format"/>.
/// </remarks>
public static class Inbox
{
    static readonly ResourceManager Texts = new("Zhiyuan.Web.Resources.SharedResource", typeof(SharedResource).Assembly);
    static readonly CultureInfo Chinese = CultureInfo.GetCultureInfo("zh-CN");

    /// <summary>
    /// Adds one message for an account. A volunteer imported without an account of their own
    /// (<paramref name="recipientUserId"/> empty) has no message centre: nothing is added and null comes back.
    /// </summary>
    public static Message? Tell(AppDbContext db, string? recipientUserId, MessageKind kind, string link, DateTime nowUtc, params object[] arguments)
    {
        if (string.IsNullOrEmpty(recipientUserId))
        {
            return null;
        }
        var message = new Message
        {
            RecipientUserId = recipientUserId,
            Kind = kind,
            Title = Cut(Text(kind, "Title", arguments), Message.TitleMaxLength),
            Body = Cut(Text(kind, "Body", arguments), Message.BodyMaxLength),
            Link = Cut(link, Message.LinkMaxLength),
            CreatedAtUtc = nowUtc,
            // Kinds that stay in the centre need no delivery run at all.
            DeliveryDoneAtUtc = MessageChannels.GoesBeyondTheCentre(kind) ? null : nowUtc,
        };
        db.Add(message);
        return message;
    }

    /// <summary>Tells the volunteer, through their own account (if they have one). Returns how many messages were added (0 or 1).</summary>
    public static async Task<int> TellVolunteerAsync(AppDbContext db, Guid volunteerId, MessageKind kind, string link, DateTime nowUtc, object[] arguments,
        CancellationToken cancellationToken = default)
    {
        var userId = await db.Volunteers.Where(v => v.Id == volunteerId).Select(v => v.UserId).SingleOrDefaultAsync(cancellationToken);
        return Tell(db, userId, kind, link, nowUtc, arguments) is null ? 0 : 1;
    }

    /// <summary>Tells every administrator who answers for the unit itself (not those above it). Returns how many messages were added.</summary>
    public static async Task<int> TellUnitAdministratorsAsync(AppDbContext db, Guid unitId, MessageKind kind, string link, DateTime nowUtc, object[] arguments,
        CancellationToken cancellationToken = default)
    {
        var administrators = await (
                from user in db.Users
                join userRole in db.UserRoles on user.Id equals userRole.UserId
                join role in db.Roles on userRole.RoleId equals role.Id
                where user.UnitId == unitId && Roles.UnitAdministrators.Contains(role.Name!)
                select user.Id)
            .Distinct().ToListAsync(cancellationToken);
        foreach (var userId in administrators.Order(StringComparer.Ordinal))
        {
            Tell(db, userId, kind, link, nowUtc, arguments);
        }
        return administrators.Count;
    }

    /// <summary>One text of a kind ("Title" or "Body") in Chinese, with the arguments filled in.</summary>
    public static string Text(MessageKind kind, string part, params object[] arguments)
    {
        var template = Texts.GetString($"Messages.{kind}.{part}", Chinese)
                       ?? throw new InvalidOperationException($"No resource string Messages.{kind}.{part}.");
        return string.Format(Chinese, template, arguments);
    }

    static string Cut(string text, int maxLength) => text.Length <= maxLength ? text : text[..(maxLength - 1)] + "…";
}
