using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AngleSharp.Html.Parser;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Tests.ServicePosts;
using Zhiyuan.Tests.Volunteers;
using Zhiyuan.Web.ServicePosts;
using static Zhiyuan.Tests.Activities.ActivityEditTests;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Organizations;

/// <summary>An organisation's own profile, and picking its members instead of typing their numbers.</summary>
public sealed class OrganizationProfileAndPickerTests : AppTest
{
    int serial = 300;

    /// <summary>Registers volunteers with the given names and mobiles and makes them approved members of the organisation (or only applicants).</summary>
    async Task<Dictionary<string, string>> MembersAsync(HttpClient admin, Guid organizationId, params (string Name, string Mobile, bool Approve)[] people)
    {
        var numbers = new Dictionary<string, string>();
        foreach (var (name, mobile, approve) in people)
        {
            var number = (await app.RegisterAsync(name, People.ResidentId(1990, serial++), mobile)).GetProperty("number").GetString()!;
            using var client = await app.ApiClientAsync(mobile, People.Password);
            await OkAsync(await client.PostAsync($"/api/organizations/{organizationId}/applications", null));
            if (approve)
            {
                await OkAsync(await admin.PostAsJsonAsync($"/api/organizations/{organizationId}/members/{number}/decision", new { approve = true }));
            }
            numbers[name] = number;
        }
        return numbers;
    }

