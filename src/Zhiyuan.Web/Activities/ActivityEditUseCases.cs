using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Zhiyuan.Web.Audit;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Infrastructure;
using Zhiyuan.Web.Messages;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Web.Activities;

/// <summary>One session as it should be after an edit: a session kept names its id; a new one has none.</summary>
public sealed record EditSessionRequest(Guid? Id, DateTimeOffset? StartsAt, DateTimeOffset? EndsAt, int? Capacity, bool IsTraining = false);

/// <summary>
/// The whole activity as it should be (PUT): the fields of a new activity, the <c>version</c> it was
/// read at (from GET), and its sessions — each one kept with its id, new ones without. A session not
/// yet started that is left out is removed; sessions already started or cancelled may be left out and
/// stay as they are. Sign-up opening and closing left empty keep their times (closing follows the last
/// session when it did before).
/// </summary>
public sealed record EditActivityRequest(
    int? Version,
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
    EditSessionRequest[]? Sessions)
{
    /// <summary>The same activity as a request to create it, for the checks both share.</summary>
    public CreateActivityRequest AsCreateRequest() => new(null, Title, Description, CoOrganizerIds, ServiceLine, ProgrammeTag, PopulationTypes, OtherPopulation,
        Address, Latitude, Longitude, GeofenceMeters, SignUpOpensAt, SignUpClosesAt, CancelHoursBefore, MinAge, MaxAge, RequiredSkills, MembersOnly, ReviewSignUps,
        RiskNotice, Insured, ResponsiblePerson, null);

    /// <summary>The activity as it is now, as an edit request to change from (the sign-up window left to follow the sessions).</summary>
    public static EditActivityRequest From(ActivityView view) => new(view.Version, view.Title, view.Description, view.CoOrganizerIds,
        view.ServiceLine, view.ProgrammeTag, view.PopulationTypes, view.OtherPopulation, view.Address, view.Latitude, view.Longitude, view.GeofenceMeters,
        null, null, view.CancelHoursBefore, view.MinAge, view.MaxAge, view.RequiredSkills, view.MembersOnly,
        view.ReviewSignUps, view.RiskNotice, view.Insured, view.ResponsiblePerson,
        view.Sessions.Where(s => !s.IsCancelled).Select(s => new EditSessionRequest(s.Id, Utc(s.StartsAtUtc), Utc(s.EndsAtUtc), s.Capacity, s.IsTraining)).ToArray());

    static DateTimeOffset Utc(DateTime utc) => new(DateTime.SpecifyKind(utc, DateTimeKind.Utc));
}

/// <summary>Calls off an activity or one session: the reason is shown publicly and sent to every volunteer affected.</summary>
public sealed record CancelActivityRequest(string? Reason);

