using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Audit;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Infrastructure;
using Zhiyuan.Web.Units;

namespace Zhiyuan.Web.Campaigns;

public sealed record CreateCampaignRequest(string? Name, string? Theme, DateOnly? StartDate, DateOnly? EndDate, DayOfWeek? DueDay, int? DueHour,
    DateOnly? FinalDueDate, int? ReportingDepth, int? ReminderHoursBefore, string? ContactName, string? ContactPhone);

public sealed record PeriodView(int Number, DateOnly StartDate, DateOnly EndDate, DateTime DueAtUtc);

public sealed record CampaignView(Guid Id, string Name, string Theme, string RootUnitCode, string RootUnitName, DateOnly StartDate, DateOnly EndDate,
    DayOfWeek DueDay, int DueHour, DateOnly FinalDueDate, DateTime FinalDueAtUtc, int ReportingDepth, int ReminderHoursBefore, string ContactName, string ContactPhone,
    int ExpectedUnits, List<PeriodView> Periods)
{
    public string TableTitle => Name + "活动开展情况统计表";

    /// <summary>The period (or 0 for the final summary) a China date falls in; the last period once the window is over.</summary>
    public int PeriodOn(DateOnly day) => Periods.FirstOrDefault(p => p.StartDate <= day && day <= p.EndDate)?.Number ?? (day < StartDate ? 1 : Periods[^1].Number);
}

/// <param name="Expected">False for a period due before the unit was added to the campaign: it counts nowhere.</param>
public sealed record CompletenessCell(int PeriodNumber, ReportStatus? Status, bool? OnTime, bool Overdue, bool Expected = true);

/// <param name="AddedAtUtc">When the city added the unit after the campaign opened; null for the opening snapshot.</param>
public sealed record CompletenessRow(string UnitCode, string UnitName, int Depth, List<CompletenessCell> Cells, DateTime? AddedAtUtc = null);

public sealed record AddUnitRequest(string? UnitCode);

/// <summary>A unit added to an open campaign's expected list, and the periods (0: the final summary) it is expected for: those due after it was added.</summary>
public sealed record AddedUnitView(string UnitCode, string UnitName, string ParentUnitCode, DateTime AddedAtUtc, List<int> ExpectedPeriods);

/// <summary>A unit of the campaign's tree, for a link to its table.</summary>
public sealed record TreeUnit(string Code, string Name, bool IsExpected);

/// <param name="Expected">Units expected, waived ones left out.</param>
public sealed record CompletenessRate(int PeriodNumber, int Expected, int Reported, int OnTime);

public sealed record CompletenessView(Guid CampaignId, string UnitCode, string UnitName, List<PeriodView> Periods, List<CompletenessRow> Rows,
    List<CompletenessRate> Rates, CompletenessRate Overall);

