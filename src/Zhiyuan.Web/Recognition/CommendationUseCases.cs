using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Audit;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Hours;
using Zhiyuan.Web.Infrastructure;
using Zhiyuan.Web.Organizations;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Web.Recognition;

public sealed record CreateRoundRequest(string? Name, CommendationKind? Kind, string? Criteria, DateTimeOffset? NominationsCloseAt);

/// <summary>Names what is nominated: a volunteer number (volunteer kinds), an organisation's name, or an activity id (projects).</summary>
public sealed record NominateRequest(string? VolunteerNumber, string? OrganizationName, Guid? ActivityId, string? Reason, string? Story);

/// <summary>Action "notice" (put on public notice) or "reject" (with a reason).</summary>
public sealed record ReviewNominationRequest(string? Action, string? Reason);

public sealed record NominationView(Guid Id, string SubjectName, string NominatingUnit, string Reason, string Story, RecognitionStatus Status, DateTime? NoticeEndsAtUtc,
    int OpenObjections, List<Guid> PhotoIds, string? DecisionReason)
{
    /// <summary>A nominated volunteer's confirmed hours (two decimals), for a caller whose subtree holds the volunteer; null otherwise and for other kinds.</summary>
    public decimal? NomineeHours { get; init; }

    /// <summary>A nominated volunteer's awarded star, under the same rule as <see cref="NomineeHours"/>.</summary>
    public int? NomineeStarLevel { get; init; }
}

public sealed record RoundView(Guid Id, string Name, CommendationKind Kind, string Criteria, string UnitName, DateTime NominationsCloseAtUtc, bool CanReview,
    List<NominationView> Nominations);

public sealed record HonourView(Guid Id, string RoundName, CommendationKind Kind, string SubjectName, string UnitName, string Story, List<Guid> PhotoIds, DateTime AwardedAtUtc);

public sealed record StarHonour(string MaskedName, string UnitName, int StarLevel);

/// <summary>
/// Commendations (嘉许表彰): a unit runs a round with criteria; units below it nominate volunteers,
/// organisations or projects with a role-model story; the round's unit reviews, puts the shortlist on
/// public notice, and awards after the notice; awarded stories are published on the honour roll.
/// </summary>
public sealed class CommendationUseCases(AppDbContext db, AuditLog audit, IOptions<RecognitionOptions> options, IStringLocalizer<SharedResource> text, TimeProvider time)
{
    public const int MaxPhotos = 6;

    public async Task<Outcome<RoundView>> CreateRoundAsync(ClaimsPrincipal principal, CreateRoundRequest request, CancellationToken cancellationToken = default)
    {
        var scope = await UnitScope.ForAsync(principal, db, cancellationToken);
        if (scope is null)
        {
            return Outcome<RoundView>.NotFound();
        }
        var errors = new FieldErrors();
        var name = (request.Name ?? "").Trim();
        if (name.Length is 0 or > CommendationRound.NameMaxLength)
        {
            errors.Add("name", name.Length == 0 ? text["Validation.Required", text["Commendations.Field.Name"]] : text["Validation.TooLong", text["Commendations.Field.Name"], CommendationRound.NameMaxLength]);
        }
        if (request.Kind is null)
        {
            errors.Add("kind", text["Validation.Required", text["Commendations.Field.Kind"]]);
        }
        var criteria = (request.Criteria ?? "").Trim();
        if (criteria.Length is 0 or > CommendationRound.CriteriaMaxLength)
        {
            errors.Add("criteria", criteria.Length == 0 ? text["Validation.Required", text["Commendations.Field.Criteria"]] : text["Validation.TooLong", text["Commendations.Field.Criteria"], CommendationRound.CriteriaMaxLength]);
        }
        var now = time.GetUtcNow().UtcDateTime;
        if (request.NominationsCloseAt is not { } closes || closes.UtcDateTime <= now)
        {
            errors.Add("nominationsCloseAt", text["Commendations.Error.Closes"]);
        }
        if (errors.Any)
        {
            return Outcome<RoundView>.Invalid(errors);
        }
        var round = new CommendationRound
        {
            Name = name, Kind = request.Kind!.Value, Criteria = criteria, UnitId = scope.RootId, NominationsCloseAtUtc = request.NominationsCloseAt!.Value.UtcDateTime,
            CreatedAtUtc = now, CreatedBy = audit.ActorName,
        };
        db.CommendationRounds.Add(round);
        audit.Add("commendation.round", scope.RootId, name, round.Kind.ToString());
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<RoundView>.Ok((await GetAsync(principal, round.Id, cancellationToken))!);
    }