    [Fact]
    public async Task AnOrganisationKeepsItsProfileUpToDateButNotItsUnitOrApprovalAndEachChangeIsAudited()
    {
        using var city = await app.ApiClientAsync();
        var id = await OrganizationAsync(city);
        await OrganizationAsync(city, "鼎湖区志愿者联合会", "441203");
        var members = await app.MembersAsync(city, id, 1);
        using var orgAdmin = await app.OrganizationAdminAsync(city, id, members[0].Number);
        Assert.Equal(0, (await OkAsync(await orgAdmin.GetAsync($"/api/organizations/{id}"))).GetProperty("version").GetInt32());

        var saved = await OkAsync(await orgAdmin.PutAsJsonAsync($"/api/organizations/{id}", new
        {
            version = 0, name = "端州区青年志愿者协会西江分会", description = "护河、助老", contactName = "陈队长", contactPhone = "0758-2261234",
            address = "端州区天宁北路 8 号", serviceLines = new[] { "Ecology", "PovertyRelief" }, unitCode = "441203", status = "Rejected",
        }));
        Assert.Equal(("端州区青年志愿者协会西江分会", "陈队长", "0758-2261234", "端州区天宁北路 8 号", 1),
            (saved.GetProperty("name").GetString(), saved.GetProperty("contactName").GetString(), saved.GetProperty("contactPhone").GetString(),
                saved.GetProperty("address").GetString(), saved.GetProperty("version").GetInt32()));
        // Its unit and approval are not the organisation's to change.
        Assert.Equal(("441202", "Approved"), (saved.GetProperty("unitCode").GetString(), saved.GetProperty("status").GetString()));
        var audit = await app.WithDbAsync(db => db.AuditEntries.AsNoTracking().SingleAsync(e => e.Action == "organization.profile"));
        Assert.Contains("组织名称：端州区青年志愿者协会 → 端州区青年志愿者协会西江分会", audit.Details);
        Assert.Contains("联系电话： → 0758-2261234", audit.Details);
        Assert.Contains("服务领域： → 助力扶贫帮困、生态环保", audit.Details);
        Assert.Equal(members[0].Number, audit.ActorName);

        // A stale version, a bad phone, a name another organisation has, no version: refused, nothing saved.
        var stale = await orgAdmin.PutAsJsonAsync($"/api/organizations/{id}", new { version = 0, name = "别的名字" });
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Contains("你修改的是第 0 版，而他人已保存了第 1 版", (await stale.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        await Pages.AssertFieldErrorAsync(await orgAdmin.PutAsJsonAsync($"/api/organizations/{id}", new { version = 1, name = "端州区青年志愿者协会西江分会", contactPhone = "打我电话" }),
            "contactPhone", "联系电话");
        await Pages.AssertFieldErrorAsync(await orgAdmin.PutAsJsonAsync($"/api/organizations/{id}", new { version = 1, name = "鼎湖区志愿者联合会" }), "name", "鼎湖区志愿者联合会");
        await Pages.AssertFieldErrorAsync(await orgAdmin.PutAsJsonAsync($"/api/organizations/{id}", new { name = "无版本" }), "version", "version");
        Assert.Equal("端州区青年志愿者协会西江分会", (await OkAsync(await city.GetAsync($"/api/organizations/{id}"))).GetProperty("name").GetString());

        // Outside the organisation and its unit subtree it is "not found"; the district's administrator may.
        await app.CreateUnitAdminAsync("dinghu", "441203");
        using var dinghu = await app.ApiClientAsync("dinghu", "Unit-admin-2019");
        Assert.Equal(HttpStatusCode.NotFound, (await dinghu.PutAsJsonAsync($"/api/organizations/{id}", new { version = 1, name = "外人改名" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await members[0].Client.PutAsJsonAsync($"/api/organizations/{Guid.NewGuid()}", new { version = 0, name = "x" })).StatusCode);
        await app.CreateUnitAdminAsync("duanzhou", "441202");
        using var duanzhou = await app.ApiClientAsync("duanzhou", "Unit-admin-2019");
        await OkAsync(await duanzhou.PutAsJsonAsync($"/api/organizations/{id}", new { version = 1, name = "端州区青年志愿者协会西江分会", contactName = "陈队长", contactPhone = "0758-2261234" }));

        // The page: the profile form saves, and after someone else saved it keeps what was typed.
        using var page = app.PageClient();
        await page.SignInAsync(members[0].Number, People.Password);
        var form = await page.GetPageAsync($"/organizations/{id}");
        Assert.Equal("2", form.QuerySelector("#profile input[name=version]")!.GetAttribute("value"));
        var response = await page.PostFormAsync($"/organizations/{id}", form, "profile", FormFields(form, "profile-form", ("address", "端州区信安路 1 号"), ("serviceLines", "Ecology")));
        var shown = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        Assert.Equal("组织资料已保存。", shown.QuerySelector("#organization-done")!.TextContent.Trim());
        Assert.Equal("端州区信安路 1 号", shown.QuerySelector("#organization-address")!.TextContent.Trim());
        response = await page.PostFormAsync($"/organizations/{id}", form, "profile", FormFields(form, "profile-form", ("name", "端州区青年志愿者协会（改）")));
        shown = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        Assert.Contains("他人已保存了第 3 版", shown.QuerySelector(".error")!.TextContent);
        Assert.Equal("端州区青年志愿者协会（改）", shown.QuerySelector("#profile-name")!.GetAttribute("value"));
        Assert.Equal("3", shown.QuerySelector("#profile input[name=version]")!.GetAttribute("value"));
    }

    [Fact]
    public async Task TheMemberSearchFindsApprovedMembersByNameNumberOrMobileTailOnlyForThoseWhoManageTheOrganisation()
    {
        using var city = await app.ApiClientAsync();
        var id = await OrganizationAsync(city);
        var other = await OrganizationAsync(city, "鼎湖区志愿者联合会", "441203");
        var numbers = await MembersAsync(city, id, ("陈小红", "13711112222", true), ("陈大明", "13733334444", true), ("李华", "13755556666", true), ("陈待审", "13777778888", false));

        async Task<string[]> Names(HttpClient client, string query) =>
            (await OkAsync(await client.GetAsync($"/api/organizations/{id}/members?{query}"))).EnumerateArray().Select(m => m.GetProperty("name").GetString()!).Order().ToArray();
        Assert.Equal(["陈大明", "陈小红", "陈待审"], await Names(city, "q=陈"));
        Assert.Equal(["陈大明", "陈小红"], await Names(city, "q=陈&status=Approved"));
        Assert.Equal(["李华"], await Names(city, "q=" + numbers["李华"]));
        Assert.Equal(["李华"], await Names(city, "q=" + numbers["李华"].ToLowerInvariant()));
        Assert.Equal(["陈大明"], await Names(city, "q=4444"));
        Assert.Equal(["陈大明"], await Names(city, "q=444"));
        Assert.Empty(await Names(city, "q=9999"));
        var found = Assert.Single((await OkAsync(await city.GetAsync($"/api/organizations/{id}/members?q=李华"))).EnumerateArray());
        Assert.Equal("137****6666", found.GetProperty("mobile").GetString());

        // Only those who manage the organisation: its administrators and its unit subtree's. Others get 404.
        using var orgAdmin = await app.OrganizationAdminAsync(city, id, numbers["陈小红"]);
        Assert.Equal(["陈大明", "陈小红"], await Names(orgAdmin, "q=陈&status=Approved"));
        var otherMembers = await app.MembersAsync(city, other, 1, firstSerial: 500);
        using var otherAdmin = await app.OrganizationAdminAsync(city, other, otherMembers[0].Number);
        Assert.Equal(HttpStatusCode.NotFound, (await otherAdmin.GetAsync($"/api/organizations/{id}/members?q=陈")).StatusCode);
        using var plainMember = await app.ApiClientAsync("13733334444", People.Password);
        Assert.Equal(HttpStatusCode.NotFound, (await plainMember.GetAsync($"/api/organizations/{id}/members?q=陈")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.CreateClient().GetAsync($"/api/organizations/{id}/members?q=陈")).StatusCode);

        // The pages' search as you type (cookie): approved members only, mobiles masked; another organisation's administrator gets 404.
        using var page = app.PageClient();
        await page.SignInAsync(numbers["陈小红"], People.Password);
        var picked = await page.GetFromJsonAsync<JsonElement>($"/pick/members/{id}?q=陈");
        Assert.Equal(2, picked.GetProperty("total").GetInt32());
        Assert.Equal(["137****2222", "137****4444"], picked.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("mobile").GetString()!).Order().ToArray());
        Assert.Equal("共 2 人。", picked.GetProperty("summary").GetString());
        using var otherPage = app.PageClient();
        await otherPage.SignInAsync(otherMembers[0].Number, People.Password);
        Assert.Equal(HttpStatusCode.NotFound, (await otherPage.GetAsync($"/pick/members/{id}?q=陈")).StatusCode);
        Assert.NotEqual(HttpStatusCode.OK, (await page.GetAsync("/pick/volunteers?q=李")).StatusCode);
        using var cityPage = app.PageClient();
        await cityPage.SignInAsync("admin", TestApp.AdminPassword);
        var inSubtree = await cityPage.GetFromJsonAsync<JsonElement>("/pick/volunteers?q=李");
        Assert.Equal(numbers["李华"], Assert.Single(inSubtree.GetProperty("items").EnumerateArray()).GetProperty("number").GetString());
    }

    [Fact]
    public async Task ThePickersOfTheOrderAndTheAdministratorFormsOfferTheMembersSearchWithoutScriptAndSubmitTheChosen()
    {
        using var city = await app.ApiClientAsync();
        var id = await OrganizationAsync(city);
        var numbers = await MembersAsync(city, id, ("陈小红", "13711112222", true), ("陈大明", "13733334444", true), ("李华", "13755556666", true));
        using var orgAdminApi = await app.OrganizationAdminAsync(city, id, numbers["陈小红"]);
        var menu = await OrderScenario.MenuAsync(orgAdminApi, id);
        var order = (await app.PlaceAsync(app.CreateClient(), OrderScenario.Order(menu, "13702260001"))).GetProperty("id").GetGuid();
        await OkAsync(await city.PostAsJsonAsync($"/api/orders/{order}/dispatch", new { organizationId = id }));

        using var organiser = app.PageClient();
        await organiser.SignInAsync(numbers["陈小红"], People.Password);
        var manage = await organiser.GetPageAsync($"/orders/{order}/manage");
        var offered = manage.QuerySelectorAll("#accept-volunteers-picker input[name=volunteerNumbers][type=checkbox]").Select(b => b.GetAttribute("value")).ToArray();
        Assert.Equal(3, offered.Length);
        Assert.Contains("137****4444", manage.QuerySelector("#accept-volunteers-picker")!.TextContent);
        Assert.DoesNotContain("13733334444", manage.QuerySelector("#accept-volunteers-picker")!.TextContent);

        // Without script: the search button posts the form; the page answers with who matches, keeping the one ticked, and accepts nothing.
        var response = await organiser.PostFormAsync($"/orders/{order}/manage", manage, "accept",
            ("volunteerNumbers.q", "陈"), ("volunteerNumbers", numbers["李华"]), ("picker-search", "volunteerNumbers"));
        var searched = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        var boxes = searched.QuerySelectorAll("#accept-volunteers-picker input[type=checkbox]").Cast<AngleSharp.Html.Dom.IHtmlInputElement>().ToList();
        Assert.Equal([numbers["李华"], .. new[] { numbers["陈大明"], numbers["陈小红"] }.Order()], boxes.Select(b => b.Value).Take(1).Concat(boxes.Skip(1).Select(b => b.Value).Order()).ToArray());
        Assert.True(boxes[0].IsChecked);
        Assert.All(boxes.Skip(1), b => Assert.False(b.IsChecked));
        Assert.Equal("陈", searched.QuerySelector("#accept-volunteers-q")!.GetAttribute("value"));
        Assert.Equal("Dispatched", (await OkAsync(await city.GetAsync($"/api/orders/{order}"))).GetProperty("status").GetString());

        // Ticking two and typing nothing: the order is accepted with exactly those two.
        response = await organiser.PostFormAsync($"/orders/{order}/manage", searched, "accept", ("volunteerNumbers", numbers["李华"]), ("volunteerNumbers", numbers["陈大明"]),
            ("volunteerNumbers", ""));
        Assert.Contains("接单", new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync()).QuerySelector("#order-stage")!.TextContent);
        var assigned = await app.WithDbAsync(db => db.SignUps.Where(s => db.CitizenOrders.Any(o => o.Id == order && o.SessionId == s.SessionId))
            .Select(s => s.Volunteer!.Number).ToListAsync());
        Assert.Equal(new[] { numbers["李华"], numbers["陈大明"] }.Order(), assigned.Order());

        // Making an administrator: the picker on the organisation's page; a typed number still works too.
        var organizationPage = await organiser.GetPageAsync($"/organizations/{id}");
        Assert.Equal(3, organizationPage.QuerySelectorAll("#admin-number-picker input[type=checkbox]").Length);
        response = await organiser.PostFormAsync($"/organizations/{id}", organizationPage, "add-admin", ("volunteerNumbers", numbers["陈大明"]), ("volunteerNumbers", numbers["李华"].ToLowerInvariant()));
        Assert.Contains("已设为", (await response.Content.ReadAsStringAsync()).Replace(" ", ""));
        var admins = await app.WithDbAsync(db => db.OrganizationAdmins.Where(a => a.OrganizationId == id)
            .Join(db.Volunteers, a => a.UserId, v => v.UserId, (a, v) => v.Number).ToListAsync());
        Assert.Equal(new[] { numbers["陈小红"], numbers["陈大明"], numbers["李华"] }.Order(), admins.Order());
        response = await organiser.PostFormAsync($"/organizations/{id}", organizationPage, "add-admin", ("volunteerNumbers", ""));
        Assert.Contains("请至少选择一位成员", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ThePatrolTeamAndNominationFormsSubmitTheMembersPickedFromTheChosenOrganisationOrTheUnit()
    {
        using var city = await app.ApiClientAsync();
        var id = await OrganizationAsync(city, "市民志愿巡访团");
        var other = await OrganizationAsync(city, "鼎湖区志愿者联合会", "441203");
        var numbers = await MembersAsync(city, id, ("陈小红", "13711112222", true), ("陈大明", "13733334444", true));
        var otherNumbers = await MembersAsync(city, other, ("周杰", "13799990000", true));
        using var admin = app.PageClient();
        await admin.SignInAsync("admin", TestApp.AdminPassword);

        // The city manages both organisations: the team form offers the chosen one's members.
        var patrols = await admin.GetPageAsync($"/patrols?teamOrganization={other}");
        Assert.Equal([otherNumbers["周杰"]], patrols.QuerySelectorAll("#team-volunteers-picker input[type=checkbox]").Select(b => b.GetAttribute("value")!).ToArray());
        patrols = await admin.GetPageAsync($"/patrols?teamOrganization={id}");
        Assert.Equal(id.ToString(), patrols.QuerySelector("form input[name=organizationId]")!.GetAttribute("value"));
        var response = await admin.PostFormAsync($"/patrols?teamOrganization={id}", patrols, "team", ("organizationId", id.ToString()), ("name", "端州巡访一队"),
            ("volunteerNumbers.q", "大明"), ("picker-search", "volunteerNumbers"));
        var searched = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        Assert.Equal("端州巡访一队", searched.QuerySelector("#team-name")!.GetAttribute("value"));
        Assert.Equal([numbers["陈大明"]], searched.QuerySelectorAll("#team-volunteers-picker input[type=checkbox]").Select(b => b.GetAttribute("value")!).ToArray());
        Assert.Equal(0, await app.WithDbAsync(db => db.PatrolTeams.CountAsync()));
        response = await admin.PostFormAsync($"/patrols?teamOrganization={id}", searched, "team", ("organizationId", id.ToString()), ("name", "端州巡访一队"),
            ("volunteerNumbers", numbers["陈大明"]), ("volunteerNumbers", numbers["陈小红"]));
        Assert.Contains("端州巡访一队", await response.Content.ReadAsStringAsync());
        var team = await app.WithDbAsync(db => db.PatrolTeamMembers.Select(m => m.VolunteerId).CountAsync());
        Assert.Equal(2, team);

        // Nominating: one volunteer of the unit subtree, picked by a radio button; two at once is refused.
        var round = (await OkAsync(await city.PostAsJsonAsync("/api/commendations", new
        {
            name = "2019年度肇庆市最美志愿者", kind = "MostBeautifulVolunteer", criteria = "事迹突出", nominationsCloseAt = DateTimeOffset.UtcNow.AddDays(10),
        }))).GetProperty("id").GetGuid();
        var commendations = await admin.GetPageAsync("/commendations");
        Assert.Equal("radio", commendations.QuerySelector($"#nominate-{round}-volunteer-picker input[name=volunteerNumber]")!.GetAttribute("type"));
        response = await admin.PostFormAsync("/commendations", commendations, $"nominate-{round}", ("volunteerNumber", numbers["陈小红"]), ("volunteerNumber", numbers["陈大明"]),
            ("reason", "三年坚持巡访"));
        var refused = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        Assert.Contains("只能选择一位志愿者", refused.QuerySelector(".error")!.TextContent);
        Assert.Equal("三年坚持巡访", refused.QuerySelector("textarea[name=reason]")!.TextContent);
        response = await admin.PostFormAsync("/commendations", commendations, $"nominate-{round}", ("volunteerNumber", numbers["陈大明"]), ("reason", "三年坚持巡访"));
        Assert.Contains("陈*明", await response.Content.ReadAsStringAsync());
        Assert.Equal(1, await app.WithDbAsync(db => db.Nominations.CountAsync()));
    }
}
