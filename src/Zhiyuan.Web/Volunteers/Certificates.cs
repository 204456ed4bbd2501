using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using QRCoder;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Data;

namespace Zhiyuan.Web.Volunteers;

/// <summary>The registered-volunteer certificate (注册志愿者证) as its holder sees it.</summary>
public sealed record CertificateView(string Number, string Name, int StarLevel, string UnitName, DateTime RegisteredAtUtc, bool Revoked, string VerifyPath);

/// <summary>What anyone who follows the QR code learns: whether it is genuine and current, and nothing personal beyond a masked name.</summary>
public sealed record VerificationView(bool Genuine, bool Revoked, string Number, string MaskedName, int StarLevel, string UnitName, DateOnly RegisteredOn);

public sealed class Certificates(AppDbContext db, UserManager<AppUser> users)
{
    public const string VerifyPathPrefix = "/verify/";

    public Task<CertificateView?> GetOwnAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default)
    {
        var userId = users.GetUserId(user);
        return db.Volunteers.AsNoTracking().Where(v => v.UserId == userId)
            .Select(v => new CertificateView(v.Number, v.Name, v.StarLevel, v.Unit!.Name, v.RegisteredAtUtc, v.CertificateRevokedAtUtc != null, VerifyPathPrefix + v.CertificateCode))
            .SingleOrDefaultAsync(cancellationToken);
    }

    /// <summary>Null for a code that does not exist: the answer is the same whatever was guessed.</summary>
    public async Task<VerificationView?> VerifyAsync(string code, CancellationToken cancellationToken = default)
    {
        if (code.Length is < 16 or > 32)
        {
            return null;
        }
        var found = await db.Volunteers.AsNoTracking().Where(v => v.CertificateCode == code)
            .Select(v => new { v.Number, v.Name, v.StarLevel, UnitName = v.Unit!.Name, v.RegisteredAtUtc, v.CertificateRevokedAtUtc })
            .SingleOrDefaultAsync(cancellationToken);
        return found is null ? null : new VerificationView(found.CertificateRevokedAtUtc is null, found.CertificateRevokedAtUtc is not null,
            found.Number, MaskName(found.Name), found.StarLevel, found.UnitName, DateOnly.FromDateTime(Infrastructure.ChinaTime.ToChina(found.RegisteredAtUtc)));
    }

    /// <summary>张三 → 张*, 欧阳明华 → 欧**华: enough for the holder to recognise, not enough to identify.</summary>
    public static string MaskName(string name) => name.Length switch
    {
        <= 1 => "*",
        2 => name[..1] + "*",
        _ => name[..1] + new string('*', name.Length - 2) + name[^1..],
    };

    /// <summary>A PNG QR code of an absolute ASCII URL, as a data: URI for an img tag.</summary>
    public static string QrDataUri(string url)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(url, QRCodeGenerator.ECCLevel.M);
        return "data:image/png;base64," + Convert.ToBase64String(new PngByteQRCode(data).GetGraphic(8));
    }
}
