using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Audit;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Infrastructure;
using Zhiyuan.Web.Messages;
using Zhiyuan.Web.Organizations;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Web.Activities;

/// <summary>The outcome of a sign-up, with a sentence saying where the volunteer stands.</summary>
public sealed record SignUpView(Guid SessionId, SignUpStatus Status, int? WaitlistPosition, string Message);

/// <summary>One of the volunteer's own sign-ups, for their page.</summary>
public sealed record MySignUpView(Guid ActivityId, string ActivityTitle, Guid SessionId, DateTime StartsAtUtc, DateTime EndsAtUtc, string Address,
    SignUpStatus Status, int? WaitlistPosition, string? Reason, DateTime? CheckedInAtUtc, DateTime? CheckedOutAtUtc, bool HoursConfirmed,
    bool WalkIn = false, string? AbsenceReason = null);

/// <summary>
/// Signing up for sessions. Places are taken by a single conditional update
/// (<c>Accepted = Accepted + 1 WHERE Accepted &lt; Capacity</c>) inside the sign-up's transaction, so
/// a session is never overbooked, whichever node or connection gets there first; a check constraint
/// holds the same rule in the database, and the integrity check compares the counters with the rows.
/// </summary>
public sealed class SignUpUseCases(
    AppDbContext db,
    AuditLog audit,
    ActivityUseCases activities,
    UserManager<AppUser> users,
    IStringLocalizer<SharedResource> text,
    TimeProvider time)
{
    static readonly char[] SkillSeparators = [',', '，', '、', ';', '；', ' '];

    public async Task<Outcome<SignUpView>> SignUpAsync(ClaimsPrincipal principal, Guid sessionId, CancellationToken cancellationToken = default)
    {
        // The session and its activity's rules with the caller's volunteer record, in one round trip
        // (this runs on every sign-up, storms included).
        var userId = users.GetUserId(principal);
        var session = await db.ActivitySessions.AsNoTracking().Where(s => s.Id == sessionId)
            .Select(s => new
            {
                s.StartsAtUtc, s.EndsAtUtc, s.CancelledAtUtc, s.ActivityId, s.Activity!.Status, s.Activity.IsPrivate, s.Activity.SignUpOpensAtUtc, s.Activity.SignUpClosesAtUtc,
                s.Activity.MinAge, s.Activity.MaxAge, s.Activity.RequiredSkills, s.Activity.MembersOnly, s.Activity.ReviewSignUps, s.Activity.HostOrganizationId,
                // Three scalar subqueries rather than one row: SQLite has no LATERAL join to fetch a row with.
                VolunteerId = db.Volunteers.Where(v => v.UserId == userId).Select(v => (Guid?)v.Id).FirstOrDefault(),
                BirthDate = db.Volunteers.Where(v => v.UserId == userId).Select(v => (DateOnly?)v.BirthDate).FirstOrDefault(),
                Skills = db.Volunteers.Where(v => v.UserId == userId).Select(v => v.Skills).FirstOrDefault(),
            })
            .SingleOrDefaultAsync(cancellationToken);
        if (session is null || session.Status == ActivityStatus.Draft || session.IsPrivate)
        {
            return Outcome<SignUpView>.NotFound();
        }
        if (session.VolunteerId is not { } volunteerId)
        {
            return Refused("Activities.Refused.NotAVolunteer");
        }
        var now = time.GetUtcNow().UtcDateTime;
        if (session.Status == ActivityStatus.Cancelled || session.CancelledAtUtc is not null)
        {
            return Refused("ActivityEdit.Refused.Cancelled");
        }
        if (session.Status != ActivityStatus.Published)
        {
            return Refused("Activities.Refused.NotOpen");
        }
        if (now < session.SignUpOpensAtUtc)
        {
            return Refused("Activities.Refused.NotYet", ChinaTime.Format(session.SignUpOpensAtUtc));
        }
        if (now >= session.SignUpClosesAtUtc || now >= session.StartsAtUtc)
        {
            return Refused("Activities.Refused.Closed");
        }
        var age = IdentityDocument.AgeOn(session.BirthDate!.Value, DateOnly.FromDateTime(ChinaTime.ToChina(session.StartsAtUtc)));
        if (session.MinAge is { } min && age < min || session.MaxAge is { } max && age > max)
        {
            return Refused("Activities.Refused.Age", age, AgeRange(session.MinAge, session.MaxAge));
        }
        var missing = session.RequiredSkills.Split(SkillSeparators, StringSplitOptions.RemoveEmptyEntries)
            .Where(skill => !session.Skills!.Contains(skill, StringComparison.OrdinalIgnoreCase)).ToList();
        if (missing.Count > 0)
        {
            return Refused("Activities.Refused.Skills", string.Join("、", missing));
        }
        if (session.MembersOnly)
        {
            var organizers = await db.ActivityCoOrganizers.Where(c => c.ActivityId == session.ActivityId).Select(c => c.OrganizationId).ToListAsync(cancellationToken);
            organizers.Add(session.HostOrganizationId);
            if (!await db.Memberships.AnyAsync(m => m.VolunteerId == volunteerId && organizers.Contains(m.OrganizationId) && m.Status == MembershipStatus.Approved, cancellationToken))
            {
                var host = await db.Organizations.Where(o => o.Id == session.HostOrganizationId).Select(o => o.Name).SingleAsync(cancellationToken);
                return Refused("Activities.Refused.MembersOnly", host);
            }
        }
        if (db.Database.IsNpgsql())
        {
            return await SignUpInOneStatementAsync(sessionId, volunteerId, session.StartsAtUtc, session.EndsAtUtc, session.ReviewSignUps, now, cancellationToken);
        }
        // From here on, one transaction with the volunteer locked (PostgreSQL; SQLite serialises every
        // write transaction): two simultaneous sign-ups of one volunteer are checked one after the
        // other, so overlapping sessions can never both be taken (ADR 0011).
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.LockVolunteersAsync([volunteerId], cancellationToken);
        // This session's own sign-up (if any) and any other live one that overlaps it, in one query.
        var clashes = await db.SignUps.AsNoTracking()
            .Where(s => s.VolunteerId == volunteerId && (s.SessionId == sessionId
                || ((s.Status == SignUpStatus.Accepted || s.Status == SignUpStatus.Waitlisted || s.Status == SignUpStatus.Pending)
                    && s.Session!.StartsAtUtc < session.EndsAtUtc && s.Session.EndsAtUtc > session.StartsAtUtc)))
            .Select(s => new { s.SessionId, s.Status, s.Reason, s.Session!.Activity!.Title, s.Session.StartsAtUtc, s.Session.EndsAtUtc })
            .ToListAsync(cancellationToken);
        var existing = clashes.FirstOrDefault(c => c.SessionId == sessionId);
        if (existing is { Status: SignUpStatus.Accepted or SignUpStatus.Waitlisted or SignUpStatus.Pending })
        {
            return Refused("Activities.Refused.Already");
        }
        if (existing is { Status: SignUpStatus.Rejected })
        {
            return Refused("Activities.Refused.Rejected", existing.Reason ?? "");
        }
        if (clashes.FirstOrDefault(c => c.SessionId != sessionId) is { } overlapping)
        {
            return Refused("Activities.Refused.Overlap", overlapping.Title, ChinaTime.Format(overlapping.StartsAtUtc) + "–" + ChinaTime.ToChina(overlapping.EndsAtUtc).ToString("HH:mm"));
        }

        var place = session.ReviewSignUps ? new Place(SignUpStatus.Pending, null, null) : await TakePlaceOrTicketAsync(sessionId, cancellationToken);
        // The session as it is now, with its row locked (taking a place updated it; a sign-up for review
        // locks it here): an organiser who moved or called off the session after the checks above read
        // it has won, and this sign-up is refused as a whole, its place given back by the rollback (ADR 0015).
        if (place.Status == SignUpStatus.Pending)
        {
            await db.LockSessionAsync(sessionId, cancellationToken);
        }
        var current = await db.ActivitySessions.AsNoTracking().Where(s => s.Id == sessionId)
            .Select(s => new { s.StartsAtUtc, s.EndsAtUtc, s.CancelledAtUtc, s.Activity!.Status }).SingleAsync(cancellationToken);
        if (current.CancelledAtUtc is not null || current.Status == ActivityStatus.Cancelled)
        {
            return Refused("ActivityEdit.Refused.Cancelled");
        }
        if (current.StartsAtUtc != session.StartsAtUtc || current.EndsAtUtc != session.EndsAtUtc)
        {
            return Refused("ActivityEdit.Refused.Moved");
        }
        var signUp = await db.SignUps.SingleOrDefaultAsync(s => s.SessionId == sessionId && s.VolunteerId == volunteerId, cancellationToken);
        if (signUp is null)
        {
            db.SignUps.Add(signUp = new SignUp { SessionId = sessionId, VolunteerId = volunteerId });
        }
        signUp.Status = place.Status;
        signUp.WaitlistTicket = place.Ticket;
        signUp.RequestedAtUtc = now;
        signUp.DecidedAtUtc = place.Status == SignUpStatus.Pending ? null : now;
        signUp.Reason = null;
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        PlatformMetrics.SignUps.Add(1);
        return Outcome<SignUpView>.Ok(await ViewAsync(signUp, cancellationToken, place.Position));
    }

    sealed record SignUpResult(string Outcome, string? Status, int? Ticket, int? Position, string? Detail, DateTime? ClashStartsAtUtc, DateTime? ClashEndsAtUtc);

    /// <summary>
    /// PostgreSQL: the locked part of a sign-up in one round trip, by the function <c>sign_up_for_session</c>
    /// (migration <c>SignUpFunction</c>). It runs the same steps as the transaction below, in the same order
    /// and under the same locks — the volunteer locked, their own and overlapping sign-ups read, the session
    /// locked and read again (moved or called off: refused), a place or a waitlist ticket taken, the
    /// sign-up inserted — and, being one statement, commits or changes nothing.
    /// </summary>
    async Task<Outcome<SignUpView>> SignUpInOneStatementAsync(Guid sessionId, Guid volunteerId, DateTime startsAtUtc, DateTime endsAtUtc, bool review, DateTime now,
        CancellationToken cancellationToken)
    {
        var id = Guid.CreateVersion7();
        var result = (await db.Database.SqlQuery<SignUpResult>(
            $"SELECT * FROM sign_up_for_session({sessionId}, {volunteerId}, {startsAtUtc}, {endsAtUtc}, {review}, {now}, {id})")
            .ToListAsync(cancellationToken)).Single();
        switch (result.Outcome)
        {
            case "Already":
                return Refused("Activities.Refused.Already");
            case "Rejected":
                return Refused("Activities.Refused.Rejected", result.Detail ?? "");
            case "Overlap":
                return Refused("Activities.Refused.Overlap", result.Detail ?? "",
                    ChinaTime.Format(result.ClashStartsAtUtc!.Value) + "–" + ChinaTime.ToChina(result.ClashEndsAtUtc!.Value).ToString("HH:mm"));
            case "Cancelled":
                return Refused("ActivityEdit.Refused.Cancelled");
            case "Moved":
                return Refused("ActivityEdit.Refused.Moved");
        }
        PlatformMetrics.SignUps.Add(1);
        var signUp = new SignUp { Id = id, SessionId = sessionId, VolunteerId = volunteerId, Status = Enum.Parse<SignUpStatus>(result.Status!), WaitlistTicket = result.Ticket };
        return Outcome<SignUpView>.Ok(await ViewAsync(signUp, cancellationToken, result.Position));
    }

    /// <summary>
    /// A volunteer withdraws. An accepted place given up before the cancellation deadline goes to the
    /// first person on the waitlist at once; after the deadline the organiser has to be asked.
    /// </summary>
    public async Task<Outcome<SignUpView>> CancelAsync(ClaimsPrincipal principal, Guid sessionId, CancellationToken cancellationToken = default)
    {
        var userId = users.GetUserId(principal);
        var signUp = await db.SignUps.Include(s => s.Session).ThenInclude(s => s!.Activity)
            .SingleOrDefaultAsync(s => s.SessionId == sessionId && s.Volunteer!.UserId == userId, cancellationToken);
        if (signUp is null || signUp.Status is SignUpStatus.Cancelled or SignUpStatus.Rejected)
        {
            return Outcome<SignUpView>.NotFound();
        }
        var session = signUp.Session!;
        var now = time.GetUtcNow().UtcDateTime;
        if (now >= session.StartsAtUtc || signUp.CheckedInAtUtc is not null)
        {
            return Outcome<SignUpView>.Invalid("session", text["Activities.Error.CancelStarted"]);
        }
        var deadline = session.StartsAtUtc.AddHours(-session.Activity!.CancelHoursBefore);
        if (signUp.Status == SignUpStatus.Accepted && now > deadline)
        {
            return Outcome<SignUpView>.Invalid("session", text["Activities.Error.CancelDeadline", session.Activity.CancelHoursBefore]);
        }
        // The session first, then the sign-up (the one lock order of ADR 0011). The status is read again
        // under the lock, so of ten simultaneous cancellations one frees a place and the others find it
        // already cancelled; and a volunteer promoted from the waitlist by someone else's cancellation a
        // moment ago gives up the place they now hold, as they asked.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.LockSessionAsync(sessionId, cancellationToken);
        var read = await db.SignUps.Where(s => s.Id == signUp.Id).Select(s => new { s.Status, s.WalkIn }).SingleAsync(cancellationToken);
        var (was, walkIn) = (read.Status, read.WalkIn);
        if (was is SignUpStatus.Cancelled or SignUpStatus.Rejected)
        {
            // Cancelled a moment ago by the same person (a double click): as if it had come after, there is nothing left to cancel.
            return Outcome<SignUpView>.NotFound();
        }
        if (await db.SignUps.Where(s => s.Id == signUp.Id && s.Status == was)
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.Status, SignUpStatus.Cancelled).SetProperty(s => s.DecidedAtUtc, now).SetProperty(s => s.WaitlistTicket, (int?)null), cancellationToken) != 1)
        {
            // Cannot happen while the session is locked; if it ever does, nothing was changed.
            return Outcome<SignUpView>.Invalid("session", text["Problem.Conflict"]);
        }
        if (!walkIn)
        {
            // A walk-in holds no place (it is checked in, so it is refused above anyway).
            await ReleaseAsync(sessionId, was, now, cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return Outcome<SignUpView>.Ok(new SignUpView(sessionId, SignUpStatus.Cancelled, null, text["Activities.SignUp.Cancelled"]));
    }

    /// <summary>The organisation accepts a sign-up waiting for review (onto the waitlist if the session is full) or rejects it with a reason.</summary>
    public async Task<Outcome<SignUpView>> DecideAsync(ClaimsPrincipal principal, Guid sessionId, string volunteerNumber, ReviewRequest request, CancellationToken cancellationToken = default)
    {
        var signUp = await db.SignUps.Include(s => s.Session).Include(s => s.Volunteer)
            .SingleOrDefaultAsync(s => s.SessionId == sessionId && s.Volunteer!.Number == volunteerNumber, cancellationToken);
        if (signUp is null || !await activities.CanManageAsync(principal, signUp.Session!.ActivityId, cancellationToken))
        {
            return Outcome<SignUpView>.NotFound();
        }
        if (signUp.Status != SignUpStatus.Pending)
        {
            return Outcome<SignUpView>.Invalid("status", text["Activities.Error.NotPending"]);
        }
        var reason = (request.Reason ?? "").Trim();
        if (!request.Approve && (reason.Length == 0 || reason.Length > Activity.ShortTextMaxLength))
        {
            return Outcome<SignUpView>.Invalid("reason", text["Organizations.Error.Reason", Activity.ShortTextMaxLength]);
        }
        var activity = await db.Activities.AsNoTracking().SingleAsync(a => a.Id == signUp.Session.ActivityId, cancellationToken);
        // The sign-up's status is a concurrency token: if another decision got there first, this save
        // matches no row, is refused as a whole (409) and the place taken here goes back with the rollback.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var place = request.Approve ? await TakePlaceOrTicketAsync(sessionId, cancellationToken) : new Place(SignUpStatus.Rejected, null, null);
        signUp.Status = place.Status;
        signUp.WaitlistTicket = place.Ticket;
        signUp.Reason = request.Approve ? null : reason;
        signUp.DecidedAtUtc = time.GetUtcNow().UtcDateTime;
        audit.Add(request.Approve ? "signup.accept" : "signup.reject", activity.UnitId, volunteerNumber, activity.Title + (reason.Length > 0 ? "：" + reason : ""));
        if (!request.Approve)
        {
            await EventMessages.SignUpRejectedAsync(db, signUp.Id, reason, signUp.DecidedAtUtc.Value, cancellationToken);
        }
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<SignUpView>.Ok(await ViewAsync(signUp, cancellationToken, place.Position));
    }

    public async Task<List<MySignUpView>> MineAsync(ClaimsPrincipal principal, CancellationToken cancellationToken = default)
    {
        var userId = users.GetUserId(principal);
        return await db.SignUps.AsNoTracking().Where(s => s.Volunteer!.UserId == userId && s.Status != SignUpStatus.Cancelled)
            .OrderByDescending(s => s.Session!.StartsAtUtc).Take(200)
            .Select(s => new MySignUpView(s.Session!.ActivityId, s.Session.Activity!.Title, s.SessionId, s.Session.StartsAtUtc, s.Session.EndsAtUtc,
                s.Session.Activity.Address, s.Status,
                s.Status == SignUpStatus.Waitlisted
                    ? db.SignUps.Count(o => o.SessionId == s.SessionId && o.Status == SignUpStatus.Waitlisted && o.WaitlistTicket < s.WaitlistTicket) + 1
                    : null,
                s.Reason, s.CheckedInAtUtc, s.CheckedOutAtUtc, s.LedgerEntryId != null, s.WalkIn, s.AbsenceReason))
            .ToListAsync(cancellationToken);
    }

    /// <summary>Where a sign-up stands after taking a place: accepted, or waitlisted with its ticket and its position told.</summary>
    sealed record Place(SignUpStatus Status, int? Ticket, int? Position);

    sealed record WaitlistCounters(int Waitlisted, int WaitlistIssued);

    /// <summary>
    /// Takes a place if one is left, or else a waitlist ticket. Each is one conditional statement on the
    /// session row, so two nodes can never both take the last place, and the position told (the
    /// waitlist count after this one joined) is this volunteer's alone.
    /// </summary>
    async Task<Place> TakePlaceOrTicketAsync(Guid sessionId, CancellationToken cancellationToken)
    {
        if (await db.ActivitySessions.Where(s => s.Id == sessionId && s.Accepted < s.Capacity)
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.Accepted, s => s.Accepted + 1), cancellationToken) == 1)
        {
            return new Place(SignUpStatus.Accepted, null, null);
        }
        var counters = (await db.Database.SqlQuery<WaitlistCounters>($"""
            UPDATE "ActivitySessions" SET "Waitlisted" = "Waitlisted" + 1, "WaitlistIssued" = "WaitlistIssued" + 1 WHERE "Id" = {sessionId}
            RETURNING "Waitlisted", "WaitlistIssued"
            """).ToListAsync(cancellationToken)).Single();
        return new Place(SignUpStatus.Waitlisted, counters.WaitlistIssued, counters.Waitlisted);
    }

    /// <summary>
    /// A sign-up left the session (cancelled, or taken off by the organiser): an accepted place goes to
    /// the longest-waiting person, or back to the session; a waitlist place is given up. Called with the
    /// session locked and the sign-up's status already changed by a conditional update.
    /// </summary>
    async Task ReleaseAsync(Guid sessionId, SignUpStatus was, DateTime now, CancellationToken cancellationToken)
    {
        if (was == SignUpStatus.Waitlisted)
        {
            await db.ActivitySessions.Where(s => s.Id == sessionId).ExecuteUpdateAsync(u => u.SetProperty(s => s.Waitlisted, s => s.Waitlisted - 1), cancellationToken);
            return;
        }
        if (was != SignUpStatus.Accepted)
        {
            return;
        }
        var next = await db.SignUps.Where(s => s.SessionId == sessionId && s.Status == SignUpStatus.Waitlisted)
            .OrderBy(s => s.WaitlistTicket).Select(s => (Guid?)s.Id).FirstOrDefaultAsync(cancellationToken);
        if (next is not null && await db.SignUps.Where(s => s.Id == next && s.Status == SignUpStatus.Waitlisted)
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.Status, SignUpStatus.Accepted).SetProperty(s => s.DecidedAtUtc, now)
                    .SetProperty(s => s.WaitlistTicket, (int?)null), cancellationToken) == 1)
        {
            await db.ActivitySessions.Where(s => s.Id == sessionId).ExecuteUpdateAsync(u => u.SetProperty(s => s.Waitlisted, s => s.Waitlisted - 1), cancellationToken);
            // Told in the same transaction as the promotion: only the cancellation that really freed the place tells anyone.
            await EventMessages.WaitlistPromotedAsync(db, next.Value, now, cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
        }
        else
        {
            await db.ActivitySessions.Where(s => s.Id == sessionId).ExecuteUpdateAsync(u => u.SetProperty(s => s.Accepted, s => s.Accepted - 1), cancellationToken);
        }
    }

    async Task<SignUpView> ViewAsync(SignUp signUp, CancellationToken cancellationToken, int? knownPosition = null)
    {
        switch (signUp.Status)
        {
            case SignUpStatus.Waitlisted:
                var position = knownPosition ?? await db.SignUps.CountAsync(o => o.SessionId == signUp.SessionId && o.Status == SignUpStatus.Waitlisted
                    && o.WaitlistTicket < signUp.WaitlistTicket, cancellationToken) + 1;
                return new SignUpView(signUp.SessionId, signUp.Status, position, text["Activities.SignUp.Waitlisted", position]);
            case SignUpStatus.Pending:
                return new SignUpView(signUp.SessionId, signUp.Status, null, text["Activities.SignUp.Pending"]);
            case SignUpStatus.Rejected:
                return new SignUpView(signUp.SessionId, signUp.Status, null, text["Activities.Refused.Rejected", signUp.Reason ?? ""]);
            default:
                return new SignUpView(signUp.SessionId, signUp.Status, null, text["Activities.SignUp.Accepted"]);
        }
    }

    static string AgeRange(int? minAge, int? maxAge) => (minAge, maxAge) switch
    {
        ({ } min, { } max) => $"{min}–{max}",
        ({ } min, null) => $"{min}+",
        (null, { } max) => $"≤{max}",
        _ => "",
    };

    Outcome<SignUpView> Refused(string key, params object[] arguments) => Outcome<SignUpView>.Invalid("session", text[key, arguments]);
}
