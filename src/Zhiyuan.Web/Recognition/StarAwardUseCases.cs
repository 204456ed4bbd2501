using System.Linq.Expressions;
using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Audit;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Hours;
using Zhiyuan.Web.Infrastructure;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Web.Recognition;

public sealed record EligibleVolunteer(string Number, string Name, string UnitName, int Minutes, int CurrentLevel, int EligibleLevel);

public sealed record StarAwardView(Guid Id, string Number, string Name, string UnitName, int Level, int MinutesAtReview, RecognitionStatus Status,
    DateTime NoticeEndsAtUtc, int OpenObjections, string? Reason, bool NoticeOver);

/// <summary>A star that confirmed hours no longer reach after a correction: shown for review, never lowered by itself.</summary>
public sealed record FlaggedStar(string Number, string Name, string UnitName, int Level, int Minutes, int LevelByHours);

public sealed record ObjectionView(Guid Id, string Subject, string Text, string Contact, DateTime SubmittedAtUtc, ObjectionStatus Status, string? Answer);

/// <param name="Eligible">One page of the volunteers ready for review, most hours first.</param>
/// <param name="EligibleCount">All of them, on every page.</param>
/// <param name="UnitCode">The unit whose subtree the list is limited to; null for the caller's whole subtree.</param>
/// <param name="Units">The units the list can be limited to.</param>
public sealed record StarOverview(List<EligibleVolunteer> Eligible, int EligibleCount, int Page, int PageSize, string? UnitCode, List<UnitChoice> Units,
    List<StarAwardView> Awards, List<FlaggedStar> Flagged, List<ObjectionView> Objections, int[] Thresholds);

public sealed record UnitChoice(string Code, string Name);

public sealed record StartNoticeRequest(string[]? Numbers);

public sealed record DecisionRequest(string? Reason);

public sealed record AnswerObjectionRequest(bool Uphold, string? Answer);

/// <summary>
/// Star levels (C5): volunteers whose confirmed hours reach a threshold are listed; the unit reviews;
/// the award goes on public notice for at least five working days; after the notice it is awarded
/// (and shown on the certificate), unless an upheld objection withdrew it; it can be revoked with a reason.
/// </summary>
public sealed class StarAwardUseCases(AppDbContext db, AuditLog audit, IOptions<RecognitionOptions> options, IStringLocalizer<SharedResource> text, TimeProvider time)
{
    int[] Thresholds => options.Value.Thresholds;

    /// <summary>Volunteers ready for review shown at once on the stars page; the rest are on the following pages.</summary>
    public const int PageSize = 50;

    /// <summary>The stars page and its API: one page of the volunteers ready for review (most hours first, optionally of one unit's subtree), with their count.</summary>
    public async Task<Outcome<StarOverview>> ListAsync(ClaimsPrincipal principal, int? page, string? unitCode, CancellationToken cancellationToken = default)
    {
        var scope = await UnitScope.ForAsync(principal, db, cancellationToken);
        if (scope is null)
        {
            return Outcome<StarOverview>.NotFound();
        }
        var unit = string.IsNullOrWhiteSpace(unitCode) ? null
            : await scope.Filter(db.Units).Where(u => u.Code == unitCode.Trim()).Select(u => new { u.Code, u.Path }).SingleOrDefaultAsync(cancellationToken);
        if (unitCode is { Length: > 0 } && unit is null)
        {
            return Outcome<StarOverview>.Invalid("unit", text["Stars.Error.UnknownUnit", unitCode]);
        }
        // A page past the end is empty; one so far that its first row would pass int.MaxValue is the last such page.
        return Outcome<StarOverview>.Ok(await OverviewAsync(scope, Math.Clamp(page ?? 1, 1, int.MaxValue / PageSize), unit?.Code, unit?.Path ?? scope.RootPath, cancellationToken));
    }

    /// <summary>The first page of the whole subtree: what the 工作台 counts and what each decision answers with.</summary>
    public async Task<StarOverview?> OverviewAsync(ClaimsPrincipal principal, CancellationToken cancellationToken = default) =>
        await UnitScope.ForAsync(principal, db, cancellationToken) is { } scope ? await OverviewAsync(scope, 1, null, scope.RootPath, cancellationToken) : null;

