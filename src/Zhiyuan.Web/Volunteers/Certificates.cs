using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using QRCoder;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Infrastructure;

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

    /// <summary>
    /// The one masking rule for names shown to others: 李 → *, 张三 → 张*, 李阿姨 → 李*姨, 欧阳明华 → 欧**华 — enough
    /// for the holder to recognise, not enough to identify. Only the name is masked: a remark in brackets after
    /// it (梁小姐（代母亲下单）, Wong (Mrs)) is left out, since it may name someone; spaces around it go too.
    /// Characters are counted as a reader sees them, so a rare character outside the BMP is one, not two halves.
    /// </summary>
    public static string MaskName(string name)
    {
        var bracket = name.IndexOfAny(['（', '(', '【', '[', '〔', '<', '《']);
        var bare = (bracket >= 0 ? name[..bracket] : name).Trim();
        var letters = new List<string>();
        var walk = System.Globalization.StringInfo.GetTextElementEnumerator(bare);
        while (walk.MoveNext())
        {
            letters.Add(walk.GetTextElement());
        }
        return letters.Count switch
        {
            <= 1 => "*",
            2 => letters[0] + "*",
            _ => letters[0] + new string('*', letters.Count - 2) + letters[^1],
        };
    }

    /// <summary>A PNG QR code of an absolute ASCII URL, as a data: URI for an img tag.</summary>
    public static string QrDataUri(string url) => "data:image/png;base64," + Convert.ToBase64String(QrPng(url));

    /// <summary>
    /// The QR code of <paramref name="url"/> at error correction M, unless the platform's own reader
    /// (<see cref="QrPhoto"/>, the leader's photo check-in) cannot read it: ZXing's finder-pattern detector
    /// misses about 7 in 1,000 valid codes, always the same ones, which would lock a volunteer out of photo
    /// check-in for good. Another level draws a different pattern; the first one read is kept.
    /// </summary>
    public static byte[] QrPng(string url)
    {
        byte[]? firstDrawn = null;
        foreach (var level in new[] { QRCodeGenerator.ECCLevel.M, QRCodeGenerator.ECCLevel.Q, QRCodeGenerator.ECCLevel.H, QRCodeGenerator.ECCLevel.L })
        {
            using var generator = new QRCodeGenerator();
            using var data = generator.CreateQrCode(url, level);
            var png = new PngByteQRCode(data).GetGraphic(8);
            if (QrPhoto.ReadImage(png) == url)
            {
                return png;
            }
            firstDrawn ??= png;
        }
        return firstDrawn!;
    }
}
