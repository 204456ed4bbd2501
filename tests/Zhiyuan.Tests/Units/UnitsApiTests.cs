using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;

namespace Zhiyuan.Tests.Units;

public sealed class UnitsApiTests : AppTest
{
    [Fact]
    public async Task TheZhaoqingTreeIsSeededWithItsCountiesZonesCollegesAndMemberUnits()
    {
        using var city = await app.ApiClientAsync();
        var units = await city.GetFromJsonAsync<JsonElement[]>("/api/units");

        var root = Assert.Single(units!, u => u.GetProperty("parentCode").ValueKind == JsonValueKind.Null);
        Assert.Equal("441200", root.GetProperty("code").GetString());
        Assert.Equal("CityFederation", root.GetProperty("type").GetString());
        var children = units!.Where(u => u.GetProperty("parentCode").GetString() == "441200").ToDictionary(u => u.GetProperty("code").GetString()!, u => u);
        foreach (var code in new[] { "441202", "441203", "441204", "441223", "441224", "441225", "441226", "441284" })
        {
            Assert.Contains(code, children.Keys);
        }
        Assert.Equal("端州区", children["441202"].GetProperty("name").GetString());
        Assert.Equal("四会市", children["441284"].GetProperty("name").GetString());
        Assert.Equal(2, children.Values.Count(u => u.GetProperty("type").GetString() == "FunctionalZone"));
        Assert.Equal(4, children.Values.Count(u => u.GetProperty("type").GetString() == "College"));
        Assert.Single(children.Values, u => u.GetProperty("type").GetString() == "CityOrgansLeague");
        Assert.Contains(children.Values, u => u.GetProperty("type").GetString() == "MemberUnit");
    }

