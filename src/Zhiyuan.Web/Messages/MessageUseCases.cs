using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Infrastructure;

namespace Zhiyuan.Web.Messages;

/// <summary>One message as its recipient sees it; whether a mail or a text message went out is said only when one did.</summary>
public sealed record MessageView(Guid Id, MessageKind Kind, string Title, string Body, string Link, DateTime CreatedAtUtc, DateTime? ReadAtUtc,
    DateTime? EmailedAtUtc, DateTime? TextedAtUtc)
{
    public bool IsRead => ReadAtUtc is not null;
}

/// <summary>A page of the caller's messages, newest first, with how many of all their messages are unread.</summary>
public sealed record MessagePage(int Unread, List<MessageView> Messages, bool HasMore);

public sealed record ReadAllView(int Marked, int Unread);

/// <summary>
/// The caller's own message centre. Every query is bounded by the caller's account: anyone else's
/// message is "not found", the same answer as a message that does not exist.
/// </summary>
public sealed class MessageUseCases(AppDbContext db, UserManager<AppUser> users, TimeProvider time)
{
    public const int PageSize = 50;

    public async Task<MessagePage> ListAsync(ClaimsPrincipal principal, DateTimeOffset? before = null, CancellationToken cancellationToken = default)
    {
        var userId = users.GetUserId(principal);
        var mine = db.Messages.AsNoTracking().Where(m => m.RecipientUserId == userId);
        var page = mine;
        if (before is { } until)
        {
            var untilUtc = until.UtcDateTime;
            page = page.Where(m => m.CreatedAtUtc < untilUtc);
        }
        var rows = await View(page.OrderByDescending(m => m.CreatedAtUtc).ThenByDescending(m => m.Id)).Take(PageSize + 1).ToListAsync(cancellationToken);
        var unread = await UnreadCountAsync(principal, cancellationToken);
        return new MessagePage(unread, rows.Take(PageSize).ToList(), rows.Count > PageSize);
    }

    /// <summary>The header's badge: one count over the recipient's index, nothing else.</summary>
    public Task<int> UnreadCountAsync(ClaimsPrincipal principal, CancellationToken cancellationToken = default)
    {
        var userId = users.GetUserId(principal);
        return userId is null ? Task.FromResult(0) : db.Messages.CountAsync(m => m.RecipientUserId == userId && m.ReadAtUtc == null, cancellationToken);
    }

    /// <summary>
    /// Opens one of the caller's messages, marking it read. The mark is one conditional update (only while
    /// still unread), so opening it twice, or on two phones at once, keeps the time it was first read.
    /// </summary>
    public async Task<Outcome<MessageView>> OpenAsync(ClaimsPrincipal principal, Guid id, CancellationToken cancellationToken = default)
    {
        var userId = users.GetUserId(principal);
        if (userId is null)
        {
            return Outcome<MessageView>.NotFound();
        }
        var now = time.GetUtcNow().UtcDateTime;
        await db.Messages.Where(m => m.Id == id && m.RecipientUserId == userId && m.ReadAtUtc == null)
            .ExecuteUpdateAsync(u => u.SetProperty(m => m.ReadAtUtc, now), cancellationToken);
        var message = await View(db.Messages.AsNoTracking().Where(m => m.Id == id && m.RecipientUserId == userId)).SingleOrDefaultAsync(cancellationToken);
        return message is null ? Outcome<MessageView>.NotFound() : Outcome<MessageView>.Ok(message);
    }

    /// <summary>Marks every unread message of the caller read, in one conditional update; a second press finds none left.</summary>
    public async Task<ReadAllView> ReadAllAsync(ClaimsPrincipal principal, CancellationToken cancellationToken = default)
    {
        var userId = users.GetUserId(principal);
        var now = time.GetUtcNow().UtcDateTime;
        var marked = userId is null ? 0 : await db.Messages.Where(m => m.RecipientUserId == userId && m.ReadAtUtc == null)
            .ExecuteUpdateAsync(u => u.SetProperty(m => m.ReadAtUtc, now), cancellationToken);
        return new ReadAllView(marked, await UnreadCountAsync(principal, cancellationToken));
    }

    static IQueryable<MessageView> View(IQueryable<Message> messages) =>
        messages.Select(m => new MessageView(m.Id, m.Kind, m.Title, m.Body, m.Link, m.CreatedAtUtc, m.ReadAtUtc, m.EmailedAtUtc, m.TextedAtUtc));
}
