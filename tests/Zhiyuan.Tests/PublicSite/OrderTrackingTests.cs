using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Tests.ServicePosts;
using Zhiyuan.Web.Volunteers;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.PublicSite;

/// <summary>The citizen's tracking page: progress steps, names instead of identifiers, the organisation's phone, masked names.</summary>
public sealed class OrderTrackingTests : AppTest
{
    [Theory]
    [InlineData("李", "*")]
    [InlineData("张三", "张*")]
    [InlineData("李阿姨", "李*姨")]
    [InlineData("欧阳明华", "欧**华")]
    [InlineData("梁小姐（代母亲下单）", "梁*姐")]
    [InlineData("梁（代）", "*")]
    [InlineData("陈生(女儿代订)", "陈*")]
    [InlineData("  王五  ", "王*")]
    [InlineData("𠮷田", "𠮷*")]
    [InlineData("", "*")]
    public void ANameIsMaskedByItsOwnCharactersOnly(string name, string masked) => Assert.Equal(masked, Certificates.MaskName(name));

    [Fact]
    public async Task TheTrackingPageShowsStepsNamesAndTheOrganisationsPhoneAndNoAccountNamesOrVolunteerNumbers()
    {
        using var city = await app.ApiClientAsync();
        var host = await OrganizationAsync(city, "端州区义工联合会");
        await app.WithDbAsync(db => db.Organizations.Where(o => o.Id == host)
            .ExecuteUpdateAsync(o => o.SetProperty(x => x.ContactName, "陈社工").SetProperty(x => x.ContactPhone, "0758-2222333")));
        var members = await app.MembersAsync(city, host, 2);
        using var orgAdmin = await app.OrganizationAdminAsync(city, host, members[0].Number);
        var menuId = await OrderScenario.MenuAsync(city, host);
        using var citizen = app.CreateClient();
        var placed = await app.PlaceAsync(citizen, OrderScenario.Order(menuId, "13702260001", days: 1) with { Name = "梁小姐（代母亲下单）" });
        var id = placed.GetProperty("id").GetGuid();
        var link = placed.GetProperty("trackingLink").GetString()!;
        var track = $"/api/orders/{id}/track?t={placed.GetProperty("trackingToken").GetString()}";
        using var browser = app.PageClient();

        string[] Steps(AngleSharp.Html.Dom.IHtmlDocument page) =>
            page.QuerySelectorAll("#order-steps li").Select(li => li.GetAttribute("data-step") + ":" + li.ClassName!.Replace("step-", "")).ToArray();

        var page = await browser.GetPageAsync(link);
        Assert.Equal(["submitted:current", "dispatched:waiting", "accepted:waiting", "inService:waiting", "done:waiting"], Steps(page));
        Assert.Equal("梁*姐", page.QuerySelector("#order-citizen")!.TextContent);
        Assert.Null(page.QuerySelector("#order-contact"));

        await OkAsync(await city.PostAsJsonAsync($"/api/orders/{id}/dispatch", new { organizationId = host }));
        page = await browser.GetPageAsync(link);
        Assert.Equal(["submitted:done", "dispatched:current", "accepted:waiting", "inService:waiting", "done:waiting"], Steps(page));
        Assert.Equal("0758-2222333", page.QuerySelector("#order-contact-phone")!.TextContent);
        Assert.Equal("tel:0758-2222333", page.QuerySelector("#order-contact-phone")!.GetAttribute("href"));

        await OkAsync(await orgAdmin.PostAsJsonAsync($"/api/orders/{id}/answer", new { accept = true, volunteerNumbers = new[] { members[1].Number } }));
        page = await browser.GetPageAsync(link);
        Assert.Equal(["submitted:done", "dispatched:done", "accepted:current", "inService:waiting", "done:waiting"], Steps(page));

        // From the service time the order is in service (half an hour into tomorrow's 10:00–12:00, whatever the time of
        // day now: a day ahead is not yet 10:00 when the test runs before 10:00 China time); then done.
        app.Clock.Offset = InDays(1, 10).AddMinutes(30) - DateTimeOffset.UtcNow;
        page = await browser.GetPageAsync(link);
        Assert.Equal(["submitted:done", "dispatched:done", "accepted:done", "inService:current", "done:waiting"], Steps(page));
        app.Clock.Advance(TimeSpan.FromDays(1));
        using var orgAdminLater = await app.ApiClientAsync(members[0].Number, Volunteers.People.Password);
        await OkAsync(await orgAdminLater.PostAsJsonAsync($"/api/orders/{id}/completion", new { }));
        page = await browser.GetPageAsync(link);
        Assert.Equal(["submitted:done", "dispatched:done", "accepted:done", "inService:done", "done:done"], Steps(page));
        Assert.NotNull(page.QuerySelector("#rate-form"));

        // Names, never identifiers: no account name, no unit code, no volunteer number, on the page or in the API.
        var text = page.Body!.TextContent;
        var api = await citizen.GetStringAsync(track);
        foreach (var identifier in new[] { "admin", "441202", members[0].Number, members[1].Number, "ZY0" })
        {
            Assert.DoesNotContain(identifier, text);
            Assert.DoesNotContain(identifier, api);
        }
        Assert.Contains("端州区义工联合会", page.QuerySelector("#order-history")!.TextContent);
        Assert.Contains("您", page.QuerySelector("#order-history li")!.TextContent);
        Assert.DoesNotContain("代母亲", text);
        Assert.DoesNotContain("志愿者101", text);
        Assert.Contains("志****1", page.QuerySelector("#order-volunteers")!.TextContent);
    }

    [Fact]
    public async Task ACancelledOrderKeepsTheStepsItReachedAndEndsInCancelled()
    {
        using var city = await app.ApiClientAsync();
        var host = await OrganizationAsync(city);
        var menuId = await OrderScenario.MenuAsync(city, host);
        using var citizen = app.CreateClient();
        var placed = await app.PlaceAsync(citizen, OrderScenario.Order(menuId, "13702260001") with { Name = "李" });
        var id = placed.GetProperty("id").GetGuid();
        var token = placed.GetProperty("trackingToken").GetString();
        await OkAsync(await city.PostAsJsonAsync($"/api/orders/{id}/dispatch", new { organizationId = host }));
        var cancelled = await OkAsync(await citizen.PostAsJsonAsync($"/api/orders/{id}/citizen-cancellation?t={token}", new { reason = "家人已安排" }));
        Assert.Equal("*", cancelled.GetProperty("citizenName").GetString());
        Assert.Equal(["done", "done", "waiting", "waiting", "cancelled"],
            cancelled.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("state").GetString()!.ToLowerInvariant()).ToArray());
        Assert.Equal("cancelled", cancelled.GetProperty("steps")[4].GetProperty("key").GetString());
        var history = cancelled.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("who").GetString()).ToList();
        Assert.Equal(["您", cancelled.GetProperty("unitName").GetString(), "您"], history);
        Assert.False(cancelled.GetProperty("canCancel").GetBoolean());
    }
}
