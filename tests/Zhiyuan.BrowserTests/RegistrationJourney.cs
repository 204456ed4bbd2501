using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Zhiyuan.Tests.Volunteers;

namespace Zhiyuan.BrowserTests;

public sealed class RegistrationJourney
{
    [BrowserFact]
    public async Task OnAPhoneAVisitorRegistersOpensTheCertificatesQrLinkAndJoinsAnOrganisation()
    {
        await using var browser = await Browser.StartAsync();
        // An approved organisation in 端州区 whose administrator is one of its volunteers.
        using var city = await browser.App.ApiClientAsync();
        var organization = await (await city.PostAsJsonAsync("/api/organizations", new { name = "端州区青年志愿者协会", unitCode = "441202" })).Content.ReadFromJsonAsync<JsonElement>();
        var organizationId = organization.GetProperty("id").GetString();
        await browser.App.RegisterAsync("陈队长", People.ResidentId(1985, 11), "13600000001");
        using (var leaderApi = await browser.App.ApiClientAsync("13600000001", People.Password))
        {
            await leaderApi.PostAsync($"/api/organizations/{organizationId}/applications", null);
        }
        await city.PostAsJsonAsync($"/api/organizations/{organizationId}/members/ZY00000001/decision", new { approve = true });
        await city.PostAsJsonAsync($"/api/organizations/{organizationId}/admins", new { volunteerNumber = "ZY00000001" });

        var phone = await browser.NewPageAsync(width: 375, height: 812);
        await phone.GotoAsync("/");
        await phone.ClickAsync("#nav-register");
        await phone.WaitForURLAsync("**/volunteers/register");
        await phone.FillAsync("#name", "林小雨");
        await phone.FillAsync("#documentNumber", People.ResidentId(2000, 124).ToLowerInvariant());
        await phone.FillAsync("#mobile", "13912345678");
        await phone.SelectOptionAsync("#unitCode", "441202");
        await phone.FillAsync("#skills", "摄影");
        await phone.CheckAsync("input[name='Input.Lines[Ecology]']");
        await phone.FillAsync("#password", People.Password);
        // No text-message gateway here: the page says the mobile will not be verified, and asks for no code.
        Assert.Contains("未配置短信服务", await phone.InnerTextAsync("#mobile-not-verified"));
        Assert.Equal(0, await phone.Locator("#send-code").CountAsync());
        await Browser.ScreenshotAsync(phone, "register-zh-phone");
        Assert.True(await phone.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"));
        await phone.ClickAsync("#register");

        await phone.WaitForURLAsync("**/me?registered=1");
        Assert.Contains("ZY00000002", await phone.InnerTextAsync("#registered"));
        Assert.Equal("139****5678", await phone.InnerTextAsync("#my-mobile"));
        Assert.Equal("未验证", await phone.InnerTextAsync("#my-mobile-state"));
        await Browser.ScreenshotAsync(phone, "me-zh-phone");

        await phone.ClickAsync("#certificate-link");
        await phone.WaitForURLAsync("**/me/certificate");
        await phone.Locator("#certificate-qr").WaitForAsync();
        Assert.True(await phone.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"));
        await Browser.ScreenshotAsync(phone, "certificate-zh-phone");
        // What a second phone's camera would read off this screen.
        var qrUrl = await Browser.ReadQrCodeAsync(phone.Locator("#certificate-qr"));
        Assert.StartsWith(browser.BaseAddress + "/verify/", qrUrl);

        var verifier = await browser.NewPageAsync(width: 375, height: 812);
        await verifier.GotoAsync(qrUrl);
        Assert.Contains("真实有效", await verifier.InnerTextAsync("#verify-result"));
        Assert.Contains("林*雨", await verifier.InnerTextAsync("main"));
        await Browser.ScreenshotAsync(verifier, "verify-zh-phone");

        await phone.GotoAsync($"/organizations/{organizationId}");
        await phone.ClickAsync("#apply");
        await phone.Locator("#organization-done").WaitForAsync();
        Assert.Equal("待审核", await phone.InnerTextAsync("#my-membership"));

        var leader = await browser.NewPageAsync(width: 375, height: 812);
        await leader.GotoAsync("/account/sign-in");
        await leader.FillAsync("#userName", "ZY00000001");
        await leader.FillAsync("#password", People.Password);
        await leader.ClickAsync("#sign-in");
        await leader.WaitForURLAsync("**/workbench");
        await leader.GotoAsync($"/organizations/{organizationId}");
        Assert.Contains("林小雨", await leader.InnerTextAsync("#application-list"));
        Assert.DoesNotContain("13912345678", await leader.ContentAsync());
        await Browser.ScreenshotAsync(leader, "organization-members-zh-phone");
        await leader.ClickAsync("#approve-ZY00000002");
        await leader.Locator("#organization-done").WaitForAsync();
        Assert.Contains("林小雨", await leader.InnerTextAsync("#member-list"));

        await phone.GotoAsync("/me");
        Assert.Contains("已加入", await phone.InnerTextAsync("#my-organizations"));
    }

    [BrowserFact]
    public async Task AnAdministratorImportsAFileFixesTheBadRowSearchesAndSeesAFullNumberWithAReason()
    {
        await using var browser = await Browser.StartAsync();
        var page = await browser.NewPageAsync(locale: "en");
        await page.GotoAsync("/account/sign-in");
        await page.FillAsync("#userName", "admin");
        await page.FillAsync("#password", Zhiyuan.Tests.TestApp.AdminPassword);
        await page.ClickAsync("#sign-in");
        await page.WaitForURLAsync("**/workbench");

        var good = People.ResidentId(1988, 301);
        var file = Path.Combine(Path.GetTempPath(), $"import-{Guid.NewGuid():N}.csv");
        await File.WriteAllTextAsync(file, $"姓名,证件类型,证件号码,手机号码\n周杰,居民身份证,{good},13755556666\n吴敏,居民身份证,110105194912310021,13755557777\n");
        await page.GotoAsync("/volunteers/import");
        await page.SetInputFilesAsync("#import-file", file);
        await page.ClickAsync("#import");
        await page.Locator("#import-errors").WaitForAsync();
        Assert.Contains("check character", await page.InnerTextAsync("#import-errors"));
        Assert.Equal(0, await browser.App.WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.CountAsync(db.Volunteers)));
        await Browser.ScreenshotAsync(page, "import-errors-en-desktop");
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#import-errors-download"));
        Assert.Contains("3,\"证件号码\"", await File.ReadAllTextAsync(await download.PathAsync()));

        await File.WriteAllTextAsync(file, $"姓名,证件类型,证件号码,手机号码\n周杰,居民身份证,{good},13755556666\n吴敏,居民身份证,{People.ResidentId(1989, 302)},13755557777\n");
        await page.SetInputFilesAsync("#import-file", file);
        await page.ClickAsync("#import");
        await page.Locator("#import-result.success").WaitForAsync();
        File.Delete(file);

        await page.GotoAsync("/volunteers");
        await page.FillAsync("#volunteer-search", "6666");
        await page.PressAsync("#volunteer-search", "Enter");
        await page.WaitForURLAsync("**/volunteers?q=6666");
        Assert.Contains("137****6666", await page.InnerTextAsync("#volunteer-list"));
        await Browser.ScreenshotAsync(page, "volunteers-en-desktop");
        await page.ClickAsync("#volunteer-list >> text=ZY00000001");
        await page.WaitForURLAsync("**/volunteers/ZY00000001");
        Assert.DoesNotContain(good, await page.ContentAsync());
        await page.FillAsync("#reveal-reason", "Insurance check");
        await page.ClickAsync("#reveal");
        await page.Locator("#revealed").WaitForAsync();
        Assert.Contains(good, await page.InnerTextAsync("#revealed"));
        await Browser.ScreenshotAsync(page, "volunteer-revealed-en-desktop");
    }
}
