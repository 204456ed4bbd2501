using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Zhiyuan.Tests.Recognition;
using Zhiyuan.Tests.Volunteers;

namespace Zhiyuan.BrowserTests;

public sealed class RecognitionJourney
{
    [BrowserFact]
    public async Task AVolunteerCrossesAHundredHoursGetsAStarAfterTheNoticeAPartnerSeesItAndTheServiceCertificateVerifies()
    {
        await using var browser = await Browser.StartAsync();
        var app = browser.App;
        using var city = await app.ApiClientAsync();
        var organization = await (await city.PostAsJsonAsync("/api/organizations", new { name = "端州区青年志愿者协会", unitCode = "441202" })).Content.ReadFromJsonAsync<JsonElement>();
        var host = organization.GetProperty("id").GetGuid();
        await app.RegisterAsync("林小雨", People.ResidentId(2000, 124), "13912345678");
        // 99 hours over the spring, then a 2-hour river clean-up in the autumn: 101 confirmed hours.
        await app.CreditAsync(host, "ZY00000001", 99, new DateTime(2026, 3, 5, 1, 0, 0, DateTimeKind.Utc), "学雷锋纪念日清洁");
        await app.CreditAsync(host, "ZY00000001", 2, new DateTime(2026, 10, 10, 1, 0, 0, DateTimeKind.Utc), "西江河畔清洁行动");

        // The city administrator reviews and puts the first star on public notice.
        var admin = await browser.NewPageAsync();
        await Browser.SignInAsync(admin, "admin", Zhiyuan.Tests.TestApp.AdminPassword, "/recognition/stars");
        Assert.Contains("101", await admin.InnerTextAsync("#eligible"));
        Assert.Contains("共 1 人", await admin.InnerTextAsync("#eligible-count"));
        // Limited to 端州 with the unit filter, the volunteer is still listed, and the decision is taken there.
        await admin.SelectOptionAsync("#unit", "441202");
        await admin.ClickAsync("#unit-filter button[type=submit]");
        await admin.WaitForURLAsync("**unit=441202**");
        Assert.Contains("101", await admin.InnerTextAsync("#eligible"));
        await admin.CheckAsync("#eligible-ZY00000001");
        await admin.ClickAsync("#start-notice");
        await admin.Locator("#stars-done").WaitForAsync();
        Assert.Contains("公示中", await admin.InnerTextAsync("#award-list tr[data-number='ZY00000001']"));
        await Browser.ScreenshotAsync(admin, "stars-notice-zh-desktop");
        Assert.Equal("441202", await admin.InputValueAsync("#unit"));

        // The same page on the administrator's phone fits the screen.
        var adminPhone = await browser.NewPageAsync(width: 375, height: 812);
        await Browser.SignInAsync(adminPhone, "admin", Zhiyuan.Tests.TestApp.AdminPassword, "/recognition/stars");
        Assert.True(await adminPhone.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"));
        await Browser.ScreenshotAsync(adminPhone, "stars-zh-phone");

        // Anyone sees the notice on a phone, the name masked.
        var phone = await browser.NewPageAsync(width: 375, height: 812);
        await phone.GotoAsync("/notices");
        Assert.Contains("林*雨", await phone.InnerTextAsync("#notice-list"));
        Assert.True(await phone.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"));
        await Browser.ScreenshotAsync(phone, "notices-zh-phone");

        // Eight days later the notice is over: the star is awarded.
        app.Clock.Advance(TimeSpan.FromDays(8));
        await Browser.SignInAsync(admin, "admin", Zhiyuan.Tests.TestApp.AdminPassword, "/recognition/stars");
        await admin.ClickAsync("#award-ZY00000001");
        await admin.Locator("#stars-done").WaitForAsync();
        Assert.Contains("已认定", await admin.InnerTextAsync("#award-list tr[data-number='ZY00000001']"));

        // The volunteer's certificate shows the star.
        await Browser.SignInAsync(phone, "13912345678", People.Password, "/me/certificate");
        Assert.Equal("★", await phone.InnerTextAsync("#certificate-stars"));
        await Browser.ScreenshotAsync(phone, "certificate-star-zh-phone");
        var certificateUrl = await Browser.ReadQrCodeAsync(phone.Locator("#certificate-qr"));

        // A scenic spot's staff phone, set up once with the partner's staff link, scans the certificate.
        var today = DateOnly.FromDateTime(DateTime.UtcNow.AddHours(8) + app.Clock.Offset);
        var partner = await (await (await app.ApiClientAsync()).PostAsJsonAsync("/api/partners", new
        {
            name = "鼎湖山景区", kind = "景区", address = "肇庆市鼎湖区", validFrom = today.AddDays(-1), validTo = today.AddYears(1),
            benefits = new[] { new { minStarLevel = 1, description = "门票八折" }, new { minStarLevel = 3, description = "免门票" } },
        })).Content.ReadFromJsonAsync<JsonElement>();
        var staff = await browser.NewPageAsync(width: 375, height: 812);
        await staff.GotoAsync(partner.GetProperty("staffPath").GetString()!);
        await staff.Locator("#partner-ready").WaitForAsync();
        await staff.GotoAsync(certificateUrl);
        Assert.Equal("★", await staff.InnerTextAsync("#partner-stars"));
        Assert.Equal("门票八折", await staff.InnerTextAsync("#partner-benefits"));
        Assert.DoesNotContain("ZY00000001", await staff.InnerTextAsync("main"));
        await Browser.ScreenshotAsync(staff, "partner-check-zh-phone");

        // The volunteer prints a service-record certificate for all time; it fits one A4 page.
        var desk = await browser.NewPageAsync();
        await Browser.SignInAsync(desk, "13912345678", People.Password, "/me/service-certificates");
        await desk.ClickAsync("#issue-certificate");
        await desk.Locator("#service-certificate").WaitForAsync();
        Assert.Equal("101.00", await desk.InnerTextAsync("#certificate-total"));
        await Browser.ScreenshotAsync(desk, "service-certificate-zh-desktop");
        var pdf = Path.Combine(Browser.ScreenshotFolder, "service-certificate-a4.pdf");
        await desk.EmulateMediaAsync(new() { Media = Media.Print });
        await desk.PdfAsync(new() { Path = pdf, Format = "A4", PrintBackground = true });
        var pdfText = System.Text.Encoding.Latin1.GetString(await File.ReadAllBytesAsync(pdf));
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(pdfText, @"/Type\s*/Page[^s]"));
        if (File.Exists("/usr/bin/pdftoppm"))
        {
            using var convert = Process.Start("/usr/bin/pdftoppm", ["-png", "-r", "60", "-singlefile", pdf, Path.Combine(Browser.ScreenshotFolder, "service-certificate-a4")])!;
            await convert.WaitForExitAsync();
            Assert.True(File.Exists(Path.Combine(Browser.ScreenshotFolder, "service-certificate-a4.png")));
        }
        await desk.EmulateMediaAsync(new() { Media = Media.Screen });

        // Its QR code verifies, for anyone, with the figures it showed.
        var recordUrl = await Browser.ReadQrCodeAsync(desk.Locator("#service-certificate-qr"));
        var visitor = await browser.NewPageAsync(width: 375, height: 812);
        await visitor.GotoAsync(recordUrl);
        Assert.Contains("真实有效", await visitor.InnerTextAsync("#record-verify-result"));
        Assert.Equal("101.00", await visitor.InnerTextAsync("#verified-total"));
        await Browser.ScreenshotAsync(visitor, "service-certificate-verified-zh-phone");
    }
}
