using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Options;
using Zhiyuan.Web.Data;

namespace Zhiyuan.Web.Accounts;

/// <summary>The <c>SignIn</c> configuration section.</summary>
public sealed class SignInLimitOptions
{
    public const string Section = "SignIn";

    /// <summary>
    /// Failed sign-ins (page and token endpoint together) one client address may make in a minute.
    /// Only failures count, so a school behind one address signs in freely.
    /// </summary>
    public int FailuresPerAddressPerMinute { get; set; } = 20;
}

/// <summary>
/// One refresh token handed out. Each may be used once; using it gives a new pair whose refresh
/// token continues the same chain. A token used a second time means it was copied: the whole chain
/// is revoked, so neither the thief nor the owner can continue it (the owner signs in again).
/// </summary>
public sealed class RefreshToken
{
    public Guid Id { get; set; }

    /// <summary>The first token of the chain's id, shared by every token refreshed from it.</summary>
    public Guid ChainId { get; set; }

    public required string UserId { get; set; }

    public DateTime IssuedAtUtc { get; set; }

    public DateTime ExpiresAtUtc { get; set; }

    public DateTime? UsedAtUtc { get; set; }

    public DateTime? RevokedAtUtc { get; set; }
}

sealed class RefreshTokenConfiguration : IEntityTypeConfiguration<RefreshToken>
{
    public void Configure(EntityTypeBuilder<RefreshToken> token)
    {
        token.Property(t => t.UserId).HasMaxLength(450);
        token.HasOne<AppUser>().WithMany().HasForeignKey(t => t.UserId).OnDelete(DeleteBehavior.Cascade);
        token.HasIndex(t => t.ChainId);
        token.HasIndex(t => t.ExpiresAtUtc);
    }
}

/// <summary>Keeps the refresh tokens' single use in the database, so every node sees the same chains.</summary>
public sealed class RefreshTokenStore(AppDbContext db, TimeProvider time)
{
    public const string TokenClaim = "zhiyuan:refresh";
    public const string ChainClaim = "zhiyuan:chain";

    /// <summary>
    /// A second use this soon after the first is taken for a client retrying (or sending twice at
    /// once), not a copied token: it gets nothing, but the chain the first use continued stays valid.
    /// </summary>
    public static readonly TimeSpan RetryLeeway = TimeSpan.FromSeconds(5);

    /// <summary>The same as the bearer handler's default refresh lifetime, which the ticket itself carries.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(14);

    /// <summary>Records a new refresh token (of a new chain when none is given) and returns the claims that name it in the ticket.</summary>
    public async Task<Claim[]> IssueAsync(AppUser user, Guid? chainId, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var id = Guid.CreateVersion7();
        db.RefreshTokens.Add(new RefreshToken { Id = id, ChainId = chainId ?? id, UserId = user.Id, IssuedAtUtc = now, ExpiresAtUtc = now + Lifetime });
        await db.SaveChangesAsync(cancellationToken);
        return [new Claim(TokenClaim, id.ToString()), new Claim(ChainClaim, (chainId ?? id).ToString())];
    }

    /// <summary>
    /// Marks the token used, in one conditional statement so that of simultaneous uses exactly one
    /// succeeds. A later reuse (or a use of a revoked chain) revokes the chain and fails.
    /// </summary>
    public async Task<bool> TryUseAsync(Guid tokenId, Guid chainId, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var taken = await db.RefreshTokens
            .Where(t => t.Id == tokenId && t.ChainId == chainId && t.UsedAtUtc == null && t.ExpiresAtUtc > now)
            .Where(t => !db.RefreshTokens.Any(other => other.ChainId == chainId && other.RevokedAtUtc != null))
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.UsedAtUtc, now), cancellationToken);
        if (taken == 1)
        {
            return true;
        }
        var leeway = now - RetryLeeway;
        var justUsed = await db.RefreshTokens.AnyAsync(t => t.Id == tokenId && t.UsedAtUtc != null && t.UsedAtUtc > leeway, cancellationToken);
        if (!justUsed)
        {
            await db.RefreshTokens.Where(t => t.ChainId == chainId && t.RevokedAtUtc == null)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAtUtc, now), cancellationToken);
        }
        return false;
    }
}

/// <summary>
/// Ends a bearer token as soon as its owner's password changes (the security stamp in the token no
/// longer matches) or the account is locked, instead of when the token expires: a failed
/// authentication, so the API answers 401. Cookies are re-validated by Identity's own
/// security-stamp validator. One primary-key read per API request (the handler authenticates once).
/// </summary>
static class BearerStampCheck
{
    public static async Task RejectStaleAsync(MessageReceivedContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            return;
        }
        var ticket = context.Options.BearerTokenProtector.Unprotect(header["Bearer ".Length..].Trim());
        if (ticket is null)
        {
            // The handler itself refuses it.
            return;
        }
        var services = context.HttpContext.RequestServices;
        var identity = services.GetRequiredService<IOptions<IdentityOptions>>().Value.ClaimsIdentity;
        var userId = ticket.Principal.FindFirstValue(identity.UserIdClaimType);
        var stamp = ticket.Principal.FindFirstValue(identity.SecurityStampClaimType);
        var current = userId is null ? null : await services.GetRequiredService<AppDbContext>().Users.AsNoTracking().Where(u => u.Id == userId)
            .Select(u => new { u.SecurityStamp, u.LockoutEnabled, u.LockoutEnd }).FirstOrDefaultAsync(context.HttpContext.RequestAborted);
        // Compared here rather than in SQL: SQLite cannot compare the stored DateTimeOffset.
        var valid = current is not null && stamp is not null && stamp == current.SecurityStamp
                    && !(current.LockoutEnabled && current.LockoutEnd is { } end && end > services.GetRequiredService<TimeProvider>().GetUtcNow());
        if (!valid)
        {
            context.Fail("The token's password has changed or the account is locked.");
        }
    }
}

/// <summary>The key under which a client address's failed sign-ins are counted.</summary>
static class ClientAddress
{
    /// <summary>
    /// A keyed hash, never the address itself. An IPv6 client is counted by its /64, since one
    /// machine can usually choose any address in it.
    /// </summary>
    public static string FailureKey(Infrastructure.PersonalData personalData, IPAddress? address)
    {
        var text = "unknown";
        if (address is not null)
        {
            if (address.IsIPv4MappedToIPv6)
            {
                address = address.MapToIPv4();
            }
            if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                var bytes = address.GetAddressBytes();
                Array.Clear(bytes, 8, 8);
                address = new IPAddress(bytes);
            }
            text = address.ToString();
        }
        return "sign-in-failures:" + Convert.ToHexString(personalData.Hash("sign-in-source", text));
    }
}