    /// <summary>
    /// Volunteers of a subtree whose confirmed minutes reach a star above the one they hold, and whose
    /// star of that level is not already on notice, awarded or declined (a withdrawn or revoked one may
    /// be offered again), most minutes first. All in SQL and driven by the totals: their index finds
    /// those past the first threshold, the level their minutes reach is <see cref="StarLevels.For"/>
    /// written as one CASE expression, and what rules a volunteer out is looked up in the small sets
    /// that can (volunteers holding a star, through their partial index; star decisions), so that a
    /// province's 37,000 candidates are not each looked up among its 2 million volunteers. A subtree
    /// smaller than the whole tree takes the unit kept beside each total.
    /// </summary>
    async Task<IQueryable<TotalWithLevel>> EligibleAsync(string subtreePath, IReadOnlyCollection<string>? numbers, CancellationToken cancellationToken)
    {
        var firstThreshold = Thresholds[0] * 60;
        var totals = db.ConfirmedTotals.Where(t => t.Minutes >= firstThreshold);
        if (await db.Units.AnyAsync(u => !u.Path.StartsWith(subtreePath), cancellationToken))
        {
            // The unit kept beside each total: a county's candidates without a look-up among the volunteers.
            var units = await db.Units.Where(u => u.Path.StartsWith(subtreePath)).Select(u => u.Id).ToListAsync(cancellationToken);
            totals = totals.Where(t => units.Contains(t.UnitId));
        }
        var eligible = totals.Select(LevelReached(Thresholds))
            .Where(m => !db.Volunteers.Any(v => v.Id == m.VolunteerId && v.StarLevel > 0 && v.StarLevel >= m.Level)
                && !db.StarAwards.Any(a => a.VolunteerId == m.VolunteerId && a.Level == m.Level
                    && (a.Status == RecognitionStatus.OnNotice || a.Status == RecognitionStatus.Awarded || a.Status == RecognitionStatus.Rejected)));
        if (numbers is not null)
        {
            eligible = eligible.Where(m => db.Volunteers.Any(v => v.Id == m.VolunteerId && numbers.Contains(v.Number)));
        }
        return eligible.OrderByDescending(m => m.Minutes).ThenBy(m => m.VolunteerId);
    }

    /// <summary>The eligible volunteers of <see cref="EligibleAsync"/> with their names, numbers and units, in the same order.</summary>
    async Task<List<EligibleVolunteer>> WithNamesAsync(IQueryable<TotalWithLevel> eligible, CancellationToken cancellationToken)
    {
        var rows = await eligible.AsNoTracking().ToListAsync(cancellationToken);
        var ids = rows.Select(r => r.VolunteerId).ToList();
        var people = await db.Volunteers.AsNoTracking().Where(v => ids.Contains(v.Id))
            .Select(v => new { v.Id, v.Number, v.Name, UnitName = v.Unit!.Name, v.StarLevel }).ToDictionaryAsync(v => v.Id, cancellationToken);
        return rows.Select(r => (Row: r, Person: people[r.VolunteerId]))
            .Select(x => new EligibleVolunteer(x.Person.Number, x.Person.Name, x.Person.UnitName, x.Row.Minutes, x.Person.StarLevel, x.Row.Level)).ToList();
    }

    /// <summary>A volunteer's total with the star level it reaches.</summary>
    sealed class TotalWithLevel
    {
        public Guid VolunteerId { get; init; }

        public int Minutes { get; init; }

        public int Level { get; init; }
    }

    /// <summary>t =&gt; new TotalWithLevel { …, Level = t.Minutes &gt;= last threshold ? n : … : t.Minutes &gt;= first threshold ? 1 : 0 }.</summary>
    static Expression<Func<ConfirmedTotal, TotalWithLevel>> LevelReached(int[] thresholdHours)
    {
        var total = Expression.Parameter(typeof(ConfirmedTotal), "t");
        var minutes = Expression.Property(total, nameof(ConfirmedTotal.Minutes));
        Expression level = Expression.Constant(0);
        // Thresholds increase, so the last one tested first is the highest reached.
        for (var star = 1; star <= thresholdHours.Length; star++)
        {
            level = Expression.Condition(Expression.GreaterThanOrEqual(minutes, Expression.Constant(thresholdHours[star - 1] * 60)), Expression.Constant(star), level);
        }
        return Expression.Lambda<Func<ConfirmedTotal, TotalWithLevel>>(Expression.MemberInit(Expression.New(typeof(TotalWithLevel)),
            Expression.Bind(typeof(TotalWithLevel).GetProperty(nameof(TotalWithLevel.VolunteerId))!, Expression.Property(total, nameof(ConfirmedTotal.VolunteerId))),
            Expression.Bind(typeof(TotalWithLevel).GetProperty(nameof(TotalWithLevel.Minutes))!, minutes),
            Expression.Bind(typeof(TotalWithLevel).GetProperty(nameof(TotalWithLevel.Level))!, level)), total);
    }

