using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using SkiaSharp;
using Zhiyuan.Tests.Recognition;
using Zhiyuan.Tests.ServicePosts;
using Zhiyuan.Web.Activities;
using Zhiyuan.Web.Hours;
using Zhiyuan.Web.Infrastructure;
using Zhiyuan.Web.Organizations;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.PublicSite;

/// <summary>The public home page: live figures counted from the records, recruiting cards with cover photos, empty states.</summary>
public sealed class PublicHomeTests : AppTest
{
    static Task<HttpResponseMessage> UploadCoverAsync(HttpClient client, Guid activityId, byte[] bytes, string fileName = "封面.jpg", string contentType = "image/jpeg")
    {
        var content = new MultipartFormDataContent();
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        content.Add(file, "photo", fileName);
        return client.PostAsync($"/api/activities/{activityId}/cover", content);
    }

    static byte[] Png(int width, int height, SKColor colour)
    {
        using var bitmap = new SKBitmap(width, height);
        bitmap.Erase(colour);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    [Fact]
    public async Task TheHomeFiguresEqualACountOfTheRecordsWithReversalsSubtractedAndOnlyThisYearsHours()
    {
        using var city = await app.ApiClientAsync();
        var host = await OrganizationAsync(city);
        await OrganizationAsync(city, "四会市义工联合会", "441284");
        var members = await app.MembersAsync(city, host, 2);
        await PublishedAsync(city, Activity(host, InDays(3), title: "西江河畔清洁行动"));
        await PublishedAsync(city, Activity(host, InDays(4), capacity: 1, title: "敬老院探访"));
        // A draft recruits nobody.
        await OkAsync(await city.PostAsJsonAsync("/api/activities", Activity(host, InDays(5), title: "未发布的活动")));

        var year = ChinaTime.Today(app.Clock).Year;
        var thisYear = new DateTime(year, 1, 2, 1, 0, 0, DateTimeKind.Utc);
        await app.CreditAsync(host, members[0].Number, 5, thisYear, "春节慰问");
        var reversed = await app.CreditAsync(host, members[1].Number, 3, thisYear.AddDays(3), "植树");
        await app.CreditAsync(host, members[1].Number, 7, new DateTime(year - 1, 6, 1, 1, 0, 0, DateTimeKind.Utc), "去年的服务");
        // A correction reverses the three hours: the figure counts them no more.
        await app.WithDbAsync(async db =>
        {
            var entry = await db.LedgerEntries.SingleAsync(e => e.Id == reversed);
            db.LedgerEntries.Add(new LedgerEntry
            {
                VolunteerId = entry.VolunteerId, VolunteerUnitId = entry.VolunteerUnitId, SessionId = entry.SessionId, ActivityId = entry.ActivityId,
                OrganizationId = entry.OrganizationId, StartUtc = entry.StartUtc, EndUtc = entry.EndUtc, Minutes = -entry.Minutes, Kind = LedgerEntryKind.Reversal,
                ReversesEntryId = entry.Id, RecordedAtUtc = DateTime.UtcNow, RecordedBy = "test", Reason = "记录有误",
            });
            await db.SaveChangesAsync();
            return 0;
        });

        var figures = await OkAsync(await app.CreateClient().GetAsync("/api/public/figures"));
        // Counted again here, independently, from the records.
        var (volunteers, organizations, minutes) = await app.WithDbAsync(async db =>
        {
            var from = new DateTime(year, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddHours(-8);
            var entries = await db.LedgerEntries.AsNoTracking().ToListAsync();
            return (await db.Volunteers.CountAsync(), await db.Organizations.CountAsync(o => o.Status == OrganizationStatus.Approved),
                entries.Where(e => e.StartUtc >= from && e.StartUtc < from.AddYears(1)).Sum(e => (long)e.Minutes));
        });
        Assert.Equal(2, volunteers);
        Assert.Equal(volunteers, figures.GetProperty("volunteers").GetInt32());
        Assert.Equal(2, organizations);
        Assert.Equal(organizations, figures.GetProperty("organizations").GetInt32());
        Assert.Equal(5 * 60, minutes);
        Assert.Equal(minutes, figures.GetProperty("confirmedMinutesThisYear").GetInt64());
        Assert.Equal(2, figures.GetProperty("recruitingNow").GetInt32());

        var home = await app.PageClient().GetPageAsync("/");
        Assert.Equal("2", home.QuerySelector("#figure-volunteers strong")!.TextContent.Trim());
        Assert.Equal("2", home.QuerySelector("#figure-organizations strong")!.TextContent.Trim());
        Assert.Equal(HourUseCases.FormatHours(300), home.QuerySelector("#figure-hours strong")!.TextContent.Trim());
        Assert.Equal("2", home.QuerySelector("#figure-recruiting strong")!.TextContent.Trim());
        // Written for citizens, not for those who fill in the official forms.
        Assert.DoesNotContain("导出正式表格", home.Body!.TextContent);

        // Once the only place of 敬老院探访 is taken, it recruits no more.
        var full = await app.WithDbAsync(db => db.ActivitySessions.Where(s => s.Activity!.Title == "敬老院探访").Select(s => s.Id).SingleAsync());
        Assert.Equal(HttpStatusCode.OK, (await members[0].Client.SignUpAsync(full)).StatusCode);
        Assert.Equal(1, (await OkAsync(await app.CreateClient().GetAsync("/api/public/figures"))).GetProperty("recruitingNow").GetInt32());
    }

    [Fact]
    public async Task AnEmptyPlatformSaysSoOnTheHomePageAndPointsSomewhereUseful()
    {
        var home = await app.PageClient().GetPageAsync("/");
        var empty = home.QuerySelector("#home-recruiting-empty")!;
        Assert.Contains("没有正在招募", empty.TextContent);
        Assert.NotNull(empty.QuerySelector("a[href='/activities']"));
        Assert.NotNull(empty.QuerySelector("a[href='/volunteers/register']"));
        Assert.NotNull(home.QuerySelector("#home-services-empty"));
        Assert.NotNull(home.QuerySelector("#home-honour-empty"));
        Assert.Equal("0.00", home.QuerySelector("#figure-hours strong")!.TextContent.Trim());
    }

    [Fact]
    public async Task ACoverIsUploadedCleanedReplacedAndRemovedAndShownOnlyForPublicActivities()
    {
        using var city = await app.ApiClientAsync();
        var host = await OrganizationAsync(city);
        var id = (await PublishedAsync(city, Activity(host, InDays(3), title: "西江河畔清洁行动"))).GetProperty("id").GetGuid();
        using var anonymous = app.CreateClient();

        // Refused: no file, not a picture, a PNG header with garbage; nothing stored.
        var none = await city.PostAsync($"/api/activities/{id}/cover", new MultipartFormDataContent());
        var noneBody = await none.Content.ReadAsStringAsync();
        Assert.True(none.StatusCode == HttpStatusCode.BadRequest, noneBody);
        var exe = new byte[] { 0x4D, 0x5A, 0x90, 0x00 }.Concat(new byte[2000]).ToArray();
        await Pages.AssertFieldErrorAsync(await UploadCoverAsync(city, id, exe, "cover.jpg"), "photo", "不是 JPEG、PNG 或 WebP");
        var fakePng = new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }.Concat(new byte[500]).ToArray();
        await Pages.AssertFieldErrorAsync(await UploadCoverAsync(city, id, fakePng, "cover.png", "image/png"), "photo", "不是");
        Assert.Equal(0, await app.WithDbAsync(db => db.ActivityCovers.CountAsync()));
        // Someone who does not run the activity cannot set its cover.
        var outsider = (await app.VolunteersAsync(1)).Single().Client;
        Assert.Equal(HttpStatusCode.NotFound, (await UploadCoverAsync(outsider, id, Png(32, 18, SKColors.Teal), "x.png", "image/png")).StatusCode);

        // A JPEG with a GPS position in its EXIF is stored without it, and shown on the home page.
        var jpeg = Activities.ActivityTests.JpegWithExif("GPS 23.0475N 112.4655E");
        var first = await OkAsync(await UploadCoverAsync(city, id, jpeg));
        var firstUrl = first.GetProperty("url").GetString()!;
        var stored = await anonymous.GetByteArrayAsync(firstUrl);
        Assert.Equal([0xFF, 0xD8, 0xFF], stored[..3]);
        Assert.DoesNotContain("GPS 23.0475N", System.Text.Encoding.ASCII.GetString(stored));
        Assert.DoesNotContain("Exif", System.Text.Encoding.ASCII.GetString(stored));
        var home = await app.PageClient().GetPageAsync("/");
        Assert.NotNull(home.QuerySelector($"#home-recruiting img[src='{firstUrl}']"));
        Assert.Equal(firstUrl, (await app.PageClient().GetPageAsync($"/activities/{id}")).QuerySelector("#activity-cover")!.GetAttribute("src"));
        var cards = await OkAsync(await anonymous.GetAsync("/api/public/recruiting"));
        Assert.Equal(firstUrl, cards.GetProperty("cards")[0].GetProperty("coverUrl").GetString());

        // Replaced: a new address; the old one is gone; still one cover.
        var second = await OkAsync(await UploadCoverAsync(city, id, Png(160, 90, SKColors.OrangeRed), "新封面.png", "image/png"));
        var secondUrl = second.GetProperty("url").GetString()!;
        Assert.NotEqual(firstUrl, secondUrl);
        Assert.Equal(160, second.GetProperty("width").GetInt32());
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync(firstUrl)).StatusCode);
        Assert.Equal("image/png", (await anonymous.GetAsync(secondUrl)).Content.Headers.ContentType!.MediaType);
        Assert.Equal(1, await app.WithDbAsync(db => db.ActivityCovers.CountAsync()));

