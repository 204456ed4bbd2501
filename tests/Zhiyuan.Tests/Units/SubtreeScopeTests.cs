using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;

namespace Zhiyuan.Tests.Units;

/// <summary>An administrator of 端州区 (441202) reaches nothing of 四会市 (441284), through the API or the pages.</summary>
public sealed class SubtreeScopeTests : AppTest
{
    const string Duanzhou = "441202";
    const string Sihui = "441284";
    const string DuanzhouAdmin = "duanzhou";
    const string Password = "Unit-admin-2019";


    async Task<HttpClient> SetUpAsync()
    {
        using var city = await app.ApiClientAsync();
        Assert.Equal(HttpStatusCode.OK, (await city.PostAsJsonAsync($"/api/units/{Sihui}/children", new { code = "441284001", name = "东城街道", type = "Town" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await city.PostAsJsonAsync($"/api/units/{Duanzhou}/children", new { code = "441202001", name = "城东街道", type = "Town" })).StatusCode);
        await app.CreateUnitAdminAsync(DuanzhouAdmin, Duanzhou, Password);
        return await app.ApiClientAsync(DuanzhouAdmin, Password);
    }

    [Fact]
    public async Task AUnitAdministratorListsOnlyTheirOwnSubtree()
    {
        using var duanzhou = await SetUpAsync();

        var units = await duanzhou.GetFromJsonAsync<JsonElement[]>("/api/units");

        Assert.Equal(["441202", "441202001"], units!.Select(u => u.GetProperty("code").GetString()));
        var accounts = await duanzhou.GetFromJsonAsync<JsonElement[]>("/api/accounts");
        Assert.Equal([DuanzhouAdmin], accounts!.Select(a => a.GetProperty("userName").GetString()));
    }

    [Fact]
    public async Task EveryApiReadAndWriteOfAnotherCountysUnitsIsNotFoundAndChangesNothing()
    {
        using var duanzhou = await SetUpAsync();
        var before = await SnapshotAsync();

        var attempts = new (string Name, Func<Task<HttpResponseMessage>> Send)[]
        {
            ("read Sihui", () => duanzhou.GetAsync($"/api/units/{Sihui}")),
            ("read Sihui's town", () => duanzhou.GetAsync("/api/units/441284001")),
            ("read the city", () => duanzhou.GetAsync("/api/units/441200")),
            ("add under Sihui", () => duanzhou.PostAsJsonAsync($"/api/units/{Sihui}/children", new { code = "X-1", name = "入侵", type = "Town" })),
            ("rename Sihui", () => duanzhou.PutAsJsonAsync($"/api/units/{Sihui}", new { name = "被改名" })),
            ("rename Sihui's town", () => duanzhou.PutAsJsonAsync("/api/units/441284001", new { name = "被改名" })),
            ("move Sihui's town", () => duanzhou.PostAsJsonAsync("/api/units/441284001/move", new { parentCode = Duanzhou })),
            ("move Sihui", () => duanzhou.PostAsJsonAsync($"/api/units/{Sihui}/move", new { parentCode = Duanzhou })),
            ("deactivate Sihui's town", () => duanzhou.PostAsync("/api/units/441284001/deactivate", null)),
            ("reactivate Sihui", () => duanzhou.PostAsync($"/api/units/{Sihui}/reactivate", null)),
        };
        foreach (var (name, send) in attempts)
        {
            var response = await send();
            Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden, $"{name}: {response.StatusCode}");
        }

        // Writes that name a Sihui unit as the target are refused as an unknown code.
        var moveInto = await duanzhou.PostAsJsonAsync("/api/units/441202001/move", new { parentCode = Sihui });
        await Pages.AssertFieldErrorAsync(moveInto, "parentCode", Sihui);
        var accountThere = await duanzhou.PostAsJsonAsync("/api/accounts", new { userName = "sihui2", password = "Whatever-2019", role = "UnitAdmin", unitCode = Sihui });
        await Pages.AssertFieldErrorAsync(accountThere, "unitCode", Sihui);
        var cityAdmin = await duanzhou.PostAsJsonAsync("/api/accounts", new { userName = "boss", password = "Whatever-2019", role = "CityAdmin", unitCode = Duanzhou });
        await Pages.AssertFieldErrorAsync(cityAdmin, "role", "CityAdmin");

        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task EveryPageReadAndFormPostOnAnotherCountysUnitsIsNotFoundAndChangesNothing()
    {
        await SetUpAsync();
        using var browser = app.PageClient();
        await browser.SignInAsync(DuanzhouAdmin, Password);
        var tree = await browser.GetPageAsync("/units");
        Assert.Contains("端州区", tree.QuerySelector("#unit-tree")!.TextContent);
        Assert.DoesNotContain("四会市", tree.QuerySelector("#unit-tree")!.TextContent);
        var ownPage = await browser.GetPageAsync($"/units/{Duanzhou}");
        var before = await SnapshotAsync();

        await browser.GetPageAsync($"/units/{Sihui}", HttpStatusCode.NotFound);
        await browser.GetPageAsync("/units/441284001", HttpStatusCode.NotFound);
        var posts = new (string Handler, (string, string)[] Fields)[]
        {
            ("rename", [("Edit.Name", "被改名"), ("Edit.Type", "Town")]),
            ("add-child", [("Child.Code", "X-1"), ("Child.Name", "入侵"), ("Child.Type", "Town")]),
            ("move", [("Move.ParentCode", Duanzhou)]),
            ("status", [("Status.Activate", "false")]),
        };
        foreach (var (handler, fields) in posts)
        {
            foreach (var target in new[] { Sihui, "441284001" })
            {
                var response = await browser.PostFormAsync($"/units/{target}", ownPage, handler, fields);
                Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden, $"{handler} on {target}: {response.StatusCode}");
            }
        }
        Assert.Equal(before, await SnapshotAsync());

        // The same form on the administrator's own sub-unit does work.
        var ownTown = await browser.GetPageAsync("/units/441202001");
        var renamed = await browser.PostFormAsync("/units/441202001", ownTown, "rename", ("Edit.Name", "城东街道办"), ("Edit.Type", "Town"));
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        Assert.Equal("城东街道办", await app.WithDbAsync(db => db.Units.Where(u => u.Code == "441202001").Select(u => u.Name).SingleAsync()));
    }

    [Fact]
    public async Task AUnitAdministratorCannotMoveOrDeactivateTheirOwnUnit()
    {
        using var duanzhou = await SetUpAsync();

        await Pages.AssertFieldErrorAsync(await duanzhou.PostAsJsonAsync($"/api/units/{Duanzhou}/move", new { parentCode = "441202001" }), "code", "不能移动");
        await Pages.AssertFieldErrorAsync(await duanzhou.PostAsync($"/api/units/{Duanzhou}/deactivate", null), "code", "不能停用");
    }

    [Fact]
    public async Task MovingAUnitOutOfASubtreeTakesItOutOfThatAdministratorsReachAtOnce()
    {
        using var duanzhou = await SetUpAsync();
        Assert.Equal(HttpStatusCode.OK, (await duanzhou.GetAsync("/api/units/441202001")).StatusCode);

        using var city = await app.ApiClientAsync();
        Assert.Equal(HttpStatusCode.OK, (await city.PostAsJsonAsync("/api/units/441202001/move", new { parentCode = Sihui })).StatusCode);

        Assert.Equal(HttpStatusCode.NotFound, (await duanzhou.GetAsync("/api/units/441202001")).StatusCode);
    }

    [Fact]
    public async Task AnAccountWithoutAUnitToAdministerIsForbiddenFromTheUnitApi()
    {
        await SetUpAsync();
        using var city = await app.ApiClientAsync();
        var liaison = await city.PostAsJsonAsync("/api/accounts", new { userName = "liaison", password = "Liaison-2019", role = "DepartmentLiaison", unitCode = Duanzhou });
        Assert.Equal(HttpStatusCode.OK, liaison.StatusCode);
        using var client = await app.ApiClientAsync("liaison", "Liaison-2019");

        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/units")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsJsonAsync($"/api/units/{Duanzhou}/children", new { code = "Y", name = "Y", type = "Town" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/auth/me")).StatusCode);
    }

    async Task<string> SnapshotAsync() => await UnitsSnapshotAsync()
        + "\n" + await app.WithDbAsync(async db => string.Join(",", await db.Users.OrderBy(u => u.UserName).Select(u => u.UserName).ToListAsync()));
}