    /// <summary>The rounds an administrator takes part in: run by their unit or by a unit above it.</summary>
    public async Task<List<RoundView>> ListAsync(ClaimsPrincipal principal, CancellationToken cancellationToken = default)
    {
        var scope = await UnitScope.ForAsync(principal, db, cancellationToken);
        if (scope is null)
        {
            return [];
        }
        var ids = await db.CommendationRounds.Where(r => scope.RootPath.StartsWith(r.Unit!.Path) || r.Unit!.Path.StartsWith(scope.RootPath))
            .OrderByDescending(r => r.CreatedAtUtc).Select(r => r.Id).ToListAsync(cancellationToken);
        var rounds = new List<RoundView>();
        foreach (var id in ids)
        {
            rounds.Add((await GetAsync(principal, id, cancellationToken))!);
        }
        return rounds;
    }

    /// <summary>A round with the nominations the caller may see: all of them for the round's own administrators, their subtree's for nominating units.</summary>
    public async Task<RoundView?> GetAsync(ClaimsPrincipal principal, Guid roundId, CancellationToken cancellationToken = default)
    {
        var scope = await UnitScope.ForAsync(principal, db, cancellationToken);
        var round = scope is null ? null : await db.CommendationRounds.AsNoTracking().Include(r => r.Unit).SingleOrDefaultAsync(r => r.Id == roundId, cancellationToken);
        if (round is null || !(scope!.RootPath.StartsWith(round.Unit!.Path, StringComparison.Ordinal) || round.Unit.Path.StartsWith(scope.RootPath, StringComparison.Ordinal)))
        {
            return null;
        }
        var canReview = round.Unit.Path.StartsWith(scope.RootPath, StringComparison.Ordinal);
        var found = await db.Nominations.AsNoTracking()
            .Where(n => n.RoundId == roundId && (canReview || db.Units.Any(u => u.Id == n.UnitId && u.Path.StartsWith(scope.RootPath))))
            .OrderBy(n => n.CreatedAtUtc)
            .Select(n => new
            {
                View = new NominationView(n.Id, n.SubjectName, db.Units.Where(u => u.Id == n.UnitId).Select(u => u.Name).First(), n.Reason, n.Story, n.Status, n.NoticeEndsAtUtc,
                    db.Objections.Count(o => o.NominationId == n.Id && o.Status == ObjectionStatus.Open),
                    db.StoryPhotos.Where(p => p.NominationId == n.Id).OrderBy(p => p.Id).Select(p => p.Id).ToList(), n.DecisionReason),
                n.VolunteerId,
            })
            .ToListAsync(cancellationToken);
        // The reviewer judges a nominee by the record, not only the masked name: confirmed hours (read
        // as the service record reads them) and the awarded star — for volunteers in the caller's subtree.
        var volunteerIds = found.Where(f => f.VolunteerId is not null).Select(f => f.VolunteerId!.Value).Distinct().ToList();
        var stars = await db.Volunteers.AsNoTracking().Where(v => volunteerIds.Contains(v.Id) && v.Unit!.Path.StartsWith(scope.RootPath))
            .ToDictionaryAsync(v => v.Id, v => v.StarLevel, cancellationToken);
        var minutes = await HourTotals.MinutesByVolunteerAsync(db, stars.Keys.ToList(), cancellationToken);
        var nominations = found.Select(f => f.VolunteerId is { } id && stars.TryGetValue(id, out var star)
            ? f.View with { NomineeHours = HourTotals.ToHours(minutes.GetValueOrDefault(id)), NomineeStarLevel = star }
            : f.View).ToList();
        return new RoundView(round.Id, round.Name, round.Kind, round.Criteria, round.Unit.Name, round.NominationsCloseAtUtc, canReview, nominations);
    }