    async Task<StarOverview> OverviewAsync(UnitScope scope, int page, string? unitCode, string subtreePath, CancellationToken cancellationToken)
    {
        var eligible = await EligibleAsync(subtreePath, null, cancellationToken);
        var eligibleCount = await eligible.CountAsync(cancellationToken);
        var eligiblePage = await WithNamesAsync(eligible.Skip((page - 1) * PageSize).Take(PageSize), cancellationToken);
        var units = await scope.Filter(db.Units).OrderBy(u => u.Path).Select(u => new UnitChoice(u.Code, u.Name)).ToListAsync(cancellationToken);

        var now = time.GetUtcNow().UtcDateTime;
        var awards = await (
                from a in db.StarAwards
                where a.Volunteer!.Unit!.Path.StartsWith(subtreePath) && (a.Status == RecognitionStatus.OnNotice || a.DecidedAtUtc > now.AddDays(-90))
                orderby a.CreatedAtUtc descending
                select new StarAwardView(a.Id, a.Volunteer!.Number, a.Volunteer.Name, a.Volunteer.Unit!.Name, a.Level, a.MinutesAtReview, a.Status, a.NoticeEndsAtUtc,
                    db.Objections.Count(o => o.StarAwardId == a.Id && o.Status == ObjectionStatus.Open), a.Reason, a.NoticeEndsAtUtc <= now))
            .AsNoTracking().ToListAsync(cancellationToken);

        var starred = await (
                from v in db.Volunteers
                where v.StarLevel > 0 && v.Unit!.Path.StartsWith(subtreePath)
                join m in db.ConfirmedTotals on v.Id equals m.VolunteerId into minutes
                from m in minutes.DefaultIfEmpty()
                select new { v.Number, v.Name, UnitName = v.Unit!.Name, v.StarLevel, Minutes = m == null ? 0 : m.Minutes })
            .AsNoTracking().ToListAsync(cancellationToken);
        var flagged = starred.Where(s => StarLevels.For(s.Minutes, Thresholds) < s.StarLevel)
            .Select(s => new FlaggedStar(s.Number, s.Name, s.UnitName, s.StarLevel, s.Minutes, StarLevels.For(s.Minutes, Thresholds))).ToList();

        var objections = await db.Objections.AsNoTracking()
            .Where(o => db.StarAwards.Any(a => a.Id == o.StarAwardId && a.Volunteer!.Unit!.Path.StartsWith(subtreePath)))
            .OrderByDescending(o => o.SubmittedAtUtc)
            .Select(o => new ObjectionView(o.Id, db.StarAwards.Where(a => a.Id == o.StarAwardId).Select(a => a.Volunteer!.Name + " ★" + a.Level).First(),
                o.Text, o.Contact, o.SubmittedAtUtc, o.Status, o.Answer))
            .Take(200).ToListAsync(cancellationToken);
        return new StarOverview(eligiblePage, eligibleCount, page, PageSize, unitCode, units, awards, flagged, objections, Thresholds);
    }

