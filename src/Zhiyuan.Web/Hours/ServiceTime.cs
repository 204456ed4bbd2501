namespace Zhiyuan.Web.Hours;

/// <summary>A credited stretch of service.</summary>
public readonly record struct Credit(DateTime StartUtc, DateTime EndUtc, int Minutes);

/// <summary>How attendance becomes hours: the rules of C4, kept apart from the database so they can be tested one by one.</summary>
public static class ServiceTime
{
    /// <summary>
    /// The time actually served inside the session window, in whole minutes, less any time already
    /// credited to the same volunteer elsewhere (one person cannot serve two activities at once).
    /// Returns null when nothing is left to credit.
    /// </summary>
    /// <remarks>
    /// Arriving early or leaving late counts from the session's start to its end only. A session
    /// may cross midnight: times are instants, not clock readings. The credited entry keeps the
    /// clipped window as its start and end even when an already-credited stretch sits in its
    /// middle, so later checks treat that whole window as taken — never crediting twice.
    /// </remarks>
    public static Credit? Compute(DateTime checkedInUtc, DateTime checkedOutUtc, DateTime sessionStartUtc, DateTime sessionEndUtc,
        IEnumerable<(DateTime StartUtc, DateTime EndUtc)> alreadyCredited)
    {
        var start = checkedInUtc > sessionStartUtc ? checkedInUtc : sessionStartUtc;
        var end = checkedOutUtc < sessionEndUtc ? checkedOutUtc : sessionEndUtc;
        if (end <= start)
        {
            return null;
        }
        var minutes = (int)Math.Floor(FreeStretches(start, end, alreadyCredited).Sum(f => (f.EndUtc - f.StartUtc).Ticks) / (double)TimeSpan.TicksPerMinute);
        return minutes <= 0 ? null : new Credit(start, end, minutes);
    }

    /// <summary>
    /// The parts of a credit's window not already credited elsewhere: what the credit really credits,
    /// kept as the entry's effective stretches so that the database can refuse any overlap.
    /// </summary>
    public static List<(DateTime StartUtc, DateTime EndUtc)> FreeStretches(DateTime startUtc, DateTime endUtc, IEnumerable<(DateTime StartUtc, DateTime EndUtc)> alreadyCredited)
    {
        var free = new List<(DateTime, DateTime)>();
        var cursor = startUtc;
        foreach (var (otherStart, otherEnd) in alreadyCredited.Where(c => c.StartUtc < endUtc && c.EndUtc > startUtc).OrderBy(c => c.StartUtc))
        {
            if (otherStart > cursor)
            {
                free.Add((cursor, otherStart));
            }
            if (otherEnd > cursor)
            {
                cursor = otherEnd;
            }
        }
        if (cursor < endUtc)
        {
            free.Add((cursor, endUtc));
        }
        return free;
    }

    /// <summary>The day by which hours must be confirmed: 10 working days (Monday to Friday) after the service date.</summary>
    /// <remarks>Public holidays and make-up working days are not modelled; they move the date by a few days at most.</remarks>
    public static DateOnly ConfirmationDue(DateOnly serviceDate, int workingDays = 10)
    {
        var day = serviceDate;
        while (workingDays > 0)
        {
            day = day.AddDays(1);
            if (day.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday))
            {
                workingDays--;
            }
        }
        return day;
    }
}
