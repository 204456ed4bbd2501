using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;

namespace Zhiyuan.Tests.Audit;

public sealed class AuditTests : AppTest
{
    static string[] Actions(JsonElement[] entries) => entries.Select(e => e.GetProperty("action").GetString()!).ToArray();

    [Fact]
    public async Task EveryChangeToUnitsAndAccountsIsRecordedWithWhoWhatAndWhen()
    {
        using var city = await app.ApiClientAsync();
        await city.PostAsJsonAsync("/api/units/441202/children", new { code = "441202001", name = "城东街道", type = "Town" });
        await city.PutAsJsonAsync("/api/units/441202001", new { name = "城东街道办", type = "Town" });
        await city.PostAsJsonAsync("/api/units/441202001/move", new { parentCode = "441284" });
        await city.PostAsync("/api/units/441202001/deactivate", null);
        await city.PostAsync("/api/units/441202001/deactivate", null);
        await app.CreateUnitAdminAsync("duanzhou", "441202", "Duanzhou-2019");
        await city.PostAsync("/api/accounts/duanzhou/unlock", null);

        var entries = await city.GetFromJsonAsync<JsonElement[]>("/api/audit");

        Assert.Equal(["account.unlock", "account.create", "unit.deactivate", "unit.move", "unit.update", "unit.create"], Actions(entries!));
        Assert.All(entries!, e => Assert.Equal("admin", e.GetProperty("actorName").GetString()));
        var move = entries!.Single(e => e.GetProperty("action").GetString() == "unit.move");
        Assert.Equal("441202001", move.GetProperty("subject").GetString());
        Assert.Equal("441202 → 441284", move.GetProperty("details").GetString());
        Assert.True(DateTimeOffset.UtcNow - move.GetProperty("at").GetDateTimeOffset() < TimeSpan.FromMinutes(5));
    }

    [Fact]
    public async Task ARefusedChangeLeavesNoEntry()
    {
        using var city = await app.ApiClientAsync();

        await city.PostAsJsonAsync("/api/units/441200/children", new { code = "441202", name = "重复", type = "District" });
        await city.PostAsJsonAsync("/api/units/441202/move", new { parentCode = "441202" });
        await city.PostAsJsonAsync("/api/accounts", new { userName = "weak", password = "short", role = "UnitAdmin", unitCode = "441202" });

        Assert.Equal(0, await app.WithDbAsync(db => db.AuditEntries.CountAsync()));
        Assert.Equal(0, await app.WithDbAsync(db => db.Users.CountAsync(u => u.UserName == "weak")));
    }

    [Fact]
    public async Task AnAdministratorReadsOnlyTheAuditOfTheirOwnSubtree()
    {
        using var city = await app.ApiClientAsync();
        await city.PostAsJsonAsync("/api/units/441202/children", new { code = "441202001", name = "城东街道", type = "Town" });
        await city.PostAsJsonAsync("/api/units/441284/children", new { code = "441284001", name = "东城街道", type = "Town" });
        await app.CreateUnitAdminAsync("duanzhou", "441202", "Duanzhou-2019");
        using var duanzhou = await app.ApiClientAsync("duanzhou", "Duanzhou-2019");

        var entries = await duanzhou.GetFromJsonAsync<JsonElement[]>("/api/audit");

        Assert.DoesNotContain(entries!, e => e.GetProperty("subject").GetString() == "441284001");
        Assert.Contains(entries!, e => e.GetProperty("subject").GetString() == "441202001");
        Assert.Contains(entries!, e => e.GetProperty("subject").GetString() == "duanzhou");
    }

    [Fact]
    public async Task TheAuditPageListsChangesInChinaTime()
    {
        using var city = await app.ApiClientAsync();
        await city.PostAsJsonAsync("/api/units/441202/children", new { code = "441202001", name = "城东街道", type = "Town" });
        using var browser = app.PageClient();
        await browser.SignInAsync("admin", TestApp.AdminPassword);

        var page = await browser.GetPageAsync("/audit");

        var row = page.QuerySelector("#audit-list tbody tr")!.TextContent;
        Assert.Contains("新增单位", row);
        Assert.Contains("441202001", row);
        var at = (await city.GetFromJsonAsync<JsonElement[]>("/api/audit"))![0].GetProperty("at").GetDateTimeOffset();
        Assert.Contains(at.ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd HH:mm:ss"), row);
    }
}