    /// <summary>The unit puts reviewed volunteers' next star on public notice.</summary>
    public async Task<Outcome<StarOverview>> StartNoticeAsync(ClaimsPrincipal principal, StartNoticeRequest request, CancellationToken cancellationToken = default)
    {
        var scope = await UnitScope.ForAsync(principal, db, cancellationToken);
        if (scope is null)
        {
            return Outcome<StarOverview>.NotFound();
        }
        var numbers = (request.Numbers ?? []).Select(n => n.Trim()).Where(n => n.Length > 0).Distinct().ToList();
        if (numbers.Count == 0)
        {
            return Outcome<StarOverview>.Invalid("numbers", text["Stars.Error.NoneChosen"]);
        }
        var candidates = await WithNamesAsync(await EligibleAsync(scope.RootPath, numbers, cancellationToken), cancellationToken);
        var errors = new FieldErrors();
        foreach (var number in numbers.Where(n => candidates.All(e => e.Number != n)))
        {
            errors.Add("numbers", text["Stars.Error.NotEligible", number]);
        }
        if (errors.Any)
        {
            return Outcome<StarOverview>.Invalid(errors);
        }
        var now = time.GetUtcNow().UtcDateTime;
        var volunteers = await db.Volunteers.Where(v => numbers.Contains(v.Number)).Select(v => new { v.Id, v.Number }).ToDictionaryAsync(v => v.Number, v => v.Id, cancellationToken);
        // Decided under the volunteers' locks: of two simultaneous clicks, the second finds the star already on notice.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await AlreadyDecidedAsync(volunteers.Values, candidates.Select(e => e.EligibleLevel), cancellationToken))
        {
            return Outcome<StarOverview>.Invalid("numbers", text["Problem.Conflict"]);
        }
        foreach (var candidate in candidates)
        {
            db.StarAwards.Add(new StarAward
            {
                VolunteerId = volunteers[candidate.Number], Level = candidate.EligibleLevel, MinutesAtReview = candidate.Minutes, UnitId = scope.RootId,
                Status = RecognitionStatus.OnNotice, NoticeStartsAtUtc = now, NoticeEndsAtUtc = StarLevels.NoticeEndsAtUtc(now, options.Value.NoticeWorkingDays),
                CreatedAtUtc = now, CreatedBy = audit.ActorName,
            });
            audit.Add("star.notice", scope.RootId, candidate.Number, $"★{candidate.EligibleLevel}, {HourUseCases.FormatHours(candidate.Minutes)} h");
        }
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<StarOverview>.Ok((await OverviewAsync(principal, cancellationToken))!);
    }