    /// <summary>A unit below (or at) the round's unit nominates someone or something from its own subtree, before nominations close.</summary>
    public async Task<Outcome<RoundView>> NominateAsync(ClaimsPrincipal principal, Guid roundId, NominateRequest request, CancellationToken cancellationToken = default)
    {
        var scope = await UnitScope.ForAsync(principal, db, cancellationToken);
        var round = scope is null ? null : await db.CommendationRounds.AsNoTracking().Include(r => r.Unit).SingleOrDefaultAsync(r => r.Id == roundId, cancellationToken);
        if (round is null || !scope!.RootPath.StartsWith(round.Unit!.Path, StringComparison.Ordinal))
        {
            return Outcome<RoundView>.NotFound();
        }
        var errors = new FieldErrors();
        var now = time.GetUtcNow().UtcDateTime;
        if (now > round.NominationsCloseAtUtc)
        {
            errors.Add("round", text["Commendations.Error.Closed", ChinaTime.Format(round.NominationsCloseAtUtc)]);
        }
        var reason = (request.Reason ?? "").Trim();
        var story = (request.Story ?? "").Trim();
        if (reason.Length is 0 or > Nomination.TextMaxLength)
        {
            errors.Add("reason", reason.Length == 0 ? text["Validation.Required", text["Commendations.Field.Reason"]] : text["Validation.TooLong", text["Commendations.Field.Reason"], Nomination.TextMaxLength]);
        }
        if (story.Length > Nomination.TextMaxLength)
        {
            errors.Add("story", text["Validation.TooLong", text["Commendations.Field.Story"], Nomination.TextMaxLength]);
        }
        var nomination = new Nomination { RoundId = roundId, UnitId = scope.RootId, SubjectName = "", Reason = reason, Story = story, Status = RecognitionStatus.Nominated, CreatedAtUtc = now, CreatedBy = audit.ActorName };
        switch (round.Kind)
        {
            case CommendationKind.MostBeautifulVolunteer or CommendationKind.FiveStarVolunteer:
                var number = (request.VolunteerNumber ?? "").Trim();
                var volunteer = await db.Volunteers.AsNoTracking().Where(v => v.Number == number && v.Unit!.Path.StartsWith(scope.RootPath))
                    .Select(v => new { v.Id, v.Name, v.StarLevel }).SingleOrDefaultAsync(cancellationToken);
                if (volunteer is null)
                {
                    errors.Add("volunteerNumber", text["Commendations.Error.NoVolunteer", number]);
                }
                else if (round.Kind == CommendationKind.FiveStarVolunteer && volunteer.StarLevel < 5)
                {
                    errors.Add("volunteerNumber", text["Commendations.Error.NotFiveStar", number, volunteer.StarLevel]);
                }
                else
                {
                    (nomination.VolunteerId, nomination.SubjectName) = (volunteer.Id, $"{Certificates.MaskName(volunteer.Name)}（{number}）");
                }
                break;
            case CommendationKind.OutstandingOrganization:
                var organizationName = (request.OrganizationName ?? "").Trim();
                var organization = await db.Organizations.AsNoTracking()
                    .Where(o => o.Name == organizationName && o.Status == OrganizationStatus.Approved && o.Unit!.Path.StartsWith(scope.RootPath))
                    .Select(o => new { o.Id, o.Name }).SingleOrDefaultAsync(cancellationToken);
                if (organization is null)
                {
                    errors.Add("organizationName", text["Commendations.Error.NoOrganization", organizationName]);
                }
                else
                {
                    (nomination.OrganizationId, nomination.SubjectName) = (organization.Id, organization.Name);
                }
                break;
            default:
                var activity = await db.Activities.AsNoTracking().Where(a => a.Id == request.ActivityId && a.Unit!.Path.StartsWith(scope.RootPath))
                    .Select(a => new { a.Id, a.Title, Host = a.HostOrganization!.Name }).SingleOrDefaultAsync(cancellationToken);
                if (activity is null)
                {
                    errors.Add("activityId", text["Commendations.Error.NoActivity"]);
                }
                else
                {
                    (nomination.ActivityId, nomination.SubjectName) = (activity.Id, $"{activity.Title}（{activity.Host}）");
                }
                break;
        }
        if (errors.Any)
        {
            return Outcome<RoundView>.Invalid(errors);
        }
        // Checked for a duplicate and added under the round's lock: a double click nominates once.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.LockRowAsync(RowLocks.Table.CommendationRounds, roundId, cancellationToken);
        if (await db.Nominations.AnyAsync(n => n.RoundId == roundId && n.SubjectName == nomination.SubjectName && n.Status != RecognitionStatus.Rejected, cancellationToken))
        {
            return Outcome<RoundView>.Invalid("round", text["Commendations.Error.Duplicate", nomination.SubjectName]);
        }
        db.Nominations.Add(nomination);
        audit.Add("commendation.nominate", scope.RootId, round.Name, nomination.SubjectName);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<RoundView>.Ok((await GetAsync(principal, roundId, cancellationToken))!);
    }

