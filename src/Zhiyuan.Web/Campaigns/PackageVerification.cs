using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Infrastructure;

namespace Zhiyuan.Web.Campaigns;

/// <summary>
/// manifest.json of a province package: what the platform froze, so that anyone can check the package's contents against it and
/// against the reports the platform keeps. <see cref="Format"/> names this layout.
/// </summary>
/// <param name="ComputationVersion">The computation version of the platform that made the package (each report carries its own).</param>
/// <param name="Reports">Every unit's frozen table of every period (period 0 is the final summary), submitted or approved when the package was made.</param>
/// <param name="Files">Every other file of the package with its SHA-256 (manifest.json itself excepted).</param>
public sealed record PackageManifest(string Format, ManifestCampaign Campaign, ManifestUnit Issuer, int ComputationVersion, List<ManifestReport> Reports, List<ManifestFile> Files)
{
    public const string FormatName = "zhiyuan-package-manifest/1";
    public const string FileName = "manifest.json";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, WriteIndented = true };
}

public sealed record ManifestCampaign(Guid Id, string Name, DateOnly From, DateOnly To);

public sealed record ManifestUnit(string Code, string Name);

/// <param name="File">The package's file holding the frozen table in canonical form.</param>
/// <param name="AsOfSha256">SHA-256 of the frozen table's canonical serialisation (the bytes of <paramref name="File"/>).</param>
public sealed record ManifestReport(string UnitCode, string UnitName, int Period, string Status, int ComputationVersion, DateTime FrozenAtUtc, string File, string AsOfSha256);

public sealed record ManifestFile(string Path, string Sha256);

/// <summary>One thing a package check found wrong.</summary>
/// <param name="Entry">The file or the report (unit and period) concerned.</param>
/// <param name="Problem">What is wrong: fileMissing, fileChanged, fileNotListed, reportChanged (the platform's stored report differs), reportNotStored (the platform keeps no such frozen report now).</param>
/// <param name="Explanation">The same in words, in the reader's language.</param>
public sealed record PublicPackageMismatch(string Entry, string Problem, string Explanation, string? Expected, string? Found);

/// <summary>
/// What anyone may learn about a package at the public verification page and API: whether the platform issued a package with this
/// SHA-256 (for which campaign, when, from which unit) and, for an uploaded package, whether its contents agree with its manifest
/// and with the reports the platform keeps. Names no person and nothing beyond what the package itself holds.
/// </summary>
/// <param name="Issued">The platform made a package with exactly these bytes.</param>
/// <param name="ContentsChecked">An uploaded package was opened and every entry of its manifest checked (false for a SHA-256 lookup).</param>
/// <param name="Valid">Issued and, for an upload, no mismatch.</param>
public sealed record PublicPackageCheck(
    string Sha256,
    bool Issued,
    string? CampaignName,
    DateTime? IssuedAtUtc,
    string? IssuingUnit,
    bool ContentsChecked,
    int ReportsChecked,
    int FilesChecked,
    List<PublicPackageMismatch> Mismatches,
    bool Valid);

/// <summary>The public check of a province package (anonymous): by its SHA-256, or by the package itself.</summary>
public sealed class PackageVerification(AppDbContext db, IStringLocalizer<SharedResource> text)
{
    /// <summary>The largest upload taken: what the site's proxy lets through (docs/operations.md). A larger package is checked by its SHA-256.</summary>
    public const int MaxUploadBytes = 20 * 1024 * 1024;

    /// <summary>No file of a package is read beyond this when opened (a small zip may claim huge contents).</summary>
    const long MaxEntryBytes = 64L * 1024 * 1024;

    const int MaxEntries = 10_000;

    public static bool IsSha256(string? value) => value is { Length: 64 } && value.All(char.IsAsciiHexDigit);

    public async Task<Outcome<PublicPackageCheck>> LookupAsync(string? sha256, CancellationToken cancellationToken = default)
    {
        var hash = (sha256 ?? "").Trim().ToLowerInvariant();
        if (!IsSha256(hash))
        {
            return Outcome<PublicPackageCheck>.Invalid("sha256", text["PackageCheck.Error.Hash"]);
        }
        var (issued, campaign, at, unit) = await IssuedAsync(hash, cancellationToken);
        return Outcome<PublicPackageCheck>.Ok(new PublicPackageCheck(hash, issued, campaign, at, unit, false, 0, 0, [], issued));
    }

    async Task<(bool Issued, string? Campaign, DateTime? At, string? Unit)> IssuedAsync(string hash, CancellationToken cancellationToken)
    {
        var package = await (
                from p in db.CampaignPackages
                join c in db.Campaigns on p.CampaignId equals c.Id
                join u in db.Units on c.RootUnitId equals u.Id
                where p.ContentHash == hash
                orderby p.CreatedAtUtc
                select new { c.Name, p.CreatedAtUtc, Unit = u.Name })
            .AsNoTracking().FirstOrDefaultAsync(cancellationToken);
        return package is null ? (false, null, null, null) : (true, package.Name, package.CreatedAtUtc, package.Unit);
    }

