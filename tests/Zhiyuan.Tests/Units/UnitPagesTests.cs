using System.Net;
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
