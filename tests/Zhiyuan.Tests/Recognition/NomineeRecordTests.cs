using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Recognition;

/// <summary>The reviewer of a nomination judges the nominee by their record: confirmed hours, star and role-model story.</summary>
public sealed class NomineeRecordTests : AppTest
{
    static async Task<Guid> RoundAsync(HttpClient admin, string name) =>
        (await OkAsync(await admin.PostAsJsonAsync("/api/commendations", new
        {
            name, kind = "MostBeautifulVolunteer", criteria = "服务时长 100 小时以上，事迹突出", nominationsCloseAt = DateTimeOffset.UtcNow.AddDays(10),
        }))).GetProperty("id").GetGuid();

    static JsonElement Nomination(JsonElement round) => Assert.Single(round.GetProperty("nominations").EnumerateArray());

    [Fact]
    public async Task TheReviewerSeesTheNomineesConfirmedHoursStarAndStoryWithinTheirSubtreeOnly()
    {
        using var city = await app.ApiClientAsync();
        var host = await OrganizationAsync(city);
        var (number, _) = (await app.VolunteersAsync(1))[0];
        // 120 hours and 7 more that the organisation withdraws: 120 confirmed.
        var minutes = new List<int>();
        await app.CreditAsync(host, number, 120, DateTime.UtcNow.AddDays(-60));
        minutes.Add(120 * 60);
        var withdrawn = await app.CreditAsync(host, number, 7, DateTime.UtcNow.AddDays(-20), "社区清洁");
        await OkAsync(await city.PostAsJsonAsync($"/api/hours/entries/{withdrawn}/correction", new { reason = "重复登记" }));
        await app.WithDbAsync(db => db.Volunteers.Where(v => v.Number == number).ExecuteUpdateAsync(v => v.SetProperty(x => x.StarLevel, 1)));
        var expectedHours = Math.Round(minutes.Sum() / 60m, 2);

        // A city round: 端州 nominates its volunteer with a story; the city reviews.
        var roundId = await RoundAsync(city, "2019年度肇庆市最美志愿者");
        await app.CreateUnitAdminAsync("duanzhou", "441202");
        using var duanzhou = await app.ApiClientAsync("duanzhou", "Unit-admin-2019");
        var story = "每周六清晨，她带着队员沿西江巡河，三年从未间断。";
        await OkAsync(await duanzhou.PostAsJsonAsync($"/api/commendations/{roundId}/nominations", new { volunteerNumber = number, reason = "三年坚持河小青巡河", story }));
        var reviewed = Nomination(await OkAsync(await city.GetAsync($"/api/commendations/{roundId}")));
        Assert.DoesNotContain("志愿者100", reviewed.GetProperty("subjectName").GetString());
        Assert.Equal((expectedHours, 1, story), (reviewed.GetProperty("nomineeHours").GetDecimal(), reviewed.GetProperty("nomineeStarLevel").GetInt32(), reviewed.GetProperty("story").GetString()));
        Assert.Equal("120.00", reviewed.GetProperty("nomineeHours").GetRawText());

        // The city's page shows them beside the masked name.
        using var browser = app.PageClient();
        await browser.SignInAsync("admin", TestApp.AdminPassword);
        var page = await browser.GetPageAsync("/commendations");
        var item = page.QuerySelector($"#round-{roundId} .application")!;
        Assert.Contains("120.00 小时", item.QuerySelector(".nominee-record")!.TextContent);
        Assert.Contains("★", item.QuerySelector(".nominee-record")!.TextContent);
        Assert.Contains("三年从未间断", item.QuerySelector(".nominee-story")!.TextContent);

        // A round of 端州 itself; then the volunteer moves to 鼎湖. 端州 still reviews the nomination
        // but no longer sees the hours of someone outside its subtree; the city, above both, does.
        var ownRound = await RoundAsync(duanzhou, "端州区最美志愿者");
        await OkAsync(await duanzhou.PostAsJsonAsync($"/api/commendations/{ownRound}/nominations", new { volunteerNumber = number, reason = "河小青队长", story }));
        Assert.Equal(expectedHours, Nomination(await OkAsync(await duanzhou.GetAsync($"/api/commendations/{ownRound}"))).GetProperty("nomineeHours").GetDecimal());
        await app.WithDbAsync(async db =>
        {
            var dinghu = await db.Units.Where(u => u.Code == "441203").Select(u => u.Id).SingleAsync();
            return await db.Volunteers.Where(v => v.Number == number).ExecuteUpdateAsync(v => v.SetProperty(x => x.UnitId, dinghu));
        });
        var outside = Nomination(await OkAsync(await duanzhou.GetAsync($"/api/commendations/{ownRound}")));
        Assert.Equal(JsonValueKind.Null, outside.GetProperty("nomineeHours").ValueKind);
        Assert.Equal(JsonValueKind.Null, outside.GetProperty("nomineeStarLevel").ValueKind);
        Assert.Equal(story, outside.GetProperty("story").GetString());
        Assert.Equal(expectedHours, Nomination(await OkAsync(await city.GetAsync($"/api/commendations/{ownRound}"))).GetProperty("nomineeHours").GetDecimal());
    }
}
