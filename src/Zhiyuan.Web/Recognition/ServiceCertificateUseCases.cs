using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Audit;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Hours;
using Zhiyuan.Web.Infrastructure;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Web.Recognition;

public sealed record IssueCertificateRequest(DateOnly? From, DateOnly? To);

/// <summary>One record on the certificate: what the 2021 rules ask a proof to show; back-entered hours (补录) are marked as such.</summary>
public sealed record CertificateLine(DateTime StartUtc, DateTime EndUtc, string Activity, string Content, string Place, int Minutes, string RecordingUnit,
    bool IsBackEntry = false);

/// <summary>The certificate exactly as issued.</summary>
public sealed record ServiceCertificateView(Guid Id, string Serial, string HolderName, string HolderNumber, string DocumentMasked, DateOnly? From, DateOnly? To,
    string Issuer, DateTime IssuedAtUtc, int TotalMinutes, List<CertificateLine> Lines, string Code, string ShortCode)
{
    public string VerifyPath => ServiceCertificateUseCases.VerifyPathPrefix + Code;
}

/// <summary>What online verification shows: the figures the certificate showed, the holder's name masked.</summary>
public sealed record CertificateCheckView(string Serial, string MaskedName, string HolderNumber, DateOnly? From, DateOnly? To, string Issuer, DateTime IssuedAtUtc,
    int TotalMinutes, List<CertificateLine> Lines);

