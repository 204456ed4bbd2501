using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Hours;
using Zhiyuan.Web.Infrastructure;
using Zhiyuan.Web.Organizations;
using Zhiyuan.Web.Recognition;

namespace Zhiyuan.Web.Volunteers;

/// <summary>A volunteer's confirmed hours and where they stand against the star thresholds. Hours have two decimals; minutes are exact.</summary>
/// <param name="Year">The China calendar year of <see cref="YearHours"/> (this year).</param>
/// <param name="StarLevel">The star awarded.</param>
/// <param name="StarLevelByHours">The star the confirmed hours reach (ahead of the award while it waits for review).</param>
/// <param name="NextStarLevel">The star after the awarded one; null at the top star.</param>
/// <param name="NextStarHours">The next star's threshold, in hours.</param>
/// <param name="HoursToNextStar">Confirmed hours still missing for the next star; 0.00 when reached (it waits for the unit's review).</param>
public sealed record HoursSummary(int TotalMinutes, decimal TotalHours, int Year, int YearMinutes, decimal YearHours, int StarLevel, int StarLevelByHours,
    int? NextStarLevel, int? NextStarHours, decimal? HoursToNextStar);

/// <summary>An organisation the volunteer is an approved member of.</summary>
public sealed record VolunteerOrganization(Guid OrganizationId, string Name, string UnitName, bool IsAdmin);

/// <summary>
/// Hours, recent service and organisations beside a volunteer's details: the volunteer sees their
/// hours and star progress on their own page; an administrator of the volunteer's subtree sees those,
/// the latest ledger lines and the organisations. Totals come from <see cref="HourTotals"/>, the
/// same reading of the ledger as the service record; thresholds from Recognition's settings.
/// </summary>
public sealed class VolunteerStanding(AppDbContext db, IOptions<RecognitionOptions> options, TimeProvider time)
{
    public const int RecentLineCount = 10;

    /// <summary>The volunteer's view with their hours; the caller has found it (their own, or in their scope).</summary>
    public async Task<VolunteerView> WithHoursAsync(VolunteerView view, CancellationToken cancellationToken = default)
    {
        var volunteer = await db.Volunteers.AsNoTracking().Where(v => v.Number == view.Number).Select(v => new { v.Id, v.StarLevel }).SingleAsync(cancellationToken);
        return view with { Hours = await SummaryAsync(volunteer.Id, volunteer.StarLevel, cancellationToken) };
    }

    /// <summary>The administrator's view: hours, the latest ledger lines and the organisations. The caller has found the volunteer in its scope.</summary>
    public async Task<VolunteerView> WithServiceAsync(VolunteerView view, CancellationToken cancellationToken = default)
    {
        var volunteer = await db.Volunteers.AsNoTracking().Where(v => v.Number == view.Number).Select(v => new { v.Id, v.StarLevel, v.UserId }).SingleAsync(cancellationToken);
        var organizations = await db.Memberships.AsNoTracking().Where(m => m.VolunteerId == volunteer.Id && m.Status == MembershipStatus.Approved)
            .OrderBy(m => m.Organization!.Name)
            .Select(m => new VolunteerOrganization(m.OrganizationId, m.Organization!.Name, m.Organization.Unit!.Name,
                volunteer.UserId != null && m.Organization.Admins.Any(a => a.UserId == volunteer.UserId)))
            .ToListAsync(cancellationToken);
        return view with
        {
            Hours = await SummaryAsync(volunteer.Id, volunteer.StarLevel, cancellationToken),
            RecentService = await HourTotals.RecentLinesAsync(db, volunteer.Id, RecentLineCount, cancellationToken),
            Organizations = organizations,
        };
    }

    async Task<HoursSummary> SummaryAsync(Guid volunteerId, int starLevel, CancellationToken cancellationToken)
    {
        var year = ChinaTime.Today(time).Year;
        var (total, inYear) = await HourTotals.MinutesAsync(db, volunteerId, year, cancellationToken);
        var progress = StarLevels.Progress(total, starLevel, options.Value.Thresholds);
        return new HoursSummary(total, HourTotals.ToHours(total), year, inYear, HourTotals.ToHours(inYear), progress.Level, progress.LevelByHours,
            progress.NextLevel, progress.NextLevelHours, progress.MinutesToNext is { } missing ? HourTotals.ToHours(missing) : null);
    }
}
