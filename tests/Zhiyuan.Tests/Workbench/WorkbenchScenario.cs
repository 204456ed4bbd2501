using System.Net.Http.Json;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Tests.Recognition;
using Zhiyuan.Tests.ServicePosts;
using Zhiyuan.Tests.Volunteers;
using Zhiyuan.Web.Activities;
using Zhiyuan.Web.Volunteers;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Workbench;

/// <summary>Something waiting in every queue of every role, set up through the API as users would (and the database where a flow would take days).</summary>
public static class WorkbenchScenario
{
    public const string UnitAdminPassword = "Unit-admin-2019";
    public const string LiaisonPassword = "Liaison-pass-2019";

    public sealed record Cast(string OrganizationAdmin, string Volunteer, string Plain, string Team);

    /// <summary>
    /// 端州 (441202) with an organisation and its administrator, 鼎湖 (441203) with another; activities
    /// with hours to confirm (one long overdue) and sign-ups to review in both; a submitted back-entry;
    /// citizens' orders placed and dispatched; patrol findings for the traffic police (one overdue);
    /// a volunteer past the first star and one on notice; membership applications; a campaign running
    /// now in which 端州 had a report returned and submitted another.
    /// </summary>
    public static async Task<Cast> CreateAsync(TestApp app)
    {
        using var city = await app.ApiClientAsync();
        await app.CreateUnitAdminAsync("duanzhou", "441202", UnitAdminPassword);
        await app.CreateUnitAdminAsync("dinghu", "441203", UnitAdminPassword);
        var organization = await OrganizationAsync(city);
        var other = await OrganizationAsync(city, "鼎湖区义工联", "441203");
        var members = await app.MembersAsync(city, organization, 4);
        using var organizationAdmin = await app.OrganizationAdminAsync(city, organization, members[0].Number);

        // Membership applications: two to 端州's organisation, one to 鼎湖's.
        var applicants = await app.VolunteersAsync(3, firstSerial: 300);
        await OkAsync(await applicants[0].Client.PostAsync($"/api/organizations/{organization}/applications", null));
        await OkAsync(await applicants[1].Client.PostAsync($"/api/organizations/{organization}/applications", null));
        await OkAsync(await applicants[2].Client.PostAsync($"/api/organizations/{other}/applications", null));

        // Hours to confirm: 端州 has a session ended twenty days ago (overdue) and one ended this morning; 鼎湖 one three days ago.
        var now = DateTime.UtcNow;
        await ActivityAsync(app, organization, "西江河畔清洁", (now.AddDays(-20), now.AddDays(-20).AddHours(3)), [(members[1].Number, SignUpStatus.Accepted, true), (members[2].Number, SignUpStatus.Accepted, true)]);
        await ActivityAsync(app, organization, "社区敬老探访", (now.AddHours(-4), now.AddHours(-1)), [(members[1].Number, SignUpStatus.Accepted, true)]);
        await ActivityAsync(app, other, "鼎湖山护林", (now.AddDays(-3), now.AddDays(-3).AddHours(2)), [(applicants[2].Number, SignUpStatus.Accepted, true)]);
        // Sign-ups to review, and the volunteer's next sessions.
        await ActivityAsync(app, organization, "七星岩导览", (now.AddDays(5), now.AddDays(5).AddHours(2)), [(members[3].Number, SignUpStatus.Pending, false), (members[1].Number, SignUpStatus.Accepted, false)]);
        await ActivityAsync(app, other, "鼎湖社区义诊", (now.AddDays(6), now.AddDays(6).AddHours(2)), [(applicants[2].Number, SignUpStatus.Pending, false)]);

        // A back-entry submitted for review by 端州.
        var start = InDays(-7, 9);
        await OkAsync(await organizationAdmin.PostAsJsonAsync("/api/back-entries", new Zhiyuan.Web.BackEntries.BackEntryRequest(
            organization, "上周河岸清洁", "清理河岸垃圾", null, ServiceLines.Ecology, [PopulationTypes.EmptyNestElderly], null, "肇庆市端州区西江南路", "陈队长",
            [new Zhiyuan.Web.BackEntries.BackEntrySessionRequest(start, start.AddHours(3))],
            [new Zhiyuan.Web.BackEntries.BackEntryAttendanceRequest(members[2].Number)], true)));

        // Citizens' orders: three placed, one of them dispatched to 端州's organisation.
        var menu = await OrderScenario.MenuAsync(city, organization);
        using var citizen = app.CreateClient();
        var orders = new List<Guid>();
        for (var i = 1; i <= 3; i++)
        {
            orders.Add((await app.PlaceAsync(citizen, OrderScenario.Order(menu, $"1380000000{i}"))).GetProperty("id").GetGuid());
        }
        await OkAsync(await city.PostAsJsonAsync($"/api/orders/{orders[0]}/dispatch", new { organizationId = organization }));

        // Patrols: the traffic police with a liaison, a team of the organisation, two findings, one past its answer date.
        var traffic = (await OkAsync(await city.PostAsJsonAsync("/api/departments", new { name = "市公安局交警支队", unitCode = "441200" }))).GetProperty("id").GetGuid();
        await OkAsync(await city.PostAsJsonAsync("/api/accounts", new { userName = "jiaojing", displayName = "交警联络员", password = LiaisonPassword, role = "DepartmentLiaison", unitCode = "441200" }));
        await OkAsync(await city.PostAsJsonAsync($"/api/departments/{traffic}/liaisons", new { userName = "jiaojing" }));
        var team = await OkAsync(await city.PostAsJsonAsync("/api/patrols/teams",
            new { organizationId = organization, name = "端州巡访一队", isRiverTeam = false, volunteerNumbers = new[] { members[2].Number } }));
        var roundStart = DateTimeOffset.UtcNow.AddMinutes(-30);
        var round = (await OkAsync(await city.PostAsJsonAsync("/api/patrols/rounds",
            new { teamId = team.GetProperty("id").GetGuid(), mode = "Open", area = "天宁北路", startsAt = roundStart, endsAt = roundStart.AddHours(3) }))).GetProperty("id").GetGuid();
        using var patroller = await app.ApiClientAsync(members[2].Number, People.Password);
        var findings = new List<Guid>();
        foreach (var place in new[] { "天宁北路与建设路交叉口", "端州三路公交站" })
        {
            var form = new MultipartFormDataContent
            {
                { new StringContent(round.ToString()), "roundId" }, { new StringContent(place), "place" }, { new StringContent("Traffic"), "category" },
                { new StringContent("红绿灯故障"), "description" }, { new StringContent("尽快维修"), "suggestion" }, { new StringContent(traffic.ToString()), "departmentId" },
            };
            findings.Add((await OkAsync(await patroller.PostAsync("/api/patrols/findings", form))).GetProperty("id").GetGuid());
        }
        await app.WithDbAsync(db => db.Findings.Where(f => f.Id == findings[0]).ExecuteUpdateAsync(s => s.SetProperty(f => f.DueAtUtc, DateTime.UtcNow.AddDays(-2))));

        // Stars: two volunteers past the first star (100 hours); the city puts one on notice.
        await app.CreditAsync(organization, members[1].Number, 60, DateTime.UtcNow.AddDays(-60));
        await app.CreditAsync(organization, members[1].Number, 50, DateTime.UtcNow.AddDays(-40), "护河巡查");
        await app.CreditAsync(organization, members[3].Number, 60, DateTime.UtcNow.AddDays(-50));
        await app.CreditAsync(organization, members[3].Number, 45, DateTime.UtcNow.AddDays(-30), "护河巡查");
        await OkAsync(await city.PostAsJsonAsync("/api/stars/notices", new { numbers = new[] { members[3].Number } }));

        // A city commendation round: two of 端州's volunteers nominated, one of them put on notice.
        var commendation = (await OkAsync(await city.PostAsJsonAsync("/api/commendations", new
        {
            name = "肇庆市最美志愿者", kind = "MostBeautifulVolunteer", criteria = "事迹突出", nominationsCloseAt = DateTimeOffset.UtcNow.AddDays(10),
        }))).GetProperty("id").GetGuid();
        using (var nominating = await app.ApiClientAsync("duanzhou", UnitAdminPassword))
        {
            foreach (var number in new[] { members[1].Number, members[3].Number })
            {
                await OkAsync(await nominating.PostAsJsonAsync($"/api/commendations/{commendation}/nominations", new { volunteerNumber = number, reason = "坚持巡河三年" }));
            }
        }
        var nominationId = (await OkAsync(await city.GetAsync($"/api/commendations/{commendation}"))).GetProperty("nominations")[0].GetProperty("id").GetGuid();
        await OkAsync(await city.PostAsJsonAsync($"/api/commendations/nominations/{nominationId}/review", new { action = "notice" }));

        // A campaign running now: 端州's first report returned, its second submitted; 鼎湖 has sent nothing.
        var today = DateOnly.FromDateTime(DateTime.UtcNow.AddHours(8));
        var campaign = (await OkAsync(await city.PostAsJsonAsync("/api/campaigns", new
        {
            name = "文明城市志愿服务月", theme = "志愿肇庆", startDate = today.AddDays(-21), endDate = today.AddDays(13), dueDay = today.DayOfWeek.ToString(), dueHour = 0,
            finalDueDate = today.AddDays(20), reportingDepth = 1, contactName = "曾繁智", contactPhone = "0758-2323563",
        }))).GetProperty("id").GetGuid();
        using var duanzhou = await app.ApiClientAsync("duanzhou", UnitAdminPassword);
        var contact = new { contactName = "梁干事", contactPhone = "0758-2222222" };
        await OkAsync(await duanzhou.PostAsJsonAsync($"/api/campaigns/{campaign}/reports/441202/1/submit", contact));
        await OkAsync(await city.PostAsJsonAsync($"/api/campaigns/{campaign}/reports/441202/1/return", new { comment = "请补充媒体宣传情况" }));
        await OkAsync(await duanzhou.PostAsJsonAsync($"/api/campaigns/{campaign}/reports/441202/2/submit", contact));

        var plain = await app.VolunteersAsync(1, firstSerial: 400);
        return new Cast(members[0].Number, members[1].Number, plain[0].Number, members[2].Number);
    }

