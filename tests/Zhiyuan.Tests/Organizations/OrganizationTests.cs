using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Zhiyuan.Tests.Volunteers;

namespace Zhiyuan.Tests.Organizations;

public sealed class OrganizationTests : AppTest
{
    async Task<HttpClient> VolunteerAsync(string name, int serial, string mobile)
    {
        await app.RegisterAsync(name, People.ResidentId(1990, serial), mobile);
        return await app.ApiClientAsync(mobile, People.Password);
    }

    static async Task<JsonElement> OkAsync(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task AVolunteersOrganisationWaitsForTheUnitAndItsFounderAdministersItOnceApproved()
    {
        using var founder = await VolunteerAsync("张伟", 11, "13800000001");
        var registered = await OkAsync(await founder.PostAsJsonAsync("/api/organizations", new { name = "端州区河小青志愿服务队", description = "护河", unitCode = "441202" }));
        Assert.Equal("Pending", registered.GetProperty("status").GetString());
        var id = registered.GetProperty("id").GetString();

        // Not yet public, and nobody can join it yet.
        using var other = await VolunteerAsync("王芳", 13, "13800000002");
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/api/organizations/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.PostAsync($"/api/organizations/{id}/applications", null)).StatusCode);

        // An administrator of another county cannot review it; the district's can.
        await app.CreateUnitAdminAsync("sihui", "441284", "Sihui-2019");
        using var sihui = await app.ApiClientAsync("sihui", "Sihui-2019");
        Assert.Equal(HttpStatusCode.NotFound, (await sihui.PostAsJsonAsync($"/api/organizations/{id}/review", new { approve = true })).StatusCode);
        await app.CreateUnitAdminAsync("duanzhou", "441202", "Duanzhou-2019");
        using var duanzhou = await app.ApiClientAsync("duanzhou", "Duanzhou-2019");
        Assert.Equal("Approved", (await OkAsync(await duanzhou.PostAsJsonAsync($"/api/organizations/{id}/review", new { approve = true }))).GetProperty("status").GetString());

