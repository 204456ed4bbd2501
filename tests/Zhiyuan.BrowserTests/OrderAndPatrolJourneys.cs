using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using SkiaSharp;
using Zhiyuan.Tests.ServicePosts;
using Zhiyuan.Tests.Volunteers;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.BrowserTests;

public sealed class OrderAndPatrolJourneys
{
    [BrowserFact]
    public async Task ACitizenOnAPhoneOrdersDoorToDoorHelpTheUnitDispatchesTheOrganisationAssignsAndTheCitizenRatesIt()
    {
        await using var browser = await Browser.StartAsync();
        var app = browser.App;
        using var city = await app.ApiClientAsync();
        var host = await OrganizationAsync(city);
        var members = await app.MembersAsync(city, host, 2);
        using var orgAdminApi = await app.OrganizationAdminAsync(city, host, members[0].Number);
        await OrderScenario.MenuAsync(orgAdminApi, host);

        // 点单: a citizen on a phone, not signed in, finds the service from the home page.
        var phone = await browser.NewPageAsync(width: 375, height: 812);
        await phone.GotoAsync("/");
        await phone.ClickAsync("#home-services >> text=独居老人上门陪护");
        await phone.FillAsync("#order-name", "李阿姨");
        await phone.FillAsync("#order-phone", "13702260001");
        await phone.FillAsync("#order-address", "肇庆市端州区天宁北路 12 号");
        await phone.FillAsync("#order-start", InDays(2, 10).ToString("yyyy-MM-ddTHH:mm"));
        await phone.FillAsync("#order-end", InDays(2, 12).ToString("yyyy-MM-ddTHH:mm"));
        await phone.FillAsync("#order-notes", "行动不便，需要帮忙买菜");
        await phone.ClickAsync("#send-code");
        await phone.Locator("#code-sent").WaitForAsync();
        Assert.Equal("李阿姨", await phone.InputValueAsync("#order-name"));
        await phone.FillAsync("#order-code", app.CodeFor("13702260001"));
        await Browser.ScreenshotAsync(phone, "order-form-zh-phone");
        Assert.True(await phone.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), "the order form scrolls sideways on a phone");
        await phone.ClickAsync("#place-order");
        await phone.WaitForURLAsync("**placed=1");
        await phone.Locator("#order-placed").WaitForAsync();
        var trackingUrl = phone.Url.Replace("&placed=1", "");
        Assert.Equal("点单", await phone.InnerTextAsync("#order-stage"));
        Assert.True(await phone.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"));
        await Browser.ScreenshotAsync(phone, "order-placed-zh-phone");

        // 派单: the city centre sends it to the organisation.
        var centre = await browser.NewPageAsync();
        await SignInAsync(centre, "admin", Zhiyuan.Tests.TestApp.AdminPassword);
        await centre.GotoAsync("/orders");
        await centre.ClickAsync("#order-list >> text=独居老人上门陪护");
        await centre.SelectOptionAsync("#dispatch-organization", host.ToString());
        await centre.ClickAsync("#dispatch-order");
        await centre.Locator("#order-done").WaitForAsync();
        Assert.Equal("派单", await centre.InnerTextAsync("#order-stage"));
        var manageUrl = centre.Url;

        // 接单: the organisation's administrator assigns a volunteer.
        var organiser = await browser.NewPageAsync();
        await SignInAsync(organiser, members[0].Number, People.Password);
        await organiser.GotoAsync(manageUrl);
        await organiser.FillAsync("#accept-volunteers", members[1].Number);
        await organiser.ClickAsync("#accept-order");
        await organiser.Locator("#order-done").WaitForAsync();
        Assert.Equal("接单", await organiser.InnerTextAsync("#order-stage"));
        await Browser.ScreenshotAsync(organiser, "order-accepted-zh-desktop");

        // After the service time the organisation completes it; the volunteer's hours are in the ledger.
        app.Clock.Advance(TimeSpan.FromDays(3));
        // Three days on, the sign-in has run out: sign in again.
        await SignInAsync(organiser, members[0].Number, People.Password);
        await organiser.GotoAsync(manageUrl);
        await organiser.ClickAsync("#complete-order");
        await organiser.Locator("#order-done").WaitForAsync();
        using var volunteerApi = await app.ApiClientAsync(members[1].Number, People.Password);
        var record = await (await volunteerApi.GetAsync("/api/volunteers/me/record")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(120, record.GetProperty("totalMinutes").GetInt32());

        // 评单: the citizen comes back by the link and rates it.
        await phone.GotoAsync(trackingUrl);
        await phone.CheckAsync("#rating-5");
        await phone.FillAsync("#rating-comment", "志愿者很耐心，谢谢！");
        await phone.ClickAsync("#rate");
        await phone.Locator("#order-done").WaitForAsync();
        Assert.Equal("评单", await phone.InnerTextAsync("#order-stage"));
        Assert.True(await phone.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"));
        await Browser.ScreenshotAsync(phone, "order-rated-zh-phone");

        await SignInAsync(centre, "admin", Zhiyuan.Tests.TestApp.AdminPassword);
        await centre.GotoAsync("/orders");
        await centre.Locator("#order-figures").WaitForAsync();
        await Browser.ScreenshotAsync(centre, "orders-figures-zh-desktop");
    }

    [BrowserFact]
    public async Task APatrolVolunteerFilesAFindingWithAPhotoTheDepartmentAnswersAndThePatrolClosesIt()
    {
        await using var browser = await Browser.StartAsync();
        var app = browser.App;
        using var city = await app.ApiClientAsync();
        var host = await OrganizationAsync(city, "市民志愿巡访团");
        var members = await app.MembersAsync(city, host, 2);
        var department = await (await city.PostAsJsonAsync("/api/departments", new { name = "市公安局交警支队", unitCode = "441200" })).Content.ReadFromJsonAsync<JsonElement>();
        await city.PostAsJsonAsync("/api/accounts", new { userName = "jiaojing", displayName = "交警支队联络员", password = "Liaison-pass-2019", role = "DepartmentLiaison", unitCode = "441200" });
        await city.PostAsJsonAsync($"/api/departments/{department.GetProperty("id").GetGuid()}/liaisons", new { userName = "jiaojing" });
        var team = await (await city.PostAsJsonAsync("/api/patrols/teams",
            new { organizationId = host, name = "端州巡访一队", isRiverTeam = false, volunteerNumbers = members.Select(m => m.Number).ToArray() })).Content.ReadFromJsonAsync<JsonElement>();
        var start = DateTimeOffset.UtcNow.AddMinutes(-30);
        await city.PostAsJsonAsync("/api/patrols/rounds", new { teamId = team.GetProperty("id").GetGuid(), mode = "Open", area = "天宁北路公交站", startsAt = start, endsAt = start.AddHours(3) });

        // A patrol volunteer on a phone files a finding with a photo.
        var phone = await browser.NewPageAsync(width: 375, height: 812);
        await SignInAsync(phone, members[1].Number, People.Password);
        await phone.GotoAsync("/patrols");
        await phone.ClickAsync("#round-list >> text=天宁北路公交站");
        await phone.FillAsync("#finding-place", "天宁北路公交站");
        await phone.SelectOptionAsync("#finding-category", "PublicFacilities");
        await phone.FillAsync("#finding-description", "候车亭顶棚破损，雨天漏水");
        await phone.FillAsync("#finding-suggestion", "更换顶棚");
        await phone.SetInputFilesAsync("#finding-photos", new FilePayload { Name = "IMG_0001.jpg", MimeType = "image/jpeg", Buffer = Jpeg(SKColors.SteelBlue) });
        Assert.True(await phone.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), "the finding form scrolls sideways on a phone");
        await Browser.ScreenshotAsync(phone, "finding-form-zh-phone");
        await phone.ClickAsync("#file-finding");
        await phone.WaitForURLAsync("**/patrols/findings/**");
        await phone.Locator("#finding-done").WaitForAsync();
        Assert.Equal("待答复", await phone.InnerTextAsync("#finding-status"));
        Assert.Equal(1, await phone.Locator("#problem-photos img").CountAsync());
        var findingUrl = phone.Url.Split('?')[0];

        // The department's liaison answers with the rectification and a photo.
        var liaison = await browser.NewPageAsync();
        await SignInAsync(liaison, "jiaojing", "Liaison-pass-2019");
        await liaison.GotoAsync("/patrols");
        await liaison.ClickAsync("#finding-list >> text=天宁北路公交站");
        await liaison.FillAsync("#answer-text", "顶棚已于当日更换");
        await liaison.SetInputFilesAsync("#answer-photos", new FilePayload { Name = "fixed.jpg", MimeType = "image/jpeg", Buffer = Jpeg(SKColors.SeaGreen) });
        await liaison.ClickAsync("#send-answer");
        await liaison.Locator("#finding-done").WaitForAsync();
        Assert.Equal("已答复待核实", await liaison.InnerTextAsync("#finding-status"));
        await Browser.ScreenshotAsync(liaison, "finding-answered-zh-desktop");

        // The patrol checks it and closes it.
        await phone.GotoAsync(findingUrl);
        await phone.FillAsync("#verify-comment", "现场核实已修好");
        await phone.ClickAsync("#close-finding");
        await phone.Locator("#finding-done").WaitForAsync();
        Assert.Equal("已办结", await phone.InnerTextAsync("#finding-status"));
        Assert.Equal(1, await phone.Locator("#rectification-photos img").CountAsync());
        Assert.True(await phone.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"));
        await Browser.ScreenshotAsync(phone, "finding-closed-zh-phone");
    }

    static byte[] Jpeg(SKColor colour)
    {
        using var bitmap = new SKBitmap(320, 240);
        bitmap.Erase(colour);
        using var image = SKImage.FromBitmap(bitmap);
        return image.Encode(SKEncodedImageFormat.Jpeg, 80).ToArray();
    }

    static async Task SignInAsync(IPage page, string userName, string password)
    {
        await page.GotoAsync("/account/sign-in");
        await page.FillAsync("#userName", userName);
        await page.FillAsync("#password", password);
        await page.ClickAsync("#sign-in");
        await page.WaitForURLAsync(url => !url.Contains("/account/sign-in"));
    }
}
