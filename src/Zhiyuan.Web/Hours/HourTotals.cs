using Microsoft.EntityFrameworkCore;
using Zhiyuan.Web.Data;

namespace Zhiyuan.Web.Hours;

/// <summary>One line of the ledger as an administrator reads a volunteer's recent service: reversals included, as negative hours.</summary>
public sealed record RecentLedgerLine(string Activity, string Organization, DateTime StartUtc, int Minutes, decimal Hours, LedgerEntryKind Kind);

/// <summary>
/// A volunteer's confirmed hours, read from the ledger the way the service record and its certificate
/// read them (ADR 0007): the active entries only — confirmations and corrections that no reversal
/// points at — so every page showing a total shows the same total.
/// </summary>
public static class HourTotals
{
    /// <summary>Entries that count: confirmations and corrections not later reversed.</summary>
    public static IQueryable<LedgerEntry> ActiveEntries(AppDbContext db) =>
        db.LedgerEntries.Where(e => e.Kind != LedgerEntryKind.Reversal && !db.LedgerEntries.Any(r => r.ReversesEntryId == e.Id));

    /// <summary>Hours with two decimals, as the pages and the API show them (2.50, not 2.5).</summary>
    public static decimal ToHours(long minutes) => decimal.Round(minutes / 60m, 2, MidpointRounding.AwayFromZero) + 0.00m;

    /// <summary>
    /// The volunteer's confirmed minutes in all, and in one China calendar year — counted by the China
    /// date on which the credited service started, as the service record dates it. Read from the totals
    /// the ledger's trigger keeps (<see cref="ConfirmedTotal"/>), not summed from the ledger.
    /// </summary>
    public static async Task<(int Total, int InYear)> MinutesAsync(AppDbContext db, Guid volunteerId, int chinaYear, CancellationToken cancellationToken = default)
    {
        var total = await db.ConfirmedTotals.Where(t => t.VolunteerId == volunteerId).Select(t => (int?)t.Minutes).SingleOrDefaultAsync(cancellationToken) ?? 0;
        var inYear = await db.ConfirmedYearTotals.Where(t => t.VolunteerId == volunteerId && t.Year == chinaYear).Select(t => (int?)t.Minutes).SingleOrDefaultAsync(cancellationToken) ?? 0;
        return (total, inYear);
    }

    /// <summary>Confirmed minutes of several volunteers at once, from the kept totals; a volunteer with none may be missing from the answer.</summary>
    public static Task<Dictionary<Guid, int>> MinutesByVolunteerAsync(AppDbContext db, IReadOnlyCollection<Guid> volunteerIds, CancellationToken cancellationToken = default) =>
        db.ConfirmedTotals.AsNoTracking().Where(t => volunteerIds.Contains(t.VolunteerId))
            .ToDictionaryAsync(t => t.VolunteerId, t => t.Minutes, cancellationToken);

    /// <summary>The volunteer's latest ledger lines, newest service first; a reversal sits beside the entry it cancels.</summary>
    public static async Task<List<RecentLedgerLine>> RecentLinesAsync(AppDbContext db, Guid volunteerId, int count, CancellationToken cancellationToken = default)
    {
        var lines = await db.LedgerEntries.AsNoTracking().Where(e => e.VolunteerId == volunteerId)
            .OrderByDescending(e => e.StartUtc).ThenByDescending(e => e.RecordedAtUtc).ThenBy(e => e.Kind == LedgerEntryKind.Correction)
            .Take(count)
            .Select(e => new { e.Activity!.Title, Organization = e.Organization!.Name, e.StartUtc, e.Minutes, e.Kind })
            .ToListAsync(cancellationToken);
        return lines.Select(l => new RecentLedgerLine(l.Title, l.Organization, l.StartUtc, l.Minutes, ToHours(l.Minutes), l.Kind)).ToList();
    }
}