        // The founder now administers it: a volunteer applies, the founder approves.
        await OkAsync(await other.PostAsync($"/api/organizations/{id}/applications", null));
        using var founderAgain = await app.ApiClientAsync("13800000001", People.Password);
        var member = await OkAsync(await founderAgain.PostAsJsonAsync($"/api/organizations/{id}/members/ZY00000002/decision", new { approve = true }));
        Assert.Equal("Approved", member.GetProperty("status").GetString());
        var members = await founderAgain.GetFromJsonAsync<JsonElement[]>($"/api/organizations/{id}/members");
        Assert.Equal("138****0002", Assert.Single(members!).GetProperty("mobile").GetString());
        var mine = await other.GetFromJsonAsync<JsonElement[]>("/api/volunteers/me/organizations");
        Assert.Equal("Approved", Assert.Single(mine!).GetProperty("status").GetString());
    }

    [Fact]
    public async Task ARefusalNeedsAReasonAndTheApplicantSeesIt()
    {
        using var city = await app.ApiClientAsync();
        var organization = await OkAsync(await city.PostAsJsonAsync("/api/organizations", new { name = "肇庆学院青年志愿者协会", unitCode = "ZQU" }));
        Assert.Equal("Approved", organization.GetProperty("status").GetString());
        var id = organization.GetProperty("id").GetString();

        using var volunteer = await VolunteerAsync("李明", 11, "13800000001");
        await OkAsync(await volunteer.PostAsync($"/api/organizations/{id}/applications", null));
        await Pages.AssertFieldErrorAsync(await volunteer.PostAsync($"/api/organizations/{id}/applications", null), "organization", "已提交过申请");

        await Pages.AssertFieldErrorAsync(await city.PostAsJsonAsync($"/api/organizations/{id}/members/ZY00000001/decision", new { approve = false }), "reason", "原因");
        await OkAsync(await city.PostAsJsonAsync($"/api/organizations/{id}/members/ZY00000001/decision", new { approve = false, reason = "本队只招收在校学生" }));

        var mine = Assert.Single((await volunteer.GetFromJsonAsync<JsonElement[]>("/api/volunteers/me/organizations"))!);
        Assert.Equal("Declined", mine.GetProperty("status").GetString());
        Assert.Equal("本队只招收在校学生", mine.GetProperty("reason").GetString());

        // A member of no organisation cannot be made its administrator; a registration needs a unique name.
        await Pages.AssertFieldErrorAsync(await city.PostAsJsonAsync($"/api/organizations/{id}/admins", new { volunteerNumber = "ZY00000001" }), "volunteerNumber", "不是本组织");
        await Pages.AssertFieldErrorAsync(await city.PostAsJsonAsync("/api/organizations", new { name = "肇庆学院青年志愿者协会", unitCode = "ZQU" }), "name", "已有");
    }

    [Fact]
    public async Task AnOrganisationAdministratorApprovesAMembershipOnThePage()
    {
        using var city = await app.ApiClientAsync();
        var id = (await OkAsync(await city.PostAsJsonAsync("/api/organizations", new { name = "鼎湖区义工联", unitCode = "441203" }))).GetProperty("id").GetString();
        using var leader = await VolunteerAsync("队长", 11, "13800000001");
        await OkAsync(await leader.PostAsync($"/api/organizations/{id}/applications", null));
        await OkAsync(await city.PostAsJsonAsync($"/api/organizations/{id}/members/ZY00000001/decision", new { approve = true }));
        await OkAsync(await city.PostAsJsonAsync($"/api/organizations/{id}/admins", new { volunteerNumber = "ZY00000001" }));
        using var applicant = await VolunteerAsync("新人", 13, "13800000002");
        await OkAsync(await applicant.PostAsync($"/api/organizations/{id}/applications", null));

        using var browser = app.PageClient();
        await browser.SignInAsync("ZY00000001", People.Password);
        var page = await browser.GetPageAsync($"/organizations/{id}");
        var response = await browser.PostFormAsync($"/organizations/{id}", page, "decide-ZY00000002", ("approve", "true"), ("reason", ""));

        var html = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        Assert.Contains("已通过入会申请", html.QuerySelector("#organization-done")!.TextContent);
        Assert.Contains("新人", html.QuerySelector("#member-list")!.TextContent);
        Assert.Empty(html.QuerySelectorAll("#application-list li"));
    }

    [Fact]
    public async Task AnOrganisationMovingOverImportsItsMembersAndOnlyItsAdministratorsMay()
    {
        using var city = await app.ApiClientAsync();
        var id = (await OkAsync(await city.PostAsJsonAsync("/api/organizations", new { name = "怀集县义工联", unitCode = "441224" }))).GetProperty("id").GetString();
        using var leader = await VolunteerAsync("队长", 11, "13800000001");
        await OkAsync(await leader.PostAsync($"/api/organizations/{id}/applications", null));
        await OkAsync(await city.PostAsJsonAsync($"/api/organizations/{id}/members/ZY00000001/decision", new { approve = true }));
        await OkAsync(await city.PostAsJsonAsync($"/api/organizations/{id}/admins", new { volunteerNumber = "ZY00000001" }));
        var csv = "姓名,证件类型,证件号码,手机号码,所属单位代码\n" +
                  $"甲,居民身份证,{People.ResidentId(1980, 201)},13700000001,\n" +
                  $"乙,居民身份证,{People.ResidentId(1981, 202)},13700000002,\n";

        static MultipartFormDataContent Upload(string csv, string? organizationId, string? unitCode = null)
        {
            var form = new MultipartFormDataContent { { new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(csv)), "file", "members.csv" } };
            if (organizationId is not null)
            {
                form.Add(new StringContent(organizationId), "organizationId");
            }
            if (unitCode is not null)
            {
                form.Add(new StringContent(unitCode), "unitCode");
            }
            return form;
        }

        // A volunteer who administers nothing, and the leader without naming the organisation, are refused.
        using var stranger = await VolunteerAsync("路人", 13, "13800000002");
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.PostAsync("/api/volunteers/import", Upload(csv, id))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await leader.PostAsync("/api/volunteers/import", Upload(csv, null))).StatusCode);
        // Rows may not be placed outside the organisation's county.
        var outside = await leader.PostAsync("/api/volunteers/import", Upload(csv.Replace("13700000002,", "13700000002,441202"), id));
        Assert.Equal(HttpStatusCode.BadRequest, outside.StatusCode);

        Assert.Equal(2, (await OkAsync(await leader.PostAsync("/api/volunteers/import", Upload(csv, id)))).GetProperty("imported").GetInt32());

        var members = await leader.GetFromJsonAsync<JsonElement[]>($"/api/organizations/{id}/members");
        Assert.Equal(["ZY00000001", "ZY00000003", "ZY00000004"], members!.Select(m => m.GetProperty("volunteerNumber").GetString()).Order());
        Assert.All(members!, m => Assert.Equal("Approved", m.GetProperty("status").GetString()));
        using var county = await app.ApiClientAsync();
        var imported = await county.GetFromJsonAsync<JsonElement>("/api/volunteers/ZY00000003");
        Assert.Equal("怀集县", imported.GetProperty("unitName").GetString());
    }
}
