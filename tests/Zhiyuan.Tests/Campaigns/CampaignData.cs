using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Web.Activities;
using Zhiyuan.Web.Hours;
using Zhiyuan.Web.Volunteers;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Campaigns;

/// <summary>
/// A campaign over March 2019 and the records its tables are computed from, written straight into
/// the database (the ledger and outcomes as the activity flows would have left them), so that the
/// expected tables can be worked out by hand. Dates are China time.
/// </summary>
public sealed class CampaignData
{
    public const string Name = "测试行动月";
    public const string Town = "441202001";

    public Guid CampaignId { get; private set; }
    public Guid OrgA { get; private set; }
    public Guid OrgB { get; private set; }
    public Guid OrgC { get; private set; }

    /// <summary>Opens the campaign (March 2019, weekly, due Friday 00:00, two levels expected) as the city administrator.</summary>
    public static async Task<Guid> OpenAsync(HttpClient city, string name = Name, int depth = 2, int year = 2019)
    {
        var campaign = await OkAsync(await city.PostAsJsonAsync("/api/campaigns", new
        {
            name, theme = "志愿肇庆 美好生活", startDate = $"{year}-03-01", endDate = $"{year}-03-31", dueDay = "Friday", dueHour = 0,
            finalDueDate = $"{year}-04-03", reportingDepth = depth, contactName = "曾繁智", contactPhone = "0758-2323563",
        }));
        return campaign.GetProperty("id").GetGuid();
    }

    public static DateTime China(int day, int hour, int minute = 0) => new DateTime(2019, 3, day, hour, minute, 0, DateTimeKind.Utc).AddHours(-8);

    /// <summary>
    /// 端州区 (441202) with a town below it (441202001); organisations A (端州), B (鼎湖 441203), C (the town).
    /// Act1 西江清洁 by A with B: Thu 7 March 23:59 (v1, v2 an hour each) and Fri 8 March 00:01 (v1 59 minutes).
    /// Act2 敬老院探访 by B (鼎湖): 5 and 6 March 09:00–12:00 — v1 at both (180 each), v3 on the 5th,
    /// first credited 120 minutes, then corrected to 150. Act3 社区普法 by C with A: 4 March 14:00–16:00, v2 120 minutes.
    /// </summary>
    public static async Task<CampaignData> CreateAsync(TestApp app, int depth = 2)
    {
        using var city = await app.ApiClientAsync();
        await OkAsync(await city.PostAsJsonAsync("/api/units/441202/children", new { code = Town, name = "城东街道", type = "Town" }));
        var data = new CampaignData
        {
            CampaignId = await OpenAsync(city, depth: depth),
            OrgA = await OrganizationAsync(city, "端州区青年志愿者协会", "441202"),
            OrgB = await OrganizationAsync(city, "鼎湖区义工联", "441203"),
            OrgC = await OrganizationAsync(city, "城东街道志愿服务队", Town),
        };
        var volunteers = await app.VolunteersAsync(3);
        await app.WithDbAsync(async db =>
        {
            var numbers = volunteers.Select(v => v.Number).ToList();
            var ids = await db.Volunteers.Where(v => numbers.Contains(v.Number)).ToDictionaryAsync(v => v.Number, v => (v.Id, v.UnitId));
            var (v1, v2, v3) = (ids[numbers[0]], ids[numbers[1]], ids[numbers[2]]);
            var units = await db.Units.Where(u => u.Code == "441202" || u.Code == "441203" || u.Code == Town).ToDictionaryAsync(u => u.Code, u => u.Id);

            var act1 = Activity(db, "西江清洁", data.OrgA, units["441202"], [data.OrgB], (China(7, 23, 59), China(8, 0, 59)), (China(8, 0, 1), China(8, 1, 0)));
            var act2 = Activity(db, "敬老院探访", data.OrgB, units["441203"], [], (China(5, 9), China(5, 12)), (China(6, 9), China(6, 12)));
            var act3 = Activity(db, "社区普法", data.OrgC, units[Town], [data.OrgA], (China(4, 14), China(4, 16)));
            Credit(db, act1, 0, v1, 60);
            Credit(db, act1, 0, v2, 60);
            Credit(db, act1, 1, v1, 59);
            Credit(db, act2, 0, v1, 180);
            Credit(db, act2, 1, v1, 180);
            var wrong = Credit(db, act2, 0, v3, 120);
            db.LedgerEntries.Add(Entry(act2, 0, v3, -120, LedgerEntryKind.Reversal, wrong.Id));
            db.LedgerEntries.Add(Entry(act2, 0, v3, 150, LedgerEntryKind.Correction, null));
            Credit(db, act3, 0, v2, 120);

            Outcome(db, act1, 100.50m, print: 1, website: 0, [(PopulationTypes.EmptyNestElderly, 30)], [("https://mp.weixin.qq.com/s/xijiang", 500)]);
            Outcome(db, act2, 200m, print: 0, website: 2, [(PopulationTypes.Disabled, 10), (PopulationTypes.Other, 5)], []);
            Outcome(db, act3, 0m, print: 0, website: 0, [(PopulationTypes.LeftBehindChildren, 20)], []);
            await db.SaveChangesAsync();
            return 0;
        });
        return data;
    }