    /// <summary>The round's unit puts a nomination on public notice (five working days or more) or rejects it with a reason.</summary>
    public Task<Outcome<RoundView>> ReviewAsync(ClaimsPrincipal principal, Guid nominationId, ReviewNominationRequest request, CancellationToken cancellationToken = default) =>
        ChangeAsync(principal, nominationId, RecognitionStatus.Nominated, (nomination, now) =>
        {
            var reason = (request.Reason ?? "").Trim();
            switch (request.Action)
            {
                case "notice":
                    nomination.Status = RecognitionStatus.OnNotice;
                    nomination.NoticeEndsAtUtc = StarLevels.NoticeEndsAtUtc(now, options.Value.NoticeWorkingDays);
                    return Task.FromResult<string?>(null);
                case "reject" when reason.Length is > 0 and <= StarAward.ReasonMaxLength:
                    nomination.Status = RecognitionStatus.Rejected;
                    nomination.DecisionReason = reason;
                    return Task.FromResult<string?>(null);
                case "reject":
                    return Task.FromResult<string?>(text["Organizations.Error.Reason", StarAward.ReasonMaxLength]);
                default:
                    return Task.FromResult<string?>(text["Commendations.Error.Action"]);
            }
        }, cancellationToken);

    /// <summary>After the notice, with no objection open, the nomination is awarded and its story goes on the honour roll.</summary>
    public Task<Outcome<RoundView>> AwardAsync(ClaimsPrincipal principal, Guid nominationId, CancellationToken cancellationToken = default) =>
        ChangeAsync(principal, nominationId, RecognitionStatus.OnNotice, async (nomination, now) =>
        {
            if (nomination.NoticeEndsAtUtc > now)
            {
                return text["Stars.Error.NoticeRunning", ChinaTime.Format(nomination.NoticeEndsAtUtc!.Value)];
            }
            if (await db.Objections.AnyAsync(o => o.NominationId == nomination.Id && o.Status == ObjectionStatus.Open, cancellationToken))
            {
                return text["Stars.Error.OpenObjections"];
            }
            nomination.Status = RecognitionStatus.Awarded;
            return null;
        }, cancellationToken);

    /// <summary>Answers an objection to a nomination; upholding it withdraws the nomination.</summary>
    public async Task<Outcome<RoundView>> AnswerObjectionAsync(ClaimsPrincipal principal, Guid objectionId, AnswerObjectionRequest request, CancellationToken cancellationToken = default)
    {
        var objection = await db.Objections.SingleOrDefaultAsync(o => o.Id == objectionId && o.NominationId != null && o.Status == ObjectionStatus.Open, cancellationToken);
        if (objection is null)
        {
            return Outcome<RoundView>.NotFound();
        }
        var answer = (request.Answer ?? "").Trim();
        return await ChangeAsync(principal, objection.NominationId!.Value, RecognitionStatus.OnNotice, (nomination, now) =>
        {
            if (answer.Length is 0 or > StarAward.ReasonMaxLength)
            {
                return Task.FromResult<string?>(text["Organizations.Error.Reason", StarAward.ReasonMaxLength]);
            }
            objection.Status = request.Uphold ? ObjectionStatus.Upheld : ObjectionStatus.Dismissed;
            (objection.Answer, objection.AnsweredAtUtc, objection.AnsweredBy) = (answer, now, audit.ActorName);
            if (request.Uphold)
            {
                nomination.Status = RecognitionStatus.Withdrawn;
                nomination.DecisionReason = answer;
            }
            return Task.FromResult<string?>(null);
        }, cancellationToken);
    }