/// <summary>Campaigns (C6): opening one with its periods and the snapshot of expected units; the completeness grid.</summary>
public sealed class CampaignUseCases(AppDbContext db, AuditLog audit, IStringLocalizer<SharedResource> text, TimeProvider time)
{
    /// <summary>A city administrator opens a campaign run from their own unit; the units expected to report are fixed now.</summary>
    public async Task<Outcome<CampaignView>> CreateAsync(ClaimsPrincipal principal, CreateCampaignRequest request, CancellationToken cancellationToken = default)
    {
        var scope = await UnitScope.ForAsync(principal, db, cancellationToken);
        if (scope is null || !principal.IsInRole(Roles.CityAdmin))
        {
            return Outcome<CampaignView>.NotFound();
        }
        var errors = new FieldErrors();
        var name = (request.Name ?? "").Trim();
        if (name.Length is 0 or > Campaign.NameMaxLength)
        {
            errors.Add("name", name.Length == 0 ? text["Validation.Required", text["Campaigns.Field.Name"]] : text["Validation.TooLong", text["Campaigns.Field.Name"], Campaign.NameMaxLength]);
        }
        else if (await db.Campaigns.AnyAsync(c => c.Name == name, cancellationToken))
        {
            errors.Add("name", text["Campaigns.Error.NameTaken", name]);
        }
        var theme = (request.Theme ?? "").Trim();
        if (theme.Length > Campaign.NameMaxLength)
        {
            errors.Add("theme", text["Validation.TooLong", text["Campaigns.Field.Theme"], Campaign.NameMaxLength]);
        }
        if (request.StartDate is null)
        {
            errors.Add("startDate", text["Validation.Required", text["Campaigns.Field.StartDate"]]);
        }
        if (request.EndDate is null)
        {
            errors.Add("endDate", text["Validation.Required", text["Campaigns.Field.EndDate"]]);
        }
        else if (request.StartDate is { } s && (request.EndDate < s || request.EndDate > s.AddDays(366)))
        {
            errors.Add("endDate", text["Campaigns.Error.Window"]);
        }
        var finalDue = request.FinalDueDate ?? request.EndDate?.AddDays(3);
        if (request.EndDate is { } e && finalDue <= e)
        {
            errors.Add("finalDueDate", text["Campaigns.Error.FinalDue"]);
        }
        // The JSON and form readers refuse these already; the use case holds the rule itself for any other caller.
        foreach (var (field, day) in new[] { ("startDate", request.StartDate), ("endDate", request.EndDate), ("finalDueDate", request.FinalDueDate) })
        {
            if (day is { } d && !InputRules.InRange(d))
            {
                errors.Add(field, text["Validation.DateRange", "2000-01-01 – 2100-12-31"]);
            }
        }
        if (request.DueDay is { } dueDay && !Enum.IsDefined(dueDay))
        {
            errors.Add("dueDay", text["Validation.Enum", string.Join(", ", Enum.GetNames<DayOfWeek>())]);
        }
        var dueHour = request.DueHour ?? 0;
        if (dueHour is < 0 or > 23)
        {
            errors.Add("dueHour", text["Campaigns.Error.DueHour"]);
        }
        var depth = request.ReportingDepth ?? 1;
        if (depth is < 0 or > 5)
        {
            errors.Add("reportingDepth", text["Campaigns.Error.Depth"]);
        }
        var reminderHours = request.ReminderHoursBefore ?? 24;
        if (reminderHours is < 1 or > 168)
        {
            errors.Add("reminderHoursBefore", text["Campaigns.Error.ReminderHours"]);
        }
        var contactName = (request.ContactName ?? "").Trim();
        var contactPhone = (request.ContactPhone ?? "").Trim();
        if (contactName.Length > Campaign.ContactMaxLength || contactPhone.Length > Campaign.ContactMaxLength)
        {
            errors.Add("contactName", text["Validation.TooLong", text["Campaigns.Field.Contact"], Campaign.ContactMaxLength]);
        }
        if (errors.Any)
        {
            return Outcome<CampaignView>.Invalid(errors);
        }
        var campaign = await OpenAsync(scope.RootId, name, theme, request.StartDate!.Value, request.EndDate!.Value, request.DueDay ?? DayOfWeek.Friday, dueHour,
            finalDue!.Value, depth, reminderHours, contactName, contactPhone, audit.ActorName, cancellationToken);
        audit.Add("campaign.open", scope.RootId, name, $"{campaign.StartDate:yyyy-MM-dd}…{campaign.EndDate:yyyy-MM-dd}, {campaign.Periods.Count} periods, {campaign.Units.Count} units");
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<CampaignView>.Ok((await GetAsync(campaign.Id, cancellationToken))!);
    }

    /// <summary>Builds the campaign with its periods and the snapshot of expected units; the caller saves it.</summary>
    internal async Task<Campaign> OpenAsync(Guid rootUnitId, string name, string theme, DateOnly start, DateOnly end, DayOfWeek dueDay, int dueHour, DateOnly finalDue,
        int depth, int reminderHours, string contactName, string contactPhone, string openedBy, CancellationToken cancellationToken)
    {
        var root = await db.Units.AsNoTracking().SingleAsync(u => u.Id == rootUnitId, cancellationToken);
        var units = await db.Units.AsNoTracking()
            .Where(u => u.Path.StartsWith(root.Path) && u.IsActive && u.Depth <= root.Depth + depth)
            .OrderBy(u => u.Depth).ThenBy(u => u.SortOrder).ThenBy(u => u.Code)
            .ToListAsync(cancellationToken);
        var campaign = new Campaign
        {
            Name = name,
            Theme = theme,
            RootUnitId = root.Id,
            StartDate = start,
            EndDate = end,
            DueDay = dueDay,
            DueHour = dueHour,
            FinalDueDate = finalDue,
            ReportingDepth = depth,
            ReminderHoursBefore = reminderHours,
            ContactName = contactName,
            ContactPhone = contactPhone,
            OpenedAtUtc = time.GetUtcNow().UtcDateTime,
            OpenedBy = openedBy,
            Periods = CampaignCalendar.Periods(start, end, dueDay, dueHour, finalDue),
        };
        campaign.Units = units.Select((u, i) => new CampaignUnit
        {
            UnitId = u.Id,
            ParentUnitId = u.Id == root.Id ? null : u.ParentId,
            Code = u.Code,
            Name = u.Name,
            Type = u.Type,
            Path = u.Path,
            SortOrder = i,
        }).ToList();
        db.Campaigns.Add(campaign);
        return campaign;
    }

