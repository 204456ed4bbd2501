using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using AngleSharp.Html.Dom;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Tests.Recognition;
using Zhiyuan.Tests.ServicePosts;
using Zhiyuan.Tests.Volunteers;
using Zhiyuan.Web.Activities;
using Zhiyuan.Web.Volunteers;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Workbench;

/// <summary>
/// Every role's workbench against the lists it links to: each count is the number of entries on the
/// linked page (or, for campaign reports, on the workbench's own list), read as the user would, and
/// the API's counts are the same; the header shows each role exactly the pages it can use.
/// </summary>
public sealed class WorkbenchTests : AppTest
{
    const string UnitAdminPassword = "Unit-admin-2019";
    const string LiaisonPassword = "Liaison-pass-2019";

    /// <summary>Where each queue's entries are on the page it links to.</summary>
    static readonly Dictionary<string, string> EntriesOnList = new()
    {
        ["Hours"] = "#pending-hours tbody tr",
        ["Corrections"] = "#correction-requests > li",
        ["SignUps"] = "#managed-list > li",
        ["BackEntries"] = "#review-queue > li",
        ["OrdersDispatch"] = "#order-list tbody tr",
        ["OrdersAccept"] = "#order-list tbody tr",
        ["FindingsOverdue"] = "#finding-list tbody tr",
        ["FindingsAnswer"] = "#finding-list tbody tr",
        ["StarsEligible"] = "#eligible input[name=numbers]",
        ["StarsOnNotice"] = "#award-list tr[data-status=OnNotice]",
        ["Applications"] = "#application-list > li",
        ["ReportsDue"] = "#report-list-due > li",
        ["ReportsOverdue"] = "#report-list-overdue > li",
        ["ReportsReturned"] = "#report-list-returned > li",
        ["ReportsToReview"] = "#report-list-toreview > li",
    };

    sealed record Cast(string OrganizationAdmin, string Volunteer, string Plain, string Team);

    /// <summary>
    /// 端州 (441202) with an organisation and its administrator, 鼎湖 (441203) with another; activities
    /// with hours to confirm (one long overdue) and sign-ups to review in both; a submitted back-entry;
    /// citizens' orders placed and dispatched; patrol findings for the traffic police (one overdue);
    /// a volunteer past the first star and one on notice; membership applications; a campaign running
    /// now in which 端州 had a report returned and submitted another.
    /// </summary>
    async Task<Cast> SetUpAsync()
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
        await ActivityAsync(organization, "西江河畔清洁", (now.AddDays(-20), now.AddDays(-20).AddHours(3)), [(members[1].Number, SignUpStatus.Accepted, true), (members[2].Number, SignUpStatus.Accepted, true)]);
        await ActivityAsync(organization, "社区敬老探访", (now.AddHours(-4), now.AddHours(-1)), [(members[1].Number, SignUpStatus.Accepted, true)]);
        await ActivityAsync(other, "鼎湖山护林", (now.AddDays(-3), now.AddDays(-3).AddHours(2)), [(applicants[2].Number, SignUpStatus.Accepted, true)]);
        // Sign-ups to review, and the volunteer's next sessions.
        await ActivityAsync(organization, "七星岩导览", (now.AddDays(5), now.AddDays(5).AddHours(2)), [(members[3].Number, SignUpStatus.Pending, false), (members[1].Number, SignUpStatus.Accepted, false)]);
        await ActivityAsync(other, "鼎湖社区义诊", (now.AddDays(6), now.AddDays(6).AddHours(2)), [(applicants[2].Number, SignUpStatus.Pending, false)]);

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
    Task<int> ActivityAsync(Guid host, string title, (DateTime Start, DateTime End) times, (string Number, SignUpStatus Status, bool CheckedIn)[] signUps) =>
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

    async Task<HttpClient> PagesAsync(string userName, string password)
    {
        var client = app.PageClient();
        await client.SignInAsync(userName, password);
        return client;
    }

