using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Audit;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Infrastructure;
using Zhiyuan.Web.Organizations;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Web.Activities;

public sealed record SessionRequest(DateTimeOffset? StartsAt, DateTimeOffset? EndsAt, int? Capacity, bool IsTraining = false);

public sealed record CreateActivityRequest(
    Guid? HostOrganizationId,
    string? Title,
    string? Description,
    Guid[]? CoOrganizerIds,
    ServiceLines? ServiceLine,
    string? ProgrammeTag,
    PopulationTypes[]? PopulationTypes,
    string? OtherPopulation,
    string? Address,
    double? Latitude,
    double? Longitude,
    int? GeofenceMeters,
    DateTimeOffset? SignUpOpensAt,
    DateTimeOffset? SignUpClosesAt,
    int? CancelHoursBefore,
    int? MinAge,
    int? MaxAge,
    string? RequiredSkills,
    bool MembersOnly,
    bool ReviewSignUps,
    string? RiskNotice,
    bool Insured,
    string? ResponsiblePerson,
    SessionRequest[]? Sessions);

/// <summary>Moves an activity on: publish, close, finish.</summary>
public sealed record ActivityStatusRequest(ActivityStatus Status);

public sealed record ActivityListQuery(string? Q = null, ServiceLines? Line = null, string? UnitCode = null, DateOnly? From = null, DateOnly? To = null, bool OpenPlaces = false, int Page = 1);

public sealed record ActivitySummary(Guid Id, string Title, string HostName, string UnitName, ServiceLines ServiceLine, string Address,
    DateTime? FirstStartUtc, DateTime? LastEndUtc, int PlacesLeft, ActivityStatus Status);

public sealed record SessionView(Guid Id, DateTime StartsAtUtc, DateTime EndsAtUtc, int Capacity, int Accepted, int Waitlisted, bool IsTraining, DateTime? HoursConfirmedAtUtc,
    DateTime? CancelledAtUtc = null, string? CancellationReason = null)
{
    public int PlacesLeft => CancelledAtUtc is null ? Math.Max(0, Capacity - Accepted) : 0;

    public bool IsCancelled => CancelledAtUtc is not null;
}

public sealed record ActivityView(
    Guid Id, string Title, string Description, Guid HostOrganizationId, string HostName, string UnitName, string[] CoOrganizers,
    ServiceLines ServiceLine, string? ProgrammeTag, PopulationTypes[] PopulationTypes, string? OtherPopulation,
    string Address, double? Latitude, double? Longitude, int? GeofenceMeters,
    DateTime SignUpOpensAtUtc, DateTime SignUpClosesAtUtc, int CancelHoursBefore, int? MinAge, int? MaxAge, string RequiredSkills,
    bool MembersOnly, bool ReviewSignUps, string RiskNotice, bool Insured, string ResponsiblePerson, ActivityStatus Status,
    List<SessionView> Sessions, bool IsBackEntry = false, int Version = 0, DateTime? CancelledAtUtc = null, string? CancellationReason = null, Guid[]? CoOrganizerIds = null);

public sealed record ActivityPage(List<ActivitySummary> Items, int Total, int Page, int PageSize);

/// <summary>What describes an activity, checked: everything but its host, sessions and sign-up window.</summary>
sealed record ActivityDetails(string Title, string Description, List<Guid> CoOrganizerIds, ServiceLines ServiceLine, string? ProgrammeTag,
    PopulationTypes PopulationTypes, string? OtherPopulation, string Address, double? Latitude, double? Longitude, int? GeofenceMeters,
    int CancelHoursBefore, int? MinAge, int? MaxAge, string RequiredSkills, bool MembersOnly, bool ReviewSignUps, string RiskNotice, bool Insured,
    string ResponsiblePerson)
{
    /// <summary>Copies everything but the co-organisers, which are rows of their own.</summary>
    public void ApplyTo(Activity activity)
    {
        activity.Title = Title;
        activity.Description = Description;
        activity.ServiceLine = ServiceLine;
        activity.ProgrammeTag = ProgrammeTag;
        activity.PopulationTypes = PopulationTypes;
        activity.OtherPopulation = OtherPopulation;
        activity.Address = Address;
        activity.Latitude = Latitude;
        activity.Longitude = Longitude;
        activity.GeofenceMeters = GeofenceMeters;
        activity.CancelHoursBefore = CancelHoursBefore;
        activity.MinAge = MinAge;
        activity.MaxAge = MaxAge;
        activity.RequiredSkills = RequiredSkills;
        activity.MembersOnly = MembersOnly;
        activity.ReviewSignUps = ReviewSignUps;
        activity.RiskNotice = RiskNotice;
        activity.Insured = Insured;
        activity.ResponsiblePerson = ResponsiblePerson;
    }
}