/// <summary>
/// The service-record certificate (志愿服务记录证明): free and self-served, for a date range or all
/// time, with a serial, each record's service time, content and recording unit, the issuing
/// organisation, and a QR code and short code to verify it online. What it showed is frozen when it
/// is issued, so it keeps verifying with those figures whatever is corrected later.
/// </summary>
public sealed class ServiceCertificateUseCases(AppDbContext db, HourUseCases hours, AuditLog audit, UserManager<AppUser> users,
    IStringLocalizer<SharedResource> text, TimeProvider time)
{
    public const string VerifyPathPrefix = "/verify/record/";

    /// <summary>No 0/O, 1/I/L: the short code is read off paper and typed.</summary>
    const string ShortCodeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    sealed record Content(string HolderName, string HolderNumber, string DocumentMasked, string Issuer, List<CertificateLine> Lines);

    public async Task<Outcome<ServiceCertificateView>> IssueAsync(ClaimsPrincipal principal, IssueCertificateRequest request, CancellationToken cancellationToken = default)
    {
        var userId = users.GetUserId(principal);
        var volunteer = await db.Volunteers.AsNoTracking().Where(v => v.UserId == userId)
            .Select(v => new { v.Id, v.Number, v.Name, v.DocumentMasked, UnitPath = v.Unit!.Path }).SingleOrDefaultAsync(cancellationToken);
        var record = volunteer is null ? null : await hours.RecordAsync(principal, cancellationToken);
        if (volunteer is null || record is null)
        {
            return Outcome<ServiceCertificateView>.NotFound();
        }
        var today = ChinaTime.Today(time);
        if (request.From > request.To || request.To > today)
        {
            return Outcome<ServiceCertificateView>.Invalid("to", text["ServiceCertificates.Error.Range", today.ToString("yyyy-MM-dd")]);
        }
        var lines = record.Lines
            .Where(l => request.From is not { } from || DateOnly.FromDateTime(ChinaTime.ToChina(l.StartUtc)) >= from)
            .Where(l => request.To is not { } to || DateOnly.FromDateTime(ChinaTime.ToChina(l.StartUtc)) <= to)
            .OrderBy(l => l.StartUtc)
            .Select(l => new CertificateLine(l.StartUtc, l.EndUtc, l.Activity, l.Content, l.Place, l.Minutes, l.OrganizingUnit, l.IsBackEntry))
            .ToList();
        if (lines.Count == 0)
        {
            return Outcome<ServiceCertificateView>.Invalid("from", text["ServiceCertificates.Error.Empty"]);
        }
        // "Whoever organises records, whoever records certifies": each line names its recording
        // organisation; the certificate is issued by the federation at the root of the tree.
        var issuer = await db.Units.Where(u => u.ParentId == null && volunteer.UnitPath.StartsWith(u.Path)).Select(u => u.Name).FirstAsync(cancellationToken);
        var now = time.GetUtcNow().UtcDateTime;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // A double click (or two phones) asks for the same certificate twice: with the volunteer locked,
        // the second finds the first — same span, same content, issued a moment ago — and gets it back.
        await db.LockVolunteersAsync([volunteer.Id], cancellationToken);
        var totalMinutes = lines.Sum(l => l.Minutes);
        var twin = await db.ServiceCertificates.AsNoTracking()
            .Where(c => c.VolunteerId == volunteer.Id && c.From == request.From && c.To == request.To && c.TotalMinutes == totalMinutes && c.IssuedAtUtc > now.AddMinutes(-1))
            .FirstOrDefaultAsync(cancellationToken);
        if (twin is not null)
        {
            return Outcome<ServiceCertificateView>.Ok(View(twin));
        }
        var number = (await db.Database.SqlQuery<long>(
            $"""UPDATE "NumberCounters" SET "Last" = "Last" + 1 WHERE "Name" = {NumberCounter.ServiceCertificates} RETURNING "Last" AS "Value" """)
            .ToListAsync(cancellationToken)).Single();
        var certificate = new ServiceCertificate
        {
            Serial = $"ZM{ChinaTime.ToChina(now).Year}-{number:D6}",
            VolunteerId = volunteer.Id,
            From = request.From,
            To = request.To,
            IssuedAtUtc = now,
            Code = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            ShortCode = new string(RandomNumberGenerator.GetItems<char>(ShortCodeAlphabet, 8)),
            TotalMinutes = totalMinutes,
            Content = JsonSerializer.Serialize(new Content(volunteer.Name, volunteer.Number, volunteer.DocumentMasked, issuer, lines), Json),
        };
        db.ServiceCertificates.Add(certificate);
        audit.Add("service-certificate.issue", null, volunteer.Number, $"{certificate.Serial}, {lines.Count} records, {HourUseCases.FormatHours(certificate.TotalMinutes)} h");
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<ServiceCertificateView>.Ok(View(certificate));
    }

    public async Task<List<ServiceCertificateView>> MineAsync(ClaimsPrincipal principal, CancellationToken cancellationToken = default)
    {
        var userId = users.GetUserId(principal);
        var certificates = await db.ServiceCertificates.AsNoTracking().Where(c => db.Volunteers.Any(v => v.Id == c.VolunteerId && v.UserId == userId))
            .OrderByDescending(c => c.IssuedAtUtc).ToListAsync(cancellationToken);
        return certificates.Select(View).ToList();
    }

    public async Task<ServiceCertificateView?> GetOwnAsync(ClaimsPrincipal principal, Guid id, CancellationToken cancellationToken = default) =>
        (await MineAsync(principal, cancellationToken)).SingleOrDefault(c => c.Id == id);

    /// <summary>Null for any code that was not issued, whatever it looks like: a forged or altered code learns nothing.</summary>
    public async Task<CertificateCheckView?> VerifyAsync(string? code, string? shortCode, CancellationToken cancellationToken = default)
    {
        var byCode = code is { Length: 32 } && code.All(char.IsAsciiHexDigitLower);
        var normalizedShort = (shortCode ?? "").Trim().Replace("-", "").ToUpperInvariant();
        var byShort = normalizedShort.Length == 8 && normalizedShort.All(ShortCodeAlphabet.Contains);
        if (!byCode && !byShort)
        {
            return null;
        }
        var certificate = await db.ServiceCertificates.AsNoTracking()
            .SingleOrDefaultAsync(c => byCode ? c.Code == code : c.ShortCode == normalizedShort, cancellationToken);
        if (certificate is null)
        {
            return null;
        }
        var view = View(certificate);
        return new CertificateCheckView(view.Serial, Certificates.MaskName(view.HolderName), view.HolderNumber, view.From, view.To, view.Issuer, view.IssuedAtUtc,
            view.TotalMinutes, view.Lines);
    }

    static ServiceCertificateView View(ServiceCertificate certificate)
    {
        var content = JsonSerializer.Deserialize<Content>(certificate.Content, Json)!;
        return new ServiceCertificateView(certificate.Id, certificate.Serial, content.HolderName, content.HolderNumber, content.DocumentMasked, certificate.From, certificate.To,
            content.Issuer, certificate.IssuedAtUtc, certificate.TotalMinutes, content.Lines, certificate.Code, certificate.ShortCode);
    }
}
