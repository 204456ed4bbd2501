using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Npgsql;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Audit;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Infrastructure;
using Zhiyuan.Web.Organizations;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Web.Activities;

/// <summary>The outcome of a sign-up, with a sentence saying where the volunteer stands.</summary>
public sealed record SignUpView(Guid SessionId, SignUpStatus Status, int? WaitlistPosition, string Message);

/// <summary>One of the volunteer's own sign-ups, for their page.</summary>
public sealed record MySignUpView(Guid ActivityId, string ActivityTitle, Guid SessionId, DateTime StartsAtUtc, DateTime EndsAtUtc, string Address,
    SignUpStatus Status, int? WaitlistPosition, string? Reason, DateTime? CheckedInAtUtc, DateTime? CheckedOutAtUtc, bool HoursConfirmed);

/// <summary>
/// Signing up for sessions. Places are taken by a single conditional update
/// (<c>Accepted = Accepted + 1 WHERE Accepted &lt; Capacity</c>) inside the sign-up's transaction, so
/// a session is never overbooked, whichever node or connection gets there first.
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
                s.StartsAtUtc, s.EndsAtUtc, s.ActivityId, s.Activity!.Status, s.Activity.SignUpOpensAtUtc, s.Activity.SignUpClosesAtUtc,
                s.Activity.MinAge, s.Activity.MaxAge, s.Activity.RequiredSkills, s.Activity.MembersOnly, s.Activity.ReviewSignUps, s.Activity.HostOrganizationId,
                // Three scalar subqueries rather than one row: SQLite has no LATERAL join to fetch a row with.
                VolunteerId = db.Volunteers.Where(v => v.UserId == userId).Select(v => (Guid?)v.Id).FirstOrDefault(),
                BirthDate = db.Volunteers.Where(v => v.UserId == userId).Select(v => (DateOnly?)v.BirthDate).FirstOrDefault(),
                Skills = db.Volunteers.Where(v => v.UserId == userId).Select(v => v.Skills).FirstOrDefault(),
            })
            .SingleOrDefaultAsync(cancellationToken);
        if (session is null || session.Status == ActivityStatus.Draft)
        {
            return Outcome<SignUpView>.NotFound();
        }
        if (session.VolunteerId is not { } volunteerId)
        {
            return Refused("Activities.Refused.NotAVolunteer");
        }
        var now = time.GetUtcNow().UtcDateTime;
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

        SignUp signUp;
        int? position = null;
        try
        {
            if (existing is null && !session.ReviewSignUps && db.Database.IsNpgsql())
            {
                (signUp, var waitlistPosition) = await InsertInOneStatementAsync(sessionId, volunteerId, now, cancellationToken);
                position = waitlistPosition;
            }
            else
            {
                signUp = await InsertInTransactionAsync(sessionId, volunteerId, session.ReviewSignUps, now, cancellationToken);
            }
        }
        catch (DbUpdateException)
        {
            // The unique index caught a simultaneous second sign-up of the same volunteer; the place went back with the rollback.
            return Refused("Activities.Refused.Already");
        }
        catch (PostgresException unique) when (unique.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return Refused("Activities.Refused.Already");
        }
        return Outcome<SignUpView>.Ok(await ViewAsync(signUp, cancellationToken, position));
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
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var wasAccepted = signUp.Status == SignUpStatus.Accepted;
        signUp.Status = SignUpStatus.Cancelled;
        signUp.DecidedAtUtc = now;
        await db.SaveChangesAsync(cancellationToken);
        if (wasAccepted && !await PromoteNextAsync(sessionId, now, cancellationToken))
        {
            await db.ActivitySessions.Where(s => s.Id == sessionId).ExecuteUpdateAsync(u => u.SetProperty(s => s.Accepted, s => s.Accepted - 1), cancellationToken);
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
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        signUp.Status = !request.Approve ? SignUpStatus.Rejected
            : await TakePlaceAsync(sessionId, cancellationToken) ? SignUpStatus.Accepted : SignUpStatus.Waitlisted;
        signUp.Reason = request.Approve ? null : reason;
        signUp.DecidedAtUtc = time.GetUtcNow().UtcDateTime;
        audit.Add(request.Approve ? "signup.accept" : "signup.reject", activity.UnitId, volunteerNumber, activity.Title + (reason.Length > 0 ? "：" + reason : ""));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<SignUpView>.Ok(await ViewAsync(signUp, cancellationToken));
    }

    public async Task<List<MySignUpView>> MineAsync(ClaimsPrincipal principal, CancellationToken cancellationToken = default)
    {
        var userId = users.GetUserId(principal);
        return await db.SignUps.AsNoTracking().Where(s => s.Volunteer!.UserId == userId && s.Status != SignUpStatus.Cancelled)
            .OrderByDescending(s => s.Session!.StartsAtUtc).Take(200)
            .Select(s => new MySignUpView(s.Session!.ActivityId, s.Session.Activity!.Title, s.SessionId, s.Session.StartsAtUtc, s.Session.EndsAtUtc,
                s.Session.Activity.Address, s.Status,
                s.Status == SignUpStatus.Waitlisted
                    ? db.SignUps.Count(o => o.SessionId == s.SessionId && o.Status == SignUpStatus.Waitlisted
                        && (o.RequestedAtUtc < s.RequestedAtUtc || (o.RequestedAtUtc == s.RequestedAtUtc && o.Id.CompareTo(s.Id) < 0))) + 1
                    : null,
                s.Reason, s.CheckedInAtUtc, s.CheckedOutAtUtc, s.LedgerEntryId != null))
            .ToListAsync(cancellationToken);
    }

    /// <summary>
    /// PostgreSQL: take a place (if one is left) and insert the sign-up in a single statement, so the
    /// session row stays locked only while that statement runs, not across round trips to the app —
    /// under a storm of sign-ups for one session, that lock is what everyone queues for.
    /// </summary>
    async Task<(SignUp SignUp, int WaitlistPosition)> InsertInOneStatementAsync(Guid sessionId, Guid volunteerId, DateTime now, CancellationToken cancellationToken)
    {
        var id = Guid.CreateVersion7();
        // The position on the waitlist comes back with the row: those waitlisted before it, plus one.
        // Order is request time, then id: PostgreSQL keeps microseconds, so two requests can share a time.
        var inserted = await db.Database.SqlQuery<InsertedSignUp>($"""
            WITH took AS (
                UPDATE "ActivitySessions" SET "Accepted" = "Accepted" + 1 WHERE "Id" = {sessionId} AND "Accepted" < "Capacity" RETURNING 1)
            INSERT INTO "SignUps" ("Id", "SessionId", "VolunteerId", "Status", "RequestedAtUtc", "DecidedAtUtc", "CheckOutMissing", "LastCodeWindow")
            VALUES ({id}, {sessionId}, {volunteerId}, CASE WHEN EXISTS (SELECT 1 FROM took) THEN 'Accepted' ELSE 'Waitlisted' END, {now}, {now}, FALSE, 0)
            RETURNING "Status",
                (SELECT COUNT(*)::int FROM "SignUps" w WHERE w."SessionId" = {sessionId} AND w."Status" = 'Waitlisted' AND (w."RequestedAtUtc", w."Id") < ({now}, {id})) + 1 AS "Position"
            """).ToListAsync(cancellationToken);
        var signUp = new SignUp { Id = id, SessionId = sessionId, VolunteerId = volunteerId, Status = Enum.Parse<SignUpStatus>(inserted[0].Status), RequestedAtUtc = now, DecidedAtUtc = now };
        return (signUp, inserted[0].Position);
    }

    sealed record InsertedSignUp(string Status, int Position);

    /// <summary>
    /// Everywhere else (SQLite, a reviewed activity, a volunteer signing up again after cancelling):
    /// one transaction that starts with the conditional update, so on SQLite it takes the write lock
    /// at once and no reader has to be upgraded to a writer half-way through.
    /// </summary>
    async Task<SignUp> InsertInTransactionAsync(Guid sessionId, Guid volunteerId, bool reviewed, DateTime now, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var status = reviewed ? SignUpStatus.Pending
            : await TakePlaceAsync(sessionId, cancellationToken) ? SignUpStatus.Accepted : SignUpStatus.Waitlisted;
        var signUp = await db.SignUps.SingleOrDefaultAsync(s => s.SessionId == sessionId && s.VolunteerId == volunteerId, cancellationToken);
        if (signUp is null)
        {
            db.SignUps.Add(signUp = new SignUp { SessionId = sessionId, VolunteerId = volunteerId });
        }
        signUp.Status = status;
        signUp.RequestedAtUtc = now;
        signUp.DecidedAtUtc = status == SignUpStatus.Pending ? null : now;
        signUp.Reason = null;
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return signUp;
    }

    /// <summary>Takes a place if one is left: one statement, so two nodes can never both take the last one.</summary>
    async Task<bool> TakePlaceAsync(Guid sessionId, CancellationToken cancellationToken) =>
        await db.ActivitySessions.Where(s => s.Id == sessionId && s.Accepted < s.Capacity)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.Accepted, s => s.Accepted + 1), cancellationToken) == 1;

    /// <summary>Gives a freed place to the longest-waiting person; the conditional update makes sure two cancellations never promote the same one.</summary>
    async Task<bool> PromoteNextAsync(Guid sessionId, DateTime now, CancellationToken cancellationToken)
    {
        while (true)
        {
            var next = await db.SignUps.Where(s => s.SessionId == sessionId && s.Status == SignUpStatus.Waitlisted)
                .OrderBy(s => s.RequestedAtUtc).ThenBy(s => s.Id).Select(s => (Guid?)s.Id).FirstOrDefaultAsync(cancellationToken);
            if (next is null)
            {
                return false;
            }
            if (await db.SignUps.Where(s => s.Id == next && s.Status == SignUpStatus.Waitlisted)
                    .ExecuteUpdateAsync(u => u.SetProperty(s => s.Status, SignUpStatus.Accepted).SetProperty(s => s.DecidedAtUtc, now), cancellationToken) == 1)
            {
                return true;
            }
        }
    }

    async Task<SignUpView> ViewAsync(SignUp signUp, CancellationToken cancellationToken, int? knownPosition = null)
    {
        switch (signUp.Status)
        {
            case SignUpStatus.Waitlisted:
                var position = knownPosition ?? await db.SignUps.CountAsync(o => o.SessionId == signUp.SessionId && o.Status == SignUpStatus.Waitlisted
                    && (o.RequestedAtUtc < signUp.RequestedAtUtc || (o.RequestedAtUtc == signUp.RequestedAtUtc && o.Id.CompareTo(signUp.Id) < 0)), cancellationToken) + 1;
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
