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
    const string UnitAdminPassword = WorkbenchScenario.UnitAdminPassword;
    const string LiaisonPassword = WorkbenchScenario.LiaisonPassword;

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
        ["NominationsToReview"] = "section[data-can-review=true] li.nomination[data-status=Nominated]",
        ["NominationsOnNotice"] = "li.nomination[data-status=OnNotice]",
        ["Applications"] = "#application-list > li",
        ["ReportsDue"] = "#report-list-due > li",
        ["ReportsOverdue"] = "#report-list-overdue > li",
        ["ReportsReturned"] = "#report-list-returned > li",
        ["ReportsToReview"] = "#report-list-toreview > li",
    };

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
        var people = await WorkbenchScenario.CreateAsync(app);

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
        Assert.Equal(1, city["NominationsToReview"]);
        Assert.Equal(1, city["NominationsOnNotice"]);
        Assert.Equal(0, duanzhou["NominationsToReview"]);
        Assert.Equal(1, duanzhou["NominationsOnNotice"]);
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
        var people = await WorkbenchScenario.CreateAsync(app);
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