    /// <summary>An activity of the organisation with one session and the given sign-ups, written as the sign-up and check-in flows leave them.</summary>
    static Task<int> ActivityAsync(TestApp app, Guid host, string title, (DateTime Start, DateTime End) times, (string Number, SignUpStatus Status, bool CheckedIn)[] signUps) =>
        app.WithDbAsync(async db =>
        {
            var unitId = await db.Organizations.Where(o => o.Id == host).Select(o => o.UnitId).SingleAsync();
            var session = new ActivitySession
            {
                StartsAtUtc = times.Start, EndsAtUtc = times.End, Capacity = 10, CheckInSecret = RandomNumberGenerator.GetBytes(32),
                Accepted = signUps.Count(s => s.Status == SignUpStatus.Accepted),
            };
            db.Activities.Add(new Activity
            {
                Title = title, Description = "志愿服务", HostOrganizationId = host, UnitId = unitId, Address = "肇庆市端州区", ResponsiblePerson = "陈队长",
                Status = ActivityStatus.Published, ServiceLine = ServiceLines.Ecology, CreatedAtUtc = times.Start.AddDays(-30), SignUpOpensAtUtc = times.Start.AddDays(-30),
                SignUpClosesAtUtc = times.Start, ReviewSignUps = true, Sessions = [session],
            });
            foreach (var (number, status, checkedIn) in signUps)
            {
                var volunteerId = await db.Volunteers.Where(v => v.Number == number).Select(v => v.Id).SingleAsync();
                db.SignUps.Add(new SignUp
                {
                    SessionId = session.Id, VolunteerId = volunteerId, Status = status, RequestedAtUtc = times.Start.AddDays(-10),
                    DecidedAtUtc = status == SignUpStatus.Accepted ? times.Start.AddDays(-9) : null,
                    CheckedInAtUtc = checkedIn ? times.Start : null, CheckedOutAtUtc = checkedIn ? times.End : null,
                });
            }
            return await db.SaveChangesAsync();
        });
}
