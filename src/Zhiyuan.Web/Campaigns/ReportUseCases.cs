using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Audit;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Hours;
using Zhiyuan.Web.Infrastructure;
using Zhiyuan.Web.Messages;

namespace Zhiyuan.Web.Campaigns;

/// <summary>A typed-in row as entered: hours and money in the form's units (hours, yuan).</summary>
public sealed record TypedInRowRequest(bool IsMedia, string? Name, int? PersonTimes, int? Organizations, string? PopulationTypes, int? PopulationPersonTimes,
    decimal? Hours, decimal? MoneyYuan, int? PrintReports, int? WebsiteReports, string? Links, int? Reads);

public sealed record TypedInRowView(Guid Id, bool IsMedia, string Name, int PersonTimes, int Organizations, string PopulationTypes, int PopulationPersonTimes,
    int Minutes, decimal MoneyYuan, int PrintReports, int WebsiteReports, string Links, int Reads);

public sealed record SubmitRequest(string? ContactName, string? ContactPhone, int? Version);

public sealed record ReviewCommentRequest(string? Comment, int? Version);

/// <summary>Withdraws a submission; version (optional) is the report's version as the page showed it.</summary>
public sealed record WithdrawRequest(int? Version);

/// <summary>A unit directly below the report's unit, whose own table can be opened from this one.</summary>
public sealed record UnitBelow(string Code, string Name, bool IsExpected);

public sealed record SummaryRequest(string? Narrative, string? NewsLinks, string? RoleModelStories, int? Version);

/// <summary>A total whose live value differs from the submitted one.</summary>
public sealed record FigureDifference(string Figure, string Submitted, string Live);

public sealed record ReportView(
    Guid CampaignId,
    string CampaignName,
    string UnitCode,
    string UnitName,
    int PeriodNumber,
    DateOnly From,
    DateOnly To,
    DateTime DueAtUtc,
    ReportStatus? Status,
    bool? OnTime,
    DateTime? FirstSubmittedAtUtc,
    DateTime? SubmittedAtUtc,
    DateTime? FrozenAtUtc,
    int? ComputationVersion,
    string? ReviewComment,
    DateTime? ReviewedAtUtc,
    string? ReviewedBy,
    ReportTable Table,
    bool IsFrozen,
    List<FigureDifference> LiveDifferences,
    List<TypedInRowView> TypedInRows,
    string Narrative,
    string NewsLinks,
    string RoleModelStories,
    List<Guid> ScreenshotIds,
    List<string> SubUnitsNotApproved,
    int Version,
    bool CanEdit,
    bool CanReview,
    bool CanWaive,
    bool CanReopen,
    bool IsExpected,
    bool CanWithdraw,
    string ContactName,
    string ContactPhone,
    List<UnitBelow> UnitsBelow,
    AsOfCheck? AsOf = null)
{
    public bool IsFinalSummary => PeriodNumber == 0;
}

