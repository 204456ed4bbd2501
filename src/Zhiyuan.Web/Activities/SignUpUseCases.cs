using System.Security.Claims;
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
        var session = await db.ActivitySessions.AsNoTracking().Include(s => s.Activity).SingleOrDefaultAsync(s => s.Id == sessionId, cancellationToken);
        if (session is null || session.Activity!.Status == ActivityStatus.Draft)
        {
            return Outcome<SignUpView>.NotFound();
        }
        var activity = session.Activity;
        var userId = users.GetUserId(principal);
        var volunteer = await db.Volunteers.AsNoTracking().SingleOrDefaultAsync(v => v.UserId == userId, cancellationToken);
        if (volunteer is null)
        {
            return Refused("Activities.Refused.NotAVolunteer");
        }
        var now = time.GetUtcNow().UtcDateTime;
        if (activity.Status != ActivityStatus.Published)
        {
            return Refused("Activities.Refused.NotOpen");
        }
        if (now < activity.SignUpOpensAtUtc)
        {
            return Refused("Activities.Refused.NotYet", ChinaTime.Format(activity.SignUpOpensAtUtc));
        }
        if (now >= activity.SignUpClosesAtUtc || now >= session.StartsAtUtc)
        {
            return Refused("Activities.Refused.Closed");
        }
        var age = IdentityDocument.AgeOn(volunteer.BirthDate, DateOnly.FromDateTime(ChinaTime.ToChina(session.StartsAtUtc)));
        if (activity.MinAge is { } min && age < min || activity.MaxAge is { } max && age > max)
        {
            return Refused("Activities.Refused.Age", age, AgeRange(activity));
        }
        var missing = activity.RequiredSkills.Split(SkillSeparators, StringSplitOptions.RemoveEmptyEntries)
            .Where(skill => !volunteer.Skills.Contains(skill, StringComparison.OrdinalIgnoreCase)).ToList();
        if (missing.Count > 0)
        {
            return Refused("Activities.Refused.Skills", string.Join("、", missing));
        }
        if (activity.MembersOnly)
        {
            var organizers = await db.ActivityCoOrganizers.Where(c => c.ActivityId == activity.Id).Select(c => c.OrganizationId).ToListAsync(cancellationToken);
            organizers.Add(activity.HostOrganizationId);
            if (!await db.Memberships.AnyAsync(m => m.VolunteerId == volunteer.Id && organizers.Contains(m.OrganizationId) && m.Status == MembershipStatus.Approved, cancellationToken))
            {
                var host = await db.Organizations.Where(o => o.Id == activity.HostOrganizationId).Select(o => o.Name).SingleAsync(cancellationToken);
                return Refused("Activities.Refused.MembersOnly", host);
            }
        }
        var existing = await db.SignUps.SingleOrDefaultAsync(s => s.SessionId == sessionId && s.VolunteerId == volunteer.Id, cancellationToken);
        if (existing is { Status: SignUpStatus.Accepted or SignUpStatus.Waitlisted or SignUpStatus.Pending })
        {
            return Refused("Activities.Refused.Already");
        }
        if (existing is { Status: SignUpStatus.Rejected })
        {
            return Refused("Activities.Refused.Rejected", existing.Reason ?? "");
        }
        var overlapping = await db.SignUps.AsNoTracking()
            .Where(s => s.VolunteerId == volunteer.Id && s.SessionId != sessionId
                && (s.Status == SignUpStatus.Accepted || s.Status == SignUpStatus.Waitlisted || s.Status == SignUpStatus.Pending)
                && s.Session!.StartsAtUtc < session.EndsAtUtc && s.Session.EndsAtUtc > session.StartsAtUtc)
            .Select(s => new { s.Session!.Activity!.Title, s.Session.StartsAtUtc, s.Session.EndsAtUtc }).FirstOrDefaultAsync(cancellationToken);
        if (overlapping is not null)
        {
            return Refused("Activities.Refused.Overlap", overlapping.Title, ChinaTime.Format(overlapping.StartsAtUtc) + "–" + ChinaTime.ToChina(overlapping.EndsAtUtc).ToString("HH:mm"));
        }

        // Writes only from here, the conditional update first: on SQLite that takes the write lock
        // at once, so no reader has to be upgraded to a writer half-way through.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var status = activity.ReviewSignUps ? SignUpStatus.Pending
            : await TakePlaceAsync(sessionId, cancellationToken) ? SignUpStatus.Accepted : SignUpStatus.Waitlisted;
        var signUp = existing ?? new SignUp { SessionId = sessionId, VolunteerId = volunteer.Id };
        signUp.Status = status;
        signUp.RequestedAtUtc = now;
        signUp.DecidedAtUtc = status == SignUpStatus.Pending ? null : now;
        signUp.Reason = null;
        if (existing is null)
        {
            db.SignUps.Add(signUp);
        }
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // The unique index caught a simultaneous second sign-up of the same volunteer; the place goes back with the rollback.
            return Refused("Activities.Refused.Already");
        }
        return Outcome<SignUpView>.Ok(await ViewAsync(signUp, cancellationToken));
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
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        signUp.Status = !request.Approve ? SignUpStatus.Rejected
            : await TakePlaceAsync(sessionId, cancellationToken) ? SignUpStatus.Accepted : SignUpStatus.Waitlisted;
        signUp.Reason = request.Approve ? null : reason;
        signUp.DecidedAtUtc = time.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        var activity = await db.Activities.AsNoTracking().SingleAsync(a => a.Id == signUp.Session.ActivityId, cancellationToken);
        audit.Add(request.Approve ? "signup.accept" : "signup.reject", activity.UnitId, volunteerNumber, activity.Title + (reason.Length > 0 ? "：" + reason : ""));
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<SignUpView>.Ok(await ViewAsync(signUp, cancellationToken));
    }

    public async Task<List<MySignUpView>> MineAsync(ClaimsPrincipal principal, CancellationToken cancellationToken = default)
    {
        var userId = users.GetUserId(principal);
        var rows = await db.SignUps.AsNoTracking().Where(s => s.Volunteer!.UserId == userId && s.Status != SignUpStatus.Cancelled)
            .OrderByDescending(s => s.Session!.StartsAtUtc).Take(200)
            .Select(s => new MySignUpView(s.Session!.ActivityId, s.Session.Activity!.Title, s.SessionId, s.Session.StartsAtUtc, s.Session.EndsAtUtc,
                s.Session.Activity.Address, s.Status,
                s.Status == SignUpStatus.Waitlisted
                    ? db.SignUps.Count(o => o.SessionId == s.SessionId && o.Status == SignUpStatus.Waitlisted && o.RequestedAtUtc < s.RequestedAtUtc) + 1
                    : null,
                s.Reason, s.CheckedInAtUtc, s.CheckedOutAtUtc, s.LedgerEntryId != null))
            .ToListAsync(cancellationToken);
        return rows;
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

    async Task<SignUpView> ViewAsync(SignUp signUp, CancellationToken cancellationToken)
    {
        switch (signUp.Status)
        {
            case SignUpStatus.Waitlisted:
                var position = await db.SignUps.CountAsync(o => o.SessionId == signUp.SessionId && o.Status == SignUpStatus.Waitlisted && o.RequestedAtUtc < signUp.RequestedAtUtc, cancellationToken) + 1;
                return new SignUpView(signUp.SessionId, signUp.Status, position, text["Activities.SignUp.Waitlisted", position]);
            case SignUpStatus.Pending:
                return new SignUpView(signUp.SessionId, signUp.Status, null, text["Activities.SignUp.Pending"]);
            case SignUpStatus.Rejected:
                return new SignUpView(signUp.SessionId, signUp.Status, null, text["Activities.Refused.Rejected", signUp.Reason ?? ""]);
            default:
                return new SignUpView(signUp.SessionId, signUp.Status, null, text["Activities.SignUp.Accepted"]);
        }
    }

    static string AgeRange(Activity activity) => (activity.MinAge, activity.MaxAge) switch
    {
        ({ } min, { } max) => $"{min}–{max}",
        ({ } min, null) => $"{min}+",
        (null, { } max) => $"≤{max}",
        _ => "",
    };

    Outcome<SignUpView> Refused(string key, params object[] arguments) => Outcome<SignUpView>.Invalid("session", text[key, arguments]);
}
