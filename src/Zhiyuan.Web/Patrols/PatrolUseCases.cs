using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Activities;
using Zhiyuan.Web.Audit;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Hours;
using Zhiyuan.Web.Infrastructure;
using Zhiyuan.Web.Organizations;
using Zhiyuan.Web.ServicePosts;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Web.Patrols;

public sealed record CreateDepartmentRequest(string? Name, string? UnitCode);

public sealed record DepartmentView(Guid Id, string Name, string UnitName, List<string> Liaisons);

public sealed record AddLiaisonRequest(string? UserName);

public sealed record CreateTeamRequest(Guid? OrganizationId, string? Name, bool IsRiverTeam, string[]? VolunteerNumbers);

public sealed record TeamView(Guid Id, string Name, Guid OrganizationId, string OrganizationName, bool IsRiverTeam, List<string> Members);

public sealed record CreateRoundRequest(Guid? TeamId, PatrolMode? Mode, string? Area, DateTimeOffset? StartsAt, DateTimeOffset? EndsAt);

public sealed record RoundView(Guid Id, Guid TeamId, string TeamName, bool IsRiverTeam, PatrolMode Mode, string Area, DateTime StartsAtUtc, DateTime EndsAtUtc,
    Guid ActivityId, Guid SessionId, DateTime? FinishedAtUtc, int Findings, bool CanManage);

public sealed record FinishRoundRequest(string[]? VolunteerNumbers);

public sealed record FileFindingRequest(Guid? RoundId, string? Place, FindingCategory? Category, string? Description, string? Suggestion, Guid? DepartmentId,
    double? WaterPh = null, double? WaterDissolvedOxygen = null, double? WaterTurbidity = null);

public sealed record AnswerFindingRequest(string? Answer);

public sealed record VerifyFindingRequest(bool Close, string? Comment);

public sealed record FindingView(Guid Id, Guid RoundId, string TeamName, PatrolMode Mode, string Place, FindingCategory Category, string Description, string Suggestion,
    double? WaterPh, double? WaterDissolvedOxygen, double? WaterTurbidity, Guid DepartmentId, string DepartmentName, FindingStatus Status,
    DateTime ReportedAtUtc, string ReportedBy, DateTime DueAtUtc, bool Overdue, string? Answer, DateTime? AnsweredAtUtc, string? AnsweredBy,
    string? VerifyComment, DateTime? ClosedAtUtc, int ReopenCount, List<Guid> ProblemPhotos, List<Guid> RectificationPhotos, bool CanAnswer, bool CanVerify);

public sealed record FindingFigures(string Name, int Total, int Open, int Answered, int Closed, int Overdue, double? DaysToAnswer);

public sealed record PatrolStatistics(List<FindingFigures> ByDepartment, List<FindingFigures> ByCategory);

/// <summary>Deadlines of patrol findings (section "Patrols").</summary>
public sealed class PatrolOptions
{
    public int AnswerWithinDays { get; set; } = 7;
}