    /// <summary>Checks an uploaded package: its hash, then every manifest entry against the package's files and the platform's stored reports.</summary>
    public async Task<Outcome<PublicPackageCheck>> VerifyAsync(byte[] content, CancellationToken cancellationToken = default)
    {
        if (content.Length == 0)
        {
            return Outcome<PublicPackageCheck>.Invalid("file", text["PackageCheck.Error.Empty"]);
        }
        if (content.Length > MaxUploadBytes)
        {
            return Outcome<PublicPackageCheck>.Invalid("file", text["PackageCheck.Error.TooLarge", MaxUploadBytes / 1024 / 1024]);
        }
        var hash = Convert.ToHexStringLower(SHA256.HashData(content));
        PackageManifest? manifest;
        Dictionary<string, string> fileHashes;
        try
        {
            using var zip = new ZipArchive(new MemoryStream(content, writable: false), ZipArchiveMode.Read);
            if (zip.Entries.Count > MaxEntries)
            {
                return Outcome<PublicPackageCheck>.Invalid("file", text["PackageCheck.Error.NotPackage"]);
            }
            var manifestEntry = zip.GetEntry(PackageManifest.FileName);
            if (manifestEntry is null)
            {
                return Outcome<PublicPackageCheck>.Invalid("file", text["PackageCheck.Error.NoManifest"]);
            }
            try
            {
                manifest = JsonSerializer.Deserialize<PackageManifest>(Read(manifestEntry), PackageManifest.Json);
            }
            catch (JsonException)
            {
                manifest = null;
            }
            if (manifest is not { Format: PackageManifest.FormatName, Campaign: not null, Reports: not null, Files: not null })
            {
                return Outcome<PublicPackageCheck>.Invalid("file", text["PackageCheck.Error.BadManifest"]);
            }
            fileHashes = zip.Entries.Where(e => e.FullName != PackageManifest.FileName && !e.FullName.EndsWith('/'))
                .GroupBy(e => e.FullName).ToDictionary(g => g.Key, g => Convert.ToHexStringLower(SHA256.HashData(Read(g.First()))));
        }
        catch (Exception e) when (e is InvalidDataException or IOException or NotSupportedException or ArgumentException)
        {
            return Outcome<PublicPackageCheck>.Invalid("file", text["PackageCheck.Error.NotZip"]);
        }

        var mismatches = new List<PublicPackageMismatch>();
        void Mismatch(string entry, string problem, string? expected, string? found) =>
            mismatches.Add(new PublicPackageMismatch(entry, problem, text[$"PackageCheck.Problem.{problem}"], expected, found));
        void File(string path, string? expected)
        {
            if (!fileHashes.TryGetValue(path ?? "", out var found))
            {
                Mismatch(path ?? "", "fileMissing", expected, null);
            }
            else if (!string.Equals(found, expected, StringComparison.OrdinalIgnoreCase))
            {
                Mismatch(path!, "fileChanged", expected, found);
            }
        }
        foreach (var file in manifest.Files.Where(f => f is not null))
        {
            File(file.Path, file.Sha256);
        }
        var listed = manifest.Files.Where(f => f is not null).Select(f => f.Path).Concat(manifest.Reports.Where(r => r is not null).Select(r => r.File)).ToHashSet();
        foreach (var path in fileHashes.Keys.Where(p => !listed.Contains(p)).Order(StringComparer.Ordinal))
        {
            Mismatch(path, "fileNotListed", null, fileHashes[path]);
        }

        // Each frozen table: the package's file against the manifest, and the platform's stored report against both.
        var stored = await (
                from r in db.CampaignReports
                join u in db.Units on r.UnitId equals u.Id
                where r.CampaignId == manifest.Campaign.Id && r.FrozenTable != null && (r.Status == ReportStatus.Submitted || r.Status == ReportStatus.Approved)
                select new { u.Code, Report = r })
            .AsNoTracking().ToListAsync(cancellationToken);
        var storedHashes = stored.ToDictionary(s => (s.Code, s.Report.PeriodNumber), s => AsOfVerification.Sha256(ReportUseCases.Frozen(s.Report)!));
        foreach (var report in manifest.Reports.Where(r => r is not null))
        {
            File(report.File, report.AsOfSha256);
            var entry = $"{report.UnitName}（{report.UnitCode}）" + (report.Period == 0 ? text["PackageCheck.FinalSummary"] : text["PackageCheck.Period", report.Period]);
            if (!storedHashes.TryGetValue((report.UnitCode ?? "", report.Period), out var storedHash))
            {
                Mismatch(entry, "reportNotStored", report.AsOfSha256, null);
            }
            else if (!string.Equals(storedHash, report.AsOfSha256, StringComparison.OrdinalIgnoreCase))
            {
                Mismatch(entry, "reportChanged", report.AsOfSha256, storedHash);
            }
        }
        var (issued, campaign, at, unit) = await IssuedAsync(hash, cancellationToken);
        return Outcome<PublicPackageCheck>.Ok(new PublicPackageCheck(hash, issued, campaign, at, unit, true, manifest.Reports.Count, manifest.Files.Count, mismatches,
            issued && mismatches.Count == 0));
    }

    static byte[] Read(ZipArchiveEntry entry)
    {
        if (entry.Length > MaxEntryBytes)
        {
            throw new InvalidDataException("entry too large");
        }
        using var stream = entry.Open();
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk)) > 0)
        {
            if (buffer.Length + read > MaxEntryBytes)
            {
                throw new InvalidDataException("entry too large");
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