/// <summary>
/// Editing and cancelling activities after they are published, with everyone affected told
/// (ADR 0015). The rules:
/// <list type="bullet">
/// <item>Every edit names the version it was read at; an edit from an older version is refused (409) and saves nothing.</item>
/// <item>A capacity never drops below the places already accepted; a capacity raised fills from the waitlist, in order.</item>
/// <item>A session moved keeps its volunteers only if none of them has another live sign-up at the new time; otherwise the move is refused, naming them.</item>
/// <item>A session with live sign-ups cannot be removed, only cancelled with a reason.</item>
/// <item>Once a session has started it no longer changes, and the activity's details are fixed except its description;
/// sessions still to come and the sign-up window stay editable. A finished activity changes only its description (and outcome).</item>
/// </list>
/// </summary>
public sealed class ActivityEditUseCases(
    AppDbContext db,
    ActivityUseCases activities,
    AuditLog audit,
    IStringLocalizer<SharedResource> text,
    TimeProvider time)
{
    /// <summary>A sign-up that holds or waits for a place: pending, accepted or waitlisted.</summary>
    static readonly System.Linq.Expressions.Expression<Func<SignUp, bool>> IsLive =
        s => s.Status == SignUpStatus.Accepted || s.Status == SignUpStatus.Waitlisted || s.Status == SignUpStatus.Pending;

    /// <summary>Detail fields that still change once a session has started.</summary>
    static readonly string[] ChangeableAfterStart = ["description", "signUpOpensAt", "signUpClosesAt"];

    /// <summary>At most this many volunteers are named in a refused move; the rest are counted.</summary>
    const int NamedClashes = 10;

    public async Task<Outcome<ActivityView>> EditAsync(ClaimsPrincipal principal, Guid id, EditActivityRequest request, CancellationToken cancellationToken = default)
    {
        var activity = await activities.ManageableAsync(principal, id, cancellationToken);
        if (activity is null)
        {
            return Outcome<ActivityView>.NotFound();
        }
        if (request.Version is not { } version)
        {
            return Outcome<ActivityView>.Invalid("version", text["ActivityEdit.Error.Version"]);
        }
        if (await IsAssignedWorkAsync(id, cancellationToken))
        {
            return Outcome<ActivityView>.Invalid("activity", text["ActivityEdit.Error.AssignedWork"]);
        }
        if (activity.Status == ActivityStatus.Cancelled)
        {
            return Outcome<ActivityView>.Invalid("status", text["ActivityEdit.Error.Cancelled"]);
        }
        if (version != activity.Version)
        {
            return Outcome<ActivityView>.Conflict("version", text["ActivityEdit.Error.Stale", version, activity.Version]);
        }
        var now = time.GetUtcNow().UtcDateTime;
        var errors = new FieldErrors();
        var details = await activities.CheckDetailsAsync(errors, request.AsCreateRequest(), activity.HostOrganizationId, cancellationToken);
        var existing = await db.ActivitySessions.AsNoTracking().Where(s => s.ActivityId == id).OrderBy(s => s.StartsAtUtc).ToListAsync(cancellationToken);
        var plan = PlanSessions(errors, existing, request.Sessions, now);

        // The sign-up window: left empty, it keeps its times; closing follows the last session if it did before.
        var oldLastStart = existing.Where(s => s.CancelledAtUtc is null).Select(s => (DateTime?)s.StartsAtUtc).Max();
        var lastStart = plan.LastStart;
        var opens = request.SignUpOpensAt?.UtcDateTime ?? activity.SignUpOpensAtUtc;
        var closes = request.SignUpClosesAt?.UtcDateTime
                     ?? (activity.SignUpClosesAtUtc == oldLastStart || activity.SignUpClosesAtUtc > lastStart ? lastStart ?? activity.SignUpClosesAtUtc : activity.SignUpClosesAtUtc);
        if (opens != activity.SignUpOpensAtUtc || closes != activity.SignUpClosesAtUtc)
        {
            if (closes <= opens)
            {
                errors.Add("signUpClosesAt", text["Activities.Error.WindowOrder"]);
            }
            else if (closes > lastStart)
            {
                errors.Add("signUpClosesAt", text["Activities.Error.WindowAfterActivity"]);
            }
        }

        var coOrganizers = await db.ActivityCoOrganizers.Where(c => c.ActivityId == id).Select(c => c.OrganizationId).ToListAsync(cancellationToken);
        var changes = DetailChanges(activity, coOrganizers, details, opens, closes);
        var firstStarted = existing.Where(s => s.CancelledAtUtc is null && s.StartsAtUtc <= now).Select(s => (DateTime?)s.StartsAtUtc).Min();
        if (activity.Status == ActivityStatus.Finished)
        {
            foreach (var change in changes.Where(c => c.Field != "description"))
            {
                errors.Add(change.Field, text["ActivityEdit.Error.FinishedOnlyDescription", change.Label]);
            }
            if (plan.ChangesSessions)
            {
                errors.Add("sessions", text["ActivityEdit.Error.FinishedOnlyDescription", text["Activities.Field.Sessions"]]);
            }
        }
        else if (firstStarted is { } started)
        {
            foreach (var change in changes.Where(c => !ChangeableAfterStart.Contains(c.Field)))
            {
                errors.Add(change.Field, text["ActivityEdit.Error.StartedOnlyDescription", ChinaTime.Format(started), change.Label]);
            }
        }
        if (errors.Any)
        {
            return Outcome<ActivityView>.Invalid(errors);
        }
        if (changes.Count == 0 && !plan.ChangesSessions)
        {
            // Nothing to change: the activity stays at its version — unless another edit from the same
            // version landed while this one read the sessions (the same request twice at once: the sessions
            // already show the change). That edit raised the version in its transaction, so reading it now says
            // so, and this request is the second of two and answers 409 like the others.
            var current = await db.Activities.Where(a => a.Id == id).Select(a => a.Version).SingleAsync(cancellationToken);
            return current == version
                ? Outcome<ActivityView>.Ok((await activities.GetAsync(id, cancellationToken))!)
                : Outcome<ActivityView>.Conflict("version", text["ActivityEdit.Error.Stale", version, current]);
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // The edit claims the activity with one conditional update of its version (and status): of two
        // edits made from the same version — two organisers, a double click, twenty identical requests —
        // one goes through and the other finds no row and saves nothing (409). Cancelling, adding a
        // session and every other change of sessions raise the version too.
        if (await db.Activities.Where(a => a.Id == id && a.Version == version && a.Status == activity.Status)
                .ExecuteUpdateAsync(u => u.SetProperty(a => a.Version, a => a.Version + 1), cancellationToken) != 1)
        {
            await transaction.RollbackAsync(cancellationToken);
            var current = await db.Activities.Where(a => a.Id == id).Select(a => a.Version).SingleAsync(cancellationToken);
            return Outcome<ActivityView>.Conflict("version", text["ActivityEdit.Error.Stale", version, current]);
        }
        db.Entry(activity).Property(a => a.Version).OriginalValue = version + 1;
        activity.Version = version + 1;

        // Locks in the one order (ADR 0011): the volunteers of the sessions moved, then the sessions
        // changed (by id). New sign-ups take the session's row to take a place, so the counts and the
        // people read after this are final; a sign-up that read the old time is refused when it sees the new one.
        var movedIds = plan.Changed.Where(c => c.Moved).Select(c => c.Session.Id).ToArray();
        var lockedIds = plan.Changed.Select(c => c.Session.Id).Concat(plan.Removed.Select(r => r.Id)).Distinct().Order().ToArray();
        var volunteers = await LiveVolunteersAsync(movedIds, cancellationToken);
        await db.LockVolunteersAsync(volunteers, cancellationToken);
        foreach (var sessionId in lockedIds)
        {
            await db.LockSessionAsync(sessionId, cancellationToken);
        }
        // Someone who signed up between the first read and the session's lock is locked too (a rare
        // second round; on PostgreSQL a lock cycle it might make ends as a 409, and nothing is saved).
        var late = (await LiveVolunteersAsync(movedIds, cancellationToken)).Except(volunteers).ToList();
        await db.LockVolunteersAsync(late, cancellationToken);

        var sessionErrors = new FieldErrors();
        var counts = await db.ActivitySessions.AsNoTracking().Where(s => lockedIds.Contains(s.Id))
            .Select(s => new { s.Id, s.Accepted, Live = db.SignUps.Count(u => u.SessionId == s.Id
                && (u.Status == SignUpStatus.Accepted || u.Status == SignUpStatus.Waitlisted || u.Status == SignUpStatus.Pending)) })
            .ToDictionaryAsync(s => s.Id, cancellationToken);
        foreach (var change in plan.Changed.Where(c => c.After.Capacity < counts[c.Session.Id].Accepted))
        {
            sessionErrors.Add($"sessions[{change.Index}].capacity",
                text["ActivityEdit.Error.CapacityBelowAccepted", When(change.Session), counts[change.Session.Id].Accepted]);
        }
        foreach (var removed in plan.Removed.Where(r => counts[r.Id].Live > 0))
        {
            sessionErrors.Add("sessions", text["ActivityEdit.Error.RemoveWithSignUps", When(removed), counts[removed.Id].Live]);
        }
        var clashes = await ClashesAsync(id, plan, movedIds, cancellationToken);
        if (clashes.Count > 0)
        {
            var named = string.Join("；", clashes.Take(NamedClashes));
            sessionErrors.Add("sessions", clashes.Count > NamedClashes
                ? text["ActivityEdit.Error.MoveOverlapsMany", named, clashes.Count]
                : text["ActivityEdit.Error.MoveOverlaps", named]);
        }
        if (sessionErrors.Any)
        {
            await transaction.RollbackAsync(cancellationToken);
            return Outcome<ActivityView>.Invalid(sessionErrors);
        }

        // Sessions: removed (with the withdrawn or refused sign-ups they still hold), changed, added.
        foreach (var removed in plan.Removed)
        {
            await db.SignUps.Where(s => s.SessionId == removed.Id).ExecuteDeleteAsync(cancellationToken);
            await db.ActivitySessions.Where(s => s.Id == removed.Id).ExecuteDeleteAsync(cancellationToken);
        }
        var promoted = new List<Guid>();
        foreach (var change in plan.Changed)
        {
            var after = change.After;
            await db.ActivitySessions.Where(s => s.Id == change.Session.Id).ExecuteUpdateAsync(u => u
                .SetProperty(s => s.StartsAtUtc, after.StartsAtUtc).SetProperty(s => s.EndsAtUtc, after.EndsAtUtc)
                .SetProperty(s => s.Capacity, after.Capacity).SetProperty(s => s.IsTraining, after.IsTraining), cancellationToken);
            if (after.Capacity > change.Session.Capacity)
            {
                promoted.AddRange(await FillFromWaitlistAsync(change.Session.Id, after.Capacity - counts[change.Session.Id].Accepted, now, cancellationToken));
            }
        }
        foreach (var added in plan.Added)
        {
            added.ActivityId = id;
            db.ActivitySessions.Add(added);
        }

        // The activity's own details.
        details.ApplyTo(activity);
        activity.SignUpOpensAtUtc = opens;
        activity.SignUpClosesAtUtc = closes;
        if (!coOrganizers.Order().SequenceEqual(details.CoOrganizerIds.Order()))
        {
            await db.ActivityCoOrganizers.Where(c => c.ActivityId == id).ExecuteDeleteAsync(cancellationToken);
            db.ActivityCoOrganizers.AddRange(details.CoOrganizerIds.Select(o => new ActivityCoOrganizer { ActivityId = id, OrganizationId = o }));
        }

        await TellChangesAsync(activity, details, plan, now, cancellationToken);
        foreach (var signUpId in promoted)
        {
            await EventMessages.WaitlistPromotedAsync(db, signUpId, now, cancellationToken);
        }
        audit.Add("activity.edit", activity.UnitId, activity.Title, AuditDetails(changes, plan, promoted.Count));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        db.ChangeTracker.Clear();
        return Outcome<ActivityView>.Ok((await activities.GetAsync(id, cancellationToken))!);
    }

    /// <summary>
    /// Calls the whole activity off before it begins: every pending, accepted and waitlisted sign-up is
    /// cancelled, the counters go back to zero, and each volunteer is told once, with the reason, which
    /// the activity's page shows to everyone. Of twenty identical requests one cancels; the others change nothing.
    /// </summary>
    public async Task<Outcome<ActivityView>> CancelAsync(ClaimsPrincipal principal, Guid id, CancelActivityRequest request, CancellationToken cancellationToken = default)
    {
        var activity = await activities.ManageableAsync(principal, id, cancellationToken);
        if (activity is null)
        {
            return Outcome<ActivityView>.NotFound();
        }
        var reason = Reason(request.Reason, out var reasonError);
        if (reasonError is not null)
        {
            return Outcome<ActivityView>.Invalid("reason", reasonError);
        }
        if (await IsAssignedWorkAsync(id, cancellationToken))
        {
            return Outcome<ActivityView>.Invalid("activity", text["ActivityEdit.Error.AssignedWork"]);
        }
        if (activity.Status == ActivityStatus.Cancelled)
        {
            return Outcome<ActivityView>.Invalid("status", text["ActivityEdit.Error.AlreadyCancelled"]);
        }
        if (activity.Status == ActivityStatus.Finished)
        {
            return Outcome<ActivityView>.Invalid("status", text["ActivityEdit.Error.FinishedCannotCancel"]);
        }
        var now = time.GetUtcNow().UtcDateTime;
        var sessions = await db.ActivitySessions.AsNoTracking().Where(s => s.ActivityId == id && s.CancelledAtUtc == null).OrderBy(s => s.StartsAtUtc).ToListAsync(cancellationToken);
        if (sessions.FirstOrDefault(s => s.StartsAtUtc <= now) is { } started)
        {
            return Outcome<ActivityView>.Invalid("status", text["ActivityEdit.Error.StartedCannotCancel", ChinaTime.Format(started.StartsAtUtc)]);
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // One conditional update of the status claims the cancellation: the second of two finds the status changed.
        if (await db.Activities.Where(a => a.Id == id && a.Status == activity.Status)
                .ExecuteUpdateAsync(u => u.SetProperty(a => a.Status, ActivityStatus.Cancelled).SetProperty(a => a.CancelledAtUtc, now)
                    .SetProperty(a => a.CancellationReason, reason).SetProperty(a => a.Version, a => a.Version + 1), cancellationToken) != 1)
        {
            await transaction.RollbackAsync(cancellationToken);
            return Outcome<ActivityView>.Conflict("status", text["ActivityEdit.Error.ChangedMeanwhile"]);
        }
        var told = new Dictionary<Guid, List<string>>();
        var cancelled = 0;
        foreach (var session in sessions.OrderBy(s => s.Id))
        {
            var result = await CancelSignUpsAsync(session, reason, now, cancellationToken);
            if (result.CheckedIn)
            {
                await transaction.RollbackAsync(cancellationToken);
                return Outcome<ActivityView>.Invalid("status", text["ActivityEdit.Error.CheckedIn", When(session)]);
            }
            foreach (var volunteerId in result.Volunteers)
            {
                (told.TryGetValue(volunteerId, out var list) ? list : told[volunteerId] = []).Add(When(session));
            }
            cancelled += result.Volunteers.Count;
        }
        await EventMessages.ActivityCancelledAsync(db, id, activity.Title, told.ToDictionary(t => t.Key, t => string.Join("、", t.Value.Order())), reason, now, cancellationToken);
        audit.Add("activity.cancel", activity.UnitId, activity.Title, text["ActivityEdit.Audit.Cancelled", reason, cancelled, told.Count]);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        db.ChangeTracker.Clear();
        return Outcome<ActivityView>.Ok((await activities.GetAsync(id, cancellationToken))!);
    }

    /// <summary>Calls off one session not yet started, like a whole activity; at least one other session must remain (otherwise cancel the activity).</summary>
    public async Task<Outcome<ActivityView>> CancelSessionAsync(ClaimsPrincipal principal, Guid id, Guid sessionId, CancelActivityRequest request, CancellationToken cancellationToken = default)
    {
        var activity = await activities.ManageableAsync(principal, id, cancellationToken);
        var session = activity is null ? null
            : await db.ActivitySessions.AsNoTracking().SingleOrDefaultAsync(s => s.Id == sessionId && s.ActivityId == id, cancellationToken);
        if (activity is null || session is null)
        {
            return Outcome<ActivityView>.NotFound();
        }
        var reason = Reason(request.Reason, out var reasonError);
        if (reasonError is not null)
        {
            return Outcome<ActivityView>.Invalid("reason", reasonError);
        }
        if (await IsAssignedWorkAsync(id, cancellationToken))
        {
            return Outcome<ActivityView>.Invalid("activity", text["ActivityEdit.Error.AssignedWork"]);
        }
        if (activity.Status is ActivityStatus.Cancelled or ActivityStatus.Finished)
        {
            return Outcome<ActivityView>.Invalid("status", text[activity.Status == ActivityStatus.Cancelled ? "ActivityEdit.Error.Cancelled" : "ActivityEdit.Error.FinishedCannotCancel"]);
        }
        if (session.CancelledAtUtc is not null)
        {
            return Outcome<ActivityView>.Invalid("session", text["ActivityEdit.Error.SessionAlreadyCancelled", When(session)]);
        }
        var now = time.GetUtcNow().UtcDateTime;
        if (session.StartsAtUtc <= now)
        {
            return Outcome<ActivityView>.Invalid("session", text["ActivityEdit.Error.SessionStarted", When(session)]);
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // The activity first (its version: an edit page opened before must read it again), then the session (ADR 0011's order).
        if (await db.Activities.Where(a => a.Id == id && a.Status == activity.Status)
                .ExecuteUpdateAsync(u => u.SetProperty(a => a.Version, a => a.Version + 1), cancellationToken) != 1)
        {
            await transaction.RollbackAsync(cancellationToken);
            return Outcome<ActivityView>.Conflict("status", text["ActivityEdit.Error.ChangedMeanwhile"]);
        }
        if (!await db.ActivitySessions.AnyAsync(s => s.ActivityId == id && s.Id != sessionId && s.CancelledAtUtc == null, cancellationToken))
        {
            await transaction.RollbackAsync(cancellationToken);
            return Outcome<ActivityView>.Invalid("session", text["ActivityEdit.Error.LastSession"]);
        }
        var result = await CancelSignUpsAsync(session, reason, now, cancellationToken);
        if (result.AlreadyCancelled || result.CheckedIn)
        {
            // Cancelled a moment ago (the same request sent twice), or someone checked in early: nothing is changed.
            await transaction.RollbackAsync(cancellationToken);
            return Outcome<ActivityView>.Invalid("session", text[result.CheckedIn ? "ActivityEdit.Error.CheckedIn" : "ActivityEdit.Error.SessionAlreadyCancelled", When(session)]);
        }
        var volunteers = result.Volunteers;
        await EventMessages.ActivityCancelledAsync(db, id, activity.Title, volunteers.ToDictionary(v => v, _ => When(session)), reason, now, cancellationToken);
        audit.Add("activity.session.cancel", activity.UnitId, activity.Title, text["ActivityEdit.Audit.SessionCancelled", When(session), reason, volunteers.Count]);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        db.ChangeTracker.Clear();
        return Outcome<ActivityView>.Ok((await activities.GetAsync(id, cancellationToken))!);
    }

    /// <summary>What cancelling one session's sign-ups came to.</summary>
    sealed record SessionCancellation(bool AlreadyCancelled, bool CheckedIn, List<Guid> Volunteers);

    /// <summary>
    /// Marks the session cancelled (only while it is not) and cancels its live sign-ups, with the session
    /// locked: the counters go to zero with the rows. Returns the volunteers whose sign-ups were cancelled;
    /// or says that the session was cancelled already (nothing changed), or that someone has checked in
    /// (the caller rolls back).
    /// </summary>
    async Task<SessionCancellation> CancelSignUpsAsync(ActivitySession session, string reason, DateTime now, CancellationToken cancellationToken)
    {
        await db.LockSessionAsync(session.Id, cancellationToken);
        if (await db.ActivitySessions.Where(s => s.Id == session.Id && s.CancelledAtUtc == null)
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.CancelledAtUtc, now).SetProperty(s => s.CancellationReason, reason)
                    .SetProperty(s => s.Accepted, 0).SetProperty(s => s.Waitlisted, 0), cancellationToken) != 1)
        {
            return new SessionCancellation(true, false, []);
        }
        var live = await db.SignUps.Where(s => s.SessionId == session.Id).Where(IsLive)
            .Select(s => new { s.VolunteerId, s.CheckedInAtUtc }).ToListAsync(cancellationToken);
        if (live.Any(s => s.CheckedInAtUtc is not null))
        {
            return new SessionCancellation(false, true, []);
        }
        var why = Cut(text["ActivityEdit.SignUpReason", reason], Activity.ShortTextMaxLength);
        await db.SignUps.Where(s => s.SessionId == session.Id).Where(IsLive)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.Status, SignUpStatus.Cancelled).SetProperty(s => s.DecidedAtUtc, now)
                .SetProperty(s => s.WaitlistTicket, (int?)null).SetProperty(s => s.Reason, why), cancellationToken);
        return new SessionCancellation(false, false, live.Select(s => s.VolunteerId).Distinct().ToList());
    }

    /// <summary>What the edit does to the sessions: each kept session compared with its request, new ones, and those left out.</summary>
    sealed record SessionPlan(List<SessionChange> Changed, List<ActivitySession> Added, List<ActivitySession> Removed, DateTime? LastStart,
        Dictionary<Guid, (DateTime Start, DateTime End)> FinalTimes)
    {
        public bool ChangesSessions => Changed.Count > 0 || Added.Count > 0 || Removed.Count > 0;
    }

    sealed record SessionChange(int Index, ActivitySession Session, ActivitySession After)
    {
        public bool Moved => After.StartsAtUtc != Session.StartsAtUtc || After.EndsAtUtc != Session.EndsAtUtc;
    }

    SessionPlan PlanSessions(FieldErrors errors, List<ActivitySession> existing, EditSessionRequest[]? requests, DateTime now)
    {
        var changed = new List<SessionChange>();
        var added = new List<ActivitySession>();
        var named = new HashSet<Guid>();
        var byId = existing.ToDictionary(s => s.Id);
        requests ??= [];
        if (requests.Length > ActivityUseCases.MaxSessions)
        {
            errors.Add("sessions", text["Activities.Error.TooManySessions", ActivityUseCases.MaxSessions]);
            requests = [];
        }
        for (var i = 0; i < requests.Length; i++)
        {
            var r = requests[i];
            var prefix = $"sessions[{i}].";
            var after = activities.CheckSession(errors, prefix, new SessionRequest(r.StartsAt, r.EndsAt, r.Capacity, r.IsTraining));
            if (r.Id is not { } sessionId)
            {
                if (after is not null)
                {
                    added.Add(after);
                }
                continue;
            }
            if (!byId.TryGetValue(sessionId, out var session) || !named.Add(sessionId))
            {
                errors.Add(prefix + "id", text["ActivityEdit.Error.UnknownSession"]);
                continue;
            }
            if (after is null || (after.StartsAtUtc == session.StartsAtUtc && after.EndsAtUtc == session.EndsAtUtc && after.Capacity == session.Capacity
                                  && after.IsTraining == session.IsTraining))
            {
                continue;
            }
            if (session.CancelledAtUtc is not null)
            {
                errors.Add(prefix + "startsAt", text["ActivityEdit.Error.SessionAlreadyCancelled", When(session)]);
            }
            else if (session.StartsAtUtc <= now)
            {
                errors.Add(prefix + "startsAt", text["ActivityEdit.Error.SessionStarted", When(session)]);
            }
            else if (after.StartsAtUtc != session.StartsAtUtc && after.StartsAtUtc <= now)
            {
                errors.Add(prefix + "startsAt", text["ActivityEdit.Error.MoveIntoPast"]);
            }
            else
            {
                changed.Add(new SessionChange(i, session, after));
            }
        }
        // Left out: removed if still to come and not cancelled; sessions started or cancelled stay as they are.
        var removed = existing.Where(s => !named.Contains(s.Id) && s.CancelledAtUtc is null && s.StartsAtUtc > now).ToList();
        var final = existing.Where(s => !removed.Contains(s)).ToDictionary(s => s.Id, s => (Start: s.StartsAtUtc, End: s.EndsAtUtc, s.CancelledAtUtc));
        foreach (var change in changed)
        {
            final[change.Session.Id] = (change.After.StartsAtUtc, change.After.EndsAtUtc, null);
        }
        var live = final.Values.Where(s => s.CancelledAtUtc is null).Select(s => s.Start).Concat(added.Select(a => a.StartsAtUtc)).ToList();
        if (live.Count == 0 && !errors.Any)
        {
            errors.Add("sessions", text["Activities.Error.NoSessions"]);
        }
        if (final.Count + added.Count > ActivityUseCases.MaxSessions)
        {
            errors.Add("sessions", text["Activities.Error.TooManySessions", ActivityUseCases.MaxSessions]);
        }
        return new SessionPlan(changed, added, removed, live.Count == 0 ? null : live.Max(),
            final.ToDictionary(f => f.Key, f => (f.Value.Start, f.Value.End)));
    }

    sealed record Change(string Field, string Label, string From, string To);

    /// <summary>Which details the edit changes, each with its label and both values as a person reads them (for the refusal and the audit log).</summary>
    List<Change> DetailChanges(Activity a, List<Guid> coOrganizers, ActivityDetails d, DateTime opens, DateTime closes)
    {
        var changes = new List<Change>();
        void Compare(string field, string label, string? from, string? to)
        {
            if ((from ?? "") != (to ?? ""))
            {
                changes.Add(new Change(field, text[label], from ?? "", to ?? ""));
            }
        }
        string Lines(ServiceLines line) => line == ServiceLines.None ? "" : text["ServiceLine." + line];
        string Population(PopulationTypes types) => string.Join("、", PopulationTypeList.Split(types).Select(t => text["PopulationType." + t].Value));
        string YesNo(bool value) => text[value ? "Common.Yes" : "Common.No"];
        Compare("title", "Activities.Field.Title", a.Title, d.Title);
        Compare("description", "Activities.Field.Description", a.Description, d.Description);
        Compare("coOrganizerIds", "Activities.Field.CoOrganizers", string.Join(",", coOrganizers.Order()), string.Join(",", d.CoOrganizerIds.Order()));
        Compare("serviceLine", "Activities.Field.ServiceLine", Lines(a.ServiceLine), Lines(d.ServiceLine));
        Compare("programmeTag", "Activities.Field.Programme", a.ProgrammeTag, d.ProgrammeTag);
        Compare("populationTypes", "Activities.Field.Population", Population(a.PopulationTypes), Population(d.PopulationTypes));
        Compare("otherPopulation", "Activities.Field.OtherPopulation", a.OtherPopulation, d.OtherPopulation);
        Compare("address", "Activities.Field.Address", a.Address, d.Address);
        Compare("latitude", "Activities.Field.Latitude", $"{a.Latitude} {a.Longitude}".Trim(), $"{d.Latitude} {d.Longitude}".Trim());
        Compare("geofenceMeters", "Activities.Field.Geofence", a.GeofenceMeters?.ToString(), d.GeofenceMeters?.ToString());
        Compare("cancelHoursBefore", "Activities.Field.CancelHours", a.CancelHoursBefore.ToString(), d.CancelHoursBefore.ToString());
        Compare("minAge", "Activities.Field.MinAge", a.MinAge?.ToString(), d.MinAge?.ToString());
        Compare("maxAge", "Activities.Field.MaxAge", a.MaxAge?.ToString(), d.MaxAge?.ToString());
        Compare("requiredSkills", "Activities.Field.RequiredSkills", a.RequiredSkills, d.RequiredSkills);
        Compare("membersOnly", "Activities.Field.MembersOnly", YesNo(a.MembersOnly), YesNo(d.MembersOnly));
        Compare("reviewSignUps", "Activities.Field.ReviewSignUps", YesNo(a.ReviewSignUps), YesNo(d.ReviewSignUps));
        Compare("riskNotice", "Activities.Field.RiskNotice", a.RiskNotice, d.RiskNotice);
        Compare("insured", "Activities.Field.Insured", YesNo(a.Insured), YesNo(d.Insured));
        Compare("responsiblePerson", "Activities.Field.ResponsiblePerson", a.ResponsiblePerson, d.ResponsiblePerson);
        Compare("signUpOpensAt", "Activities.Field.SignUpOpens", ChinaTime.Format(a.SignUpOpensAtUtc), ChinaTime.Format(opens));
        Compare("signUpClosesAt", "Activities.Field.SignUpCloses", ChinaTime.Format(a.SignUpClosesAtUtc), ChinaTime.Format(closes));
        return changes;
    }

    /// <summary>
    /// The volunteers of the moved sessions who would be in two places at once: another live sign-up
    /// (this activity's other sessions at their new times included) overlaps the session's new time.
    /// </summary>
    async Task<List<string>> ClashesAsync(Guid activityId, SessionPlan plan, Guid[] movedIds, CancellationToken cancellationToken)
    {
        if (movedIds.Length == 0)
        {
            return [];
        }
        var inMoved = await db.SignUps.AsNoTracking().Where(s => movedIds.Contains(s.SessionId)).Where(IsLive)
            .Select(s => new { s.VolunteerId, s.SessionId, s.Volunteer!.Name, s.Volunteer.Number }).ToListAsync(cancellationToken);
        var volunteerIds = inMoved.Select(s => s.VolunteerId).Distinct().ToArray();
        var all = await db.SignUps.AsNoTracking().Where(s => volunteerIds.Contains(s.VolunteerId)).Where(IsLive)
            .Select(s => new { s.VolunteerId, s.SessionId, s.Session!.ActivityId, s.Session.Activity!.Title, s.Session.StartsAtUtc, s.Session.EndsAtUtc })
            .ToListAsync(cancellationToken);
        (DateTime Start, DateTime End) FinalWindow(Guid sessionId, Guid activity, DateTime start, DateTime end) =>
            activity == activityId && plan.FinalTimes.TryGetValue(sessionId, out var final) ? final : (start, end);
        var clashes = new List<string>();
        foreach (var person in inMoved.DistinctBy(s => s.VolunteerId).OrderBy(s => s.Number, StringComparer.Ordinal))
        {
            var theirs = all.Where(s => s.VolunteerId == person.VolunteerId)
                .Select(s => (s.SessionId, s.Title, Window: FinalWindow(s.SessionId, s.ActivityId, s.StartsAtUtc, s.EndsAtUtc))).ToList();
            var clash = theirs.Where(m => movedIds.Contains(m.SessionId))
                .SelectMany(m => theirs.Where(o => o.SessionId != m.SessionId && o.Window.Start < m.Window.End && m.Window.Start < o.Window.End))
                .FirstOrDefault();
            if (clash.Title is not null)
            {
                clashes.Add(text["ActivityEdit.Clash", person.Name, person.Number, clash.Title, When(clash.Window.Start, clash.Window.End)]);
            }
        }
        return clashes;
    }

    /// <summary>
    /// New places in a session go to the waitlist in order, as a cancellation's would: each promotion is a
    /// conditional update, the counters move with it, and the promoted are told. Returns the sign-ups promoted.
    /// </summary>
    async Task<List<Guid>> FillFromWaitlistAsync(Guid sessionId, int places, DateTime now, CancellationToken cancellationToken)
    {
        var next = await db.SignUps.Where(s => s.SessionId == sessionId && s.Status == SignUpStatus.Waitlisted)
            .OrderBy(s => s.WaitlistTicket).Select(s => s.Id).Take(Math.Max(0, places)).ToListAsync(cancellationToken);
        var promoted = new List<Guid>();
        foreach (var signUpId in next)
        {
            if (await db.SignUps.Where(s => s.Id == signUpId && s.Status == SignUpStatus.Waitlisted)
                    .ExecuteUpdateAsync(u => u.SetProperty(s => s.Status, SignUpStatus.Accepted).SetProperty(s => s.DecidedAtUtc, now)
                        .SetProperty(s => s.WaitlistTicket, (int?)null), cancellationToken) == 1)
            {
                promoted.Add(signUpId);
            }
        }
        if (promoted.Count > 0)
        {
            await db.ActivitySessions.Where(s => s.Id == sessionId).ExecuteUpdateAsync(u => u
                .SetProperty(s => s.Accepted, s => s.Accepted + promoted.Count).SetProperty(s => s.Waitlisted, s => s.Waitlisted - promoted.Count), cancellationToken);
        }
        return promoted;
    }

    /// <summary>
    /// Tells the volunteers what changed for them, once each: those of a moved session its new time,
    /// and everyone still to come the new place.
    /// </summary>
    async Task TellChangesAsync(Activity activity, ActivityDetails details, SessionPlan plan, DateTime now, CancellationToken cancellationToken)
    {
        var told = new Dictionary<Guid, List<string>>();
        void Tell(Guid volunteerId, string what) => (told.TryGetValue(volunteerId, out var list) ? list : told[volunteerId] = []).Add(what);
        foreach (var change in plan.Changed.Where(c => c.Moved))
        {
            var people = await db.SignUps.Where(s => s.SessionId == change.Session.Id).Where(IsLive).Select(s => s.VolunteerId).ToListAsync(cancellationToken);
            foreach (var volunteerId in people)
            {
                Tell(volunteerId, text["ActivityEdit.Told.Moved", When(change.Session), When(change.After)]);
            }
        }
        var addressWas = db.Entry(activity).Property(a => a.Address).OriginalValue;
        if (addressWas != details.Address)
        {
            var people = await db.SignUps.Where(s => s.Session!.ActivityId == activity.Id && s.Session.StartsAtUtc > now && s.Session.CancelledAtUtc == null)
                .Where(IsLive).Select(s => s.VolunteerId).Distinct().ToListAsync(cancellationToken);
            foreach (var volunteerId in people)
            {
                Tell(volunteerId, text["ActivityEdit.Told.Address", details.Address]);
            }
        }
        await EventMessages.ActivityChangedAsync(db, activity.Id, details.Title, told.ToDictionary(t => t.Key, t => string.Join("；", t.Value)), now, cancellationToken);
    }

    string AuditDetails(List<Change> changes, SessionPlan plan, int promoted)
    {
        var parts = new List<string>();
        foreach (var change in changes)
        {
            // Long texts are named, not copied: the audit log says that they changed.
            parts.Add(change.Field is "description" or "riskNotice"
                ? text["ActivityEdit.Audit.TextChanged", change.Label]
                : text["ActivityEdit.Audit.Changed", change.Label, change.From, change.To]);
        }
        foreach (var change in plan.Changed)
        {
            if (change.Moved)
            {
                parts.Add(text["ActivityEdit.Audit.Moved", When(change.Session), When(change.After)]);
            }
            if (change.After.Capacity != change.Session.Capacity)
            {
                parts.Add(text["ActivityEdit.Audit.Capacity", When(change.After), change.Session.Capacity, change.After.Capacity]);
            }
            if (change.After.IsTraining != change.Session.IsTraining)
            {
                parts.Add(text["ActivityEdit.Audit.Changed", When(change.After), text["Activities.Field.Training"], change.After.IsTraining ? text["Common.Yes"] : text["Common.No"]]);
            }
        }
        parts.AddRange(plan.Added.Select(a => text["ActivityEdit.Audit.Added", When(a), a.Capacity].Value));
        parts.AddRange(plan.Removed.Select(r => text["ActivityEdit.Audit.Removed", When(r)].Value));
        if (promoted > 0)
        {
            parts.Add(text["ActivityEdit.Audit.Promoted", promoted]);
        }
        return string.Join("；", parts);
    }

    async Task<List<Guid>> LiveVolunteersAsync(Guid[] sessionIds, CancellationToken cancellationToken) => sessionIds.Length == 0 ? []
        : await db.SignUps.Where(s => sessionIds.Contains(s.SessionId)).Where(IsLive).Select(s => s.VolunteerId).Distinct().ToListAsync(cancellationToken);

    /// <summary>Accepted citizen orders and patrol rounds are activities too, but they change through their own pages.</summary>
    async Task<bool> IsAssignedWorkAsync(Guid activityId, CancellationToken cancellationToken) =>
        await db.CitizenOrders.AnyAsync(o => o.ActivityId == activityId, cancellationToken) || await db.PatrolRounds.AnyAsync(r => r.ActivityId == activityId, cancellationToken);

    string Reason(string? reason, out string? error)
    {
        var trimmed = (reason ?? "").Trim();
        error = trimmed.Length is 0 or > Activity.ShortTextMaxLength ? text["ActivityEdit.Error.Reason", Activity.ShortTextMaxLength].Value : null;
        return trimmed;
    }

    static string When(ActivitySession session) => When(session.StartsAtUtc, session.EndsAtUtc);

    /// <summary>A session's time as people read it: "2019-03-05 09:00–12:00".</summary>
    public static string When(DateTime startUtc, DateTime endUtc) =>
        ChinaTime.Format(startUtc) + "–" + (ChinaTime.ToChina(endUtc).Date == ChinaTime.ToChina(startUtc).Date ? ChinaTime.ToChina(endUtc).ToString("HH:mm") : ChinaTime.Format(endUtc));

    static string Cut(string value, int maxLength) => value.Length <= maxLength ? value : value[..(maxLength - 1)] + "…";
}
