using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Tests.Campaigns;
using Zhiyuan.Tests.Volunteers;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Platform;

static class LocationExtensions
{
    /// <summary>The path and query of a redirect, absolute or not.</summary>
    public static string PathAndQuery(this Uri location) => location.IsAbsoluteUri ? location.PathAndQuery : location.OriginalString;
}

/// <summary>The small things people notice: what a page says when there is nothing, who signed a note, when sign-up opens, where an error is shown.</summary>
public sealed class PageDetailsTests : AppTest
{
    [Fact]
    public async Task AnUnknownCertificateCodeAnswersNoSuchCertificateWithAFormToTryAgain()
    {
        using var anonymous = app.PageClient();
        var page = await anonymous.GetPageAsync("/verify?code=BAD");
        Assert.Contains("查无此证", page.QuerySelector("#verify-result")!.TextContent);
        Assert.Equal("BAD", page.QuerySelector("form[action='/verify'] input[name=code]")!.GetAttribute("value"));
        // A real certificate's code goes on to its verification page.
        var (number, volunteer) = (await app.VolunteersAsync(1))[0];
        volunteer.Dispose();
        var code = await app.WithDbAsync(db => db.Volunteers.Where(v => v.Number == number).Select(v => v.CertificateCode).SingleAsync());
        var redirect = await anonymous.GetAsync("/verify?code=" + code);
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        Assert.EndsWith("/verify/" + code, redirect.Headers.Location!.ToString());
    }

    [Fact]
    public async Task TheSignInPageLinksToRegistrationAndRegisteringFromAnActivityComesBackToIt()
    {
        using var city = await app.ApiClientAsync();
        var activity = await PublishedAsync(city, Activity(await OrganizationAsync(city), InDays(5)));
        var activityUrl = "/activities/" + activity.GetProperty("id").GetGuid();

        using var browser = app.PageClient();
        var detail = await browser.GetPageAsync(activityUrl);
        var signIn = detail.QuerySelector($"a[href^='/account/sign-in?returnUrl=']")!.GetAttribute("href")!;
        var signInPage = await browser.GetPageAsync(signIn);
        var register = signInPage.QuerySelector("#register-link")!.GetAttribute("href")!;
        Assert.Equal("/volunteers/register?returnUrl=" + Uri.EscapeDataString(activityUrl), register);
        // Only local addresses are carried along: no open redirect.
        var foreign = await browser.GetPageAsync("/account/sign-in?returnUrl=" + Uri.EscapeDataString("https://evil.example/"));
        Assert.Equal("/volunteers/register", foreign.QuerySelector("#register-link")!.GetAttribute("href"));
        var protocolRelative = await browser.GetPageAsync("/account/sign-in?returnUrl=" + Uri.EscapeDataString("//evil.example/"));
        Assert.Equal("/volunteers/register", protocolRelative.QuerySelector("#register-link")!.GetAttribute("href"));

        var form = await browser.GetPageAsync(register);
        var response = await browser.PostFormAsync(register, form, "register",
            ("Input.Name", "李明"), ("Input.DocumentType", "ResidentId"), ("Input.DocumentNumber", People.ResidentId(1990)),
            ("Input.Mobile", "13812345678"), ("Input.UnitCode", "441202"), ("Input.Lines[CivilisedCity]", "on"), ("Input.Password", "Volunteer-2019"));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(activityUrl, response.Headers.Location!.PathAndQuery());
        // Signed in on arrival: the activity offers 报名 now.
        var back = await browser.GetPageAsync(activityUrl);
        Assert.NotNull(back.QuerySelector("button[id^='signup-']"));

        // A foreign return address after registering goes to the volunteer's own page instead.
        using var other = app.PageClient();
        var evil = "/volunteers/register?returnUrl=" + Uri.EscapeDataString("https://evil.example/");
        var evilForm = await other.GetPageAsync(evil);
        var evilResponse = await other.PostFormAsync(evil, evilForm, "register",
            ("Input.Name", "王芳"), ("Input.DocumentType", "ResidentId"), ("Input.DocumentNumber", People.ResidentId(1991)),
            ("Input.Mobile", "13812345679"), ("Input.UnitCode", "441202"), ("Input.Lines[CivilisedCity]", "on"), ("Input.Password", "Volunteer-2019"));
        Assert.Equal("/me?registered=1", evilResponse.Headers.Location!.PathAndQuery());
    }