    /// <summary>The unit decides not to put a volunteer's star on notice (the reason is kept).</summary>
    public async Task<Outcome<StarOverview>> RejectAsync(ClaimsPrincipal principal, string number, DecisionRequest request, CancellationToken cancellationToken = default)
    {
        var scope = await UnitScope.ForAsync(principal, db, cancellationToken);
        if (scope is null || (await WithNamesAsync(await EligibleAsync(scope.RootPath, [number], cancellationToken), cancellationToken)).SingleOrDefault() is not { } candidate)
        {
            return Outcome<StarOverview>.NotFound();
        }
        if (ReasonOf(request.Reason) is not { } reason)
        {
            return Outcome<StarOverview>.Invalid("reason", text["Organizations.Error.Reason", StarAward.ReasonMaxLength]);
        }
        var now = time.GetUtcNow().UtcDateTime;
        var volunteerId = await db.Volunteers.Where(v => v.Number == number).Select(v => v.Id).SingleAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await AlreadyDecidedAsync([volunteerId], [candidate.EligibleLevel], cancellationToken))
        {
            return Outcome<StarOverview>.Invalid("reason", text["Problem.Conflict"]);
        }
        db.StarAwards.Add(new StarAward
        {
            VolunteerId = volunteerId, Level = candidate.EligibleLevel,
            MinutesAtReview = candidate.Minutes, UnitId = scope.RootId, Status = RecognitionStatus.Rejected, NoticeStartsAtUtc = now, NoticeEndsAtUtc = now,
            DecidedAtUtc = now, DecidedBy = audit.ActorName, Reason = reason, CreatedAtUtc = now, CreatedBy = audit.ActorName,
        });
        audit.Add("star.reject", scope.RootId, number, reason);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<StarOverview>.Ok((await OverviewAsync(principal, cancellationToken))!);
    }

    /// <summary>Locks the volunteers, then tells whether any of them already has a star of one of these levels on notice, awarded or declined.</summary>
    async Task<bool> AlreadyDecidedAsync(IReadOnlyCollection<Guid> volunteerIds, IEnumerable<int> levels, CancellationToken cancellationToken)
    {
        await db.LockVolunteersAsync(volunteerIds, cancellationToken);
        var levelList = levels.Distinct().ToList();
        return await db.StarAwards.AnyAsync(a => volunteerIds.Contains(a.VolunteerId) && levelList.Contains(a.Level)
            && (a.Status == RecognitionStatus.OnNotice || a.Status == RecognitionStatus.Awarded || a.Status == RecognitionStatus.Rejected), cancellationToken);
    }

    /// <summary>After the notice, with no objection left open: the star is awarded and shows on the certificate.</summary>
    public Task<Outcome<StarOverview>> AwardAsync(ClaimsPrincipal principal, Guid awardId, CancellationToken cancellationToken = default) =>
        ChangeAsync(principal, awardId, RecognitionStatus.OnNotice, async (award, volunteer, now) =>
        {
            if (award.NoticeEndsAtUtc > now)
            {
                return text["Stars.Error.NoticeRunning", ChinaTime.Format(award.NoticeEndsAtUtc)];
            }
            if (await db.Objections.AnyAsync(o => o.StarAwardId == award.Id && o.Status == ObjectionStatus.Open, cancellationToken))
            {
                return text["Stars.Error.OpenObjections"];
            }
            award.Status = RecognitionStatus.Awarded;
            volunteer.StarLevel = Math.Max(volunteer.StarLevel, award.Level);
            audit.Add("star.award", award.UnitId, volunteer.Number, $"★{award.Level}");
            return null;
        }, cancellationToken);

    /// <summary>Takes an awarded star back with a reason; the certificate shows the highest star still standing.</summary>
    public Task<Outcome<StarOverview>> RevokeAsync(ClaimsPrincipal principal, Guid awardId, DecisionRequest request, CancellationToken cancellationToken = default)
    {
        var reason = ReasonOf(request.Reason);
        return ChangeAsync(principal, awardId, RecognitionStatus.Awarded, async (award, volunteer, now) =>
        {
            if (reason is null)
            {
                return text["Organizations.Error.Reason", StarAward.ReasonMaxLength];
            }
            award.Status = RecognitionStatus.Revoked;
            award.Reason = reason;
            volunteer.StarLevel = await db.StarAwards.Where(a => a.VolunteerId == volunteer.Id && a.Id != award.Id && a.Status == RecognitionStatus.Awarded)
                .MaxAsync(a => (int?)a.Level, cancellationToken) ?? 0;
            audit.Add("star.revoke", award.UnitId, volunteer.Number, $"★{award.Level}: {reason}");
            return null;
        }, cancellationToken);
    }

    /// <summary>Answers an objection; upholding it withdraws the star from the notice.</summary>
    public async Task<Outcome<StarOverview>> AnswerObjectionAsync(ClaimsPrincipal principal, Guid objectionId, AnswerObjectionRequest request, CancellationToken cancellationToken = default)
    {
        var objection = await db.Objections.SingleOrDefaultAsync(o => o.Id == objectionId && o.StarAwardId != null && o.Status == ObjectionStatus.Open, cancellationToken);
        if (objection is null)
        {
            return Outcome<StarOverview>.NotFound();
        }
        var answer = ReasonOf(request.Answer);
        return await ChangeAsync(principal, objection.StarAwardId!.Value, RecognitionStatus.OnNotice, (award, volunteer, now) =>
        {
            if (answer is null)
            {
                return Task.FromResult<string?>(text["Organizations.Error.Reason", StarAward.ReasonMaxLength]);
            }
            objection.Status = request.Uphold ? ObjectionStatus.Upheld : ObjectionStatus.Dismissed;
            objection.Answer = answer;
            objection.AnsweredAtUtc = now;
            objection.AnsweredBy = audit.ActorName;
            if (request.Uphold)
            {
                award.Status = RecognitionStatus.Withdrawn;
                award.Reason = answer;
            }
            audit.Add("star.objection", award.UnitId, volunteer.Number, $"{objection.Status}: {answer}");
            return Task.FromResult<string?>(null);
        }, cancellationToken);
    }

    async Task<Outcome<StarOverview>> ChangeAsync(ClaimsPrincipal principal, Guid awardId, RecognitionStatus expected,
        Func<StarAward, Volunteer, DateTime, Task<string?>> change, CancellationToken cancellationToken)
    {
        var scope = await UnitScope.ForAsync(principal, db, cancellationToken);
        var award = scope is null ? null
            : await db.StarAwards.Include(a => a.Volunteer).SingleOrDefaultAsync(a => a.Id == awardId && a.Volunteer!.Unit!.Path.StartsWith(scope.RootPath), cancellationToken);
        if (award is null)
        {
            return Outcome<StarOverview>.NotFound();
        }
        if (award.Status != expected)
        {
            return Outcome<StarOverview>.Invalid("award", text["Stars.Error.State", text["Recognition.Status." + award.Status]]);
        }
        var now = time.GetUtcNow().UtcDateTime;
        if (await change(award, award.Volunteer!, now) is { } error)
        {
            return Outcome<StarOverview>.Invalid("award", error);
        }
        award.DecidedAtUtc = now;
        award.DecidedBy = audit.ActorName;
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<StarOverview>.Ok((await OverviewAsync(principal, cancellationToken))!);
    }

    static string? ReasonOf(string? value)
    {
        var reason = (value ?? "").Trim();
        return reason.Length is 0 or > StarAward.ReasonMaxLength ? null : reason;
    }
}
