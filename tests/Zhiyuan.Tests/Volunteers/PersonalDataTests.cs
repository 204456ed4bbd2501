using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Zhiyuan.Tests.Volunteers;

/// <summary>Who sees which part of a volunteer's ID and mobile number.</summary>
public sealed class PersonalDataTests : AppTest
{
    [Fact]
    public async Task AnAdministratorOfTheSubtreeSeesTheFullNumbersOnlyWithAReasonAndEveryViewIsAudited()
    {
        var id = People.ResidentId(1990, 123);
        var number = (await app.RegisterAsync("李明", id, "13812345678")).GetProperty("number").GetString();
        await app.CreateUnitAdminAsync("duanzhou", "441202", "Duanzhou-2019");
        using var admin = await app.ApiClientAsync("duanzhou", "Duanzhou-2019");

        var masked = await admin.GetFromJsonAsync<JsonElement>($"/api/volunteers/{number}");
        Assert.Equal("4412**********" + id[^4..], masked.GetProperty("documentNumber").GetString());

        await Pages.AssertFieldErrorAsync(await admin.PostAsJsonAsync($"/api/volunteers/{number}/personal-data", new { reason = "" }), "reason", "查看原因");

        var full = await admin.PostAsJsonAsync($"/api/volunteers/{number}/personal-data", new { reason = "核对保险投保信息" });
        Assert.Equal(HttpStatusCode.OK, full.StatusCode);
        Assert.Contains("no-store", full.Headers.CacheControl!.ToString());
        var revealed = await full.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(id, revealed.GetProperty("documentNumber").GetString());
        Assert.Equal("13812345678", revealed.GetProperty("mobile").GetString());

        var audit = await admin.GetFromJsonAsync<JsonElement[]>("/api/audit");
        var entry = Assert.Single(audit!, e => e.GetProperty("action").GetString() == "volunteer.reveal");
        Assert.Equal("duanzhou", entry.GetProperty("actorName").GetString());
        Assert.Equal(number, entry.GetProperty("subject").GetString());
        Assert.Equal("核对保险投保信息", entry.GetProperty("details").GetString());
    }

    [Fact]
    public async Task AnAdministratorOfAnotherSubtreeNeitherFindsNorSeesTheVolunteer()
    {
        var number = (await app.RegisterAsync("李明", People.ResidentId(1990, 123), "13812345678")).GetProperty("number").GetString();
        await app.CreateUnitAdminAsync("sihui", "441284", "Sihui-2019");
        using var other = await app.ApiClientAsync("sihui", "Sihui-2019");

        Assert.Equal(0, (await other.GetFromJsonAsync<JsonElement>("/api/volunteers?q=李明")).GetProperty("total").GetInt32());
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/api/volunteers/{number}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.PostAsJsonAsync($"/api/volunteers/{number}/personal-data", new { reason = "好奇" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.PostAsJsonAsync($"/api/volunteers/{number}/certificate/revoke", new { reason = "x" })).StatusCode);

        // A volunteer is no administrator at all.
        using var volunteer = await app.ApiClientAsync("13812345678", People.Password);
        Assert.Equal(HttpStatusCode.Forbidden, (await volunteer.GetAsync("/api/volunteers?q=李")).StatusCode);
    }

    [Fact]
    public async Task AdministratorsSearchByNameNumberOrTheLastFourDigitsPageByPage()
    {
        for (var i = 1; i <= 25; i++)
        {
            await app.RegisterAsync(i == 7 ? "欧阳娜娜" : "志愿者" + i, People.ResidentId(1970 + i, 101 + 2 * i), "1390000" + i.ToString("D4"));
        }
        using var city = await app.ApiClientAsync();

        var first = await city.GetFromJsonAsync<JsonElement>("/api/volunteers");
        Assert.Equal(25, first.GetProperty("total").GetInt32());
        Assert.Equal(20, first.GetProperty("items").GetArrayLength());
        Assert.Equal(5, (await city.GetFromJsonAsync<JsonElement>("/api/volunteers?page=2")).GetProperty("items").GetArrayLength());

        Assert.Equal("欧阳娜娜", (await city.GetFromJsonAsync<JsonElement>("/api/volunteers?q=欧阳")).GetProperty("items")[0].GetProperty("name").GetString());
        Assert.Equal("欧阳娜娜", (await city.GetFromJsonAsync<JsonElement>("/api/volunteers?q=0007")).GetProperty("items")[0].GetProperty("name").GetString());
        Assert.Equal("欧阳娜娜", (await city.GetFromJsonAsync<JsonElement>("/api/volunteers?q=zy00000007")).GetProperty("items")[0].GetProperty("name").GetString());

        using var browser = app.PageClient();
        await browser.SignInAsync("admin", TestApp.AdminPassword);
        var page = await browser.GetPageAsync("/volunteers?q=0007");
        Assert.Contains("139****0007", page.QuerySelector("#volunteer-list")!.TextContent);
    }

