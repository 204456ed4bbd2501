using Zhiyuan.Web.Infrastructure;

namespace Zhiyuan.Web.Campaigns;

/// <summary>Cuts a campaign window into reporting periods (docs/reporting.md, "Periods").</summary>
public static class CampaignCalendar
{
    /// <summary>
    /// Each period ends the day before the due weekday and is due on that weekday at the due hour
    /// (China time): with Friday 00:00, a week runs Friday to Thursday and is due "before Friday".
    /// The last period ends with the window and is due on the next due weekday, but never after the
    /// final summary's due time.
    /// </summary>
    public static List<CampaignPeriod> Periods(DateOnly start, DateOnly end, DayOfWeek dueDay, int dueHour, DateOnly finalDue)
    {
        var periods = new List<CampaignPeriod>();
        var from = start;
        while (from <= end)
        {
            var to = from;
            while (to.AddDays(1).DayOfWeek != dueDay && to < end)
            {
                to = to.AddDays(1);
            }
            var dueDate = to.AddDays(1);
            while (dueDate.DayOfWeek != dueDay)
            {
                dueDate = dueDate.AddDays(1);
            }
            if (dueDate > finalDue)
            {
                dueDate = finalDue;
            }
            periods.Add(new CampaignPeriod { Number = periods.Count + 1, StartDate = from, EndDate = to, DueAtUtc = DueAtUtc(dueDate, dueHour) });
            from = to.AddDays(1);
        }
        return periods;
    }

    /// <summary>The China-time hour of a day, as UTC.</summary>
    public static DateTime DueAtUtc(DateOnly day, int hour) => day.ToDateTime(new TimeOnly(hour, 0), DateTimeKind.Utc) - ChinaTime.Offset;

    /// <summary>The UTC instants bounding China dates from…to inclusive: [from 00:00, to+1 00:00) in China time.</summary>
    public static (DateTime FromUtc, DateTime ToUtc) UtcRange(DateOnly from, DateOnly to) =>
        (DueAtUtc(from, 0), DueAtUtc(to.AddDays(1), 0));
}