        // Private work never shows its cover, to anyone but those who run it, nor appears among the cards.
        await app.WithDbAsync(db => db.Activities.Where(a => a.Id == id).ExecuteUpdateAsync(a => a.SetProperty(x => x.IsPrivate, true)));
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync(secondUrl)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await outsider.GetAsync(secondUrl)).StatusCode);
        using (var manager = app.PageClient())
        {
            await manager.SignInAsync("admin", TestApp.AdminPassword);
            Assert.Equal(HttpStatusCode.OK, (await manager.GetAsync(secondUrl)).StatusCode);
        }
        home = await app.PageClient().GetPageAsync("/");
        Assert.Null(home.QuerySelector($"img[src='{secondUrl}']"));
        Assert.DoesNotContain("西江河畔清洁行动", home.Body!.TextContent);
        await app.WithDbAsync(db => db.Activities.Where(a => a.Id == id).ExecuteUpdateAsync(a => a.SetProperty(x => x.IsPrivate, false)));

        // Removed, twice: the second changes nothing; the card shows the service area instead.
        Assert.Equal(HttpStatusCode.NoContent, (await city.DeleteAsync($"/api/activities/{id}/cover")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await city.DeleteAsync($"/api/activities/{id}/cover")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await outsider.DeleteAsync($"/api/activities/{id}/cover")).StatusCode);
        Assert.Equal(0, await app.WithDbAsync(db => db.ActivityCovers.CountAsync()));
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync(secondUrl)).StatusCode);
        home = await app.PageClient().GetPageAsync("/");
        Assert.NotNull(home.QuerySelector("#home-recruiting .activity-cover.placeholder"));
        Assert.Equal(2, await app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "activity.cover")));
        Assert.Equal(1, await app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "activity.cover.remove")));
    }

    [Fact]
    public async Task TheEditPageSetsReplacesAndRemovesTheCoverAndADraftsCoverStaysPrivate()
    {
        using var city = await app.ApiClientAsync();
        var host = await OrganizationAsync(city);
        var id = (await OkAsync(await city.PostAsJsonAsync("/api/activities", Activity(host, InDays(3))))).GetProperty("id").GetGuid();
        using var browser = app.PageClient();
        await browser.SignInAsync("admin", TestApp.AdminPassword);
        var edit = await browser.GetPageAsync($"/activities/{id}/edit");
        Assert.NotNull(edit.QuerySelector("#cover-none"));

        var token = edit.QuerySelector("#cover input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
        var form = new MultipartFormDataContent { { new StringContent(token), "__RequestVerificationToken" } };
        var file = new ByteArrayContent(Png(120, 60, SKColors.SteelBlue));
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(file, "photo", "cover.png");
        var posted = await browser.PostAsync($"/activities/{id}/cover", form);
        Assert.Equal(HttpStatusCode.Redirect, posted.StatusCode);
        edit = await browser.GetPageAsync(posted.Headers.Location!.ToString());
        Assert.Contains("已保存", edit.QuerySelector("#cover-done")!.TextContent);
        var url = edit.QuerySelector("#cover-preview")!.GetAttribute("src")!;
        // The one who runs the draft sees its cover; nobody else does until it is published.
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync(url)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.CreateClient().GetAsync(url)).StatusCode);

        // A text file is refused with the reason on the page.
        token = edit.QuerySelector("#cover input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
        form = new MultipartFormDataContent { { new StringContent(token), "__RequestVerificationToken" }, { new ByteArrayContent("不是图片"u8.ToArray()), "photo", "说明.txt" } };
        posted = await browser.PostAsync($"/activities/{id}/cover", form);
        edit = await browser.GetPageAsync(posted.Headers.Location!.ToString());
        Assert.Contains("JPEG", edit.QuerySelector("#cover-error")!.TextContent);
        Assert.Equal(url, edit.QuerySelector("#cover-preview")!.GetAttribute("src"));

        token = edit.QuerySelector("#cover input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
        posted = await browser.PostAsync($"/activities/{id}/cover/removal", new FormUrlEncodedContent([new("__RequestVerificationToken", token)]));
        edit = await browser.GetPageAsync(posted.Headers.Location!.ToString());
        Assert.Contains("已删除", edit.QuerySelector("#cover-done")!.TextContent);
        Assert.NotNull(edit.QuerySelector("#cover-none"));
        Assert.Equal(0, await app.WithDbAsync(db => db.ActivityCovers.CountAsync()));
    }

    [Fact]
    public async Task TheNewActivityFormTakesAnOptionalCoverAndARefusedPictureCreatesNothing()
    {
        using var city = await app.ApiClientAsync();
        var host = await OrganizationAsync(city);
        using var browser = app.PageClient();
        await browser.SignInAsync("admin", TestApp.AdminPassword);
        var page = await browser.GetPageAsync("/activities/new");
        var start = InDays(5, 9);
        MultipartFormDataContent Form(byte[] cover, string fileName)
        {
            var form = new MultipartFormDataContent();
            var fields = new Dictionary<string, string>
            {
                ["_handler"] = "new-activity", ["__RequestVerificationToken"] = page.QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!,
                ["Input.HostOrganizationId"] = host.ToString(), ["Input.Title"] = "周末敬老院探访", ["Input.Description"] = "陪老人聊天",
                ["Input.ServiceLine"] = "PovertyRelief", ["population"] = "EmptyNestElderly", ["Input.Address"] = "肇庆市端州区", ["Input.CancelHoursBefore"] = "24", ["Input.ResponsiblePerson"] = "陈队长",
                ["Input.Sessions[0].StartsAt"] = start.ToString("yyyy-MM-ddTHH:mm"), ["Input.Sessions[0].EndsAt"] = start.AddHours(3).ToString("yyyy-MM-ddTHH:mm"),
                ["Input.Sessions[0].Capacity"] = "10",
            };
            foreach (var (name, value) in fields)
            {
                form.Add(new StringContent(value), name);
            }
            form.Add(new ByteArrayContent(cover), "cover", fileName);
            return form;
        }

        var refused = await browser.PostAsync("/activities/new", Form("MZ not a picture"u8.ToArray(), "cover.jpg"));
        var html = await refused.Content.ReadAsStringAsync();
        Assert.True(refused.StatusCode == HttpStatusCode.OK, html);
        Assert.Contains("JPEG", html);
        Assert.Equal(0, await app.WithDbAsync(db => db.Activities.CountAsync()));

        var created = await browser.PostAsync("/activities/new", Form(Png(200, 100, SKColors.Gold), "cover.png"));
        Assert.True(created.StatusCode == HttpStatusCode.Redirect, string.Join(" | ", new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await created.Content.ReadAsStringAsync())
            .QuerySelectorAll(".field-error, .errors, [role=alert]").Select(e => e.TextContent)));
        Assert.Equal(1, await app.WithDbAsync(db => db.ActivityCovers.CountAsync(c => c.Width == 200)));
    }
}
