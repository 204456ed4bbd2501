using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using AngleSharp.Html.Parser;
using Microsoft.EntityFrameworkCore;
using SkiaSharp;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Recognition;

public sealed class CommendationAndPartnerTests : AppTest
{
    static MultipartFormDataContent Photo(byte[] bytes)
    {
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        return new MultipartFormDataContent { { file, "photo", "story.jpg" } };
    }

    static byte[] Jpeg()
    {
        using var bitmap = new SKBitmap(64, 48);
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.OrangeRed);
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
        return data.ToArray();
    }

    [Fact]
    public async Task ACityRoundTakesNominationsFromCountiesPutsThemOnNoticeAndPublishesTheAwardedStories()
    {
        using var city = await app.ApiClientAsync();
        var round = await OkAsync(await city.PostAsJsonAsync("/api/commendations", new
        {
            name = "2019年度肇庆市最美志愿者", kind = "MostBeautifulVolunteer", criteria = "服务时长 300 小时以上，事迹突出", nominationsCloseAt = DateTimeOffset.UtcNow.AddDays(10),
        }));
        var roundId = round.GetProperty("id").GetGuid();
        await Pages.AssertFieldErrorAsync(await city.PostAsJsonAsync("/api/commendations", new { name = "", kind = "MostBeautifulVolunteer", criteria = "", nominationsCloseAt = DateTimeOffset.UtcNow.AddDays(-1) }),
            "nominationsCloseAt", "");

        var volunteer = (await app.VolunteersAsync(1))[0];
        await app.CreateUnitAdminAsync("duanzhou", "441202");
        await app.CreateUnitAdminAsync("dinghu", "441203");
        using var dinghu = await app.ApiClientAsync("dinghu", "Unit-admin-2019");
        // 鼎湖 cannot nominate 端州's volunteer.
        await Pages.AssertFieldErrorAsync(await dinghu.PostAsJsonAsync($"/api/commendations/{roundId}/nominations", new { volunteerNumber = volunteer.Number, reason = "事迹突出" }),
            "volunteerNumber", volunteer.Number);
        using var duanzhou = await app.ApiClientAsync("duanzhou", "Unit-admin-2019");
        var nominated = await OkAsync(await duanzhou.PostAsJsonAsync($"/api/commendations/{roundId}/nominations", new
        {
            volunteerNumber = volunteer.Number, reason = "三年坚持河小青巡河", story = "每周六清晨，她带着队员沿西江巡河，三年从未间断。",
        }));
        var nomination = Assert.Single(nominated.GetProperty("nominations").EnumerateArray());
        var nominationId = nomination.GetProperty("id").GetGuid();
        Assert.DoesNotContain("志愿者100", nomination.GetProperty("subjectName").GetString());
        await Pages.AssertFieldErrorAsync(await duanzhou.PostAsJsonAsync($"/api/commendations/{roundId}/nominations", new { volunteerNumber = volunteer.Number, reason = "再次推荐" }), "round", "已被推荐");
        await OkAsync(await duanzhou.PostAsync($"/api/commendations/nominations/{nominationId}/photos", Photo(Jpeg())));
        await Pages.AssertFieldErrorAsync(await duanzhou.PostAsync($"/api/commendations/nominations/{nominationId}/photos", Photo("<html>not a photo</html>"u8.ToArray())), "photo", "");
        // Only the round's unit reviews.
        Assert.Equal(HttpStatusCode.NotFound, (await duanzhou.PostAsJsonAsync($"/api/commendations/nominations/{nominationId}/review", new { action = "notice" })).StatusCode);
        await OkAsync(await city.PostAsJsonAsync($"/api/commendations/nominations/{nominationId}/review", new { action = "notice" }));

        using var anonymous = app.CreateClient();
        var notice = Assert.Single(await anonymous.GetFromJsonAsync<JsonElement[]>("/api/notices") ?? []);
        Assert.Equal("nomination", notice.GetProperty("kind").GetString());
        await Pages.AssertFieldErrorAsync(await city.PostAsync($"/api/commendations/nominations/{nominationId}/award", null), "nomination", "公示期到");
        app.Clock.Advance(TimeSpan.FromDays(8));
        using var cityLater = await app.ApiClientAsync();
        await OkAsync(await cityLater.PostAsync($"/api/commendations/nominations/{nominationId}/award", null));

        var honours = await anonymous.GetFromJsonAsync<JsonElement>("/api/honours");
        var honour = Assert.Single(honours.GetProperty("commendations").EnumerateArray());
        Assert.Contains("三年从未间断", honour.GetProperty("story").GetString());
        var photoId = honour.GetProperty("photoIds")[0].GetGuid();
        Assert.Equal("image/jpeg", (await anonymous.GetAsync($"/honours/photos/{photoId}")).Content.Headers.ContentType?.MediaType);
        var page = new HtmlParser().ParseDocument(await anonymous.GetStringAsync("/honours"));
        Assert.Contains("三年从未间断", page.QuerySelector($"#honour-{nominationId}")!.TextContent);
    }

    [Fact]
    public async Task APartnersStaffSeeTheStarLevelAndTheBenefitsThatApplyAndNothingMore()
    {
        using var city = await app.ApiClientAsync();
        var today = DateOnly.FromDateTime(DateTime.UtcNow.AddHours(8));
        await Pages.AssertFieldErrorAsync(await city.PostAsJsonAsync("/api/partners", new { name = "鼎湖山景区", validFrom = today, validTo = today.AddDays(-1), benefits = Array.Empty<object>() }),
            "validTo", "");
        var partner = await OkAsync(await city.PostAsJsonAsync("/api/partners", new
        {
            name = "鼎湖山景区", kind = "景区", address = "肇庆市鼎湖区坑口街", validFrom = today.AddDays(-1), validTo = today.AddYears(1),
            benefits = new[] { new { minStarLevel = 1, description = "门票八折" }, new { minStarLevel = 3, description = "免门票" } },
        }));
        var staffPath = partner.GetProperty("staffPath").GetString()!;
        var key = staffPath.Split('/').Last();
        using var anonymous = app.CreateClient();
        Assert.Equal("鼎湖山景区", Assert.Single(await anonymous.GetFromJsonAsync<JsonElement[]>("/api/partners") ?? []).GetProperty("name").GetString());

        // A volunteer with one star.
        var volunteer = (await app.VolunteersAsync(1))[0];
        await app.WithDbAsync(async db => await db.Volunteers.Where(v => v.Number == volunteer.Number).ExecuteUpdateAsync(v => v.SetProperty(x => x.StarLevel, 1)));
        var code = (await OkAsync(await volunteer.Client.GetAsync("/api/volunteers/me/certificate"))).GetProperty("verifyPath").GetString()!.Split('/').Last();

        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/partners/check/{code}");
        request.Headers.Add("X-Partner-Key", key);
        var check = await OkAsync(await anonymous.SendAsync(request));
        Assert.Equal(new[] { "benefits", "certificateValid", "partnerName", "starLevel" }, check.EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal(1, check.GetProperty("starLevel").GetInt32());
        Assert.Equal(["门票八折"], check.GetProperty("benefits").EnumerateArray().Select(b => b.GetString()));
        // Without the staff key, or with a forged code: not found, the same answer.
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync($"/api/partners/check/{code}")).StatusCode);
        var forged = new HttpRequestMessage(HttpMethod.Get, $"/api/partners/check/{code[..^1]}{(code[^1] == 'A' ? 'B' : 'A')}");
        forged.Headers.Add("X-Partner-Key", key);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.SendAsync(forged)).StatusCode);

        // The staff phone opens the staff link once; scanning a certificate then shows the partner view only.
        using var staff = app.PageClient();
        await staff.GetPageAsync(staffPath);
        var verify = await staff.GetPageAsync($"/verify/{code}");
        Assert.Equal("★", verify.QuerySelector("#partner-stars")!.TextContent);
        Assert.Equal("门票八折", verify.QuerySelector("#partner-benefits")!.TextContent);
        Assert.DoesNotContain(volunteer.Number, verify.Body!.TextContent);
        // Anyone else sees the ordinary verification (masked name, number).
        using var visitor = app.PageClient();
        Assert.Contains(volunteer.Number, (await visitor.GetPageAsync($"/verify/{code}")).Body!.TextContent);
    }
}
