using System.Net;
using System.Net.Http.Json;
using Zhiyuan.Tests.ServicePosts;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.PublicSite;

public sealed class PublicSiteTests : AppTest
{
    [Fact]
    public async Task ThePublicPagesOpenWithoutSigningInWithTitlesAndALinkForEachItem()
    {
        using var city = await app.ApiClientAsync();
        var host = await OrganizationAsync(city);
        var menuId = await OrderScenario.MenuAsync(city, host, title: "法律咨询");
        await PublishedAsync(city, Activity(host, InDays(3), title: "西江河畔清洁行动"));
        using var anonymous = app.PageClient();

        var home = await anonymous.GetPageAsync("/");
        Assert.Contains("西江河畔清洁行动", home.QuerySelector("#home-recruiting")!.TextContent);
        Assert.NotNull(home.QuerySelector($"#home-services a[href='/services/{menuId}']"));
        Assert.NotNull(home.QuerySelector("#home-verify form[action='/verify']"));
        Assert.NotNull(home.QuerySelector("#home-campaigns"));

        var services = await anonymous.GetPageAsync("/services?mode=DoorToDoor");
        Assert.StartsWith("志愿服务清单", services.Title);
        Assert.NotNull(services.QuerySelector($"#service-list a[href='/services/{menuId}']"));
        Assert.Empty((await anonymous.GetPageAsync("/services?mode=Online")).QuerySelectorAll("#service-list li"));
        var service = await anonymous.GetPageAsync($"/services/{menuId}");
        Assert.StartsWith("法律咨询", service.Title);
        Assert.NotNull(service.QuerySelector("#send-code"));
        await anonymous.GetPageAsync($"/services/{Guid.NewGuid()}", HttpStatusCode.NotFound);
        Assert.StartsWith("年度服务时长榜", (await anonymous.GetPageAsync("/honour")).Title);
        // A code that names no certificate is answered on the form's page (a real one goes on to /verify/{code}: PageDetailsTests).
        Assert.Contains("查无此证", (await anonymous.GetPageAsync("/verify?code=ABC123")).QuerySelector("#verify-result")!.TextContent);
        // Every page is sized for phones.
        Assert.Contains("width=device-width", (await anonymous.GetStringAsync("/services")));
    }

    [Fact]
    public async Task TheHonourRollRanksVolunteersByConfirmedHoursThisYearWithMaskedNames()
    {
        using var city = await app.ApiClientAsync();
        var host = await OrganizationAsync(city);
        var members = await app.MembersAsync(city, host, 2);
        var menuId = await OrderScenario.MenuAsync(city, host);
        using var citizen = app.CreateClient();
        var id = (await app.PlaceAsync(citizen, OrderScenario.Order(menuId, "13702260001", days: 1))).GetProperty("id").GetGuid();
        await OkAsync(await city.PostAsJsonAsync($"/api/orders/{id}/dispatch", new { organizationId = host }));
        await OkAsync(await city.PostAsJsonAsync($"/api/orders/{id}/answer", new { accept = true, volunteerNumbers = new[] { members[1].Number } }));
        app.Clock.Advance(TimeSpan.FromDays(2));
        using var cityLater = await app.ApiClientAsync();
        await OkAsync(await cityLater.PostAsJsonAsync($"/api/orders/{id}/completion", new { }));

        var roll = await OkAsync(await app.CreateClient().GetAsync("/api/public/honour-roll"));
        var line = roll.GetProperty("lines").EnumerateArray().Single();
        Assert.Equal("志****1", line.GetProperty("maskedName").GetString());
        Assert.Equal("2.00", line.GetProperty("hours").GetString());
        var page = await app.PageClient().GetPageAsync("/honour");
        Assert.Contains("志****1", page.QuerySelector("#honour-roll")!.TextContent);
        Assert.DoesNotContain("志愿者101", page.Body!.TextContent);
    }
}