    static Activity Activity(Zhiyuan.Web.Data.AppDbContext db, string title, Guid host, Guid unit, Guid[] coOrganizers, params (DateTime Start, DateTime End)[] sessions)
    {
        var activity = new Activity
        {
            Title = title, HostOrganizationId = host, UnitId = unit, Address = "肇庆市", ResponsiblePerson = "陈队长", Status = ActivityStatus.Finished,
            ServiceLine = ServiceLines.Ecology, OtherPopulation = "环卫工人", CreatedAtUtc = sessions[0].Start.AddDays(-7),
            SignUpOpensAtUtc = sessions[0].Start.AddDays(-7), SignUpClosesAtUtc = sessions[0].Start,
            CoOrganizers = coOrganizers.Select(o => new ActivityCoOrganizer { OrganizationId = o }).ToList(),
            Sessions = sessions.Select(s => new ActivitySession { StartsAtUtc = s.Start, EndsAtUtc = s.End, Capacity = 10, CheckInSecret = RandomNumberGenerator.GetBytes(32) }).ToList(),
        };
        db.Activities.Add(activity);
        return activity;
    }

    static LedgerEntry Credit(Zhiyuan.Web.Data.AppDbContext db, Activity activity, int session, (Guid Id, Guid UnitId) volunteer, int minutes)
    {
        var entry = Entry(activity, session, volunteer, minutes, LedgerEntryKind.Confirmed, null);
        db.LedgerEntries.Add(entry);
        return entry;
    }

    static LedgerEntry Entry(Activity activity, int session, (Guid Id, Guid UnitId) volunteer, int minutes, LedgerEntryKind kind, Guid? reverses)
    {
        var s = activity.Sessions[session];
        return new LedgerEntry
        {
            VolunteerId = volunteer.Id, VolunteerUnitId = volunteer.UnitId, SessionId = s.Id, ActivityId = activity.Id, OrganizationId = activity.HostOrganizationId,
            StartUtc = s.StartsAtUtc, EndUtc = s.StartsAtUtc.AddMinutes(Math.Abs(minutes)), Minutes = minutes, Kind = kind, ReversesEntryId = reverses,
            RecordedAtUtc = Recorded(s.EndsAtUtc.AddDays(1)), RecordedBy = "test", Reason = kind == LedgerEntryKind.Confirmed ? "" : "签退时间有误",
        };
    }

    static void Outcome(Zhiyuan.Web.Data.AppDbContext db, Activity activity, decimal money, int print, int website, (PopulationTypes Type, int PersonTimes)[] served, (string Url, int Reads)[] links)
    {
        var recorded = Recorded(activity.Sessions[^1].EndsAtUtc.AddDays(1));
        db.ActivityOutcomes.Add(new ActivityOutcome { ActivityId = activity.Id, MoneyAndMaterialsYuan = money, PrintReports = print, WebsiteReports = website, UpdatedAtUtc = recorded });
        db.PopulationServed.AddRange(served.Select(p => new PopulationServed { ActivityId = activity.Id, PopulationType = p.Type, PersonTimes = p.PersonTimes, RecordedAtUtc = recorded }));
        db.MediaLinks.AddRange(links.Select(l => new MediaLink { ActivityId = activity.Id, Url = l.Url, Reads = l.Reads, RecordedAtUtc = recorded }));
    }

    /// <summary>
    /// When the records are written: a day after the session, but no later than 7 March 12:00 — before the first submission any
    /// test makes (7 March 20:00) — so that a table frozen then is what the records recorded by then give (the as-of check).
    /// </summary>
    static DateTime Recorded(DateTime dayAfter) => dayAfter < China(7, 12) ? dayAfter : China(7, 12);

    /// <summary>The table of one unit and period as the API shows it.</summary>
    public static async Task<JsonElement> TableAsync(HttpClient client, Guid campaignId, string unitCode, int period) =>
        (await OkAsync(await client.GetAsync($"/api/campaigns/{campaignId}/reports/{unitCode}/{period}"))).GetProperty("table");
}