/// <summary>
/// One unit's report for one period (or the final summary, period 0): the computed table, typed-in
/// rows, and the workflow draft → submitted → returned → resubmitted → approved (locked), with
/// waivers and the city's reopening. Every change is audited.
/// </summary>
public sealed partial class ReportUseCases(
    AppDbContext db,
    AuditLog audit,
    CampaignUseCases campaigns,
    ReportCalculator calculator,
    IStringLocalizer<SharedResource> text,
    TimeProvider time)
{
    public const int MaxTypedInRows = 500;

    /// <summary>The most all typed-in rows of one report may add up to: the same as one cell may hold.</summary>
    public const long MaxTypedInCount = 100_000_000;

    public const long MaxTypedInHours = 10_000_000;

    public const decimal MaxTypedInMoney = 1_000_000_000_000m;
    static readonly JsonSerializerOptions FrozenJson = new(JsonSerializerDefaults.Web);

    /// <summary>What the caller may do with one unit's report: resolved once per request from the campaign, the snapshot and their scope.</summary>
    /// <param name="IsExpected">The unit reports for this period: it was in the opening snapshot, or added before the period was due.
    /// Any other unit of the campaign's tree may only read its computed table.</param>
    /// <param name="IsOwnUnit">The caller administers this very unit (not a unit above it).</param>
    sealed record Access(CampaignView Campaign, CampaignUnit Unit, string LivePath, DateOnly From, DateOnly To, DateTime DueAtUtc, int[] PeriodNumbers,
        bool IsReviewer, bool IsCity, bool IsExpected, bool IsOwnUnit);

    async Task<Outcome<Access>> AccessAsync(ClaimsPrincipal principal, Guid campaignId, string unitCode, int periodNumber, CancellationToken cancellationToken)
    {
        var scope = await UnitScope.ForAsync(principal, db, cancellationToken);
        var campaign = await campaigns.GetAsync(campaignId, cancellationToken);
        if (scope is null || campaign is null)
        {
            return Outcome<Access>.NotFound();
        }
        var rootId = await db.Campaigns.Where(c => c.Id == campaignId).Select(c => c.RootUnitId).SingleAsync(cancellationToken);
        var rootPath = await db.Units.Where(u => u.Id == rootId).Select(u => u.Path).SingleAsync(cancellationToken);
        var unit = await campaigns.ExpectedUnitAsync(scope, campaignId, unitCode, cancellationToken);
        var inSnapshot = unit is not null;
        // Any unit of the campaign's tree within the caller's subtree — a street office below the
        // reporting depth, say — has a table computed for it, to be read by itself and the units above.
        unit ??= unitCode.Length > Units.Unit.CodeMaxLength ? null : await db.Units.AsNoTracking()
            .Where(u => u.Code == unitCode && u.Path.StartsWith(scope.RootPath) && u.Path.StartsWith(rootPath))
            .Select(u => new CampaignUnit { UnitId = u.Id, ParentUnitId = u.ParentId, Code = u.Code, Name = u.Name, Type = u.Type, Path = u.Path })
            .SingleOrDefaultAsync(cancellationToken);
        if (unit is null)
        {
            return Outcome<Access>.NotFound();
        }
        DateOnly from, to;
        DateTime due;
        int[] periods;
        if (periodNumber == 0)
        {
            (from, to, due) = (campaign.StartDate, campaign.EndDate, campaign.FinalDueAtUtc);
            periods = campaign.Periods.Select(p => p.Number).Append(0).ToArray();
        }
        else if (campaign.Periods.SingleOrDefault(p => p.Number == periodNumber) is { } period)
        {
            (from, to, due) = (period.StartDate, period.EndDate, period.DueAtUtc);
            periods = [periodNumber];
        }
        else
        {
            return Outcome<Access>.Invalid("period", text["Reports.Error.Period", periodNumber, campaign.Periods.Count]);
        }
        var livePath = await db.Units.Where(u => u.Id == unit.UnitId).Select(u => u.Path).SingleAsync(cancellationToken);
        var isCity = principal.IsInRole(Roles.CityAdmin) && rootPath.StartsWith(scope.RootPath, StringComparison.Ordinal);
        var isExpected = inSnapshot && unit.ExpectedFor(due);
        // Reviewers sit above the unit; the campaign's own root unit is reviewed by its city administrators.
        var isReviewer = isExpected && (scope.RootId != unit.UnitId || (unit.ParentUnitId is null && isCity));
        return Outcome<Access>.Ok(new Access(campaign, unit, livePath, from, to, due, periods, isReviewer, isCity, isExpected, scope.RootId == unit.UnitId));
    }

    public async Task<Outcome<ReportView>> GetAsync(ClaimsPrincipal principal, Guid campaignId, string unitCode, int periodNumber, CancellationToken cancellationToken = default)
    {
        var access = await AccessAsync(principal, campaignId, unitCode, periodNumber, cancellationToken);
        return access.Succeeded ? Outcome<ReportView>.Ok(await ViewAsync(access.Value!, periodNumber, cancellationToken)) : Forward<ReportView>(access);
    }

    /// <summary>The table as it stands: frozen when submitted (or later), else computed now.</summary>
    public async Task<Outcome<ReportTable>> TableAsync(ClaimsPrincipal principal, Guid campaignId, string unitCode, int periodNumber, CancellationToken cancellationToken = default)
    {
        var access = await AccessAsync(principal, campaignId, unitCode, periodNumber, cancellationToken);
        if (!access.Succeeded)
        {
            return Forward<ReportTable>(access);
        }
        var report = await FindAsync(access.Value!, periodNumber, cancellationToken);
        return Outcome<ReportTable>.Ok(Frozen(report) ?? await ComputeAsync(access.Value!, report, cancellationToken));
    }

    public Task<Outcome<ReportView>> AddTypedInRowsAsync(ClaimsPrincipal principal, Guid campaignId, string unitCode, int periodNumber,
        IReadOnlyList<TypedInRowRequest> requests, CancellationToken cancellationToken = default) =>
        AddTypedInRowsAsync(principal, campaignId, unitCode, periodNumber, requests, cancellationToken, replacing: null);

    async Task<Outcome<ReportView>> AddTypedInRowsAsync(ClaimsPrincipal principal, Guid campaignId, string unitCode, int periodNumber,
        IReadOnlyList<TypedInRowRequest> requests, CancellationToken cancellationToken, Guid? replacing)
    {
        var errors = new FieldErrors();
        var rows = new List<TypedInRow>();
        foreach (var (request, i) in requests.Select((r, i) => (r, i)))
        {
            var row = ValidateRow(request, errors, requests.Count == 1 ? "" : $"rows[{i}].");
            if (row is not null)
            {
                rows.Add(row);
            }
        }
        return await ChangeAsync(principal, campaignId, unitCode, periodNumber, null, errors, async (access, report) =>
        {
            var existing = await db.TypedInRows.CountAsync(t => t.ReportId == report.Id && t.SupersededAtUtc == null, cancellationToken);
            if (replacing is null && existing + rows.Count > MaxTypedInRows)
            {
                return text["Reports.Error.TooManyRows", MaxTypedInRows];
            }
            // A report's typed-in rows together stay within what one cell may hold, so the unit's table,
            // the city's merge and the form can always be computed (sums are 64-bit besides).
            var stored = await db.TypedInRows.AsNoTracking().Where(t => t.ReportId == report.Id && t.SupersededAtUtc == null && t.Id != replacing)
                .Select(t => new { t.PersonTimes, t.Organizations, t.PopulationPersonTimes, t.Minutes, t.PrintReports, t.WebsiteReports, t.Reads, t.MoneyYuan })
                .ToListAsync(cancellationToken);
            var counts = new (string Field, long Total)[]
            {
                ("personTimes", stored.Sum(t => (long)t.PersonTimes) + rows.Sum(r => (long)r.PersonTimes)),
                ("organizations", stored.Sum(t => (long)t.Organizations) + rows.Sum(r => (long)r.Organizations)),
                ("populationPersonTimes", stored.Sum(t => (long)t.PopulationPersonTimes) + rows.Sum(r => (long)r.PopulationPersonTimes)),
                ("printReports", stored.Sum(t => (long)t.PrintReports) + rows.Sum(r => (long)r.PrintReports)),
                ("websiteReports", stored.Sum(t => (long)t.WebsiteReports) + rows.Sum(r => (long)r.WebsiteReports)),
                ("reads", stored.Sum(t => (long)t.Reads) + rows.Sum(r => (long)r.Reads)),
            };
            if (counts.FirstOrDefault(c => c.Total > MaxTypedInCount) is { Field: not null } over)
            {
                return text["Reports.Error.TypedInTotal", text[$"Reports.Field.{over.Field}"], MaxTypedInCount.ToString("N0")];
            }
            if (stored.Sum(t => (long)t.Minutes) + rows.Sum(r => (long)r.Minutes) > MaxTypedInHours * 60L)
            {
                return text["Reports.Error.TypedInTotal", text["Reports.Field.hours"], MaxTypedInHours.ToString("N0")];
            }
            if (stored.Sum(t => t.MoneyYuan) + rows.Sum(r => r.MoneyYuan) > MaxTypedInMoney)
            {
                return text["Reports.Error.TypedInTotal", text["Reports.Field.moneyYuan"], MaxTypedInMoney.ToString("N0")];
            }
            var now = time.GetUtcNow().UtcDateTime;
            if (replacing is { } oldId)
            {
                // An edit keeps the version it replaces: that one is only marked superseded, and only while it is current.
                var old = await db.TypedInRows.AsNoTracking().SingleOrDefaultAsync(t => t.Id == oldId && t.ReportId == report.Id && t.SupersededAtUtc == null, cancellationToken);
                if (old is null || await db.TypedInRows.Where(t => t.Id == oldId && t.SupersededAtUtc == null)
                        .ExecuteUpdateAsync(u => u.SetProperty(t => t.SupersededAtUtc, now), cancellationToken) != 1)
                {
                    return text["Reports.Error.NoSuchRow"];
                }
                rows[0].ReplacesId = oldId;
                rows[0].CreatedAtUtc = old.CreatedAtUtc;
                rows[0].CreatedBy = old.CreatedBy;
            }
            foreach (var row in rows)
            {
                row.ReportId = report.Id;
                if (row.ReplacesId is null)
                {
                    // Read per row, as before versions: rows added together keep their order (the table orders by this time).
                    row.CreatedAtUtc = time.GetUtcNow().UtcDateTime;
                    row.CreatedBy = audit.ActorName;
                }
                row.RecordedAtUtc = row.ReplacesId is null ? row.CreatedAtUtc : now;
                db.TypedInRows.Add(row);
            }
            audit.Add(replacing is null ? "campaign.report.typed-in" : "campaign.report.typed-in-edited", access.Unit.UnitId, Subject(access, periodNumber), string.Join("; ", rows.Select(r => r.Name)));
            return null;
        }, cancellationToken);
    }

    /// <summary>Edits a typed-in row: a new version replaces it (the old one is kept, marked superseded).</summary>
    public Task<Outcome<ReportView>> EditTypedInRowAsync(ClaimsPrincipal principal, Guid campaignId, string unitCode, int periodNumber, Guid rowId,
        TypedInRowRequest request, CancellationToken cancellationToken = default) =>
        AddTypedInRowsAsync(principal, campaignId, unitCode, periodNumber, [request], cancellationToken, replacing: rowId);

    public Task<Outcome<ReportView>> DeleteTypedInRowAsync(ClaimsPrincipal principal, Guid campaignId, string unitCode, int periodNumber, Guid rowId,
        CancellationToken cancellationToken = default) =>
        ChangeAsync(principal, campaignId, unitCode, periodNumber, null, new FieldErrors(), async (access, report) =>
        {
            // Removing keeps the row, marked superseded: a table recomputed as of an earlier moment still finds it.
            var row = await db.TypedInRows.AsNoTracking().SingleOrDefaultAsync(t => t.Id == rowId && t.ReportId == report.Id && t.SupersededAtUtc == null, cancellationToken);
            var now = time.GetUtcNow().UtcDateTime;
            if (row is null || await db.TypedInRows.Where(t => t.Id == rowId && t.SupersededAtUtc == null)
                    .ExecuteUpdateAsync(u => u.SetProperty(t => t.SupersededAtUtc, now), cancellationToken) != 1)
            {
                return text["Reports.Error.NoSuchRow"];
            }
            audit.Add("campaign.report.typed-in-removed", access.Unit.UnitId, Subject(access, periodNumber), row.Name);
            return null;
        }, cancellationToken);

    /// <summary>
    /// Takes in an official form filled offline: every row becomes a typed-in row, or, if any cell is
    /// wrong, nothing is taken and each error names its cell.
    /// </summary>
    public async Task<Outcome<ReportView>> ImportAsync(ClaimsPrincipal principal, Guid campaignId, string unitCode, int periodNumber, Stream file, string fileName,
        CancellationToken cancellationToken = default)
    {
        OfficialFormImportResult parsed;
        // One of few reads at a time in the process, so many hostile files at once stay bounded too.
        using (var turn = await SpreadsheetReader.TakeTurnAsync(cancellationToken))
        {
            parsed = turn is null ? new OfficialFormImportResult(text["Import.Error.Busy"], [], [], []) : OfficialFormImport.Parse(file, fileName, text);
        }
        var errors = new FieldErrors();
        foreach (var error in parsed.Errors.Prepend(parsed.FileError).OfType<string>())
        {
            errors.Add("file", error);
        }
        // A cell beyond int is beyond every limit too: it is clamped here and refused by the row's validation.
        static int Cell(long value) => (int)Math.Clamp(value, int.MinValue, int.MaxValue);
        var rows = !parsed.Succeeded ? [] : parsed.Activities.Select(r => new TypedInRowRequest(false, r.Name, Cell(r.PersonTimes), Cell(r.Organizations), r.PopulationTypes,
                Cell(r.PopulationPersonTimes), HourTotals.ToHours(r.Minutes), r.MoneyYuan, null, null, null, null))
            .Concat(parsed.Media.Select(m => new TypedInRowRequest(true, m.Name, null, null, null, null, null, null, Cell(m.PrintReports), Cell(m.WebsiteReports),
                string.Join("\n", m.Links), Cell(m.Reads))))
            .ToList();
        if (!errors.Any && rows.Count == 0)
        {
            errors.Add("file", text["Reports.Error.NoRows"]);
        }
        return errors.Any
            ? await ChangeAsync(principal, campaignId, unitCode, periodNumber, null, errors, (_, _) => Task.FromResult<string?>(null), cancellationToken)
            : await AddTypedInRowsAsync(principal, campaignId, unitCode, periodNumber, rows, cancellationToken);
    }

    /// <summary>Final summary only: the narrative, news links and role-model stories.</summary>
    public Task<Outcome<ReportView>> SaveSummaryAsync(ClaimsPrincipal principal, Guid campaignId, string unitCode, SummaryRequest request,
        CancellationToken cancellationToken = default)
    {
        var errors = new FieldErrors();
        var narrative = (request.Narrative ?? "").Trim();
        var stories = (request.RoleModelStories ?? "").Trim();
        var links = ReportCalculator.SplitLinks(request.NewsLinks ?? "");
        if (narrative.Length > CampaignReport.NarrativeMaxLength)
        {
            errors.Add("narrative", text["Validation.TooLong", text["Reports.Field.Narrative"], CampaignReport.NarrativeMaxLength]);
        }
        if (stories.Length > CampaignReport.NarrativeMaxLength)
        {
            errors.Add("roleModelStories", text["Validation.TooLong", text["Reports.Field.Stories"], CampaignReport.NarrativeMaxLength]);
        }
        foreach (var link in links.Where(l => !IsWebLink(l)))
        {
            errors.Add("newsLinks", text["Reports.Error.Link", link]);
        }
        if (string.Join("\n", links).Length > TypedInRow.LinksMaxLength)
        {
            errors.Add("newsLinks", text["Validation.TooLong", text["Reports.Field.NewsLinks"], TypedInRow.LinksMaxLength]);
        }
        return ChangeAsync(principal, campaignId, unitCode, 0, request.Version, errors, (access, report) =>
        {
            report.Narrative = narrative;
            report.RoleModelStories = stories;
            report.NewsLinks = string.Join("\n", links);
            audit.Add("campaign.summary.save", access.Unit.UnitId, Subject(access, 0), $"{narrative.Length} characters, {links.Count} links");
            return Task.FromResult<string?>(null);
        }, cancellationToken);
    }

    public async Task<Outcome<ReportView>> AddScreenshotAsync(ClaimsPrincipal principal, Guid campaignId, string unitCode, byte[] image,
        CancellationToken cancellationToken = default)
    {
        var errors = new FieldErrors();
        var (photo, errorKey) = await PhotoUpload.CleanAsync(image, cancellationToken);
        if (photo is null)
        {
            errors.Add("screenshot", text[errorKey!, PhotoUpload.MaxBytes / 1024 / 1024]);
        }
        return await ChangeAsync(principal, campaignId, unitCode, 0, null, errors, async (access, report) =>
        {
            if (await db.SummaryScreenshots.CountAsync(s => s.ReportId == report.Id, cancellationToken) >= 20)
            {
                return text["Reports.Error.TooManyScreenshots", 20];
            }
            db.SummaryScreenshots.Add(new SummaryScreenshot
            {
                ReportId = report.Id, ContentType = photo!.ContentType, Content = photo.Content, Width = photo.Width, Height = photo.Height,
                UploadedAtUtc = time.GetUtcNow().UtcDateTime,
            });
            audit.Add("campaign.summary.screenshot", access.Unit.UnitId, Subject(access, 0), $"{photo.Width}×{photo.Height}");
            return null;
        }, cancellationToken);
    }

    public async Task<SummaryScreenshot?> ScreenshotAsync(ClaimsPrincipal principal, Guid id, CancellationToken cancellationToken = default)
    {
        var shot = await db.SummaryScreenshots.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id, cancellationToken);
        if (shot is null)
        {
            return null;
        }
        var scope = await UnitScope.ForAsync(principal, db, cancellationToken);
        var visible = scope is not null && await db.CampaignReports.AnyAsync(r => r.Id == shot.ReportId
            && db.Units.Any(u => u.Id == r.UnitId && u.Path.StartsWith(scope.RootPath)), cancellationToken);
        return visible ? shot : null;
    }

    /// <summary>Freezes the computed table (with time and computation version) and hands the report to the unit above.</summary>
    public async Task<Outcome<ReportView>> SubmitAsync(ClaimsPrincipal principal, Guid campaignId, string unitCode, int periodNumber, SubmitRequest request,
        CancellationToken cancellationToken = default)
    {
        var errors = new FieldErrors();
        var contactName = (request.ContactName ?? "").Trim();
        var contactPhone = (request.ContactPhone ?? "").Trim();
        if (contactName.Length is 0 or > Campaign.ContactMaxLength)
        {
            errors.Add("contactName", contactName.Length == 0 ? text["Validation.Required", text["Reports.Field.ContactName"]] : text["Validation.TooLong", text["Reports.Field.ContactName"], Campaign.ContactMaxLength]);
        }
        if (contactPhone.Length is 0 or > 20 || !contactPhone.All(c => char.IsAsciiDigit(c) || c is '-' or '+' or ' '))
        {
            errors.Add("contactPhone", text["Reports.Error.Phone"]);
        }
        var submitted = await ChangeAsync(principal, campaignId, unitCode, periodNumber, request.Version, errors, async (access, report) =>
        {
            var now = time.GetUtcNow().UtcDateTime;
            if (ChinaTime.Today(time) < access.From)
            {
                return text["Reports.Error.NotStarted", access.From.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)];
            }
            report.ContactName = contactName;
            report.ContactPhone = contactPhone;
            var (table, basis) = await calculator.ComputeWithBasisAsync(Scope(access), access.Unit.Name, access.Campaign.TableTitle, report.ContactName, report.ContactPhone, cancellationToken);
            report.FrozenTable = JsonSerializer.Serialize(table, FrozenJson);
            report.FrozenBasis = JsonSerializer.Serialize(basis, FrozenJson);
            report.FrozenAtUtc = now;
            report.ComputationVersion = ReportCalculator.ComputationVersion;
            report.Status = ReportStatus.Submitted;
            report.SubmittedAtUtc = now;
            report.FirstSubmittedAtUtc ??= now;
            audit.Add("campaign.report.submit", access.Unit.UnitId, Subject(access, periodNumber),
                $"person-times {table.ActivityTotal.PersonTimes}, organisations {table.ActivityTotal.Organizations}, hours {HourUseCases.FormatHours(table.ActivityTotal.Minutes)}, " +
                $"yuan {table.ActivityTotal.MoneyYuan}, rows {table.Activities.Count}" + (now > access.DueAtUtc ? ", late" : ""));
            return null;
        }, cancellationToken, editing: false, allowed: [ReportStatus.Draft, ReportStatus.Returned]);
        if (submitted.Succeeded)
        {
            PlatformMetrics.ReportSubmissions.Add(1);
        }
        return submitted;
    }

    public Task<Outcome<ReportView>> ReturnAsync(ClaimsPrincipal principal, Guid campaignId, string unitCode, int periodNumber, ReviewCommentRequest request,
        CancellationToken cancellationToken = default)
    {
        var errors = new FieldErrors();
        var comment = CommentOf(request, errors);
        return ReviewAsync(principal, campaignId, unitCode, periodNumber, request.Version, errors, [ReportStatus.Submitted], async (access, report) =>
        {
            report.Status = ReportStatus.Returned;
            report.ReviewComment = comment;
            audit.Add("campaign.report.return", access.Unit.UnitId, Subject(access, periodNumber), comment);
            await EventMessages.ReportAsync(db, MessageKind.ReportReturned, access.Campaign.Id, access.Unit.UnitId, periodNumber, comment, time.GetUtcNow().UtcDateTime, cancellationToken);
            return null;
        }, cancellationToken);
    }

    /// <summary>
    /// The unit takes its submission back (撤回) while no reviewer has acted on it: the report is
    /// editable again and its frozen table is dropped. A first submission withdrawn counts as never
    /// made (timeliness is decided by the next one); a resubmission withdrawn goes back to "returned"
    /// with the reviewer's comment, keeping the first submission's timeliness. Once a reviewer has
    /// returned, approved or waived it, the answer is a clear refusal.
    /// </summary>
    public Task<Outcome<ReportView>> WithdrawAsync(ClaimsPrincipal principal, Guid campaignId, string unitCode, int periodNumber, WithdrawRequest request,
        CancellationToken cancellationToken = default) =>
        ChangeAsync(principal, campaignId, unitCode, periodNumber, request.Version, new FieldErrors(), (access, report) =>
        {
            if (!access.IsOwnUnit)
            {
                return Task.FromResult<string?>(text["Reports.Error.WithdrawOwn", access.Unit.Name]);
            }
            if (report.Status != ReportStatus.Submitted)
            {
                return Task.FromResult<string?>(report.Status is ReportStatus.Draft or ReportStatus.Returned && report.SubmittedAtUtc is null
                    ? text["Reports.Error.NothingToWithdraw"]
                    : text["Reports.Error.AlreadyReviewed", text[$"Reports.Status.{report.Status}"]]);
            }
            var wasReviewed = report.ReviewedAtUtc is not null;
            report.Status = wasReviewed ? ReportStatus.Returned : ReportStatus.Draft;
            if (!wasReviewed)
            {
                report.FirstSubmittedAtUtc = null;
            }
            report.SubmittedAtUtc = null;
            report.FrozenTable = null;
            report.FrozenBasis = null;
            report.FrozenAtUtc = null;
            report.ComputationVersion = null;
            audit.Add("campaign.report.withdraw", access.Unit.UnitId, Subject(access, periodNumber), wasReviewed ? "back to returned" : "back to draft");
            return Task.FromResult<string?>(null);
        }, cancellationToken, editing: false, allowed: Enum.GetValues<ReportStatus>());

    /// <summary>Approves and locks; a unit with expected sub-units needs each of theirs approved or waived first. The unit gets a receipt by email.</summary>
    public Task<Outcome<ReportView>> ApproveAsync(ClaimsPrincipal principal, Guid campaignId, string unitCode, int periodNumber, ReviewCommentRequest request,
        CancellationToken cancellationToken = default) =>
        ReviewAsync(principal, campaignId, unitCode, periodNumber, request.Version, new FieldErrors(), [ReportStatus.Submitted], async (access, report) =>
        {
            var pending = await SubUnitsNotApprovedAsync(access, periodNumber, cancellationToken);
            if (pending.Count > 0)
            {
                return text["Reports.Error.SubUnitsPending", string.Join("、", pending)];
            }
            report.Status = ReportStatus.Approved;
            report.ReviewComment = string.IsNullOrWhiteSpace(request.Comment) ? null : request.Comment.Trim()[..Math.Min(request.Comment.Trim().Length, CampaignReport.CommentMaxLength)];
            db.CampaignNotices.Add(new CampaignNotice
            {
                CampaignId = access.Campaign.Id, UnitId = access.Unit.UnitId, PeriodNumber = periodNumber, Kind = NoticeKind.Receipt,
                CreatedAtUtc = time.GetUtcNow().UtcDateTime,
            });
            audit.Add("campaign.report.approve", access.Unit.UnitId, Subject(access, periodNumber), report.ReviewComment ?? "");
            await EventMessages.ReportAsync(db, MessageKind.ReportApproved, access.Campaign.Id, access.Unit.UnitId, periodNumber, report.ReviewComment, time.GetUtcNow().UtcDateTime, cancellationToken);
            return null;
        }, cancellationToken);

    /// <summary>Excuses a unit from one report, with a reason; its parent can then be approved without it.</summary>
    public Task<Outcome<ReportView>> WaiveAsync(ClaimsPrincipal principal, Guid campaignId, string unitCode, int periodNumber, ReviewCommentRequest request,
        CancellationToken cancellationToken = default)
    {
        var errors = new FieldErrors();
        var comment = CommentOf(request, errors);
        return ReviewAsync(principal, campaignId, unitCode, periodNumber, request.Version, errors, [ReportStatus.Draft, ReportStatus.Returned], (access, report) =>
        {
            report.Status = ReportStatus.Waived;
            report.ReviewComment = comment;
            audit.Add("campaign.report.waive", access.Unit.UnitId, Subject(access, periodNumber), comment);
            return Task.FromResult<string?>(null);
        }, cancellationToken);
    }

    /// <summary>The city reopens an approved or waived report: it goes back to the unit as returned, with the reason.</summary>
    public async Task<Outcome<ReportView>> ReopenAsync(ClaimsPrincipal principal, Guid campaignId, string unitCode, int periodNumber, ReviewCommentRequest request,
        CancellationToken cancellationToken = default)
    {
        var errors = new FieldErrors();
        var comment = CommentOf(request, errors);
        var access = await AccessAsync(principal, campaignId, unitCode, periodNumber, cancellationToken);
        if (access.Succeeded && !access.Value!.IsCity)
        {
            return Outcome<ReportView>.NotFound();
        }
        return await ReviewAsync(principal, campaignId, unitCode, periodNumber, request.Version, errors, [ReportStatus.Approved, ReportStatus.Waived], async (a, report) =>
        {
            report.Status = ReportStatus.Returned;
            report.ReviewComment = comment;
            audit.Add("campaign.report.reopen", a.Unit.UnitId, Subject(a, periodNumber), comment);
            await EventMessages.ReportAsync(db, MessageKind.ReportReopened, a.Campaign.Id, a.Unit.UnitId, periodNumber, comment, time.GetUtcNow().UtcDateTime, cancellationToken);
            return null;
        }, cancellationToken);
    }

    string CommentOf(ReviewCommentRequest request, FieldErrors errors)
    {
        var comment = (request.Comment ?? "").Trim();
        if (comment.Length is 0 or > CampaignReport.CommentMaxLength)
        {
            errors.Add("comment", comment.Length == 0 ? text["Validation.Required", text["Reports.Field.Comment"]] : text["Validation.TooLong", text["Reports.Field.Comment"], CampaignReport.CommentMaxLength]);
        }
        return comment;
    }

    Task<Outcome<ReportView>> ReviewAsync(ClaimsPrincipal principal, Guid campaignId, string unitCode, int periodNumber, int? version, FieldErrors errors,
        ReportStatus[] allowed, Func<Access, CampaignReport, Task<string?>> change, CancellationToken cancellationToken) =>
        ChangeAsync(principal, campaignId, unitCode, periodNumber, version, errors, change, cancellationToken, editing: false, allowed: allowed, review: true);

    /// <summary>
    /// The one path every change takes: access, then the report's state, then the change, then one
    /// save. A failed check or a lost race leaves nothing saved. <paramref name="change"/> returns an
    /// error sentence, or null when it made its change.
    /// </summary>
    async Task<Outcome<ReportView>> ChangeAsync(ClaimsPrincipal principal, Guid campaignId, string unitCode, int periodNumber, int? version, FieldErrors errors,
        Func<Access, CampaignReport, Task<string?>> change, CancellationToken cancellationToken,
        bool editing = true, ReportStatus[]? allowed = null, bool review = false)
    {
        var found = await AccessAsync(principal, campaignId, unitCode, periodNumber, cancellationToken);
        if (!found.Succeeded)
        {
            return Forward<ReportView>(found);
        }
        var access = found.Value!;
        if (!access.IsExpected)
        {
            // Reading the table is for every unit of the tree; reporting is for the expected units.
            return Outcome<ReportView>.Invalid("report", text["Reports.Error.NotExpected", access.Unit.Name]);
        }
        if (review && !access.IsReviewer)
        {
            return Outcome<ReportView>.NotFound();
        }
        if (errors.Any)
        {
            return Outcome<ReportView>.Invalid(errors);
        }
        // One change at a time per report: the report's row is locked (PostgreSQL; SQLite serialises
        // write transactions) before it is read, so changes made from two screens at once — twenty
        // typed-in rows, say — all land, one after the other, and a stale page (an expected version
        // that is no longer current) still saves nothing. Only the very first change of a report can
        // meet another creating it; that one is tried again.
        for (var attempt = 1; ; attempt++)
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var existingId = await db.CampaignReports.Where(r => r.CampaignId == campaignId && r.UnitId == access.Unit.UnitId && r.PeriodNumber == periodNumber)
                .Select(r => (Guid?)r.Id).SingleOrDefaultAsync(cancellationToken);
            if (existingId is { } id)
            {
                await db.LockRowAsync(RowLocks.Table.CampaignReports, id, cancellationToken);
            }
            var report = await db.CampaignReports.SingleOrDefaultAsync(r => r.CampaignId == campaignId && r.UnitId == access.Unit.UnitId && r.PeriodNumber == periodNumber, cancellationToken);
            if (report is null)
            {
                report = new CampaignReport { CampaignId = campaignId, UnitId = access.Unit.UnitId, PeriodNumber = periodNumber, Status = ReportStatus.Draft };
                db.CampaignReports.Add(report);
            }
            if (version is { } expected && expected != report.Version)
            {
                return Outcome<ReportView>.Invalid("report", text["Reports.Error.Changed"]);
            }
            var permitted = allowed ?? [ReportStatus.Draft, ReportStatus.Returned];
            if (!permitted.Contains(report.Status))
            {
                return Outcome<ReportView>.Invalid("report", text[editing ? "Reports.Error.Locked" : "Reports.Error.State", text[$"Reports.Status.{report.Status}"]]);
            }
            if (await change(access, report) is { } error)
            {
                return Outcome<ReportView>.Invalid("report", error);
            }
            report.UpdatedAtUtc = time.GetUtcNow().UtcDateTime;
            report.Version++;
            if (review)
            {
                report.ReviewedAtUtc = report.UpdatedAtUtc;
                report.ReviewedBy = audit.ActorName;
            }
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
            }
            catch (DbUpdateException) when (existingId is null && attempt < 3)
            {
                // Someone else created the same report first: read it and try again.
                db.ChangeTracker.Clear();
                continue;
            }
            catch (DbUpdateException)
            {
                // Someone else changed the same report first: theirs stands, nothing of ours is kept.
                db.ChangeTracker.Clear();
                return Outcome<ReportView>.Invalid("report", text["Reports.Error.Changed"]);
            }
            db.ChangeTracker.Clear();
            return Outcome<ReportView>.Ok(await ViewAsync(access, periodNumber, cancellationToken));
        }
    }

    TypedInRow? ValidateRow(TypedInRowRequest request, FieldErrors errors, string prefix)
    {
        var name = (request.Name ?? "").Trim();
        if (name.Length is 0 or > TypedInRow.NameMaxLength)
        {
            errors.Add(prefix + "name", name.Length == 0 ? text["Validation.Required", text["Reports.Field.Name"]] : text["Validation.TooLong", text["Reports.Field.Name"], TypedInRow.NameMaxLength]);
        }
        int Count(int? value, string field)
        {
            if (value is < 0 or > 100_000_000)
            {
                errors.Add(prefix + field, text["Reports.Error.Count", text[$"Reports.Field.{field}"]]);
            }
            return value ?? 0;
        }
        var populationTypes = (request.PopulationTypes ?? "").Trim();
        if (populationTypes.Length > TypedInRow.NameMaxLength)
        {
            errors.Add(prefix + "populationTypes", text["Validation.TooLong", text["Reports.Field.populationTypes"], TypedInRow.NameMaxLength]);
        }
        if (request.Hours is < 0 or > 10_000_000 || (request.Hours is { } h && decimal.Round(h, 2) != h))
        {
            errors.Add(prefix + "hours", text["Reports.Error.Hours"]);
        }
        if (request.MoneyYuan is < 0 or > 1_000_000_000_000m || (request.MoneyYuan is { } m && decimal.Round(m, 2) != m))
        {
            errors.Add(prefix + "moneyYuan", text["Outcome.Error.Money"]);
        }
        var links = ReportCalculator.SplitLinks(request.Links ?? "");
        foreach (var link in links.Where(l => !IsWebLink(l)))
        {
            errors.Add(prefix + "links", text["Reports.Error.Link", link]);
        }
        var row = new TypedInRow
        {
            IsMedia = request.IsMedia,
            Name = name,
            PersonTimes = Count(request.PersonTimes, "personTimes"),
            Organizations = Count(request.Organizations, "organizations"),
            PopulationTypes = populationTypes,
            PopulationPersonTimes = Count(request.PopulationPersonTimes, "populationPersonTimes"),
            Minutes = (int)Math.Round((request.Hours ?? 0) * 60),
            MoneyYuan = request.MoneyYuan ?? 0,
            PrintReports = Count(request.PrintReports, "printReports"),
            WebsiteReports = Count(request.WebsiteReports, "websiteReports"),
            Links = string.Join("\n", links),
            Reads = Count(request.Reads, "reads"),
        };
        if (row.Links.Length > TypedInRow.LinksMaxLength)
        {
            errors.Add(prefix + "links", text["Validation.TooLong", text["Reports.Field.links"], TypedInRow.LinksMaxLength]);
        }
        return errors.Any ? null : row;
    }

    static bool IsWebLink(string link) =>
        link.Length <= 1000 && Uri.TryCreate(link, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    Task<CampaignReport?> FindAsync(Access access, int periodNumber, CancellationToken cancellationToken) =>
        db.CampaignReports.AsNoTracking().SingleOrDefaultAsync(r => r.CampaignId == access.Campaign.Id && r.UnitId == access.Unit.UnitId && r.PeriodNumber == periodNumber, cancellationToken);

    static TableScope Scope(Access access) => new(access.Campaign.Id, access.LivePath, access.From, access.To, access.PeriodNumbers);

    Task<ReportTable> ComputeAsync(Access access, CampaignReport? report, CancellationToken cancellationToken) =>
        calculator.ComputeAsync(Scope(access), access.Unit.Name, access.Campaign.TableTitle, report?.ContactName ?? "", report?.ContactPhone ?? "", cancellationToken);

    /// <summary>
    /// The as-of check of a frozen table: recomputed from the records as they stood at its freezing time (the ledger entries
    /// recorded by then, the outcome and typed-in versions current then, the activities' details frozen with it) and compared
    /// cell by cell. Recomputed every time, never assumed.
    /// </summary>
    internal async Task<AsOfCheck> AsOfAsync(TableScope scope, CampaignReport report, ReportTable frozen, CancellationToken cancellationToken)
    {
        var basis = report.FrozenBasis is { } json ? JsonSerializer.Deserialize<ReportBasis>(json, FrozenJson) : null;
        var asOf = await calculator.ComputeAsync(scope with { AsOfUtc = report.FrozenAtUtc, Basis = basis }, frozen.UnitName, frozen.Title, frozen.ContactName, frozen.ContactPhone,
            cancellationToken);
        var differences = AsOfVerification.Compare(frozen, asOf, key => text[$"Reports.AsOf.Column.{key}"]);
        return new AsOfCheck(report.FrozenAtUtc!.Value, differences.Count == 0, differences, AsOfVerification.Sha256(frozen), AsOfVerification.Sha256(asOf), basis is not null);
    }

    internal static ReportTable? Frozen(CampaignReport? report) =>
        report?.FrozenTable is { } json && report.Status is ReportStatus.Submitted or ReportStatus.Approved ? JsonSerializer.Deserialize<ReportTable>(json, FrozenJson) : null;

    async Task<List<string>> SubUnitsNotApprovedAsync(Access access, int periodNumber, CancellationToken cancellationToken)
    {
        var done = new[] { ReportStatus.Approved, ReportStatus.Waived };
        return await db.CampaignUnits.AsNoTracking()
            .Where(u => u.CampaignId == access.Campaign.Id && u.ParentUnitId == access.Unit.UnitId && (u.AddedAtUtc == null || u.AddedAtUtc < access.DueAtUtc)
                        && !db.CampaignReports.Any(r => r.CampaignId == u.CampaignId && r.UnitId == u.UnitId && r.PeriodNumber == periodNumber && done.Contains(r.Status)))
            .OrderBy(u => u.SortOrder).Select(u => u.Name).ToListAsync(cancellationToken);
    }

    async Task<ReportView> ViewAsync(Access access, int periodNumber, CancellationToken cancellationToken)
    {
        var report = await FindAsync(access, periodNumber, cancellationToken);
        var frozen = Frozen(report);
        var live = await ComputeAsync(access, report, cancellationToken);
        var rows = report is null ? [] : await db.TypedInRows.AsNoTracking().Where(t => t.ReportId == report.Id && t.SupersededAtUtc == null).OrderBy(t => t.CreatedAtUtc).ThenBy(t => t.Id)
            .Select(t => new TypedInRowView(t.Id, t.IsMedia, t.Name, t.PersonTimes, t.Organizations, t.PopulationTypes, t.PopulationPersonTimes, t.Minutes, t.MoneyYuan,
                t.PrintReports, t.WebsiteReports, t.Links, t.Reads)).ToListAsync(cancellationToken);
        var screenshots = report is null ? [] : await db.SummaryScreenshots.Where(s => s.ReportId == report.Id).OrderBy(s => s.UploadedAtUtc).Select(s => s.Id).ToListAsync(cancellationToken);
        var status = report?.Status;
        var editable = access.IsExpected && status is null or ReportStatus.Draft or ReportStatus.Returned;
        var below = await db.Units.AsNoTracking().Where(u => u.ParentId == access.Unit.UnitId && u.IsActive).OrderBy(u => u.SortOrder).ThenBy(u => u.Code).Take(200)
            .Select(u => new UnitBelow(u.Code, u.Name, db.CampaignUnits.Any(c => c.CampaignId == access.Campaign.Id && c.UnitId == u.Id)))
            .ToListAsync(cancellationToken);
        return new ReportView(access.Campaign.Id, access.Campaign.Name, access.Unit.Code, access.Unit.Name, periodNumber, access.From, access.To, access.DueAtUtc,
            status, report?.FirstSubmittedAtUtc is { } first ? first <= access.DueAtUtc : null, report?.FirstSubmittedAtUtc, report?.SubmittedAtUtc,
            report?.FrozenAtUtc, report?.ComputationVersion, report?.ReviewComment, report?.ReviewedAtUtc, await Signatures.OfAsync(db, report?.ReviewedBy, cancellationToken),
            frozen ?? live, frozen is not null, frozen is null ? [] : Differences(frozen, live), rows,
            report?.Narrative ?? "", report?.NewsLinks ?? "", report?.RoleModelStories ?? "", screenshots,
            await SubUnitsNotApprovedAsync(access, periodNumber, cancellationToken), report?.Version ?? 0,
            CanEdit: editable, CanReview: access.IsReviewer && status is ReportStatus.Submitted, CanWaive: access.IsReviewer && editable, CanReopen: access.IsCity && status is ReportStatus.Approved or ReportStatus.Waived,
            access.IsExpected, CanWithdraw: access.IsOwnUnit && status is ReportStatus.Submitted, report?.ContactName ?? "", report?.ContactPhone ?? "", below,
            frozen is null ? null : await AsOfAsync(Scope(access), report!, frozen, cancellationToken));
    }

    List<FigureDifference> Differences(ReportTable submitted, ReportTable live)
    {
        var pairs = new (string Key, string Submitted, string Live)[]
        {
            ("Reports.Figure.PersonTimes", submitted.ActivityTotal.PersonTimes.ToString(CultureInfo.InvariantCulture), live.ActivityTotal.PersonTimes.ToString(CultureInfo.InvariantCulture)),
            ("Reports.Figure.Organizations", submitted.ActivityTotal.Organizations.ToString(CultureInfo.InvariantCulture), live.ActivityTotal.Organizations.ToString(CultureInfo.InvariantCulture)),
            ("Reports.Figure.PopulationPersonTimes", submitted.ActivityTotal.PopulationPersonTimes.ToString(CultureInfo.InvariantCulture), live.ActivityTotal.PopulationPersonTimes.ToString(CultureInfo.InvariantCulture)),
            ("Reports.Figure.Hours", HourUseCases.FormatHours(submitted.ActivityTotal.Minutes), HourUseCases.FormatHours(live.ActivityTotal.Minutes)),
            ("Reports.Figure.Money", submitted.ActivityTotal.MoneyYuan.ToString("0.00", CultureInfo.InvariantCulture), live.ActivityTotal.MoneyYuan.ToString("0.00", CultureInfo.InvariantCulture)),
            ("Reports.Figure.Reads", submitted.MediaTotal.Reads.ToString(CultureInfo.InvariantCulture), live.MediaTotal.Reads.ToString(CultureInfo.InvariantCulture)),
            ("Reports.Rows", submitted.Activities.Count.ToString(CultureInfo.InvariantCulture), live.Activities.Count.ToString(CultureInfo.InvariantCulture)),
        };
        return pairs.Where(p => p.Submitted != p.Live).Select(p => new FigureDifference(text[p.Key], p.Submitted, p.Live)).ToList();
    }

    static string Subject(Access access, int periodNumber) =>
        $"{access.Campaign.Name} · {access.Unit.Name} · " + (periodNumber == 0 ? "final summary" : $"period {periodNumber}");

    static Outcome<T> Forward<T>(Outcome<Access> failed) =>
        failed.IsNotFound ? Outcome<T>.NotFound() : Outcome<T>.Invalid(ToFieldErrors(failed.Errors!));

    static FieldErrors ToFieldErrors(IReadOnlyDictionary<string, string[]> errors)
    {
        var result = new FieldErrors();
        foreach (var (field, messages) in errors)
        {
            foreach (var message in messages)
            {
                result.Add(field, message);
            }
        }
        return result;
    }
}