    /// <summary>
    /// The city adds a unit to an open campaign's expected list — a unit created after the campaign
    /// opened, or one below the reporting depth. It is expected for the periods, and the final
    /// summary, whose due time is after this moment (docs/reporting.md, "Who is expected to report");
    /// the expected units' primary key keeps it to one addition however often it is asked for.
    /// </summary>
    public async Task<Outcome<AddedUnitView>> AddUnitAsync(ClaimsPrincipal principal, Guid campaignId, AddUnitRequest request, CancellationToken cancellationToken = default)
    {
        var scope = await UnitScope.ForAsync(principal, db, cancellationToken);
        var campaign = await GetAsync(campaignId, cancellationToken);
        if (scope is null || campaign is null || !principal.IsInRole(Roles.CityAdmin))
        {
            return Outcome<AddedUnitView>.NotFound();
        }
        var root = await db.Campaigns.Where(c => c.Id == campaignId).Select(c => new { c.RootUnitId, c.RootUnit!.Path }).SingleAsync(cancellationToken);
        if (!root.Path.StartsWith(scope.RootPath, StringComparison.Ordinal))
        {
            return Outcome<AddedUnitView>.NotFound();
        }
        var code = (request.UnitCode ?? "").Trim();
        if (code.Length == 0)
        {
            return Outcome<AddedUnitView>.Invalid("unitCode", text["Validation.Required", text["Campaigns.Field.UnitCode"]]);
        }
        var now = time.GetUtcNow().UtcDateTime;
        if (now >= campaign.FinalDueAtUtc)
        {
            return Outcome<AddedUnitView>.Invalid("campaign", text["Campaigns.Error.Over", ChinaTime.Format(campaign.FinalDueAtUtc)]);
        }
        var unit = code.Length > Unit.CodeMaxLength ? null
            : await db.Units.AsNoTracking().Where(u => u.Code == code && u.Path.StartsWith(root.Path)).SingleOrDefaultAsync(cancellationToken);
        if (unit is null || !unit.IsActive)
        {
            var shown = code.Length > Unit.CodeMaxLength ? code[..Unit.CodeMaxLength] + "…" : code;
            return Outcome<AddedUnitView>.Invalid("unitCode", text["Campaigns.Error.NotInTree", shown, campaign.RootUnitName]);
        }
        var expected = await db.CampaignUnits.AsNoTracking().Where(u => u.CampaignId == campaignId).Select(u => new { u.UnitId, u.Code, u.SortOrder }).ToListAsync(cancellationToken);
        if (expected.Any(u => u.UnitId == unit.Id))
        {
            return Outcome<AddedUnitView>.Invalid("unitCode", text["Campaigns.Error.AlreadyExpected", unit.Name]);
        }
        // Reviewed by the nearest expected unit above it in the tree as it is now (the root at the latest).
        var ancestors = unit.Path.Split('/', StringSplitOptions.RemoveEmptyEntries).SkipLast(1).Select(Guid.Parse).ToList();
        var parent = ancestors.LastOrDefault(a => expected.Any(u => u.UnitId == a));
        var parentId = parent == Guid.Empty ? root.RootUnitId : parent;
        db.CampaignUnits.Add(new CampaignUnit
        {
            CampaignId = campaignId, UnitId = unit.Id, ParentUnitId = parentId, Code = unit.Code, Name = unit.Name, Type = unit.Type, Path = unit.Path,
            SortOrder = expected.Count == 0 ? 0 : expected.Max(u => u.SortOrder) + 1, AddedAtUtc = now,
        });
        var periods = campaign.Periods.Where(p => p.DueAtUtc > now).Select(p => p.Number).Append(0).ToList();
        audit.Add("campaign.unit.add", unit.Id, campaign.Name, $"{unit.Code} {unit.Name}; expected for " + string.Join(", ", periods.Select(p => p == 0 ? "final summary" : $"period {p}")));
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException conflict) when (Conflicts.IsConflict(conflict))
        {
            db.ChangeTracker.Clear();
            if (await db.CampaignUnits.AnyAsync(u => u.CampaignId == campaignId && u.UnitId == unit.Id, cancellationToken))
            {
                // Someone added the same unit a moment ago: it is expected once, as asked.
                return Outcome<AddedUnitView>.Invalid("unitCode", text["Campaigns.Error.AlreadyExpected", unit.Name]);
            }
            throw;
        }
        var parentCode = expected.FirstOrDefault(u => u.UnitId == parentId)?.Code ?? campaign.RootUnitCode;
        return Outcome<AddedUnitView>.Ok(new AddedUnitView(unit.Code, unit.Name, parentCode, now, periods));
    }

    /// <summary>The campaign's tree units a city administrator may add: active, in the tree, not yet expected (at most 500, deepest last).</summary>
    public async Task<List<TreeUnit>> AddableUnitsAsync(ClaimsPrincipal principal, Guid campaignId, CancellationToken cancellationToken = default)
    {
        var scope = await UnitScope.ForAsync(principal, db, cancellationToken);
        var rootPath = await db.Campaigns.Where(c => c.Id == campaignId).Select(c => c.RootUnit!.Path).SingleOrDefaultAsync(cancellationToken);
        if (scope is null || rootPath is null || !principal.IsInRole(Roles.CityAdmin) || !rootPath.StartsWith(scope.RootPath, StringComparison.Ordinal))
        {
            return [];
        }
        return await db.Units.AsNoTracking()
            .Where(u => u.Path.StartsWith(rootPath) && u.IsActive && !db.CampaignUnits.Any(c => c.CampaignId == campaignId && c.UnitId == u.Id))
            .OrderBy(u => u.Depth).ThenBy(u => u.Code).Take(500)
            .Select(u => new TreeUnit(u.Code, u.Name, false)).ToListAsync(cancellationToken);
    }

    /// <summary>
    /// The caller's own unit when it lies in the campaign's tree, expected or not: any unit of the tree
    /// may read its own computed table, while only expected units report.
    /// </summary>
    public async Task<TreeUnit?> OwnTreeUnitAsync(ClaimsPrincipal principal, Guid campaignId, CancellationToken cancellationToken = default)
    {
        var scope = await UnitScope.ForAsync(principal, db, cancellationToken);
        var rootPath = await db.Campaigns.Where(c => c.Id == campaignId).Select(c => c.RootUnit!.Path).SingleOrDefaultAsync(cancellationToken);
        if (scope is null || rootPath is null || !scope.RootPath.StartsWith(rootPath, StringComparison.Ordinal))
        {
            return null;
        }
        return await db.Units.AsNoTracking().Where(u => u.Id == scope.RootId)
            .Select(u => new TreeUnit(u.Code, u.Name, db.CampaignUnits.Any(c => c.CampaignId == campaignId && c.UnitId == u.Id)))
            .SingleOrDefaultAsync(cancellationToken);
    }

    public Task<List<CampaignView>> ListAsync(CancellationToken cancellationToken = default) =>
        Views(db.Campaigns.OrderByDescending(c => c.StartDate)).ToListAsync(cancellationToken);

    public Task<CampaignView?> GetAsync(Guid id, CancellationToken cancellationToken = default) =>
        Views(db.Campaigns.Where(c => c.Id == id)).SingleOrDefaultAsync(cancellationToken);

    static IQueryable<CampaignView> Views(IQueryable<Campaign> campaigns) => campaigns.AsNoTracking().Select(c => new CampaignView(
        c.Id, c.Name, c.Theme, c.RootUnit!.Code, c.RootUnit.Name, c.StartDate, c.EndDate, c.DueDay, c.DueHour, c.FinalDueDate,
        CampaignCalendar.DueAtUtc(c.FinalDueDate, c.DueHour), c.ReportingDepth, c.ReminderHoursBefore, c.ContactName, c.ContactPhone, c.Units.Count,
        c.Periods.OrderBy(p => p.Number).Select(p => new PeriodView(p.Number, p.StartDate, p.EndDate, p.DueAtUtc)).ToList()));

    /// <summary>
    /// The units × periods grid for a unit's part of the snapshot (the caller's own unit when no code
    /// is given), with reporting and on-time rates; the last column is the final summary (period 0).
    /// </summary>
    public async Task<Outcome<CompletenessView>> CompletenessAsync(ClaimsPrincipal principal, Guid campaignId, string? unitCode, CancellationToken cancellationToken = default)
    {
        var scope = await UnitScope.ForAsync(principal, db, cancellationToken);
        var campaign = await GetAsync(campaignId, cancellationToken);
        if (scope is null || campaign is null)
        {
            return Outcome<CompletenessView>.NotFound();
        }
        var top = await ExpectedUnitAsync(scope, campaignId, string.IsNullOrWhiteSpace(unitCode) ? null : unitCode.Trim(), cancellationToken);
        if (top is null)
        {
            return Outcome<CompletenessView>.NotFound();
        }
        var units = await db.CampaignUnits.AsNoTracking().Where(u => u.CampaignId == campaignId && u.Path.StartsWith(top.Path))
            .OrderBy(u => u.SortOrder).ToListAsync(cancellationToken);
        var byCell = await ReportingRates.ReportsAsync(db, campaignId, top.Path, cancellationToken);
        var now = time.GetUtcNow().UtcDateTime;
        var columns = ReportingRates.Columns(campaign);
        var rows = units.Select(u => new CompletenessRow(u.Code, u.Name, u.Path.Count(c => c == '/') - top.Path.Count(c => c == '/'),
            columns.Select(column =>
            {
                if (!u.ExpectedFor(column.DueAtUtc))
                {
                    return new CompletenessCell(column.Number, null, null, false, Expected: false);
                }
                var found = byCell.TryGetValue((u.UnitId, column.Number), out var r);
                var status = found ? r.Status : (ReportStatus?)null;
                var first = found ? r.FirstSubmittedAtUtc : null;
                var onTime = first is { } at ? at <= column.DueAtUtc : (bool?)null;
                return new CompletenessCell(column.Number, status, onTime, first is null && status != ReportStatus.Waived && now > column.DueAtUtc);
            }).ToList(), u.AddedAtUtc)).ToList();
        // The rates by the one shared definition (ReportingRates): submitted or approved, waived left out, the final summary a column too.
        var rates = ReportingRates.Compute(units, columns, byCell);
        var overall = ReportingRates.Overall(rates);
        return Outcome<CompletenessView>.Ok(new CompletenessView(campaignId, top.Code, top.Name, campaign.Periods, rows, rates, overall));
    }

    /// <summary>The caller's own place in the campaign: the first expected unit in their subtree (their own unit, or the root when they are above it).</summary>
    public async Task<CampaignUnit?> MyUnitAsync(ClaimsPrincipal principal, Guid campaignId, CancellationToken cancellationToken = default) =>
        await UnitScope.ForAsync(principal, db, cancellationToken) is { } scope ? await ExpectedUnitAsync(scope, campaignId, null, cancellationToken) : null;

    /// <summary>
    /// An expected unit of the campaign that the caller administers (by code; by default their own
    /// unit, or the campaign's root when they are above it). Null when it is not expected or not theirs.
    /// </summary>
    internal async Task<CampaignUnit?> ExpectedUnitAsync(UnitScope scope, Guid campaignId, string? unitCode, CancellationToken cancellationToken)
    {
        var expected = db.CampaignUnits.AsNoTracking().Where(u => u.CampaignId == campaignId
            && db.Units.Any(live => live.Id == u.UnitId && live.Path.StartsWith(scope.RootPath)));
        return unitCode is null
            ? await expected.OrderBy(u => u.SortOrder).FirstOrDefaultAsync(cancellationToken)
            : await expected.SingleOrDefaultAsync(u => u.Code == unitCode, cancellationToken);
    }
}