/// <summary>Civilisation patrols (市民志愿巡访团, 河小青): teams, rounds, findings routed to departments, answers and verification.</summary>
public sealed class PatrolUseCases(
    AppDbContext db,
    AuditLog audit,
    OrganizationUseCases organizations,
    AssignedActivities assigned,
    UserManager<AppUser> users,
    IOptions<PatrolOptions> options,
    IStringLocalizer<SharedResource> text,
    TimeProvider time)
{
    public const int MaxPhotos = 6;

    public async Task<Outcome<DepartmentView>> CreateDepartmentAsync(UnitScope scope, CreateDepartmentRequest request, CancellationToken cancellationToken = default)
    {
        var errors = new FieldErrors();
        var name = Text.Required(errors, text, "name", request.Name, "Departments.Field.Name", Department.NameMaxLength);
        var unit = await scope.Filter(db.Units).SingleOrDefaultAsync(u => u.Code == (request.UnitCode ?? "").Trim(), cancellationToken);
        if (unit is null)
        {
            errors.Add("unitCode", text["Departments.Error.Unit"]);
        }
        if (name.Length > 0 && await db.Departments.AnyAsync(d => d.Name == name, cancellationToken))
        {
            errors.Add("name", text["Departments.Error.Exists", name]);
        }
        if (errors.Any)
        {
            return Outcome<DepartmentView>.Invalid(errors);
        }
        var department = new Department { Name = name, UnitId = unit!.Id, CreatedAtUtc = time.GetUtcNow().UtcDateTime };
        db.Departments.Add(department);
        audit.Add("department.create", unit.Id, name);
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<DepartmentView>.Ok(new DepartmentView(department.Id, name, unit.Name, []));
    }

    /// <summary>Every department (findings may go to any); liaisons are listed for administrators only.</summary>
    public async Task<List<DepartmentView>> DepartmentsAsync(CancellationToken cancellationToken = default)
    {
        var departments = await db.Departments.AsNoTracking().OrderBy(d => d.Name).Select(d => new { d.Id, d.Name, Unit = d.Unit!.Name }).ToListAsync(cancellationToken);
        var liaisons = (await db.DepartmentLiaisons.AsNoTracking().Select(l => new { l.DepartmentId, l.User!.UserName }).ToListAsync(cancellationToken)).ToLookup(l => l.DepartmentId);
        return departments.Select(d => new DepartmentView(d.Id, d.Name, d.Unit, liaisons[d.Id].Select(l => l.UserName ?? "").Order().ToList())).ToList();
    }

    /// <summary>Links an account holding the DepartmentLiaison role to a department of the administrator's subtree.</summary>
    public async Task<Outcome<DepartmentView>> AddLiaisonAsync(UnitScope scope, Guid departmentId, AddLiaisonRequest request, CancellationToken cancellationToken = default)
    {
        var department = await db.Departments.Include(d => d.Unit).SingleOrDefaultAsync(d => d.Id == departmentId && d.Unit!.Path.StartsWith(scope.RootPath), cancellationToken);
        if (department is null)
        {
            return Outcome<DepartmentView>.NotFound();
        }
        var user = await users.FindByNameAsync((request.UserName ?? "").Trim());
        if (user is null || !await users.IsInRoleAsync(user, Roles.DepartmentLiaison))
        {
            return Outcome<DepartmentView>.Invalid("userName", text["Departments.Error.Liaison"]);
        }
        if (!await db.DepartmentLiaisons.AnyAsync(l => l.DepartmentId == departmentId && l.UserId == user.Id, cancellationToken))
        {
            db.DepartmentLiaisons.Add(new DepartmentLiaison { DepartmentId = departmentId, UserId = user.Id });
            audit.Add("department.liaison", department.UnitId, department.Name, user.UserName!);
            await db.SaveChangesAsync(cancellationToken);
        }
        return Outcome<DepartmentView>.Ok((await DepartmentsAsync(cancellationToken)).Single(d => d.Id == departmentId));
    }

    public async Task<Outcome<TeamView>> CreateTeamAsync(ClaimsPrincipal principal, CreateTeamRequest request, CancellationToken cancellationToken = default)
    {
        var errors = new FieldErrors();
        var organization = request.OrganizationId is { } orgId
            ? await (await organizations.ManagedQueryAsync(principal, cancellationToken)).AsNoTracking().SingleOrDefaultAsync(o => o.Id == orgId, cancellationToken)
            : null;
        if (organization is null)
        {
            errors.Add("organizationId", text["Activities.Error.Host"]);
        }
        var name = Text.Required(errors, text, "name", request.Name, "Patrols.Field.TeamName", PatrolTeam.NameMaxLength);
        var members = organization is null ? [] : await assigned.MembersAsync(errors, "volunteerNumbers", organization.Id, request.VolunteerNumbers, cancellationToken);
        if (errors.Any)
        {
            return Outcome<TeamView>.Invalid(errors);
        }
        var team = new PatrolTeam
        {
            Name = name, OrganizationId = organization!.Id, UnitId = organization.UnitId, IsRiverTeam = request.IsRiverTeam, CreatedAtUtc = time.GetUtcNow().UtcDateTime,
            Members = members.Select(v => new PatrolTeamMember { VolunteerId = v.Id }).ToList(),
        };
        db.PatrolTeams.Add(team);
        audit.Add("patrol.team", organization.UnitId, name, $"{organization.Name} · {members.Count}");
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<TeamView>.Ok(new TeamView(team.Id, name, organization.Id, organization.Name, team.IsRiverTeam, members.Select(m => m.Number).ToList()));
    }

    /// <summary>The teams the caller runs or belongs to.</summary>
    public async Task<List<TeamView>> TeamsAsync(ClaimsPrincipal principal, CancellationToken cancellationToken = default)
    {
        var teams = await (await TeamsQueryAsync(principal, cancellationToken)).AsNoTracking().OrderBy(t => t.Name)
            .Select(t => new { t.Id, t.Name, t.OrganizationId, Org = t.Organization!.Name, t.IsRiverTeam, Members = t.Members.Select(m => m.Volunteer!.Number).ToList() })
            .ToListAsync(cancellationToken);
        return teams.Select(t => new TeamView(t.Id, t.Name, t.OrganizationId, t.Org, t.IsRiverTeam, t.Members)).ToList();
    }

    /// <summary>
    /// A round is an activity with one session and the team's members assigned: open rounds are
    /// public at once (no sign-ups), undercover ones stay hidden until finished.
    /// </summary>
    public async Task<Outcome<RoundView>> CreateRoundAsync(ClaimsPrincipal principal, CreateRoundRequest request, CancellationToken cancellationToken = default)
    {
        var errors = new FieldErrors();
        var managed = await organizations.ManagedQueryAsync(principal, cancellationToken);
        var team = request.TeamId is { } teamId
            ? await db.PatrolTeams.Include(t => t.Organization).Include(t => t.Members).ThenInclude(m => m.Volunteer)
                .SingleOrDefaultAsync(t => t.Id == teamId && managed.Any(o => o.Id == t.OrganizationId), cancellationToken)
            : null;
        if (team is null)
        {
            errors.Add("teamId", text["Patrols.Error.Team"]);
        }
        if (request.Mode is not { } mode || !Enum.IsDefined(mode))
        {
            errors.Add("mode", text["Patrols.Error.Mode"]);
        }
        var area = Text.Required(errors, text, "area", request.Area, "Patrols.Field.Area", 200);
        var now = time.GetUtcNow().UtcDateTime;
        if (request.StartsAt is not { } start || request.EndsAt is not { } end)
        {
            errors.Add("startsAt", text["Validation.Required", text["Patrols.Field.Time"]]);
        }
        else if (end <= start)
        {
            errors.Add("endsAt", text["Activities.Error.EndBeforeStart"]);
        }
        else if (end - start > TimeSpan.FromHours(12))
        {
            errors.Add("endsAt", text["Activities.Error.SessionTooLong"]);
        }
        else if (start.UtcDateTime < now.AddDays(-7) || start.UtcDateTime > now.AddDays(90))
        {
            errors.Add("startsAt", text["Patrols.Error.RoundTime"]);
        }
        if (team is { Members.Count: 0 })
        {
            errors.Add("teamId", text["Assigned.Error.NoVolunteers"]);
        }
        if (errors.Any)
        {
            return Outcome<RoundView>.Invalid(errors);
        }
        var undercover = request.Mode == PatrolMode.Undercover;
        var (activity, session) = assigned.Add(team!.Organization!, new AssignedWork(
            $"{team.Name}{text[undercover ? "Patrols.UndercoverRound" : "Patrols.OpenRound"]}：{area}", text["Patrols.RoundDescription"],
            team.IsRiverTeam ? ServiceLines.Ecology : ServiceLines.CivilisedCity, team.IsRiverTeam ? "河小青" : "市民志愿巡访团", area,
            request.StartsAt!.Value.UtcDateTime, request.EndsAt!.Value.UtcDateTime, audit.ActorName, undercover ? ActivityStatus.Draft : ActivityStatus.Closed, IsPrivate: undercover),
            team.Members.Select(m => m.Volunteer!).ToList(), users.GetUserId(principal), now);
        var round = new PatrolRound
        {
            TeamId = team.Id, Mode = request.Mode!.Value, Area = area, StartsAtUtc = session.StartsAtUtc, EndsAtUtc = session.EndsAtUtc, ActivityId = activity.Id, SessionId = session.Id,
        };
        db.PatrolRounds.Add(round);
        audit.Add("patrol.round", team.UnitId, team.Name, $"{round.Mode} · {area}");
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<RoundView>.Ok((await RoundAsync(principal, round.Id, cancellationToken))!);
    }

    public async Task<List<RoundView>> RoundsAsync(ClaimsPrincipal principal, CancellationToken cancellationToken = default)
    {
        var teams = await TeamsQueryAsync(principal, cancellationToken);
        var ids = await db.PatrolRounds.AsNoTracking().Where(r => teams.Any(t => t.Id == r.TeamId)).OrderByDescending(r => r.StartsAtUtc).Select(r => r.Id).Take(100).ToListAsync(cancellationToken);
        var rounds = new List<RoundView>();
        foreach (var id in ids)
        {
            rounds.Add((await RoundAsync(principal, id, cancellationToken))!);
        }
        return rounds;
    }

    public async Task<RoundView?> RoundAsync(ClaimsPrincipal principal, Guid id, CancellationToken cancellationToken = default)
    {
        var teams = await TeamsQueryAsync(principal, cancellationToken);
        var r = await db.PatrolRounds.AsNoTracking().Include(r => r.Team).SingleOrDefaultAsync(r => r.Id == id && teams.Any(t => t.Id == r.TeamId), cancellationToken);
        if (r is null)
        {
            return null;
        }
        var managed = await organizations.ManagedQueryAsync(principal, cancellationToken);
        var canManage = await managed.AnyAsync(o => o.Id == r.Team!.OrganizationId, cancellationToken);
        return new RoundView(r.Id, r.TeamId, r.Team!.Name, r.Team.IsRiverTeam, r.Mode, r.Area, r.StartsAtUtc, r.EndsAtUtc, r.ActivityId, r.SessionId, r.FinishedAtUtc,
            await db.Findings.CountAsync(f => f.RoundId == id, cancellationToken), canManage);
    }

    /// <summary>The round is over: members who took part (all, when none are named) get their hours confirmed; an undercover round stays private (it counts in reports, never on the public site).</summary>
    public async Task<Outcome<RoundView>> FinishRoundAsync(ClaimsPrincipal principal, Guid id, FinishRoundRequest request, CancellationToken cancellationToken = default)
    {
        var round = await RoundAsync(principal, id, cancellationToken);
        if (round is null || !round.CanManage)
        {
            return Outcome<RoundView>.NotFound();
        }
        if (round.FinishedAtUtc is not null)
        {
            return Outcome<RoundView>.Invalid("status", text["Patrols.Error.Finished"]);
        }
        // The round is marked finished by a conditional update first, in the same transaction as the
        // hours: of three simultaneous "finish" clicks one confirms, the others find it finished.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await db.PatrolRounds.Where(r => r.Id == id && r.FinishedAtUtc == null)
                .ExecuteUpdateAsync(r => r.SetProperty(x => x.FinishedAtUtc, time.GetUtcNow().UtcDateTime), cancellationToken) == 0)
        {
            return Outcome<RoundView>.Invalid("status", text["Patrols.Error.Finished"]);
        }
        var confirmed = await assigned.CompleteAsync(principal, round.ActivityId, round.SessionId, request.VolunteerNumbers, cancellationToken);
        if (!confirmed.Succeeded)
        {
            return confirmed.IsNotFound ? Outcome<RoundView>.NotFound() : Outcome<RoundView>.Invalid(FieldErrorsFrom.Copy(confirmed.Errors!));
        }
        await transaction.CommitAsync(cancellationToken);
        return Outcome<RoundView>.Ok((await RoundAsync(principal, id, cancellationToken))!);
    }

    /// <summary>A team member (or the team's organisation) files a finding with photos; a photo that is not an image refuses the whole finding.</summary>
    public async Task<Outcome<FindingView>> FileAsync(ClaimsPrincipal principal, FileFindingRequest request, IReadOnlyList<byte[]> photos, CancellationToken cancellationToken = default)
    {
        var errors = new FieldErrors();
        var round = request.RoundId is { } roundId ? await RoundAsync(principal, roundId, cancellationToken) : null;
        if (round is null)
        {
            return Outcome<FindingView>.NotFound();
        }
        var now = time.GetUtcNow().UtcDateTime;
        if (now < round.StartsAtUtc.AddHours(-1) || now > round.EndsAtUtc.AddDays(2))
        {
            errors.Add("roundId", text["Patrols.Error.OutsideRound", ChinaTime.Format(round.StartsAtUtc), ChinaTime.Format(round.EndsAtUtc)]);
        }
        var place = Text.Required(errors, text, "place", request.Place, "Patrols.Field.Place", 200);
        if (request.Category is not { } category || !Enum.IsDefined(category))
        {
            errors.Add("category", text["Patrols.Error.Category"]);
        }
        var description = Text.Required(errors, text, "description", request.Description, "Patrols.Field.Description", Finding.TextMaxLength);
        var suggestion = Text.Optional(errors, text, "suggestion", request.Suggestion, "Patrols.Field.Suggestion", Finding.TextMaxLength);
        var department = request.DepartmentId is { } departmentId ? await db.Departments.AsNoTracking().SingleOrDefaultAsync(d => d.Id == departmentId, cancellationToken) : null;
        if (department is null)
        {
            errors.Add("departmentId", text["Patrols.Error.Department"]);
        }
        var water = request.Category == FindingCategory.RiverPollution;
        if (water && round.IsRiverTeam && request.WaterPh is null && request.WaterDissolvedOxygen is null && request.WaterTurbidity is null)
        {
            errors.Add("waterPh", text["Patrols.Error.WaterReadings"]);
        }
        if (request.WaterPh is < 0 or > 14)
        {
            errors.Add("waterPh", text["Patrols.Error.Range", text["Patrols.Field.WaterPh"], 0, 14]);
        }
        if (request.WaterDissolvedOxygen is < 0 or > 20)
        {
            errors.Add("waterDissolvedOxygen", text["Patrols.Error.Range", text["Patrols.Field.WaterDissolvedOxygen"], 0, 20]);
        }
        if (request.WaterTurbidity is < 0 or > 4000)
        {
            errors.Add("waterTurbidity", text["Patrols.Error.Range", text["Patrols.Field.WaterTurbidity"], 0, 4000]);
        }
        var clean = await CleanPhotosAsync(errors, photos, cancellationToken);
        if (errors.Any)
        {
            return Outcome<FindingView>.Invalid(errors);
        }
        var unitId = await db.PatrolTeams.Where(t => t.Id == round.TeamId).Select(t => t.UnitId).SingleAsync(cancellationToken);
        var finding = new Finding
        {
            RoundId = round.Id, UnitId = unitId, Place = place, Category = request.Category!.Value, Description = description, Suggestion = suggestion,
            WaterPh = water ? request.WaterPh : null, WaterDissolvedOxygen = water ? request.WaterDissolvedOxygen : null, WaterTurbidity = water ? request.WaterTurbidity : null,
            DepartmentId = department!.Id, Status = FindingStatus.Open, ReportedAtUtc = now, ReportedBy = audit.ActorName, DueAtUtc = now.AddDays(options.Value.AnswerWithinDays),
            Photos = clean.Select(p => new FindingPhoto { Kind = FindingPhotoKind.Problem, ContentType = p.ContentType, Content = p.Content }).ToList(),
        };
        db.Findings.Add(finding);
        audit.Add("finding.file", unitId, place, $"{finding.Category} → {department.Name}");
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<FindingView>.Ok((await FindingAsync(principal, finding.Id, cancellationToken))!);
    }

    /// <summary>The department's liaison answers with the rectification and photos.</summary>
    public async Task<Outcome<FindingView>> AnswerAsync(ClaimsPrincipal principal, Guid id, AnswerFindingRequest request, IReadOnlyList<byte[]> photos, CancellationToken cancellationToken = default)
    {
        var userId = users.GetUserId(principal);
        var finding = await db.Findings.SingleOrDefaultAsync(f => f.Id == id, cancellationToken);
        if (finding is null || !await (await VisibleAsync(principal, cancellationToken)).AnyAsync(f => f.Id == id, cancellationToken))
        {
            return Outcome<FindingView>.NotFound();
        }
        var errors = new FieldErrors();
        if (!await db.DepartmentLiaisons.AnyAsync(l => l.DepartmentId == finding.DepartmentId && l.UserId == userId, cancellationToken))
        {
            errors.Add("answer", text["Patrols.Error.NotLiaison"]);
        }
        if (finding.Status is not (FindingStatus.Open or FindingStatus.Reopened))
        {
            errors.Add("status", text["Patrols.Error.NotOpen"]);
        }
        var answer = Text.Required(errors, text, "answer", request.Answer, "Patrols.Field.Answer", Finding.TextMaxLength);
        var clean = await CleanPhotosAsync(errors, photos, cancellationToken);
        if (errors.Any)
        {
            return Outcome<FindingView>.Invalid(errors);
        }
        var now = time.GetUtcNow().UtcDateTime;
        finding.Status = FindingStatus.Answered;
        finding.Answer = answer;
        finding.AnsweredAtUtc = now;
        finding.AnsweredBy = audit.ActorName;
        foreach (var photo in clean)
        {
            db.FindingPhotos.Add(new FindingPhoto { FindingId = id, Kind = FindingPhotoKind.Rectification, ContentType = photo.ContentType, Content = photo.Content });
        }
        audit.Add("finding.answer", finding.UnitId, finding.Place, answer);
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<FindingView>.Ok((await FindingAsync(principal, id, cancellationToken))!);
    }

    /// <summary>The patrol checks the rectification: closes the finding, or reopens it with a comment (the department gets a new deadline).</summary>
    public async Task<Outcome<FindingView>> VerifyAsync(ClaimsPrincipal principal, Guid id, VerifyFindingRequest request, CancellationToken cancellationToken = default)
    {
        var view = await FindingAsync(principal, id, cancellationToken);
        if (view is null || !await IsPatrolSideAsync(principal, id, cancellationToken))
        {
            return Outcome<FindingView>.NotFound();
        }
        var errors = new FieldErrors();
        if (view.Status != FindingStatus.Answered)
        {
            errors.Add("status", text["Patrols.Error.NotAnswered"]);
        }
        var comment = Text.Optional(errors, text, "comment", request.Comment, "Patrols.Field.Comment", Finding.TextMaxLength);
        if (!request.Close && comment.Length == 0)
        {
            errors.Add("comment", text["Validation.Required", text["Patrols.Field.Comment"]]);
        }
        if (errors.Any)
        {
            return Outcome<FindingView>.Invalid(errors);
        }
        var finding = await db.Findings.SingleAsync(f => f.Id == id, cancellationToken);
        if (finding.Status != FindingStatus.Answered)
        {
            // Closed or reopened a moment ago (a double click): the status read here is what the conditional update expects.
            return Outcome<FindingView>.Invalid("status", text["Patrols.Error.NotAnswered"]);
        }
        var now = time.GetUtcNow().UtcDateTime;
        finding.VerifyComment = comment.Length > 0 ? comment : null;
        if (request.Close)
        {
            finding.Status = FindingStatus.Closed;
            finding.ClosedAtUtc = now;
        }
        else
        {
            finding.Status = FindingStatus.Reopened;
            finding.ReopenCount++;
            finding.DueAtUtc = now.AddDays(options.Value.AnswerWithinDays);
        }
        audit.Add(request.Close ? "finding.close" : "finding.reopen", finding.UnitId, finding.Place, comment);
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<FindingView>.Ok((await FindingAsync(principal, id, cancellationToken))!);
    }

    public Task<List<FindingView>> FindingsAsync(ClaimsPrincipal principal, FindingStatus? status = null, CancellationToken cancellationToken = default) =>
        FindingsAsync(principal, status, null, cancellationToken);

    /// <param name="queue">Only the findings overdue, or waiting for the caller's department to answer.</param>
    public async Task<List<FindingView>> FindingsAsync(ClaimsPrincipal principal, FindingStatus? status, FindingQueue? queue, CancellationToken cancellationToken = default)
    {
        var query = queue is { } q ? await QueueAsync(principal, q, cancellationToken) : await VisibleAsync(principal, cancellationToken);
        if (status is { } s)
        {
            query = query.Where(f => f.Status == s);
        }
        var ids = await query.OrderByDescending(f => f.ReportedAtUtc).Select(f => f.Id).Take(MaxListed).ToListAsync(cancellationToken);
        var views = new List<FindingView>();
        foreach (var id in ids)
        {
            views.Add((await FindingAsync(principal, id, cancellationToken))!);
        }
        return views;
    }

    /// <summary>A finding for whoever may see it; for anyone else (a liaison of another department among them) it does not exist.</summary>
    public async Task<FindingView?> FindingAsync(ClaimsPrincipal principal, Guid id, CancellationToken cancellationToken = default)
    {
        var f = await (await VisibleAsync(principal, cancellationToken)).AsNoTracking().Include(f => f.Round).ThenInclude(r => r!.Team).Include(f => f.Department)
            .SingleOrDefaultAsync(f => f.Id == id, cancellationToken);
        if (f is null)
        {
            return null;
        }
        var photos = await db.FindingPhotos.AsNoTracking().Where(p => p.FindingId == id).OrderBy(p => p.Id).Select(p => new { p.Id, p.Kind }).ToListAsync(cancellationToken);
        var userId = users.GetUserId(principal);
        var liaison = await db.DepartmentLiaisons.AnyAsync(l => l.DepartmentId == f.DepartmentId && l.UserId == userId, cancellationToken);
        var patrol = await IsPatrolSideAsync(principal, id, cancellationToken);
        var now = time.GetUtcNow().UtcDateTime;
        return new FindingView(f.Id, f.RoundId, f.Round!.Team!.Name, f.Round.Mode, f.Place, f.Category, f.Description, f.Suggestion, f.WaterPh, f.WaterDissolvedOxygen, f.WaterTurbidity,
            f.DepartmentId, f.Department!.Name, f.Status, f.ReportedAtUtc, f.ReportedBy, f.DueAtUtc, IsOverdue(f.Status, f.DueAtUtc, now), f.Answer, f.AnsweredAtUtc, f.AnsweredBy,
            f.VerifyComment, f.ClosedAtUtc, f.ReopenCount,
            photos.Where(p => p.Kind == FindingPhotoKind.Problem).Select(p => p.Id).ToList(), photos.Where(p => p.Kind == FindingPhotoKind.Rectification).Select(p => p.Id).ToList(),
            liaison && f.Status is FindingStatus.Open or FindingStatus.Reopened, patrol && f.Status == FindingStatus.Answered);
    }

    public async Task<FindingPhoto?> PhotoAsync(ClaimsPrincipal principal, Guid photoId, CancellationToken cancellationToken = default)
    {
        var visible = await VisibleAsync(principal, cancellationToken);
        return await db.FindingPhotos.AsNoTracking().SingleOrDefaultAsync(p => p.Id == photoId && visible.Any(f => f.Id == p.FindingId), cancellationToken);
    }

    /// <summary>Findings by department and by category, of the findings the caller sees.</summary>
    public async Task<PatrolStatistics> StatisticsAsync(ClaimsPrincipal principal, CancellationToken cancellationToken = default)
    {
        var rows = await (await VisibleAsync(principal, cancellationToken)).AsNoTracking()
            .Select(f => new StatisticsRow(f.Department!.Name, f.Category, f.Status, f.DueAtUtc, f.ReportedAtUtc, f.AnsweredAtUtc)).ToListAsync(cancellationToken);
        var now = time.GetUtcNow().UtcDateTime;
        FindingFigures Figures(string name, IEnumerable<StatisticsRow> group)
        {
            var list = group.ToList();
            var answered = list.Where(r => r.AnsweredAtUtc != null).Select(r => (r.AnsweredAtUtc!.Value - r.ReportedAtUtc).TotalDays).ToList();
            return new FindingFigures(name, list.Count, list.Count(r => r.Status is FindingStatus.Open or FindingStatus.Reopened), list.Count(r => r.Status == FindingStatus.Answered),
                list.Count(r => r.Status == FindingStatus.Closed), list.Count(r => IsOverdue(r.Status, r.DueAtUtc, now)),
                answered.Count == 0 ? null : Math.Round(answered.Average(), 1));
        }
        return new PatrolStatistics(
            rows.GroupBy(r => r.Department).OrderBy(g => g.Key).Select(g => Figures(g.Key, g)).ToList(),
            rows.GroupBy(r => r.Category).OrderBy(g => g.Key).Select(g => Figures(text["FindingCategory." + g.Key], g)).ToList());
    }

    sealed record StatisticsRow(string Department, FindingCategory Category, FindingStatus Status, DateTime DueAtUtc, DateTime ReportedAtUtc, DateTime? AnsweredAtUtc);

    static bool IsOverdue(FindingStatus status, DateTime due, DateTime now) => status is FindingStatus.Open or FindingStatus.Reopened && now > due;

    async Task<List<CleanPhoto>> CleanPhotosAsync(FieldErrors errors, IReadOnlyList<byte[]> photos, CancellationToken cancellationToken)
    {
        if (photos.Count > MaxPhotos)
        {
            errors.Add("photos", text["Patrols.Error.TooManyPhotos", MaxPhotos]);
            return [];
        }
        var clean = new List<CleanPhoto>();
        foreach (var bytes in photos)
        {
            var (photo, error) = await PhotoUpload.CleanAsync(bytes, cancellationToken);
            if (photo is null)
            {
                errors.Add("photos", error == "Photos.Error.TooLarge" ? text[error, PhotoUpload.MaxBytes / 1024 / 1024] : text[error!]);
            }
            else
            {
                clean.Add(photo);
            }
        }
        return clean;
    }

    /// <summary>
    /// Who sees a finding: the unit subtree it belongs to, the team's organisation and members, and
    /// the liaisons of the department it was routed to. The one place this rule is written.
    /// </summary>
    /// <summary>The most findings the list shows.</summary>
    public const int MaxListed = 200;

    /// <summary>
    /// Findings the caller sees that are overdue (open or reopened past the answer date, as
    /// <see cref="IsOverdue"/> says), or that wait for an answer from a department the caller is
    /// liaison for. The one definition behind the list's filter and the workbench's counts.
    /// </summary>
    internal async Task<IQueryable<Finding>> QueueAsync(ClaimsPrincipal principal, FindingQueue queue, CancellationToken cancellationToken)
    {
        var visible = await VisibleAsync(principal, cancellationToken);
        var waiting = visible.Where(f => f.Status == FindingStatus.Open || f.Status == FindingStatus.Reopened);
        if (queue == FindingQueue.Overdue)
        {
            var now = time.GetUtcNow().UtcDateTime;
            return waiting.Where(f => f.DueAtUtc < now);
        }
        var userId = users.GetUserId(principal);
        return waiting.Where(f => db.DepartmentLiaisons.Any(l => l.DepartmentId == f.DepartmentId && l.UserId == userId));
    }

    async Task<IQueryable<Finding>> VisibleAsync(ClaimsPrincipal principal, CancellationToken cancellationToken)
    {
        var scopePath = (await UnitScope.ForAsync(principal, db, cancellationToken))?.RootPath;
        var userId = users.GetUserId(principal);
        var teams = await TeamsQueryAsync(principal, cancellationToken);
        return db.Findings.Where(f => (scopePath != null && db.Units.Any(u => u.Id == f.UnitId && u.Path.StartsWith(scopePath)))
            || teams.Any(t => t.Id == f.Round!.TeamId)
            || db.DepartmentLiaisons.Any(l => l.DepartmentId == f.DepartmentId && l.UserId == userId));
    }

    async Task<bool> IsPatrolSideAsync(ClaimsPrincipal principal, Guid findingId, CancellationToken cancellationToken)
    {
        var teams = await TeamsQueryAsync(principal, cancellationToken);
        return await db.Findings.AnyAsync(f => f.Id == findingId && teams.Any(t => t.Id == f.Round!.TeamId), cancellationToken);
    }

    /// <summary>Teams of organisations the caller manages, and teams the caller is a member of.</summary>
    async Task<IQueryable<PatrolTeam>> TeamsQueryAsync(ClaimsPrincipal principal, CancellationToken cancellationToken)
    {
        var managed = await organizations.ManagedQueryAsync(principal, cancellationToken);
        var userId = users.GetUserId(principal);
        return db.PatrolTeams.Where(t => managed.Any(o => o.Id == t.OrganizationId) || t.Members.Any(m => userId != null && m.Volunteer!.UserId == userId));
    }
}

/// <summary>Findings that wait for someone.</summary>
public enum FindingQueue
{
    /// <summary>Open or reopened past the date the department should have answered by.</summary>
    Overdue,

    /// <summary>Open or reopened, for a department the caller is liaison for.</summary>
    Answer,
}
