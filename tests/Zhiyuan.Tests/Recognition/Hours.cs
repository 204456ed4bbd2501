using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Web.Activities;
using Zhiyuan.Web.Hours;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Tests.Recognition;

/// <summary>Confirmed hours for a volunteer, written as the confirmation flow leaves them: an activity, its session, a ledger entry.</summary>
public static class Hours
{
    public static async Task<Guid> CreditAsync(this TestApp app, Guid host, string volunteerNumber, int hours, DateTime startUtc, string title = "西江河畔清洁行动") =>
        await app.WithDbAsync(async db =>
        {
            var volunteer = await db.Volunteers.SingleAsync(v => v.Number == volunteerNumber);
            var unitId = await db.Organizations.Where(o => o.Id == host).Select(o => o.UnitId).SingleAsync();
            var session = new ActivitySession { StartsAtUtc = startUtc, EndsAtUtc = startUtc.AddHours(hours), Capacity = 10, CheckInSecret = RandomNumberGenerator.GetBytes(32) };
            var activity = new Activity
            {
                Title = title, Description = "清理河岸垃圾", HostOrganizationId = host, UnitId = unitId, Address = "肇庆市端州区西江南路", ResponsiblePerson = "陈队长",
                Status = ActivityStatus.Finished, ServiceLine = ServiceLines.Ecology, CreatedAtUtc = startUtc.AddDays(-7), SignUpOpensAtUtc = startUtc.AddDays(-7),
                SignUpClosesAtUtc = startUtc, Sessions = [session],
            };
            db.Activities.Add(activity);
            var entry = new LedgerEntry
            {
                VolunteerId = volunteer.Id, VolunteerUnitId = volunteer.UnitId, SessionId = session.Id, ActivityId = activity.Id, OrganizationId = host,
                StartUtc = session.StartsAtUtc, EndUtc = session.EndsAtUtc, Minutes = hours * 60, Kind = LedgerEntryKind.Confirmed,
                RecordedAtUtc = session.EndsAtUtc.AddDays(1), RecordedBy = "test",
            };
            db.LedgerEntries.Add(entry);
            // As a confirmation writes it: the credited stretch, which the database checks for overlaps.
            db.EffectiveCredits.Add(new EffectiveCredit { EntryId = entry.Id, VolunteerId = volunteer.Id, SessionId = session.Id, StartUtc = entry.StartUtc, EndUtc = entry.EndUtc });
            await db.SaveChangesAsync();
            return entry.Id;
        });
}