    /// <summary>
    /// The workbench page's queue (every count shown), checked against the linked lists and the API,
    /// which also names the queues shown at 0. Returns the counts by queue (summed over organisations).
    /// </summary>
    async Task<Dictionary<string, int>> CheckAsync(string userName, string password)
    {
        using var pages = await PagesAsync(userName, password);
        var workbench = await pages.GetPageAsync("/workbench");
        using var api = await app.ApiClientAsync(userName, password);
        var view = await OkAsync(await api.GetAsync("/api/workbench"));
        var items = view.GetProperty("items").EnumerateArray().ToList();

        // The page shows exactly the queues with something waiting, with the API's counts.
        var shown = workbench.QuerySelectorAll("#work-items li.work-item").Where(li => li.GetAttribute("data-key") != "Messages")
            .Select(li => (Key: li.GetAttribute("data-key")!, Count: int.Parse(li.GetAttribute("data-count")!), Link: li.QuerySelector("a")!.GetAttribute("href")!)).ToList();
        Assert.Equal(items.Where(i => i.GetProperty("count").GetInt32() > 0).Select(i => (i.GetProperty("key").GetString()!, i.GetProperty("count").GetInt32(), i.GetProperty("link").GetString()!)),
            shown.Select(s => (s.Key, s.Count, s.Link)));

        foreach (var item in items)
        {
            var key = item.GetProperty("key").GetString()!;
            var count = item.GetProperty("count").GetInt32();
            var link = item.GetProperty("link").GetString()!;
            var list = link.StartsWith("/workbench", StringComparison.Ordinal) ? workbench : await pages.GetPageAsync(link);
            var entries = list.QuerySelectorAll(EntriesOnList[key]).Length;
            Assert.True(count == entries, $"{userName}: {key} counts {count} but {link} lists {entries}");
            if (key == "Hours")
            {
                Assert.Equal(item.GetProperty("overdue").GetInt32(), list.QuerySelectorAll("#pending-hours td.overdue").Length);
            }
        }
        var unread = view.GetProperty("unreadMessages").GetInt32();
        Assert.Equal(unread, (await pages.GetPageAsync("/messages")).QuerySelectorAll("#messages li.unread").Length);
        return items.GroupBy(i => i.GetProperty("key").GetString()!).ToDictionary(g => g.Key, g => g.Sum(i => i.GetProperty("count").GetInt32()));
    }

    [Fact]
    public async Task EachRolesCountsEqualTheListsTheyLinkTo()
    {
        var people = await SetUpAsync();

        var city = await CheckAsync("admin", TestApp.AdminPassword);
        var duanzhou = await CheckAsync("duanzhou", UnitAdminPassword);
        var dinghu = await CheckAsync("dinghu", UnitAdminPassword);
        var organization = await CheckAsync(people.OrganizationAdmin, People.Password);
        var liaison = await CheckAsync("jiaojing", LiaisonPassword);
        var volunteer = await CheckAsync(people.Volunteer, People.Password);

        // The data reaches every queue somewhere, and each administrator sees only their subtree.
        Assert.Equal(3, city["Hours"]);
        Assert.Equal(2, duanzhou["Hours"]);
        Assert.Equal(1, dinghu["Hours"]);
        Assert.Equal(2, organization["Hours"]);
        Assert.Equal(2, city["SignUps"]);
        Assert.Equal(1, duanzhou["SignUps"]);
        Assert.Equal(1, duanzhou["BackEntries"]);
        Assert.Equal(0, dinghu["BackEntries"]);
        Assert.Equal(2, city["OrdersDispatch"]);
        Assert.Equal(0, dinghu["OrdersDispatch"]);
        Assert.Equal(1, organization["OrdersAccept"]);
        Assert.Equal(1, city["FindingsOverdue"]);
        Assert.Equal(2, liaison["FindingsAnswer"]);
        Assert.Equal(1, liaison["FindingsOverdue"]);
        Assert.Equal(1, city["StarsEligible"]);
        Assert.Equal(1, city["StarsOnNotice"]);
        Assert.Equal(3, city["Applications"]);
        Assert.Equal(2, organization["Applications"]);
        Assert.Equal(1, dinghu["Applications"]);
        Assert.Equal(1, duanzhou["ReportsReturned"]);
        Assert.Equal(1, city["ReportsToReview"]);
        Assert.True(dinghu["ReportsOverdue"] >= 1);
        Assert.Equal(0, duanzhou["ReportsToReview"]);
        // Queues belong to roles: a plain volunteer and a liaison have no administrator's queues.
        Assert.DoesNotContain("Hours", liaison.Keys);
        Assert.Empty(volunteer);

        // The volunteer sees their hours, star progress and next session instead.
        using var pages = await PagesAsync(people.Volunteer, People.Password);
        var home = await pages.GetPageAsync("/workbench");
        Assert.Equal("110.00 小时", home.QuerySelector("#workbench-hours .total-hours")!.TextContent.Trim());
        Assert.Contains("七星岩导览", home.QuerySelector("#next-session-list")!.TextContent);
        Assert.NotNull(home.QuerySelector("#certificate-link"));
        Assert.Null(home.QuerySelector("#queue"));
    }