/// <summary>Creating, publishing and finding activities.</summary>
public sealed class ActivityUseCases(
    AppDbContext db,
    AuditLog audit,
    OrganizationUseCases organizations,
    UserManager<AppUser> users,
    IStringLocalizer<SharedResource> text,
    TimeProvider time)
{
    public const int PageSize = 20;
    public const int MaxSessions = 50;
    public const int MaxCapacity = 10_000;

    /// <summary>An organisation administrator (or one of its unit subtree) creates a draft with its sessions.</summary>
    public async Task<Outcome<ActivityView>> CreateAsync(ClaimsPrincipal principal, CreateActivityRequest request, CancellationToken cancellationToken = default)
    {
        var errors = new FieldErrors();
        var host = request.HostOrganizationId is { } hostId
            ? await (await organizations.ManagedQueryAsync(principal, cancellationToken)).AsNoTracking().SingleOrDefaultAsync(o => o.Id == hostId, cancellationToken)
            : null;
        if (host is null)
        {
            errors.Add("hostOrganizationId", text["Activities.Error.Host"]);
        }
        var details = await CheckDetailsAsync(errors, request, request.HostOrganizationId, cancellationToken);
        var sessions = CheckSessions(errors, request.Sessions);
        // Sign-up closes by default when the last session starts, and may not close any later.
        var lastStart = (request.Sessions ?? []).Select(s => s.StartsAt?.UtcDateTime).Max();
        var opens = request.SignUpOpensAt?.UtcDateTime ?? time.GetUtcNow().UtcDateTime;
        var closes = request.SignUpClosesAt?.UtcDateTime ?? lastStart ?? opens;
        if (request.SignUpOpensAt is null && request.SignUpClosesAt is null && lastStart <= opens)
        {
            // Every session has begun: nobody can sign up any more. An activity that already happened is back-entered instead.
            errors.Add("sessions", text["Activities.Error.PastUseBackEntry"]);
        }
        else if (closes <= opens)
        {
            errors.Add("signUpClosesAt", text["Activities.Error.WindowOrder"]);
        }
        else if (closes > lastStart)
        {
            errors.Add("signUpClosesAt", text["Activities.Error.WindowAfterActivity"]);
        }
        if (errors.Any)
        {
            return Outcome<ActivityView>.Invalid(errors);
        }
        var activity = new Activity
        {
            Title = details.Title,
            Address = details.Address,
            ResponsiblePerson = details.ResponsiblePerson,
            HostOrganizationId = host!.Id,
            UnitId = host.UnitId,
            SignUpOpensAtUtc = opens,
            SignUpClosesAtUtc = closes,
            Status = ActivityStatus.Draft,
            CreatedAtUtc = time.GetUtcNow().UtcDateTime,
            CreatedByUserId = users.GetUserId(principal),
            Sessions = sessions,
        };
        details.ApplyTo(activity);
        activity.CoOrganizers = details.CoOrganizerIds.Select(id => new ActivityCoOrganizer { OrganizationId = id }).ToList();
        db.Activities.Add(activity);
        audit.Add("activity.create", host.UnitId, details.Title, host.Name);
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<ActivityView>.Ok((await GetAsync(activity.Id, cancellationToken))!);
    }

    /// <summary>
    /// Checks what describes an activity — everything but its host, sessions and sign-up window — the
    /// same way for a new activity and an edited one.
    /// </summary>
    internal async Task<ActivityDetails> CheckDetailsAsync(FieldErrors errors, CreateActivityRequest request, Guid? hostId, CancellationToken cancellationToken)
    {
        var title = Required(errors, "title", request.Title, "Activities.Field.Title", Activity.TitleMaxLength);
        var description = Optional(errors, "description", request.Description, "Activities.Field.Description", Activity.TextMaxLength);
        var coOrganizerIds = (request.CoOrganizerIds ?? []).Distinct().Where(id => id != hostId).ToList();
        if (coOrganizerIds.Count > 0 && await db.Organizations.CountAsync(o => coOrganizerIds.Contains(o.Id) && o.Status == OrganizationStatus.Approved, cancellationToken) != coOrganizerIds.Count)
        {
            errors.Add("coOrganizerIds", text["Activities.Error.CoOrganizer"]);
        }
        if (request.ServiceLine is not { } line || !ServiceLineList.All.Contains(line))
        {
            errors.Add("serviceLine", text["Activities.Error.ServiceLine"]);
        }
        var programme = Optional(errors, "programmeTag", request.ProgrammeTag, "Activities.Field.Programme", 50);
        var population = (request.PopulationTypes ?? []).Aggregate(PopulationTypes.None, (all, t) => all | t);
        if (population == PopulationTypes.None || (request.PopulationTypes ?? []).Any(t => !PopulationTypeList.All.Contains(t)))
        {
            errors.Add("populationTypes", text["Activities.Error.Population"]);
        }
        var otherPopulation = Optional(errors, "otherPopulation", request.OtherPopulation, "Activities.Field.OtherPopulation", Activity.ShortTextMaxLength);
        if (population.HasFlag(PopulationTypes.Other) && otherPopulation.Length == 0)
        {
            errors.Add("otherPopulation", text["Validation.Required", text["Activities.Field.OtherPopulation"]]);
        }
        var address = Required(errors, "address", request.Address, "Activities.Field.Address", Activity.ShortTextMaxLength);
        if (request.Latitude.HasValue != request.Longitude.HasValue
            || request.Latitude is < -90 or > 90 || request.Longitude is < -180 or > 180)
        {
            errors.Add("latitude", text["Activities.Error.Coordinates"]);
        }
        if (request.GeofenceMeters is { } radius && (radius is < 50 or > 5000 || request.Latitude is null))
        {
            errors.Add("geofenceMeters", text["Activities.Error.Geofence"]);
        }
        var cancelHours = request.CancelHoursBefore ?? 24;
        if (cancelHours is < 0 or > 720)
        {
            errors.Add("cancelHoursBefore", text["Activities.Error.CancelHours"]);
        }
        if (request.MinAge is < 14 or > 100 || request.MaxAge is < 14 or > 100 || request.MinAge > request.MaxAge)
        {
            errors.Add("minAge", text["Activities.Error.AgeRange"]);
        }
        var skills = Optional(errors, "requiredSkills", request.RequiredSkills, "Activities.Field.RequiredSkills", Activity.ShortTextMaxLength);
        var riskNotice = Optional(errors, "riskNotice", request.RiskNotice, "Activities.Field.RiskNotice", Activity.TextMaxLength);
        var responsible = Required(errors, "responsiblePerson", request.ResponsiblePerson, "Activities.Field.ResponsiblePerson", 50);
        return new ActivityDetails(title, description, coOrganizerIds, request.ServiceLine ?? ServiceLines.None, programme.Length > 0 ? programme : null,
            population, population.HasFlag(PopulationTypes.Other) ? otherPopulation : null, address, request.Latitude, request.Longitude, request.GeofenceMeters,
            cancelHours, request.MinAge, request.MaxAge, skills, request.MembersOnly, request.ReviewSignUps, riskNotice, request.Insured, responsible);
    }

    /// <summary>Adds a session to an activity that is not over yet.</summary>
    public async Task<Outcome<ActivityView>> AddSessionAsync(ClaimsPrincipal principal, Guid id, SessionRequest request, CancellationToken cancellationToken = default)
    {
        var activity = await ManageableAsync(principal, id, cancellationToken);
        if (activity is null)
        {
            return Outcome<ActivityView>.NotFound();
        }
        var errors = new FieldErrors();
        var session = CheckSession(errors, "", request);
        if (activity.IsBackEntry)
        {
            errors.Add("status", text["Activities.Error.BackEntry"]);
        }
        else if (activity.Status == ActivityStatus.Finished)
        {
            errors.Add("status", text["Activities.Error.Finished"]);
        }
        if (activity.Status == ActivityStatus.Cancelled)
        {
            errors.Add("status", text["ActivityEdit.Error.Cancelled"]);
        }
        if (errors.Any)
        {
            return Outcome<ActivityView>.Invalid(errors);
        }
        session!.ActivityId = id;
        db.ActivitySessions.Add(session);
        // A new session is an edit: an edit page opened before it must read the activity again (ADR 0015).
        activity.Version++;
        audit.Add("activity.session", activity.UnitId, activity.Title, ChinaTime.Format(session.StartsAtUtc) + "–" + ChinaTime.Format(session.EndsAtUtc));
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<ActivityView>.Ok((await GetAsync(id, cancellationToken))!);
    }

    /// <summary>Draft → published → closed → finished. Finishing waits for the last session to end.</summary>
    public async Task<Outcome<ActivityView>> ChangeStatusAsync(ClaimsPrincipal principal, Guid id, ActivityStatus status, CancellationToken cancellationToken = default)
    {
        var activity = await ManageableAsync(principal, id, cancellationToken);
        if (activity is null)
        {
            return Outcome<ActivityView>.NotFound();
        }
        var allowed = (activity.Status, status) switch
        {
            (ActivityStatus.Draft, ActivityStatus.Published) => true,
            (ActivityStatus.Published, ActivityStatus.Closed) => true,
            (ActivityStatus.Closed, ActivityStatus.Published) => true,
            (ActivityStatus.Published or ActivityStatus.Closed, ActivityStatus.Finished) => true,
            _ => false,
        };
        if (activity.IsBackEntry)
        {
            // A back-entry's activity is finished by its approval, never published for sign-up.
            return Outcome<ActivityView>.Invalid("status", text["Activities.Error.BackEntry"]);
        }
        if (!allowed)
        {
            return Outcome<ActivityView>.Invalid("status", text["Activities.Error.Transition", text["ActivityStatus." + activity.Status], text["ActivityStatus." + status]]);
        }
        var lastEnd = await db.ActivitySessions.Where(s => s.ActivityId == id).MaxAsync(s => (DateTime?)s.EndsAtUtc, cancellationToken);
        if (status == ActivityStatus.Published && lastEnd is null)
        {
            return Outcome<ActivityView>.Invalid("sessions", text["Activities.Error.NoSessions"]);
        }
        if (status == ActivityStatus.Finished && lastEnd > time.GetUtcNow().UtcDateTime)
        {
            return Outcome<ActivityView>.Invalid("status", text["Activities.Error.NotOver", ChinaTime.Format(lastEnd.Value)]);
        }
        activity.Status = status;
        if (status == ActivityStatus.Published)
        {
            activity.PublishedAtUtc ??= time.GetUtcNow().UtcDateTime;
        }
        audit.Add("activity.status", activity.UnitId, activity.Title, status.ToString());
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<ActivityView>.Ok((await GetAsync(id, cancellationToken))!);
    }

    /// <summary>The public list: published, closed and finished activities, soonest first; never private work.</summary>
    public async Task<ActivityPage> ListAsync(ActivityListQuery query, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var activities = db.Activities.AsNoTracking().Where(a => a.Status != ActivityStatus.Draft && !a.IsPrivate);
        var q = (query.Q ?? "").Trim();
        if (q.Length > 0)
        {
            activities = activities.Where(a => a.Title.Contains(q) || a.HostOrganization!.Name.Contains(q) || a.Address.Contains(q));
        }
        if (query.Line is { } line)
        {
            activities = activities.Where(a => a.ServiceLine == line);
        }
        if (!string.IsNullOrWhiteSpace(query.UnitCode))
        {
            var path = await db.Units.Where(u => u.Code == query.UnitCode.Trim()).Select(u => u.Path).SingleOrDefaultAsync(cancellationToken) ?? "-";
            activities = activities.Where(a => a.Unit!.Path.StartsWith(path));
        }
        // Dates are China dates: a day runs from 00:00 to 24:00 in UTC+8.
        // Out of 2000–2100 (year 1 minus eight hours does not exist) a bound filters nothing; the API refuses such a date before it gets here.
        if (query.From is { } from && InputRules.InRange(from))
        {
            var fromUtc = from.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc) - ChinaTime.Offset;
            activities = activities.Where(a => a.Sessions.Any(s => s.EndsAtUtc > fromUtc));
        }
        if (query.To is { } to && InputRules.InRange(to))
        {
            var toUtc = to.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc) - ChinaTime.Offset;
            activities = activities.Where(a => a.Sessions.Any(s => s.StartsAtUtc < toUtc));
        }
        if (query.OpenPlaces)
        {
            activities = activities.Where(a => a.Status == ActivityStatus.Published && a.SignUpOpensAtUtc <= now && a.SignUpClosesAtUtc > now
                && a.Sessions.Any(s => s.StartsAtUtc > now && s.Accepted < s.Capacity && s.CancelledAtUtc == null));
        }
        var total = await activities.CountAsync(cancellationToken);
        // Bounded above too: a huge page number would overflow the offset.
        var page = Math.Clamp(query.Page, 1, 1_000_000);
        // Activities still to come first, soonest first; then past ones, most recent first.
        var items = await activities
            .Select(a => new
            {
                a.Id, a.Title, Host = a.HostOrganization!.Name, Unit = a.Unit!.Name, a.ServiceLine, a.Address, a.Status,
                First = a.Sessions.Min(s => (DateTime?)s.StartsAtUtc),
                Last = a.Sessions.Max(s => (DateTime?)s.EndsAtUtc),
                Places = a.Sessions.Where(s => s.StartsAtUtc > now && s.CancelledAtUtc == null).Sum(s => s.Capacity - s.Accepted),
            })
            .OrderBy(a => a.Last < now ? 1 : 0).ThenBy(a => a.Last < now ? null : a.First).ThenByDescending(a => a.Last)
            .Skip((page - 1) * PageSize).Take(PageSize).ToListAsync(cancellationToken);
        return new ActivityPage(items.Select(a => new ActivitySummary(a.Id, a.Title, a.Host, a.Unit, a.ServiceLine, a.Address, a.First, a.Last,
            a.Status == ActivityStatus.Published ? a.Places : 0, a.Status)).ToList(), total, page, PageSize);
    }

    /// <summary>
    /// An activity as the caller may see it: drafts only for those who manage them; private work
    /// (see <see cref="Activity.IsPrivate"/>) only for those and the volunteers assigned to it.
    /// </summary>
    public async Task<ActivityView?> GetForAsync(ClaimsPrincipal principal, Guid id, CancellationToken cancellationToken = default)
    {
        var view = await GetAsync(id, cancellationToken);
        if (view is null)
        {
            return null;
        }
        var isPrivate = await db.Activities.AnyAsync(a => a.Id == id && a.IsPrivate, cancellationToken);
        if ((view.Status == ActivityStatus.Draft || isPrivate) && !await CanManageAsync(principal, id, cancellationToken)
            && !(isPrivate && view.Status != ActivityStatus.Draft && await IsAssignedAsync(principal, id, cancellationToken)))
        {
            return null;
        }
        return view;
    }

    /// <summary>Whether the caller is a volunteer with a live place in one of the activity's sessions.</summary>
    public async Task<bool> IsAssignedAsync(ClaimsPrincipal principal, Guid activityId, CancellationToken cancellationToken = default)
    {
        var userId = principal.FindFirstValue(ClaimTypes.NameIdentifier);
        return userId is not null && await db.SignUps.AnyAsync(s => s.Session!.ActivityId == activityId && s.Volunteer!.UserId == userId
            && s.Status == SignUpStatus.Accepted, cancellationToken);
    }

    public async Task<ActivityView?> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        var a = await db.Activities.AsNoTracking().Include(a => a.HostOrganization).Include(a => a.Unit).Include(a => a.CoOrganizers).ThenInclude(c => c.Organization)
            .AsSplitQuery().SingleOrDefaultAsync(a => a.Id == id, cancellationToken);
        if (a is null)
        {
            return null;
        }
        var sessions = await db.ActivitySessions.AsNoTracking().Where(s => s.ActivityId == id).OrderBy(s => s.StartsAtUtc)
            .Select(s => new SessionView(s.Id, s.StartsAtUtc, s.EndsAtUtc, s.Capacity, s.Accepted,
                db.SignUps.Count(u => u.SessionId == s.Id && u.Status == SignUpStatus.Waitlisted), s.IsTraining, s.HoursConfirmedAtUtc,
                s.CancelledAtUtc, s.CancellationReason))
            .ToListAsync(cancellationToken);
        return new ActivityView(a.Id, a.Title, a.Description, a.HostOrganizationId, a.HostOrganization!.Name, a.Unit!.Name,
            a.CoOrganizers.Select(c => c.Organization!.Name).Order().ToArray(), a.ServiceLine, a.ProgrammeTag,
            PopulationTypeList.Split(a.PopulationTypes).ToArray(), a.OtherPopulation, a.Address, a.Latitude, a.Longitude, a.GeofenceMeters,
            a.SignUpOpensAtUtc, a.SignUpClosesAtUtc, a.CancelHoursBefore, a.MinAge, a.MaxAge, a.RequiredSkills, a.MembersOnly, a.ReviewSignUps,
            a.RiskNotice, a.Insured, a.ResponsiblePerson, a.Status, sessions, a.IsBackEntry, a.Version, a.CancelledAtUtc, a.CancellationReason,
            a.CoOrganizers.Select(c => c.OrganizationId).Order().ToArray());
    }

    /// <summary>The city and its districts and counties, to filter the public list by.</summary>
    public async Task<List<(string Code, string Name)>> FilterUnitsAsync(CancellationToken cancellationToken = default)
    {
        // An anonymous type, not a ValueTuple: Npgsql cannot read a ValueTuple projection (the list answered 500 on PostgreSQL).
        var units = await db.Units.AsNoTracking().Where(u => u.Depth <= 1 && u.IsActive).OrderBy(u => u.Depth).ThenBy(u => u.SortOrder).ThenBy(u => u.Code)
            .Select(u => new { u.Code, u.Name }).ToListAsync(cancellationToken);
        return units.Select(u => (u.Code, u.Name)).ToList();
    }

    /// <summary>The activities the caller runs, drafts included, newest first.</summary>
    public Task<List<ActivitySummary>> ManagedAsync(ClaimsPrincipal principal, CancellationToken cancellationToken = default) =>
        ManagedAsync(principal, awaitingSignUps: false, cancellationToken);

    /// <param name="awaitingSignUps">Only the activities with sign-ups waiting for a decision.</param>
    public async Task<List<ActivitySummary>> ManagedAsync(ClaimsPrincipal principal, bool awaitingSignUps, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var managed = awaitingSignUps ? await AwaitingSignUpsAsync(principal, cancellationToken) : await ManagedQueryAsync(principal, cancellationToken);
        return await managed.AsNoTracking()
            .OrderByDescending(a => a.CreatedAtUtc).Take(200)
            .Select(a => new ActivitySummary(a.Id, a.Title, a.HostOrganization!.Name, a.Unit!.Name, a.ServiceLine, a.Address,
                a.Sessions.Min(s => (DateTime?)s.StartsAtUtc), a.Sessions.Max(s => (DateTime?)s.EndsAtUtc),
                a.Sessions.Where(s => s.StartsAtUtc > now && s.CancelledAtUtc == null).Sum(s => s.Capacity - s.Accepted), a.Status))
            .ToListAsync(cancellationToken);
    }

    /// <summary>
    /// Whoever may run an activity: the host organisation's administrators, and the administrators
    /// of the unit subtree the activity belongs to.
    /// </summary>
    public async Task<bool> CanManageAsync(ClaimsPrincipal principal, Guid activityId, CancellationToken cancellationToken = default) =>
        await ManageableAsync(principal, activityId, cancellationToken) is not null;

    internal async Task<Activity?> ManageableAsync(ClaimsPrincipal principal, Guid activityId, CancellationToken cancellationToken) =>
        await (await ManagedQueryAsync(principal, cancellationToken)).Include(a => a.Unit).SingleOrDefaultAsync(a => a.Id == activityId, cancellationToken);

    /// <summary>
    /// The activities the caller runs, as a query: hosted by an organisation they administer, or in
    /// the unit subtree they administer. The one place this rule is written.
    /// </summary>
    /// <summary>The activities the caller runs with sign-ups waiting for a decision: the one definition behind the managed list's filter and the workbench's count.</summary>
    internal async Task<IQueryable<Activity>> AwaitingSignUpsAsync(ClaimsPrincipal principal, CancellationToken cancellationToken) =>
        (await ManagedQueryAsync(principal, cancellationToken)).Where(a => a.Sessions.Any(s => db.SignUps.Any(u => u.SessionId == s.Id && u.Status == SignUpStatus.Pending)));

    internal async Task<IQueryable<Activity>> ManagedQueryAsync(ClaimsPrincipal principal, CancellationToken cancellationToken)
    {
        var scopePath = (await UnitScope.ForAsync(principal, db, cancellationToken))?.RootPath;
        var userId = users.GetUserId(principal);
        return db.Activities.Where(a => (scopePath != null && a.Unit!.Path.StartsWith(scopePath))
            || db.OrganizationAdmins.Any(o => o.OrganizationId == a.HostOrganizationId && o.UserId == userId));
    }

    internal List<ActivitySession> CheckSessions(FieldErrors errors, SessionRequest[]? requests)
    {
        if (requests is not { Length: > 0 })
        {
            errors.Add("sessions", text["Activities.Error.NoSessions"]);
            return [];
        }
        if (requests.Length > MaxSessions)
        {
            errors.Add("sessions", text["Activities.Error.TooManySessions", MaxSessions]);
            return [];
        }
        return requests.Select((r, i) => CheckSession(errors, $"sessions[{i}].", r)).OfType<ActivitySession>().ToList();
    }

    internal ActivitySession? CheckSession(FieldErrors errors, string prefix, SessionRequest request)
    {
        var before = errors.Any;
        var problems = new FieldErrors();
        if (request.StartsAt is null)
        {
            problems.Add(prefix + "startsAt", text["Validation.Required", text["Activities.Field.StartsAt"]]);
        }
        if (request.EndsAt is null)
        {
            problems.Add(prefix + "endsAt", text["Validation.Required", text["Activities.Field.EndsAt"]]);
        }
        else if (request.StartsAt is { } start && request.EndsAt <= start)
        {
            problems.Add(prefix + "endsAt", text["Activities.Error.EndBeforeStart"]);
        }
        else if (request.StartsAt is { } s && request.EndsAt - s > TimeSpan.FromHours(24))
        {
            problems.Add(prefix + "endsAt", text["Activities.Error.SessionTooLong"]);
        }
        if (request.Capacity is not ( > 0 and <= MaxCapacity))
        {
            problems.Add(prefix + "capacity", text["Activities.Error.Capacity", MaxCapacity]);
        }
        foreach (var (field, messages) in problems.ToDictionary())
        {
            foreach (var message in messages)
            {
                errors.Add(field, message);
            }
        }
        return problems.Any ? null : new ActivitySession
        {
            StartsAtUtc = request.StartsAt!.Value.UtcDateTime,
            EndsAtUtc = request.EndsAt!.Value.UtcDateTime,
            Capacity = request.Capacity!.Value,
            IsTraining = request.IsTraining,
            CheckInSecret = RandomNumberGenerator.GetBytes(32),
        };
    }

    string Required(FieldErrors errors, string field, string? value, string label, int maxLength)
    {
        var trimmed = (value ?? "").Trim();
        if (trimmed.Length == 0)
        {
            errors.Add(field, text["Validation.Required", text[label]]);
        }
        return Optional(errors, field, trimmed, label, maxLength);
    }

    string Optional(FieldErrors errors, string field, string? value, string label, int maxLength)
    {
        var trimmed = (value ?? "").Trim();
        if (trimmed.Length > maxLength)
        {
            errors.Add(field, text["Validation.TooLong", text[label], maxLength]);
        }
        return trimmed;
    }
}
