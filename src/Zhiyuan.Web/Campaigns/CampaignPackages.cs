using System.IO.Compression;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Audit;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Infrastructure;

namespace Zhiyuan.Web.Campaigns;

public sealed record PackageView(Guid Id, string ContentHash, long Bytes, DateTime CreatedAtUtc, string CreatedBy);

/// <summary>
/// The campaign's package for the province (报送省志愿者行动指导中心): the city's official form for
/// the whole window and for each period, and every unit's final summary (narrative, news links,
/// role-model stories, screenshots) with its status. Frozen once made: the bytes are stored with their
/// SHA-256, and the zip is built deterministically, so the same figures give the same hash. It carries
/// manifest.json (<see cref="PackageManifest"/>): every unit's frozen table of every period as canonical JSON with
/// its SHA-256, computation version and freezing time, and the SHA-256 of every other file, so that anyone can check
/// it at /verify/package (docs/reporting.md, "As-of verification").
/// </summary>
public sealed class CampaignPackages(AppDbContext db, AuditLog audit, CampaignUseCases campaigns, ReportCalculator calculator, TimeProvider time)
{
    static readonly DateTimeOffset EntryTime = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public async Task<Outcome<PackageView>> CreateAsync(ClaimsPrincipal principal, Guid campaignId, CancellationToken cancellationToken = default)
    {
        var campaign = await CityCampaignAsync(principal, campaignId, cancellationToken);
        if (campaign is null)
        {
            return Outcome<PackageView>.NotFound();
        }
        var root = await db.Units.AsNoTracking().SingleAsync(u => u.Code == campaign.RootUnitCode, cancellationToken);
        var allPeriods = campaign.Periods.Select(p => p.Number).Append(0).ToArray();
        var finals = await (
                from u in db.CampaignUnits
                join r in db.CampaignReports on new { u.CampaignId, u.UnitId, PeriodNumber = 0 } equals new { r.CampaignId, r.UnitId, r.PeriodNumber } into reports
                from r in reports.DefaultIfEmpty()
                where u.CampaignId == campaignId
                orderby u.SortOrder
                select new { u.Code, u.Name, Report = r })
            .AsNoTracking().ToListAsync(cancellationToken);

        using var buffer = new MemoryStream();
        var hashes = new Dictionary<string, string>();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            var window = await calculator.ComputeAsync(new TableScope(campaignId, root.Path, campaign.StartDate, campaign.EndDate, allPeriods),
                root.Name, campaign.TableTitle, campaign.ContactName, campaign.ContactPhone, cancellationToken);
            Add(zip, hashes, "01-全市汇总-统计表.xlsx", stream => OfficialForm.Write(window, stream));
            foreach (var period in campaign.Periods)
            {
                var table = await calculator.ComputeAsync(new TableScope(campaignId, root.Path, period.StartDate, period.EndDate, [period.Number]),
                    root.Name, campaign.TableTitle, campaign.ContactName, campaign.ContactPhone, cancellationToken);
                Add(zip, hashes, $"02-第{period.Number}期-统计表.xlsx", stream => OfficialForm.Write(table, stream));
            }
            var summary = new StringBuilder();
            summary.AppendLine($"{campaign.Name}（{campaign.Theme}）").AppendLine($"{campaign.StartDate:yyyy-MM-dd} 至 {campaign.EndDate:yyyy-MM-dd}").AppendLine();
            foreach (var (unit, i) in finals.Select((f, i) => (f, i)))
            {
                var status = unit.Report?.Status.ToString() ?? "NotStarted";
                summary.AppendLine($"{unit.Code} {unit.Name}: {status}");
                if (unit.Report is not { } report)
                {
                    continue;
                }
                var folder = $"03-活动总结/{i + 1:000}-{unit.Code}";
                AddText(zip, hashes, $"{folder}/总结.txt", $"{unit.Name}\n状态：{status}\n\n{report.Narrative}\n\n新闻宣传链接：\n{report.NewsLinks}\n\n先进典型事迹：\n{report.RoleModelStories}\n");
                var shots = await db.SummaryScreenshots.AsNoTracking().Where(s => s.ReportId == report.Id).OrderBy(s => s.UploadedAtUtc).ThenBy(s => s.Id).ToListAsync(cancellationToken);
                foreach (var (shot, n) in shots.Select((s, n) => (s, n)))
                {
                    Add(zip, hashes, $"{folder}/截图-{n + 1:00}.{(shot.ContentType == "image/png" ? "png" : shot.ContentType == "image/webp" ? "webp" : "jpg")}", s => s.Write(shot.Content));
                }
            }
            AddText(zip, hashes, "00-说明.txt", summary.ToString());

            // Every frozen table of the campaign (submitted or approved now), one file each, in the canonical form its hash is taken of.
            var frozen = await (
                    from r in db.CampaignReports
                    join u in db.CampaignUnits on new { r.CampaignId, r.UnitId } equals new { u.CampaignId, u.UnitId }
                    where r.CampaignId == campaignId && r.FrozenTable != null && (r.Status == ReportStatus.Submitted || r.Status == ReportStatus.Approved)
                    orderby u.SortOrder, u.Code, r.PeriodNumber
                    select new { u.Code, u.Name, Report = r })
                .AsNoTracking().ToListAsync(cancellationToken);
            var entries = new List<ManifestReport>();
            foreach (var f in frozen)
            {
                var table = ReportUseCases.Frozen(f.Report)!;
                var bytes = AsOfVerification.Canonical(table);
                var path = $"04-冻结报表/{f.Code}-{(f.Report.PeriodNumber == 0 ? "总结" : $"第{f.Report.PeriodNumber}期")}.json";
                Add(zip, hashes, path, s => s.Write(bytes));
                entries.Add(new ManifestReport(f.Code, f.Name, f.Report.PeriodNumber, f.Report.Status.ToString(), f.Report.ComputationVersion ?? 0,
                    f.Report.FrozenAtUtc!.Value, path, Convert.ToHexStringLower(SHA256.HashData(bytes))));
            }
            var files = hashes.OrderBy(h => h.Key, StringComparer.Ordinal).Select(h => new ManifestFile(h.Key, h.Value))
                .Where(f => !entries.Any(e => e.File == f.Path)).ToList();
            var manifest = new PackageManifest(PackageManifest.FormatName, new ManifestCampaign(campaign.Id, campaign.Name, campaign.StartDate, campaign.EndDate),
                new ManifestUnit(root.Code, root.Name), ReportCalculator.ComputationVersion, entries, files);
            Add(zip, hashes, PackageManifest.FileName, s => s.Write(JsonSerializer.SerializeToUtf8Bytes(manifest, PackageManifest.Json)));
        }
        var content = buffer.ToArray();
        var package = new CampaignPackage
        {
            CampaignId = campaignId,
            Content = content,
            ContentHash = Convert.ToHexStringLower(SHA256.HashData(content)),
            CreatedAtUtc = time.GetUtcNow().UtcDateTime,
            CreatedBy = audit.ActorName,
        };
        db.CampaignPackages.Add(package);
        audit.Add("campaign.package", root.Id, campaign.Name, $"sha256 {package.ContentHash}, {content.Length} bytes");
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<PackageView>.Ok(new PackageView(package.Id, package.ContentHash, content.Length, package.CreatedAtUtc, package.CreatedBy));
    }

    public async Task<List<PackageView>> ListAsync(ClaimsPrincipal principal, Guid campaignId, CancellationToken cancellationToken = default) =>
        await CityCampaignAsync(principal, campaignId, cancellationToken) is null ? []
            : await db.CampaignPackages.AsNoTracking().Where(p => p.CampaignId == campaignId).OrderByDescending(p => p.CreatedAtUtc)
                .Select(p => new PackageView(p.Id, p.ContentHash, p.Content.Length, p.CreatedAtUtc, p.CreatedBy)).ToListAsync(cancellationToken);

    public async Task<CampaignPackage?> GetAsync(ClaimsPrincipal principal, Guid campaignId, Guid packageId, CancellationToken cancellationToken = default) =>
        await CityCampaignAsync(principal, campaignId, cancellationToken) is null ? null
            : await db.CampaignPackages.AsNoTracking().SingleOrDefaultAsync(p => p.Id == packageId && p.CampaignId == campaignId, cancellationToken);

    /// <summary>The campaign, if the caller is a city administrator of its root unit (or above it).</summary>
    async Task<CampaignView?> CityCampaignAsync(ClaimsPrincipal principal, Guid campaignId, CancellationToken cancellationToken)
    {
        var scope = await UnitScope.ForAsync(principal, db, cancellationToken);
        var campaign = await campaigns.GetAsync(campaignId, cancellationToken);
        if (scope is null || campaign is null || !principal.IsInRole(Roles.CityAdmin))
        {
            return null;
        }
        var rootInScope = await db.Units.AnyAsync(u => u.Code == campaign.RootUnitCode && u.Path.StartsWith(scope.RootPath), cancellationToken);
        return rootInScope ? campaign : null;
    }

    /// <summary>Writes one file into the package and notes its SHA-256 in <paramref name="hashes"/> (the manifest lists them).</summary>
    static void Add(ZipArchive zip, Dictionary<string, string> hashes, string name, Action<Stream> write)
    {
        using var content = new MemoryStream();
        write(content);
        hashes[name] = Convert.ToHexStringLower(SHA256.HashData(content.GetBuffer().AsSpan(0, (int)content.Length)));
        var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
        entry.LastWriteTime = EntryTime;
        using var stream = entry.Open();
        content.Position = 0;
        content.CopyTo(stream);
    }

    static void AddText(ZipArchive zip, Dictionary<string, string> hashes, string name, string text) => Add(zip, hashes, name, s => s.Write(new UTF8Encoding(false).GetBytes(text.Replace("\r\n", "\n"))));
}