    [Fact]
    public async Task TheCityAdministratorBuildsRenamesMovesAndDeactivatesUnitsAtAnyDepth()
    {
        using var city = await app.ApiClientAsync();

        var town = await city.PostAsJsonAsync("/api/units/441202/children", new { code = "441202001", name = "城东街道", type = "Town" });
        Assert.Equal(HttpStatusCode.OK, town.StatusCode);
        var community = await city.PostAsJsonAsync("/api/units/441202001/children", new { code = "441202001001", name = "康乐社区", type = "Community" });
        Assert.Equal(HttpStatusCode.OK, community.StatusCode);
        var grid = await city.PostAsJsonAsync("/api/units/441202001001/children", new { code = "441202001001-01", name = "第一网格", type = "Other" });
        Assert.Equal(4, (await grid.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("depth").GetInt32());

        var renamed = await city.PutAsJsonAsync("/api/units/441202001", new { name = "城东街道办事处", type = "Town" });
        Assert.Equal("城东街道办事处", (await renamed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("name").GetString());

        // Moving the town takes its whole subtree along, with depths and paths kept right.
        var moved = await city.PostAsJsonAsync("/api/units/441202001/move", new { parentCode = "441284" });
        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        var (townPath, gridPath, gridDepth) = await app.WithDbAsync(async db =>
        {
            var t = await db.Units.SingleAsync(u => u.Code == "441202001");
            var g = await db.Units.SingleAsync(u => u.Code == "441202001001-01");
            return (t.Path, g.Path, g.Depth);
        });
        var sihuiPath = await app.WithDbAsync(db => db.Units.Where(u => u.Code == "441284").Select(u => u.Path).SingleAsync());
        Assert.StartsWith(sihuiPath, townPath);
        Assert.StartsWith(townPath, gridPath);
        Assert.Equal(4, gridDepth);

        // Deactivation goes bottom-up: a unit with active sub-units stays active.
        var refused = await city.PostAsync("/api/units/441202001/deactivate", null);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await city.PostAsync("/api/units/441202001001-01/deactivate", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await city.PostAsync("/api/units/441202001001/deactivate", null)).StatusCode);
        var deactivated = await city.PostAsync("/api/units/441202001/deactivate", null);
        Assert.False((await deactivated.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("isActive").GetBoolean());

        var activeList = await city.GetFromJsonAsync<JsonElement[]>("/api/units");
        Assert.DoesNotContain(activeList!, u => u.GetProperty("code").GetString() == "441202001");
        var fullList = await city.GetFromJsonAsync<JsonElement[]>("/api/units?includeInactive=true");
        Assert.Contains(fullList!, u => u.GetProperty("code").GetString() == "441202001");

        // The list reads as a tree: every unit comes after its parent.
        var seen = new HashSet<string>();
        foreach (var unit in fullList!)
        {
            var parent = unit.GetProperty("parentCode").GetString();
            Assert.True(parent is null || seen.Contains(parent), $"{unit.GetProperty("code")} came before its parent");
            seen.Add(unit.GetProperty("code").GetString()!);
        }
    }

    [Fact]
    public async Task MovingAUnitUnderItsOwnDescendantIsRefusedAndNothingChanges()
    {
        using var city = await app.ApiClientAsync();
        await city.PostAsJsonAsync("/api/units/441202/children", new { code = "441202001", name = "城东街道", type = "Town" });
        var before = await UnitsSnapshotAsync();

        var response = await city.PostAsJsonAsync("/api/units/441202/move", new { parentCode = "441202001" });

        await Pages.AssertFieldErrorAsync(response, "parentCode", "下级");
        Assert.Equal(before, await UnitsSnapshotAsync());
        var ontoItself = await city.PostAsJsonAsync("/api/units/441202/move", new { parentCode = "441202" });
        await Pages.AssertFieldErrorAsync(ontoItself, "parentCode", "下级");
        Assert.Equal(before, await UnitsSnapshotAsync());
    }

    [Theory]
    [InlineData("/api/units/441200/children", """{"code":"441202","name":"重复","type":"District"}""", "code", "已被使用")]
    [InlineData("/api/units/441200/children", """{"code":"bad code!","name":"代码不对","type":"Town"}""", "code", "字母")]
    [InlineData("/api/units/441200/children", """{"code":"","name":"","type":""}""", "name", "请填写")]
    [InlineData("/api/units/441200/children", """{"code":"X1","name":"未知类型","type":"Galaxy"}""", "type", "Galaxy")]
    [InlineData("/api/units/441200/children", """{"code":"X1","name":"数字类型","type":"3"}""", "type", "未知")]
    [InlineData("/api/units/441200/children", """{"code":"X1","name":"组合类型","type":"College,Town"}""", "type", "未知")]
    [InlineData("/api/units/441200/children", """{"code":"X1","name":"市联合会","type":"CityFederation"}""", "type", "未知")]
    [InlineData("/api/units/441202/move", """{"parentCode":"999999"}""", "parentCode", "999999")]
    [InlineData("/api/units/441202/move", """{"parentCode":""}""", "parentCode", "上级单位")]
    [InlineData("/api/units/441200/children", """{"code":"X1","name":"未闭合""", "name", "JSON")]
    [InlineData("/api/units/441200/children", """{"code":"X1","name":42,"type":"Town"}""", "name", "JSON")]
    [InlineData("/api/units/441200/children", """not json at all""", "body", "JSON")]
    [InlineData("/api/units/441200/children", "", "body", "请求正文缺失")]
    [InlineData("/api/units/441200/children", "null", "body", "请求正文缺失")]
    [InlineData("/api/units/441202/move", "{}", "parentCode", "上级单位")]
    public async Task BadInputGetsA400NamingTheFieldAndChangesNothing(string url, string body, string field, string reason)
    {
        using var city = await app.ApiClientAsync();
        var before = await UnitsSnapshotAsync();

        var response = await city.PostAsync(url, new StringContent(body, Encoding.UTF8, "application/json"));

        await Pages.AssertFieldErrorAsync(response, field, reason);
        Assert.Equal(before, await UnitsSnapshotAsync());
    }

    [Fact]
    public async Task AnOverLongNameOrCodeIsRefusedWithItsLimit()
    {
        using var city = await app.ApiClientAsync();
        var before = await UnitsSnapshotAsync();

        var response = await city.PostAsJsonAsync("/api/units/441200/children", new { code = new string('A', 33), name = new string('名', 101), type = "Town" });

        var problem = await Pages.AssertFieldErrorAsync(response, "name", "100");
        Assert.Contains("32", problem.GetProperty("errors").GetProperty("code")[0].GetString());
        var rename = await city.PutAsJsonAsync("/api/units/441202", new { name = new string('名', 101) });
        await Pages.AssertFieldErrorAsync(rename, "name", "100");
        Assert.Equal(before, await UnitsSnapshotAsync());
    }

    [Fact]
    public async Task ErrorsAreWrittenInEnglishForAnEnglishCaller()
    {
        using var city = await app.ApiClientAsync(language: "en");

        var duplicate = await city.PostAsJsonAsync("/api/units/441200/children", new { code = "441202", name = "Duplicate", type = "District" });
        var malformed = await city.PostAsync("/api/units/441200/children", new StringContent("{\"code\":", Encoding.UTF8, "application/json"));
        var missing = await city.GetAsync("/api/units/NOPE");

        await Pages.AssertFieldErrorAsync(duplicate, "code", "already in use");
        await Pages.AssertFieldErrorAsync(malformed, "code", "not valid JSON");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("Not found", (await missing.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());
    }

    [Fact]
    public async Task TheTreeGoesDownToItsDepthLimitAndRefusesBeyondIt()
    {
        using var city = await app.ApiClientAsync();
        var parent = "441202";
        for (var depth = 2; depth <= Zhiyuan.Web.Units.Unit.MaxDepth; depth++)
        {
            var code = $"L{depth}";
            Assert.Equal(HttpStatusCode.OK, (await city.PostAsJsonAsync($"/api/units/{parent}/children", new { code, name = $"第{depth}级", type = "Other" })).StatusCode);
            parent = code;
        }

        var tooDeep = await city.PostAsJsonAsync($"/api/units/{parent}/children", new { code = "TOO-DEEP", name = "太深", type = "Other" });
        await Pages.AssertFieldErrorAsync(tooDeep, "parentCode", Zhiyuan.Web.Units.Unit.MaxDepth.ToString());
        // Moving the deep branch one level lower is refused the same way.
        var deeper = await city.PostAsJsonAsync("/api/units/L2/move", new { parentCode = "441284" });
        Assert.Equal(HttpStatusCode.OK, deeper.StatusCode);
        await city.PostAsJsonAsync("/api/units/441284/children", new { code = "441284001", name = "东城街道", type = "Town" });
        await Pages.AssertFieldErrorAsync(await city.PostAsJsonAsync("/api/units/L2/move", new { parentCode = "441284001" }), "parentCode", Zhiyuan.Web.Units.Unit.MaxDepth.ToString());
    }

    [Fact]
    public async Task TwoAdministratorsMovingTwoUnitsUnderEachOtherAtOnceCannotMakeACycle()
    {
        using var city = await app.ApiClientAsync();
        await city.PostAsJsonAsync("/api/units/441202/children", new { code = "A", name = "甲", type = "Town" });
        await city.PostAsJsonAsync("/api/units/441203/children", new { code = "B", name = "乙", type = "Town" });
        using var other = await app.ApiClientAsync();

        var moves = await Task.WhenAll(
            city.PostAsJsonAsync("/api/units/A/move", new { parentCode = "B" }),
            other.PostAsJsonAsync("/api/units/B/move", new { parentCode = "A" }));

        Assert.Single(moves, m => m.StatusCode == HttpStatusCode.OK);
        Assert.Single(moves, m => m.StatusCode == HttpStatusCode.BadRequest);
        var units = await app.WithDbAsync(db => db.Units.AsNoTracking().Include(u => u.Parent).Where(u => u.Code == "A" || u.Code == "B").ToListAsync());
        foreach (var unit in units)
        {
            Assert.StartsWith(unit.Parent!.Path, unit.Path);
            Assert.Equal(unit.Parent.Depth + 1, unit.Depth);
        }
    }

    [Fact]
    public async Task TheRootUnitCannotBeMovedOrDeactivated()
    {
        using var city = await app.ApiClientAsync();

        await Pages.AssertFieldErrorAsync(await city.PostAsJsonAsync("/api/units/441200/move", new { parentCode = "441202" }), "code", "不能移动");
        await Pages.AssertFieldErrorAsync(await city.PostAsync("/api/units/441200/deactivate", null), "code", "不能停用");
    }
}
