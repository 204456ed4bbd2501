using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Audit;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Infrastructure;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Web.Activities;

public sealed record AttendRequest(string? Code, double? Latitude, double? Longitude);

public sealed record AttendanceView(string ActivityTitle, DateTime StartsAtUtc, DateTime EndsAtUtc, DateTime? CheckedInAtUtc, DateTime? CheckedOutAtUtc, string Message);

/// <summary>What a volunteer sees after scanning the leader's code, before confirming.</summary>
public sealed record AttendPreview(Guid ActivityId, string ActivityTitle, string Address, DateTime StartsAtUtc, DateTime EndsAtUtc, bool NeedsPosition,
    bool CheckedIn, bool CheckedOut, string? Problem);

/// <param name="WalkIn">Added on site (现场加入), outside the capacity.</param>
/// <param name="AbsenceReason">Marked absent (缺席) by the organisation, and why: left out of the ledger.</param>
public sealed record RosterEntry(string VolunteerNumber, string Name, string Mobile, SignUpStatus Status, DateTime RequestedAtUtc,
    DateTime? CheckedInAtUtc, DateTime? CheckedOutAtUtc, bool CheckOutMissing, bool HoursConfirmed, Guid SignUpId, bool WalkIn, string? AbsenceReason);

public sealed record LeaderView(Guid ActivityId, string ActivityTitle, SessionView Session, string Code, DateTime CodeExpiresAtUtc, List<RosterEntry> Roster);

/// <summary>A roster correction: <c>checkIn</c> / <c>checkOut</c> set to now, or explicit times.</summary>
public sealed record RosterRequest(string? Action, DateTimeOffset? CheckedInAt, DateTimeOffset? CheckedOutAt);

/// <summary>Attendances (sign-up ids of one session) marked absent, with the reason.</summary>
public sealed record AbsenceRequest(Guid[]? SignUpIds, string? Reason);

