using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;

namespace Zhiyuan.Tests.Units;

/// <summary>The unit pages' forms, used as an administrator would in a browser.</summary>
public sealed class UnitPagesTests : AppTest
{
    async Task<HttpClient> SignedInAsync(string language = "zh-CN")
    {
        var browser = app.PageClient(language: language);
        await browser.SignInAsync("admin", TestApp.AdminPassword);
        return browser;
    }

    [Fact]
    public async Task AddingRenamingMovingAndDeactivatingThroughThePagesChangesTheTree()
    {
        using var browser = await SignedInAsync();

        var district = await browser.GetPageAsync("/units/441202");
        var added = await browser.PostFormAsync("/units/441202", district, "add-child", ("Child.Code", "441202001"), ("Child.Name", "城东街道"), ("Child.Type", "Town"));
        Assert.Contains("已添加下级单位", await added.Content.ReadAsStringAsync());

        var town = await browser.GetPageAsync("/units/441202001");
        await browser.PostFormAsync("/units/441202001", town, "rename", ("Edit.Name", "城东街道办"), ("Edit.Type", "Town"));
        await browser.PostFormAsync("/units/441202001", town, "move", ("Move.ParentCode", "441284"));
        var deactivated = await browser.PostFormAsync("/units/441202001", town, "status", ("Status.Activate", "false"));
        // Posting the same form again (a double click, a reload) leaves it deactivated.
        await browser.PostFormAsync("/units/441202001", town, "status", ("Status.Activate", "false"));
        Assert.Equal(HttpStatusCode.OK, deactivated.StatusCode);

        var unit = await app.WithDbAsync(db => db.Units.Include(u => u.Parent).SingleAsync(u => u.Code == "441202001"));
        Assert.Equal("城东街道办", unit.Name);
        Assert.Equal("441284", unit.Parent!.Code);
        Assert.False(unit.IsActive);
        var tree = await browser.GetPageAsync("/units?showInactive=true");
        Assert.Contains("城东街道办", tree.QuerySelector("#unit-tree")!.TextContent);
    }

    [Fact]
    public async Task TheTreeStopsTwoLevelsDownUntilAskedAndTheSearchFindsDeeperUnits()
    {
        using var city = await app.ApiClientAsync();
        await city.PostAsJsonAsync("/api/units/441202/children", new { code = "441202001", name = "城东街道", type = "Town" });
        await city.PostAsJsonAsync("/api/units/441202001/children", new { code = "441202001001", name = "康乐社区", type = "Community" });
        using var browser = await SignedInAsync();

        var firstView = (await browser.GetPageAsync("/units")).QuerySelector("#unit-tree")!.TextContent;
        var everything = (await browser.GetPageAsync("/units?all=true")).QuerySelector("#unit-tree")!.TextContent;
        var found = await browser.GetPageAsync("/units?q=" + Uri.EscapeDataString("康乐"));
        var nothing = await browser.GetPageAsync("/units?q=" + Uri.EscapeDataString("不存在的单位"));

        Assert.Contains("城东街道", firstView);
        Assert.DoesNotContain("康乐社区", firstView);
        Assert.Contains("康乐社区", everything);
        Assert.Equal(["康乐社区"], found.QuerySelectorAll("#unit-tree li a").Select(a => a.TextContent));
        Assert.NotNull(nothing.QuerySelector("#no-units"));
        var byApi = await city.GetFromJsonAsync<System.Text.Json.JsonElement[]>("/api/units?levels=1");
        Assert.All(byApi!, u => Assert.True(u.GetProperty("depth").GetInt32() <= 1));
        var searched = await city.GetFromJsonAsync<System.Text.Json.JsonElement[]>("/api/units?q=441284");
        Assert.Equal(["441284"], searched!.Select(u => u.GetProperty("code").GetString()));
    }

    [Fact]
    public async Task AFormWithBadInputShowsWhatIsWrongAndChangesNothing()
    {
        using var browser = await SignedInAsync();
        var before = await app.WithDbAsync(db => db.Units.CountAsync());

        var page = await browser.GetPageAsync("/units/441200");
        var duplicate = await browser.PostFormAsync("/units/441200", page, "add-child", ("Child.Code", "441202"), ("Child.Name", "重复"), ("Child.Type", "District"));
        var blank = await browser.PostFormAsync("/units/441200", page, "rename", ("Edit.Name", " "), ("Edit.Type", "CityFederation"));

        Assert.Equal(HttpStatusCode.OK, duplicate.StatusCode);
        var duplicatePage = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await duplicate.Content.ReadAsStringAsync());
        Assert.Contains("单位代码 441202 已被使用", duplicatePage.QuerySelector("[data-field=code]")!.TextContent);
        Assert.Contains("请填写单位名称", await blank.Content.ReadAsStringAsync());
        Assert.Equal(before, await app.WithDbAsync(db => db.Units.CountAsync()));
        Assert.Equal("肇庆市志愿者联合会", await app.WithDbAsync(db => db.Units.Where(u => u.Code == "441200").Select(u => u.Name).SingleAsync()));
    }

    [Fact]
    public async Task TheMoveFormOffersNeitherTheUnitItselfNorItsDescendants()
    {
        using var browser = await SignedInAsync();
        var district = await browser.GetPageAsync("/units/441202");
        await browser.PostFormAsync("/units/441202", district, "add-child", ("Child.Code", "441202001"), ("Child.Name", "城东街道"), ("Child.Type", "Town"));

        var page = await browser.GetPageAsync("/units/441202");
        var offered = page.QuerySelectorAll("#move-parent option").Select(o => o.GetAttribute("value")).ToList();

        Assert.Contains("441200", offered);
        Assert.Contains("441284", offered);
        Assert.DoesNotContain("441202", offered);
        Assert.DoesNotContain("441202001", offered);
    }

    [Fact]
    public async Task TheUnitPagesSpeakEnglishAfterTheSwitch()
    {
        using var browser = await SignedInAsync(language: "en");

        var page = await browser.GetPageAsync("/units/441202");

        Assert.Contains("Add a sub-unit", page.Body!.TextContent);
        Assert.Contains("District", page.QuerySelector(".facts")!.TextContent);
    }
}