    [Fact]
    public async Task AnExportListsTheSubtreesVolunteersWithMaskedNumbersAndIsAudited()
    {
        var id = People.ResidentId(1990, 123);
        await app.RegisterAsync("李明", id, "13812345678");
        await app.RegisterAsync("王芳", People.ResidentId(1991, 124), "13912345678", unitCode: "441284");
        await app.CreateUnitAdminAsync("duanzhou", "441202", "Duanzhou-2019");
        using var admin = await app.ApiClientAsync("duanzhou", "Duanzhou-2019");

        var response = await admin.GetAsync("/api/volunteers/export.csv");

        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        var lines = (await response.Content.ReadAsStringAsync()).TrimStart('\uFEFF').Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("\"志愿者编号\",\"姓名\"", lines[0]);
        Assert.Contains("\"4412**********" + id[^4..] + "\",\"138****5678\",\"端州区\"", lines[1]);
        Assert.DoesNotContain("王芳", lines[1]);
        var audit = await admin.GetFromJsonAsync<JsonElement[]>("/api/audit");
        Assert.Contains(audit!, e => e.GetProperty("action").GetString() == "volunteer.export" && e.GetProperty("details").GetString()!.Contains('1'));

        // The page's link works with the sign-in cookie.
        using var browser = app.PageClient();
        await browser.SignInAsync("duanzhou", "Duanzhou-2019");
        var page = await browser.GetPageAsync("/volunteers?q=李");
        var download = await browser.GetAsync(page.QuerySelector("#export")!.GetAttribute("href"));
        Assert.Contains("李明", await download.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task TheVolunteerPageShowsMaskedNumbersAndTheFullOnesOnlyAfterAReasonIsGiven()
    {
        var id = People.ResidentId(1990, 123);
        var number = (await app.RegisterAsync("李明", id, "13812345678")).GetProperty("number").GetString();
        using var browser = app.PageClient();
        await browser.SignInAsync("admin", TestApp.AdminPassword);

        var page = await browser.GetPageAsync($"/volunteers/{number}");
        Assert.Contains("138****5678", page.QuerySelector("#volunteer-facts")!.TextContent);
        Assert.DoesNotContain(id, page.Source.Text);

        var shown = await browser.PostFormAsync($"/volunteers/{number}", page, "reveal", ("RevealInput.Reason", "电话回访"));
        var html = await shown.Content.ReadAsStringAsync();
        Assert.Contains(id, html);
        Assert.Contains("13812345678", html);
    }

    [Fact]
    public async Task NoResponseOrLogLineOfAWholeVisitCarriesAFullNumberOutsideTheAuditedView()
    {
        // Everyone's pages and answers, with two volunteers in the database; TestApp records them all.
        var id = People.ResidentId(1990, 123);
        var number = (await app.RegisterAsync("李明", id, "13812345678")).GetProperty("number").GetString();
        await app.RegisterAsync("王芳", People.ResidentId(1992, 124), "13912345678");
        using var volunteer = app.PageClient();
        await volunteer.SignInAsync("13812345678", People.Password);
        foreach (var url in new[] { "/me", "/me/certificate", "/organizations" })
        {
            Assert.Equal(HttpStatusCode.OK, (await volunteer.GetAsync(url)).StatusCode);
        }
        using var volunteerApi = await app.ApiClientAsync(number!, People.Password);
        foreach (var url in new[] { "/api/volunteers/me", "/api/volunteers/me/certificate", "/api/volunteers/me/organizations" })
        {
            Assert.Equal(HttpStatusCode.OK, (await volunteerApi.GetAsync(url)).StatusCode);
        }
        using var city = await app.ApiClientAsync();
        await city.GetAsync("/api/volunteers");
        await city.GetAsync($"/api/volunteers/{number}");
        await city.GetAsync("/api/audit");
        using var admin = app.PageClient();
        await admin.SignInAsync("admin", TestApp.AdminPassword);
        await admin.GetAsync("/volunteers");
        await admin.GetAsync($"/volunteers/{number}");
        await city.PostAsJsonAsync($"/api/volunteers/{number}/personal-data", new { reason = "核对" });

        Assert.Empty(await app.FindPersonalDataLeaksAsync());
        // The check does find a full number where one is: the audited view is the only exception.
        Assert.Contains(app.Responses, r => r.Request.EndsWith("/personal-data") && r.Body.Contains(id));
        Assert.NotEmpty(app.LogLines);
    }
}
