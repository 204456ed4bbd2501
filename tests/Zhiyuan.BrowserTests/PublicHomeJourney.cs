using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using SkiaSharp;
using Zhiyuan.Tests.ServicePosts;
using Zhiyuan.Tests.Volunteers;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.BrowserTests;

/// <summary>What a citizen sees without signing in: the home page with its figures and covers, the dashboard's charts on a phone, an order's progress.</summary>
public sealed class PublicHomeJourney
{
    static readonly (int Width, int Height, string Name)[] Screens = [(375, 812, "phone"), (1366, 900, "desktop")];

    static async Task AssertNoSidewaysScrollAsync(IPage page, string what) =>
        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), $"{what} scrolls sideways at {page.ViewportSize!.Width} px");

    static byte[] CoverJpeg()
    {
        // A wide picture with a shape on it, so a wrong crop or a stretched cover shows on the screenshot.
        using var bitmap = new SKBitmap(800, 450);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(new SKColor(0x2e, 0x7d, 0x32));
            using var sun = new SKPaint { Color = new SKColor(0xff, 0xc1, 0x07), IsAntialias = true };
            canvas.DrawCircle(620, 120, 70, sun);
            using var river = new SKPaint { Color = new SKColor(0x42, 0xa5, 0xf5) };
            canvas.DrawRect(0, 320, 800, 130, river);
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 85);
        return data.ToArray();
    }

    [BrowserFact]
    public async Task ACitizenSeesLiveFiguresAndCoversOnTheHomePageReadsTheDashboardOnAPhoneAndFollowsAnOrdersSteps()
    {
        // The demo month: a city's worth of units, organisations, volunteers and a campaign dashboard with long unit names.
        await using var browser = await Browser.StartAsync(a => a.Settings["Demo:March2019"] = "true");
        var app = browser.App;
        using var city = await app.ApiClientAsync();
        var host = await OrganizationAsync(city, "西江护河志愿服务队");
        var activity = await PublishedAsync(city, Activity(host, InDays(3), capacity: 20, title: "西江河畔清洁行动"));
        await PublishedAsync(city, Activity(host, InDays(5), capacity: 8, title: "敬老院周末探访"));
        var content = new ByteArrayContent(CoverJpeg());
        content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        var cover = await OkAsync(await city.PostAsync($"/api/activities/{activity.GetProperty("id").GetGuid()}/cover",
            new MultipartFormDataContent { { content, "photo", "河堤.jpg" } }));
        var coverUrl = cover.GetProperty("url").GetString()!;

        // An order dispatched to the organisation and accepted, with its phone published.
        await app.WithDbAsync(db => db.Organizations.Where(o => o.Id == host)
            .ExecuteUpdateAsync(o => o.SetProperty(x => x.ContactName, "陈社工").SetProperty(x => x.ContactPhone, "0758-2222333")));
        var members = await app.MembersAsync(city, host, 2);
        using var orgAdmin = await app.OrganizationAdminAsync(city, host, members[0].Number);
        var menuId = await OrderScenario.MenuAsync(city, host);
        using var citizen = app.CreateClient();
        var placed = await app.PlaceAsync(citizen, OrderScenario.Order(menuId, "13702260001") with { Name = "梁小姐（代母亲下单）" });
        var orderId = placed.GetProperty("id").GetGuid();
        await OkAsync(await city.PostAsJsonAsync($"/api/orders/{orderId}/dispatch", new { organizationId = host }));
        await OkAsync(await orgAdmin.PostAsJsonAsync($"/api/orders/{orderId}/answer", new { accept = true, volunteerNumbers = new[] { members[1].Number } }));
        var trackingLink = placed.GetProperty("trackingLink").GetString()!;
        var campaigns = await (await citizen.GetAsync("/api/public/campaigns")).Content.ReadFromJsonAsync<JsonElement>();
        var campaignId = campaigns[0].GetProperty("id").GetGuid();

        foreach (var (width, height, name) in Screens)
        {
            var page = await browser.NewPageAsync(width, height);

            await page.GotoAsync("/");
            var volunteers = int.Parse((await page.InnerTextAsync("#figure-volunteers strong")).Replace(",", ""));
            Assert.True(volunteers > 100, $"{volunteers} volunteers on the home page");
            Assert.Equal("2", await page.InnerTextAsync("#figure-recruiting strong"));
            var image = page.Locator($"#home-recruiting img[src='{coverUrl}']");
            await image.ScrollIntoViewIfNeededAsync();
            Assert.True(await image.EvaluateAsync<bool>("i => i.complete && i.naturalWidth === 800"), "the cover photo did not load");
            var box = (await image.BoundingBoxAsync())!;
            Assert.True(Math.Abs(box.Width / box.Height - 16.0 / 9) < 0.05, $"the cover is {box.Width}×{box.Height}, not 16:9");
            await AssertNoSidewaysScrollAsync(page, "the home page");
            await Browser.ScreenshotAsync(page, $"public-home-zh-{name}");

            await page.GotoAsync($"/campaigns/{campaignId}/dashboard");
            await page.Locator("#chart-units canvas").WaitForAsync();
            await page.Locator("#chart-types canvas").WaitForAsync();
            // On a phone: two ticks on the hours axis, unit names shortened, pie names in a legend and not beside the slices.
            var units = await page.EvaluateAsync<JsonElement>("""
                () => { const o = echarts.getInstanceByDom(document.getElementById('chart-units')).getOption();
                        const p = echarts.getInstanceByDom(document.getElementById('chart-types')).getOption();
                        return { ticks: o.xAxis[0].splitNumber, legend: p.legend.length > 0 && p.legend[0].show !== false, inside: p.series[0].label.position === 'inside' }; }
                """);
            Assert.Equal(width < 520 ? 2 : 5, units.GetProperty("ticks").GetInt32());
            Assert.True(units.GetProperty("legend").GetBoolean());
            Assert.Equal(width < 520, units.GetProperty("inside").GetBoolean());
            await AssertNoSidewaysScrollAsync(page, "the dashboard");
            await Browser.ScreenshotAsync(page, $"public-dashboard-zh-{name}");

            await page.GotoAsync(trackingLink);
            await page.Locator("#order-steps").WaitForAsync();
            Assert.Equal("accepted", await page.GetAttributeAsync("#order-steps li[aria-current=step]", "data-step"));
            Assert.Equal("0758-2222333", await page.InnerTextAsync("#order-contact-phone"));
            Assert.Equal("梁*姐", await page.InnerTextAsync("#order-citizen"));
            var text = await page.InnerTextAsync("main");
            Assert.DoesNotContain("ZY0", text);
            Assert.DoesNotContain("admin", text);
            await AssertNoSidewaysScrollAsync(page, "the tracking page");
            await Browser.ScreenshotAsync(page, $"order-tracking-zh-{name}");
            await page.CloseAsync();
        }
    }
}