    [Fact]
    public async Task BeforeSignUpOpensTheActivityShowsWhenItOpensInsteadOfASignUpButton()
    {
        using var city = await app.ApiClientAsync();
        var opens = InDays(3, 9).AddMinutes(30);
        var activity = await PublishedAsync(city, Activity(await OrganizationAsync(city), InDays(10)) with { SignUpOpensAt = opens });
        using var browser = app.PageClient();
        await browser.SignInAsync("admin", TestApp.AdminPassword);
        var page = await browser.GetPageAsync("/activities/" + activity.GetProperty("id").GetGuid());
        var session = SessionId(activity);
        Assert.Null(page.QuerySelector($"#signup-{session}"));
        var china = opens.ToOffset(China);
        Assert.Equal($"{china.Month}月{china.Day}日 09:30 开始报名", page.QuerySelector($"#signup-opens-{session}")!.TextContent.Trim());
    }

    [Fact]
    public async Task AReturnedReportIsSignedWithTheReviewersNameAndUnitAndStatusTagsAreColouredByMeaning()
    {
        var data = await CampaignData.CreateAsync(app);
        using (var city = await app.ApiClientAsync())
        {
            Assert.Equal(HttpStatusCode.OK, (await city.PostAsJsonAsync("/api/accounts",
                new { userName = "wangsh", displayName = "王审核", password = "Unit-admin-2019", role = "UnitAdmin", unitCode = "441202" })).StatusCode);
        }
        await app.CreateUnitAdminAsync("town", CampaignData.Town);
        app.Clock.Offset = new DateTimeOffset(2019, 3, 7, 20, 0, 0, China) - DateTimeOffset.UtcNow;
        var report = $"/api/campaigns/{data.CampaignId}/reports/{CampaignData.Town}/1";
        using (var town = await app.ApiClientAsync("town", "Unit-admin-2019"))
        {
            await OkAsync(await town.PostAsJsonAsync(report + "/submit", new { contactName = "李干事", contactPhone = "0758-2230000" }));
        }
        using var browser = app.PageClient();
        await browser.SignInAsync("town", "Unit-admin-2019");
        var submitted = await browser.GetPageAsync($"/campaigns/{data.CampaignId}/reports/{CampaignData.Town}/1");
        Assert.Contains("warning", submitted.QuerySelector("#report-status")!.ClassList);
        Assert.Contains("success", submitted.QuerySelector("#report-timeliness")!.ClassList);

        using (var reviewer = await app.ApiClientAsync("wangsh", "Unit-admin-2019"))
        {
            await OkAsync(await reviewer.PostAsJsonAsync(report + "/return", new { comment = "请补充照片" }));
        }
        var returned = await browser.GetPageAsync($"/campaigns/{data.CampaignId}/reports/{CampaignData.Town}/1");
        var note = returned.QuerySelector("#review-comment")!.TextContent;
        Assert.Contains("王审核（端州区）", note);
        Assert.DoesNotContain("wangsh", note);
        Assert.Contains("warning", returned.QuerySelector("#report-status")!.ClassList);
    }

    [Fact]
    public async Task ATypedInRowsErrorIsShownUnderItsOwnFieldAndTheEnglishTableTranslatesItsHeadings()
    {
        var data = await CampaignData.CreateAsync(app);
        await app.CreateUnitAdminAsync("duanzhou", "441202");
        app.Clock.Offset = new DateTimeOffset(2019, 3, 7, 20, 0, 0, China) - DateTimeOffset.UtcNow;
        var url = $"/campaigns/{data.CampaignId}/reports/441202/1";
        using var browser = app.PageClient();
        await browser.SignInAsync("duanzhou", "Unit-admin-2019");
        var page = await browser.GetPageAsync(url);
        var response = await browser.PostFormAsync(url, page, "activity-row", ("name", "线下植树"), ("personTimes", "4"), ("hours", "十小时"));
        var after = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        // The message sits in the hours field's own label, not after the last field; the media form shows nothing.
        var error = after.QuerySelector("#activity-row-form .field-error[data-field=hours]")!;
        Assert.NotNull(error.ParentElement!.QuerySelector("#row-hours"));
        Assert.Empty(after.QuerySelectorAll("#media-row-form .field-error"));
        Assert.Equal("线下植树", after.QuerySelector("#row-name")!.GetAttribute("value"));
        // Hours with two decimals in the table.
        // 端州区 in week 1: 西江清洁 (120 minutes) and the town's 社区普法 (120).
        Assert.Equal("4.00", after.QuerySelector("#report-total th:nth-child(7)")!.TextContent.Trim());

        using var english = app.PageClient(language: "en");
        await english.SignInAsync("duanzhou", "Unit-admin-2019");
        var en = await english.GetPageAsync(url);
        var tables = en.QuerySelector("#report-table")!.TextContent + en.QuerySelector("#media-table")!.TextContent;
        Assert.DoesNotContain("序号", tables);
        Assert.DoesNotContain("合计", tables);
        Assert.Contains("Total", tables);
        Assert.Contains("Media coverage", en.Body!.TextContent);
        Assert.DoesNotContain("媒体宣传情况", en.Body!.TextContent);
    }
}