    [Fact]
    public async Task NothingWaitingSaysSoAndWhatToDoNext()
    {
        await app.CreateUnitAdminAsync("duanzhou", "441202", UnitAdminPassword);
        using var pages = await PagesAsync("duanzhou", UnitAdminPassword);
        var home = await pages.GetPageAsync("/workbench");
        Assert.Contains("暂无待办", home.QuerySelector("#queue-empty")!.TextContent);
        Assert.NotNull(home.QuerySelector("#queue-empty a[href='/activities/new']"));
        Assert.Empty(home.QuerySelectorAll("#work-items li"));

        var volunteer = (await app.VolunteersAsync(1))[0];
        using var volunteerPages = await PagesAsync(volunteer.Number, People.Password);
        var mine = await volunteerPages.GetPageAsync("/workbench");
        Assert.Contains("暂无即将参加的活动", mine.QuerySelector("#next-empty")!.TextContent);
        Assert.NotNull(mine.QuerySelector("#next-empty a[href^='/activities']"));
    }

    [Fact]
    public async Task SigningInLandsOnTheWorkbench()
    {
        using var pages = app.PageClient();
        var page = await pages.GetPageAsync("/account/sign-in");
        var response = await pages.PostFormAsync("/account/sign-in", page, "sign-in", ("Input.UserName", "admin"), ("Input.Password", TestApp.AdminPassword));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var start = await pages.GetAsync(response.Headers.Location!);
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        Assert.Equal("/workbench", start.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.CreateClient().GetAsync("/api/workbench")).StatusCode);
    }

    static readonly string[] Public = ["/activities", "/services", "/campaigns", "/honours", "/honour", "/notices"];
    static readonly string[] VolunteerLinks = ["/me/record", "/me/service-certificates", "/me", "/me/certificate"];
    static readonly string[] ManagerLinks = ["/activities/managed", "/activities/new", "/activities/back-entries", "/services/manage", "/hours", "/orders", "/patrols"];
    static readonly string[] UnitAdminLinks = ["/activities/back-entries/review", "/recognition/stars", "/commendations", "/volunteers", "/units", "/accounts", "/audit"];

    /// <summary>The header's menu links for a client, each of which opens for it.</summary>
    static async Task<List<string>> MenuAsync(HttpClient client)
    {
        var page = await client.GetPageAsync("/");
        Assert.Null(page.QuerySelector("header a[href^='/api']"));
        Assert.NotNull(page.QuerySelector("footer a[href='/api/reference']"));
        var links = page.QuerySelectorAll("#main-nav a").Select(a => a.GetAttribute("href")!).ToList();
        Assert.Equal(links.Count, links.Distinct().Count());
        foreach (var link in links)
        {
            var response = await client.GetAsync(link);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{link}: {(int)response.StatusCode}");
        }
        return links.Order(StringComparer.Ordinal).ToList();
    }

    static void Same(IEnumerable<string> expected, List<string> actual) => Assert.Equal(expected.Order(StringComparer.Ordinal), actual);

    [Fact]
    public async Task TheHeaderShowsEachRoleExactlyThePagesItCanUse()
    {
        var people = await SetUpAsync();
        using var anonymous = app.PageClient();
        Same(["/", .. Public], await MenuAsync(anonymous));
        var anonymousPage = await anonymous.GetPageAsync("/");
        Assert.NotNull(anonymousPage.QuerySelector("header .quick a[href='/account/sign-in']"));
        Assert.NotNull(anonymousPage.QuerySelector("header .quick a[href='/volunteers/register']"));

        string[] signedIn = ["/workbench", .. Public, "/organizations", "/account/password"];
        using var plain = await PagesAsync(people.Plain, People.Password);
        Same([.. signedIn, .. VolunteerLinks], await MenuAsync(plain));
        // A patrol team member sees the patrol list, and still no order management.
        using var team = await PagesAsync(people.Team, People.Password);
        Same([.. signedIn, .. VolunteerLinks, "/patrols"], await MenuAsync(team));
        using var liaison = await PagesAsync("jiaojing", LiaisonPassword);
        Same([.. signedIn, "/patrols"], await MenuAsync(liaison));
        using var organizationAdmin = await PagesAsync(people.OrganizationAdmin, People.Password);
        Same([.. signedIn, .. VolunteerLinks, .. ManagerLinks], await MenuAsync(organizationAdmin));
        using var unitAdmin = await PagesAsync("duanzhou", UnitAdminPassword);
        Same([.. signedIn, .. ManagerLinks, .. UnitAdminLinks], await MenuAsync(unitAdmin));
        using var city = await PagesAsync("admin", TestApp.AdminPassword);
        Same([.. signedIn, .. ManagerLinks, .. UnitAdminLinks], await MenuAsync(city));
    }
}
