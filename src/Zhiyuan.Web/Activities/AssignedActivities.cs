using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Hours;
using Zhiyuan.Web.Infrastructure;
using Zhiyuan.Web.Organizations;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Web.Activities;

/// <summary>What an assigned piece of work (an accepted citizen order, a patrol round) becomes.</summary>
/// <param name="IsPrivate">Seen only by those who run it and the volunteers assigned (see <see cref="Activity.IsPrivate"/>).</param>
public sealed record AssignedWork(string Title, string Description, ServiceLines Line, string? ProgrammeTag, string Address, DateTime StartsAtUtc, DateTime EndsAtUtc,
    string ResponsiblePerson, ActivityStatus Status, bool IsPrivate);

/// <summary>
/// Work that volunteers are assigned to rather than sign up for — an accepted citizen order, a
/// patrol round — is kept as an ordinary activity with one session and accepted sign-ups. So its
/// hours go through the same confirmation and ledger, and it counts in every report, with no
/// second path for hours to drift from.
/// </summary>
public sealed class AssignedActivities(AppDbContext db, HourUseCases hours, IStringLocalizer<SharedResource> text, TimeProvider time)
{
    /// <summary>
    /// Finds the volunteers by number; each must be an approved member of the organisation.
    /// Adds errors to <paramref name="field"/> for any that is not.
    /// </summary>
    public async Task<List<Volunteer>> MembersAsync(FieldErrors errors, string field, Guid organizationId, IEnumerable<string>? numbers, CancellationToken cancellationToken)
    {
        var wanted = (numbers ?? []).Select(n => n.Trim()).Where(n => n.Length > 0).Distinct().ToList();
        if (wanted.Count == 0)
        {
            errors.Add(field, text["Assigned.Error.NoVolunteers"]);
            return [];
        }
        if (wanted.Count > 50)
        {
            errors.Add(field, text["Assigned.Error.TooMany", 50]);
            return [];
        }
        var found = await db.Memberships.Where(m => m.OrganizationId == organizationId && m.Status == MembershipStatus.Approved && wanted.Contains(m.Volunteer!.Number))
            .Select(m => m.Volunteer!).ToListAsync(cancellationToken);
        foreach (var missing in wanted.Except(found.Select(v => v.Number)))
        {
            errors.Add(field, text["Assigned.Error.NotMember", missing]);
        }
        return found;
    }

    /// <summary>Adds (does not save) an activity with one session whose places are the given volunteers.</summary>
    public (Activity Activity, ActivitySession Session) Add(Organization host, AssignedWork work, IReadOnlyCollection<Volunteer> volunteers, string? userId, DateTime now)
    {
        var session = new ActivitySession
        {
            StartsAtUtc = work.StartsAtUtc,
            EndsAtUtc = work.EndsAtUtc,
            Capacity = Math.Max(1, volunteers.Count),
            Accepted = volunteers.Count,
            CheckInSecret = RandomNumberGenerator.GetBytes(32),
        };
        var activity = new Activity
        {
            Title = work.Title.Length > Activity.TitleMaxLength ? work.Title[..Activity.TitleMaxLength] : work.Title,
            Description = work.Description.Length > Activity.TextMaxLength ? work.Description[..Activity.TextMaxLength] : work.Description,
            HostOrganizationId = host.Id,
            UnitId = host.UnitId,
            ServiceLine = work.Line,
            ProgrammeTag = work.ProgrammeTag,
            PopulationTypes = PopulationTypes.Other,
            OtherPopulation = text["Assigned.Population"],
            Address = work.Address.Length > Activity.ShortTextMaxLength ? work.Address[..Activity.ShortTextMaxLength] : work.Address,
            SignUpOpensAtUtc = now,
            SignUpClosesAtUtc = now,
            CancelHoursBefore = 0,
            ResponsiblePerson = work.ResponsiblePerson.Length > 50 ? work.ResponsiblePerson[..50] : work.ResponsiblePerson,
            Status = work.Status,
            CreatedAtUtc = now,
            CreatedByUserId = userId,
            PublishedAtUtc = work.Status == ActivityStatus.Draft ? null : now,
            IsPrivate = work.IsPrivate,
            Sessions = [session],
        };
        db.Activities.Add(activity);
        foreach (var volunteer in volunteers)
        {
            db.SignUps.Add(new SignUp { SessionId = session.Id, VolunteerId = volunteer.Id, Status = SignUpStatus.Accepted, RequestedAtUtc = now, DecidedAtUtc = now });
        }
        return (activity, session);
    }

    /// <summary>
    /// The work is done: whoever took part (all assigned, when <paramref name="numbers"/> is empty)
    /// is marked present for the session, and the session's hours are confirmed into the ledger.
    /// The session must be over.
    /// </summary>
    public async Task<Outcome<ConfirmationView>> CompleteAsync(ClaimsPrincipal principal, Guid activityId, Guid sessionId, IReadOnlyCollection<string>? numbers, CancellationToken cancellationToken)
    {
        var session = await db.ActivitySessions.SingleAsync(s => s.Id == sessionId, cancellationToken);
        if (session.EndsAtUtc > time.GetUtcNow().UtcDateTime)
        {
            return Outcome<ConfirmationView>.Invalid("session", text["Hours.Error.NotOver", ChinaTime.Format(session.EndsAtUtc)]);
        }
        var signUps = await db.SignUps.Include(s => s.Volunteer).Where(s => s.SessionId == sessionId && s.Status == SignUpStatus.Accepted).ToListAsync(cancellationToken);
        var present = numbers is { Count: > 0 } ? signUps.Where(s => numbers.Contains(s.Volunteer!.Number)).ToList() : signUps;
        if (numbers is { Count: > 0 } && present.Count != numbers.Distinct().Count())
        {
            return Outcome<ConfirmationView>.Invalid("volunteerNumbers", text["Assigned.Error.NotAssigned"]);
        }
        foreach (var signUp in present.Where(s => s.CheckedInAtUtc is null))
        {
            signUp.CheckedInAtUtc = session.StartsAtUtc;
            signUp.CheckedOutAtUtc = session.EndsAtUtc;
        }
        await db.SaveChangesAsync(cancellationToken);
        var confirmed = await hours.ConfirmAsync(principal, sessionId, cancellationToken);
        if (confirmed.Succeeded)
        {
            await db.Activities.Where(a => a.Id == activityId).ExecuteUpdateAsync(a => a.SetProperty(x => x.Status, ActivityStatus.Finished), cancellationToken);
        }
        return confirmed;
    }
}
