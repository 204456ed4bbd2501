using Microsoft.EntityFrameworkCore;
using Zhiyuan.Web.Data;

namespace Zhiyuan.Web.Accounts;

/// <summary>
/// How a reviewer signs a note on a page: "李干事（端州区）" — the account's display name and unit, never the
/// sign-in name. Records keep the user name (the audit trail's key); the signature is looked up when shown.
/// </summary>
public static class Signatures
{
    /// <summary>The display name and unit of the account with this user name; the name as given when no such account exists (data from before accounts, "system").</summary>
    public static async Task<string?> OfAsync(AppDbContext db, string? userName, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(userName))
        {
            return userName;
        }
        var normalized = userName.ToUpperInvariant();
        var user = await db.Users.AsNoTracking().Where(u => u.NormalizedUserName == normalized)
            .Select(u => new { u.DisplayName, UnitName = u.Unit == null ? null : u.Unit.Name }).FirstOrDefaultAsync(cancellationToken);
        if (user is null)
        {
            return userName;
        }
        var name = string.IsNullOrWhiteSpace(user.DisplayName) ? null : user.DisplayName;
        return (name, user.UnitName) switch
        {
            (not null, not null) => $"{name}（{user.UnitName}）",
            (not null, null) => name,
            (null, not null) => user.UnitName,
            _ => userName,
        };
    }
}