    /// <summary>A photo for the role-model story, by the nominating unit or the round's unit.</summary>
    public async Task<Outcome<RoundView>> AddPhotoAsync(ClaimsPrincipal principal, Guid nominationId, byte[] bytes, CancellationToken cancellationToken = default)
    {
        var scope = await UnitScope.ForAsync(principal, db, cancellationToken);
        var nomination = scope is null ? null : await db.Nominations.AsNoTracking().SingleOrDefaultAsync(n => n.Id == nominationId
            && (db.Units.Any(u => u.Id == n.UnitId && u.Path.StartsWith(scope.RootPath)) || n.Round!.Unit!.Path.StartsWith(scope.RootPath)), cancellationToken);
        if (nomination is null)
        {
            return Outcome<RoundView>.NotFound();
        }
        var (photo, errorKey) = await PhotoUpload.CleanAsync(bytes, cancellationToken);
        if (photo is null)
        {
            return Outcome<RoundView>.Invalid("photo", text[errorKey!, PhotoUpload.MaxBytes / 1024 / 1024]);
        }
        // Counted and added under the nomination's lock, so uploads at once still stop at the limit.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.LockRowAsync(RowLocks.Table.Nominations, nominationId, cancellationToken);
        if (await db.StoryPhotos.CountAsync(p => p.NominationId == nominationId, cancellationToken) >= MaxPhotos)
        {
            return Outcome<RoundView>.Invalid("photo", text["Photos.Error.TooMany", MaxPhotos]);
        }
        db.StoryPhotos.Add(new StoryPhoto { NominationId = nominationId, ContentType = photo.ContentType, Content = photo.Content, Width = photo.Width, Height = photo.Height });
        audit.Add("commendation.photo", scope!.RootId, nomination.SubjectName);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<RoundView>.Ok((await GetAsync(principal, nomination.RoundId, cancellationToken))!);
    }

    /// <summary>The honour roll: awarded commendations with their stories, and the volunteers with stars (names masked).</summary>
    public async Task<(List<HonourView> Commendations, List<StarHonour> Stars)> HonoursAsync(CancellationToken cancellationToken = default)
    {
        var commendations = await db.Nominations.AsNoTracking().Where(n => n.Status == RecognitionStatus.Awarded)
            .OrderByDescending(n => n.DecidedAtUtc)
            .Select(n => new HonourView(n.Id, n.Round!.Name, n.Round.Kind, n.SubjectName, db.Units.Where(u => u.Id == n.UnitId).Select(u => u.Name).First(), n.Story,
                db.StoryPhotos.Where(p => p.NominationId == n.Id).OrderBy(p => p.Id).Select(p => p.Id).ToList(), n.DecidedAtUtc!.Value))
            .Take(100).ToListAsync(cancellationToken);
        var stars = (await db.Volunteers.AsNoTracking().Where(v => v.StarLevel > 0).OrderByDescending(v => v.StarLevel).ThenBy(v => v.Number)
                .Select(v => new { v.Name, UnitName = v.Unit!.Name, v.StarLevel }).Take(200).ToListAsync(cancellationToken))
            .Select(v => new StarHonour(Certificates.MaskName(v.Name), v.UnitName, v.StarLevel)).ToList();
        return (commendations, stars);
    }

    /// <summary>A story photo, public once its nomination is on notice or awarded.</summary>
    public Task<StoryPhoto?> PhotoAsync(Guid id, CancellationToken cancellationToken = default) =>
        db.StoryPhotos.AsNoTracking().Where(p => p.Id == id && db.Nominations.Any(n => n.Id == p.NominationId
            && (n.Status == RecognitionStatus.Awarded || n.Status == RecognitionStatus.OnNotice))).SingleOrDefaultAsync(cancellationToken);

    async Task<Outcome<RoundView>> ChangeAsync(ClaimsPrincipal principal, Guid nominationId, RecognitionStatus expected, Func<Nomination, DateTime, Task<string?>> change,
        CancellationToken cancellationToken)
    {
        var scope = await UnitScope.ForAsync(principal, db, cancellationToken);
        var nomination = scope is null ? null
            : await db.Nominations.SingleOrDefaultAsync(n => n.Id == nominationId && n.Round!.Unit!.Path.StartsWith(scope.RootPath), cancellationToken);
        if (nomination is null)
        {
            return Outcome<RoundView>.NotFound();
        }
        if (nomination.Status != expected)
        {
            return Outcome<RoundView>.Invalid("nomination", text["Stars.Error.State", text["Recognition.Status." + nomination.Status]]);
        }
        var now = time.GetUtcNow().UtcDateTime;
        if (await change(nomination, now) is { } error)
        {
            return Outcome<RoundView>.Invalid("nomination", error);
        }
        (nomination.DecidedAtUtc, nomination.DecidedBy) = (now, audit.ActorName);
        audit.Add("commendation." + nomination.Status.ToString().ToLowerInvariant(), scope!.RootId, nomination.SubjectName, nomination.DecisionReason ?? "");
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<RoundView>.Ok((await GetAsync(principal, nomination.RoundId, cancellationToken))!);
    }
}