/// <summary>Check-in and check-out: by the rotating QR code, or by the leader ticking the roster.</summary>
public sealed class AttendanceUseCases(
    AppDbContext db,
    AuditLog audit,
    ActivityUseCases activities,
    UserManager<AppUser> users,
    IStringLocalizer<SharedResource> text,
    TimeProvider time)
{
    /// <summary>How early before the start a volunteer may check in, and how late after the end check-out is still taken.</summary>
    public static readonly TimeSpan EarlyCheckIn = TimeSpan.FromHours(1);
    public static readonly TimeSpan LateCheckOut = TimeSpan.FromHours(2);

    /// <summary>The leader's page: the current code and the roster of accepted volunteers.</summary>
    public async Task<LeaderView?> LeaderAsync(ClaimsPrincipal principal, Guid sessionId, CancellationToken cancellationToken = default)
    {
        var session = await db.ActivitySessions.AsNoTracking().SingleOrDefaultAsync(s => s.Id == sessionId, cancellationToken);
        if (session is null || !await activities.CanManageAsync(principal, session.ActivityId, cancellationToken))
        {
            return null;
        }
        await CloseForgottenCheckOutsAsync(LateCheckOut, sessionId, cancellationToken);
        var activity = (await activities.GetAsync(session.ActivityId, cancellationToken))!;
        var now = time.GetUtcNow();
        var window = CheckInCode.WindowOf(now);
        var expires = DateTimeOffset.FromUnixTimeSeconds((window + 2) * (long)CheckInCode.Window.TotalSeconds).UtcDateTime;
        return new LeaderView(activity.Id, activity.Title, activity.Sessions.Single(s => s.Id == sessionId), CheckInCode.For(session, window), expires,
            await RosterAsync(sessionId, cancellationToken));
    }

    public async Task<List<RosterEntry>> RosterAsync(Guid sessionId, CancellationToken cancellationToken = default) =>
        await RosterQuery(db.SignUps.Where(s => s.SessionId == sessionId && s.Status != SignUpStatus.Cancelled)
            .OrderBy(s => s.Status).ThenBy(s => s.RequestedAtUtc)).ToListAsync(cancellationToken);

    /// <summary>Sign-ups as roster lines (the mobile number masked).</summary>
    public IQueryable<RosterEntry> RosterQuery(IQueryable<SignUp> signUps) => signUps.AsNoTracking()
        .Select(s => new RosterEntry(s.Volunteer!.Number, s.Volunteer.Name, s.Volunteer.PhoneMasked, s.Status, s.RequestedAtUtc,
            s.CheckedInAtUtc, s.CheckedOutAtUtc, s.CheckOutMissing, s.LedgerEntryId != null, s.Id, s.WalkIn, s.AbsenceReason));

    /// <summary>What the scanned code would do, checked without changing anything.</summary>
    public async Task<AttendPreview?> PreviewAsync(ClaimsPrincipal principal, Guid sessionId, string? code, CancellationToken cancellationToken = default)
    {
        var found = await FindAsync(principal, sessionId, cancellationToken);
        if (found is null)
        {
            return null;
        }
        var (session, signUp) = found.Value;
        var problem = Problem(session, signUp, code, null, null, checkPosition: false);
        return new AttendPreview(session.ActivityId, session.Activity!.Title, session.Activity.Address, session.StartsAtUtc, session.EndsAtUtc,
            NeedsPosition(session.Activity), signUp?.CheckedInAtUtc is not null, signUp?.CheckedOutAtUtc is not null, problem);
    }

    /// <summary>The volunteer confirms: the first valid scan checks in, the next one checks out.</summary>
    public async Task<Outcome<AttendanceView>> AttendAsync(ClaimsPrincipal principal, Guid sessionId, AttendRequest request, CancellationToken cancellationToken = default)
    {
        var found = await FindAsync(principal, sessionId, cancellationToken);
        if (found is null)
        {
            return Outcome<AttendanceView>.NotFound();
        }
        var (session, signUp) = found.Value;
        if (Problem(session, signUp, request.Code, request.Latitude, request.Longitude, checkPosition: true) is { } problem)
        {
            return Outcome<AttendanceView>.Invalid("code", problem);
        }
        var now = time.GetUtcNow().UtcDateTime;
        var window = CheckInCode.Verify(session, request.Code)!.Value;
        // Only move on if no other request used this code meanwhile (the same code, sent twice at once).
        var checkingIn = signUp!.CheckedInAtUtc is null;
        var updated = await db.SignUps.Where(s => s.Id == signUp.Id && s.LastCodeWindow < window && (checkingIn ? s.CheckedInAtUtc == null : s.CheckedOutAtUtc == null))
            .ExecuteUpdateAsync(u =>
            {
                u.SetProperty(s => s.LastCodeWindow, window);
                if (checkingIn)
                {
                    // Here after all: no longer counted absent.
                    u.SetProperty(s => s.CheckedInAtUtc, now).SetProperty(s => s.AbsenceReason, (string?)null).SetProperty(s => s.AbsenceMarkedAtUtc, (DateTime?)null);
                }
                else
                {
                    u.SetProperty(s => s.CheckedOutAtUtc, now);
                }
            }, cancellationToken);
        if (updated == 0)
        {
            return Outcome<AttendanceView>.Invalid("code", text["Attendance.Error.Used"]);
        }
        return Outcome<AttendanceView>.Ok(new AttendanceView(session.Activity!.Title, session.StartsAtUtc, session.EndsAtUtc,
            checkingIn ? now : signUp.CheckedInAtUtc, checkingIn ? null : now,
            checkingIn ? text["Attendance.CheckedIn", ChinaTime.Format(now)] : text["Attendance.CheckedOut", ChinaTime.Format(now)]));
    }

    /// <summary>The leader ticks the roster (now) or sets the times for someone who could not scan.</summary>
    public async Task<Outcome<RosterEntry>> MarkAsync(ClaimsPrincipal principal, Guid sessionId, string volunteerNumber, RosterRequest request, CancellationToken cancellationToken = default)
    {
        var signUp = await db.SignUps.Include(s => s.Session).SingleOrDefaultAsync(s => s.SessionId == sessionId && s.Volunteer!.Number == volunteerNumber, cancellationToken);
        if (signUp is null || !await activities.CanManageAsync(principal, signUp.Session!.ActivityId, cancellationToken))
        {
            return Outcome<RosterEntry>.NotFound();
        }
        var session = signUp.Session;
        var errors = new FieldErrors();
        if (signUp.Status != SignUpStatus.Accepted)
        {
            errors.Add("volunteerNumber", text["Attendance.Error.NotAccepted"]);
        }
        if (signUp.LedgerEntryId is not null)
        {
            errors.Add("volunteerNumber", text["Attendance.Error.AlreadyConfirmed"]);
        }
        var now = time.GetUtcNow().UtcDateTime;
        DateTime? checkedIn = signUp.CheckedInAtUtc, checkedOut = signUp.CheckedOutAtUtc;
        switch (request.Action)
        {
            case "checkIn":
                if (now < session.StartsAtUtc - EarlyCheckIn || now > session.EndsAtUtc)
                {
                    errors.Add("action", text["Attendance.Error.OutsideSession", Window(session)]);
                }
                checkedIn ??= now;
                break;
            case "checkOut":
                if (checkedIn is null)
                {
                    errors.Add("action", text["Attendance.Error.NotCheckedIn"]);
                }
                checkedOut = now;
                break;
            case null or "" or "times":
                checkedIn = request.CheckedInAt?.UtcDateTime;
                checkedOut = request.CheckedOutAt?.UtcDateTime;
                if (checkedIn is null)
                {
                    errors.Add("checkedInAt", text["Validation.Required", text["Attendance.Field.CheckedIn"]]);
                }
                else if (checkedIn < session.StartsAtUtc || checkedIn > session.EndsAtUtc)
                {
                    errors.Add("checkedInAt", text["Attendance.Error.OutsideSession", Window(session)]);
                }
                else if (checkedIn > now)
                {
                    errors.Add("checkedInAt", text["Attendance.Error.Future", text["Attendance.Field.CheckedIn"], ChinaTime.Format(now)]);
                }
                if (checkedOut is not null && checkedOut > session.EndsAtUtc)
                {
                    errors.Add("checkedOutAt", text["Attendance.Error.OutsideSession", Window(session)]);
                }
                else if (checkedOut is not null && checkedOut > now)
                {
                    errors.Add("checkedOutAt", text["Attendance.Error.Future", text["Attendance.Field.CheckedOut"], ChinaTime.Format(now)]);
                }
                else if (checkedOut is not null && checkedIn is not null && checkedOut <= checkedIn)
                {
                    errors.Add("checkedOutAt", text["Attendance.Error.OutBeforeIn"]);
                }
                break;
            default:
                errors.Add("action", text["Attendance.Error.Action"]);
                break;
        }
        if (errors.Any)
        {
            return Outcome<RosterEntry>.Invalid(errors);
        }
        signUp.CheckedInAtUtc = checkedIn;
        signUp.CheckedOutAtUtc = checkedOut;
        signUp.CheckOutMissing = false;
        // The leader records the volunteer as present: no longer counted absent.
        signUp.AbsenceReason = null;
        signUp.AbsenceMarkedAtUtc = null;
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<RosterEntry>.Ok((await RosterAsync(sessionId, cancellationToken)).Single(r => r.VolunteerNumber == volunteerNumber));
    }

    public const int MaxChosen = 500;

    /// <summary>
    /// The organisation marks attendances absent (缺席), with a reason: they are left out of every
    /// confirmation until the mark is taken back (or the volunteer checks in after all). From the
    /// session's start; never for an attendance already in the ledger. One conditional update per
    /// request (<c>… WHERE "LedgerEntryId" IS NULL AND "AbsenceReason" IS NULL</c>) after the volunteers'
    /// locks, so a confirmation at the same moment either credits an attendance first (and it is not
    /// marked) or finds it marked (and does not credit it); a check constraint holds the same rule.
    /// </summary>
    public async Task<Outcome<List<RosterEntry>>> MarkAbsentAsync(ClaimsPrincipal principal, Guid sessionId, AbsenceRequest request, CancellationToken cancellationToken = default)
    {
        var session = await db.ActivitySessions.AsNoTracking().Include(s => s.Activity).SingleOrDefaultAsync(s => s.Id == sessionId, cancellationToken);
        if (session is null || !await activities.CanManageAsync(principal, session.ActivityId, cancellationToken))
        {
            return Outcome<List<RosterEntry>>.NotFound();
        }
        var errors = new FieldErrors();
        var now = time.GetUtcNow().UtcDateTime;
        if (now < session.StartsAtUtc)
        {
            errors.Add("session", text["Attendance.Error.AbsentBeforeStart", ChinaTime.Format(session.StartsAtUtc)]);
        }
        var reason = (request.Reason ?? "").Trim();
        if (reason.Length == 0 || InputRules.IsInvisible(reason) || reason.Length > Activity.ShortTextMaxLength)
        {
            errors.Add("reason", text["Attendance.Error.AbsenceReason", Activity.ShortTextMaxLength]);
        }
        var ids = ChosenIds(errors, request.SignUpIds);
        var chosen = ids.Count == 0 ? [] : await db.SignUps.AsNoTracking().Where(s => s.SessionId == sessionId && ids.Contains(s.Id))
            .Select(s => new { s.Id, s.VolunteerId, s.Status, s.LedgerEntryId, s.Volunteer!.Name, s.Volunteer.Number }).ToListAsync(cancellationToken);
        if (chosen.Count != ids.Count || chosen.Any(c => c.Status != SignUpStatus.Accepted))
        {
            errors.Add("signUpIds", text["Attendance.Error.UnknownSignUp"]);
        }
        foreach (var confirmed in chosen.Where(c => c.LedgerEntryId is not null))
        {
            errors.Add("signUpIds", text["Attendance.Error.AbsentConfirmed", confirmed.Name]);
        }
        if (errors.Any)
        {
            return Outcome<List<RosterEntry>>.Invalid(errors);
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.LockVolunteersAsync(chosen.Select(c => c.VolunteerId), cancellationToken);
        var marked = await db.SignUps.Where(s => s.SessionId == sessionId && ids.Contains(s.Id) && s.Status == SignUpStatus.Accepted
                && s.LedgerEntryId == null && s.AbsenceReason == null)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.AbsenceReason, reason).SetProperty(s => s.AbsenceMarkedAtUtc, now), cancellationToken);
        if (marked > 0)
        {
            audit.Add("attendance.absent", session.Activity!.UnitId, session.Activity.Title,
                $"{ChinaTime.Format(session.StartsAtUtc)} · {string.Join("、", chosen.Select(c => c.Number))}：{reason}");
            await db.SaveChangesAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return Outcome<List<RosterEntry>>.Ok(await RosterQuery(db.SignUps.Where(s => s.SessionId == sessionId && ids.Contains(s.Id))
            .OrderBy(s => s.RequestedAtUtc)).ToListAsync(cancellationToken));
    }

    /// <summary>Takes back an absence mark: the attendance can be confirmed again.</summary>
    public async Task<Outcome<RosterEntry>> UndoAbsenceAsync(ClaimsPrincipal principal, Guid sessionId, Guid signUpId, CancellationToken cancellationToken = default)
    {
        var session = await db.ActivitySessions.AsNoTracking().Include(s => s.Activity).SingleOrDefaultAsync(s => s.Id == sessionId, cancellationToken);
        if (session is null || !await activities.CanManageAsync(principal, session.ActivityId, cancellationToken)
            || await db.SignUps.Where(s => s.Id == signUpId && s.SessionId == sessionId).Select(s => s.Volunteer!.Number).SingleOrDefaultAsync(cancellationToken) is not { } number)
        {
            return Outcome<RosterEntry>.NotFound();
        }
        if (await db.SignUps.Where(s => s.Id == signUpId && s.SessionId == sessionId && s.AbsenceReason != null)
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.AbsenceReason, (string?)null).SetProperty(s => s.AbsenceMarkedAtUtc, (DateTime?)null), cancellationToken) != 1)
        {
            return Outcome<RosterEntry>.Invalid("signUpId", text["Attendance.Error.NotAbsent"]);
        }
        audit.Add("attendance.absent.undo", session.Activity!.UnitId, number, $"{session.Activity.Title} · {ChinaTime.Format(session.StartsAtUtc)}");
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<RosterEntry>.Ok(await RosterQuery(db.SignUps.Where(s => s.Id == signUpId)).SingleAsync(cancellationToken));
    }

    /// <summary>The chosen sign-up ids, distinct; an error when there are none or too many.</summary>
    public List<Guid> ChosenIds(FieldErrors errors, IEnumerable<Guid>? signUpIds)
    {
        var ids = (signUpIds ?? []).Distinct().ToList();
        if (ids.Count == 0)
        {
            errors.Add("signUpIds", text["Attendance.Error.NoneChosen"]);
        }
        else if (ids.Count > MaxChosen)
        {
            errors.Add("signUpIds", text["Attendance.Error.TooManyChosen", MaxChosen]);
            ids = [];
        }
        return ids;
    }

    /// <summary>
    /// Whoever checked in and never out (in one session, or in all) is checked out at the session's end, flagged so the
    /// organisation sees it when confirming; done once the session has been over for
    /// <paramref name="afterEnd"/> (late leavers may still scan out until then; their time is counted
    /// to the end either way). Safe to run on every node at once: each row is changed only while its
    /// check-out is still empty.
    /// </summary>
    public async Task<int> CloseForgottenCheckOutsAsync(TimeSpan afterEnd, Guid? sessionId = null, CancellationToken cancellationToken = default)
    {
        var endedBefore = time.GetUtcNow().UtcDateTime - afterEnd;
        var forgotten = await db.SignUps.Where(s => (sessionId == null || s.SessionId == sessionId)
                && s.CheckedInAtUtc != null && s.CheckedOutAtUtc == null && s.Session!.EndsAtUtc < endedBefore)
            .Select(s => new { s.Id, s.Session!.EndsAtUtc }).Take(10_000).ToListAsync(cancellationToken);
        foreach (var row in forgotten)
        {
            await db.SignUps.Where(s => s.Id == row.Id && s.CheckedOutAtUtc == null)
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.CheckedOutAtUtc, row.EndsAtUtc).SetProperty(s => s.CheckOutMissing, true), cancellationToken);
        }
        return forgotten.Count;
    }

    async Task<(ActivitySession Session, SignUp? SignUp)?> FindAsync(ClaimsPrincipal principal, Guid sessionId, CancellationToken cancellationToken)
    {
        var session = await db.ActivitySessions.AsNoTracking().Include(s => s.Activity).SingleOrDefaultAsync(s => s.Id == sessionId, cancellationToken);
        if (session is null || session.Activity!.Status == ActivityStatus.Draft)
        {
            return null;
        }
        var userId = users.GetUserId(principal);
        var signUp = await db.SignUps.AsNoTracking().SingleOrDefaultAsync(s => s.SessionId == sessionId && s.Volunteer!.UserId == userId, cancellationToken);
        // Private work exists only for the volunteers assigned to it.
        return session.Activity.IsPrivate && signUp is null ? null : (session, signUp);
    }

    /// <summary>Why this scan cannot be taken, or null when it can.</summary>
    string? Problem(ActivitySession session, SignUp? signUp, string? code, double? latitude, double? longitude, bool checkPosition)
    {
        var now = time.GetUtcNow();
        var window = CheckInCode.Verify(session, code);
        if (window is null)
        {
            return text["Attendance.Error.BadCode"];
        }
        if (window < CheckInCode.WindowOf(now) - 1 || window > CheckInCode.WindowOf(now))
        {
            return text["Attendance.Error.Expired"];
        }
        if (signUp is not { Status: SignUpStatus.Accepted })
        {
            return text["Attendance.Error.NotAccepted"];
        }
        if (signUp.CheckedOutAtUtc is not null)
        {
            return text["Attendance.Error.Done"];
        }
        if (window <= signUp.LastCodeWindow)
        {
            return text["Attendance.Error.Used"];
        }
        var utcNow = now.UtcDateTime;
        if (signUp.CheckedInAtUtc is null && (utcNow < session.StartsAtUtc - EarlyCheckIn || utcNow > session.EndsAtUtc))
        {
            return text["Attendance.Error.OutsideSession", Window(session)];
        }
        if (signUp.CheckedInAtUtc is not null && utcNow > session.EndsAtUtc + LateCheckOut)
        {
            return text["Attendance.Error.OutsideSession", Window(session)];
        }
        var activity = session.Activity!;
        if (checkPosition && NeedsPosition(activity))
        {
            if (latitude is null || longitude is null)
            {
                return text["Attendance.Error.NoPosition"];
            }
            var distance = CheckInCode.DistanceMeters(activity.Latitude!.Value, activity.Longitude!.Value, latitude.Value, longitude.Value);
            if (distance > activity.GeofenceMeters)
            {
                return text["Attendance.Error.TooFar", (int)Math.Round(distance), activity.GeofenceMeters!];
            }
        }
        return null;
    }

    static bool NeedsPosition(Activity activity) => activity.GeofenceMeters is not null && activity.Latitude is not null && activity.Longitude is not null;

    static string Window(ActivitySession session) => ChinaTime.Format(session.StartsAtUtc) + "–" + ChinaTime.ToChina(session.EndsAtUtc).ToString("HH:mm");
}
