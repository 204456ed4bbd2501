using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Zhiyuan.Web.Hours;
using Zhiyuan.Web.Recognition;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Recognition;

public sealed class StarLevelRuleTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(99 * 60 + 59, 0)]
    [InlineData(100 * 60, 1)]
    [InlineData(299 * 60, 1)]
    [InlineData(600 * 60, 3)]
    [InlineData(2000 * 60, 5)]
    public void TheStarLevelIsTheNumberOfThresholdsTheConfirmedHoursReach(int minutes, int level) =>
        Assert.Equal(level, StarLevels.For(minutes, RecognitionOptions.GuangdongThresholds));

    [Fact]
    public void ANoticeStartedOnAFridayRunsFiveFullWorkingDays()
    {
        // Friday 2026-11-27 15:00 China → Monday 30 Nov … Friday 4 Dec → ends Saturday 5 Dec 00:00 China.
        var ends = StarLevels.NoticeEndsAtUtc(new DateTime(2026, 11, 27, 7, 0, 0, DateTimeKind.Utc), 5);
        Assert.Equal(new DateTime(2026, 12, 4, 16, 0, 0, DateTimeKind.Utc), ends);
    }

    [Theory]
    [InlineData(new[] { 100, 300, 300, 1000 })]
    [InlineData(new[] { 300, 100 })]
    [InlineData(new[] { 0, 100 })]
    public void ThresholdsThatDoNotIncreaseAreRefusedWithAClearMessage(int[] thresholds)
    {
        var result = new RecognitionOptionsValidation().Validate(null, new RecognitionOptions { StarThresholds = thresholds });
        Assert.True(result.Failed);
        Assert.Contains("Recognition:StarThresholds must be positive hours that increase", result.FailureMessage);
        Assert.Contains("星级时长门槛必须为递增的正数", result.FailureMessage);
    }

    [Fact]
    public void ThePlatformDoesNotStartWithThresholdsThatDoNotIncrease()
    {
        using var app = new TestApp();
        app.Settings["Recognition:StarThresholds:0"] = "100";
        app.Settings["Recognition:StarThresholds:1"] = "50";
        Assert.ThrowsAny<Exception>(() => app.CreateClient());
    }
}

public sealed class StarAwardTests : AppTest
{
    async Task<(HttpClient Admin, string Number, Guid Host, Guid Entry)> VolunteerWithHoursAsync(int hours)
    {
        var admin = await app.ApiClientAsync();
        var host = await OrganizationAsync(admin);
        var volunteer = (await app.VolunteersAsync(1))[0];
        var entry = await app.CreditAsync(host, volunteer.Number, hours, DateTime.UtcNow.AddDays(-30));
        return (admin, volunteer.Number, host, entry);
    }

    static JsonElement Award(JsonElement overview, string number) =>
        overview.GetProperty("awards").EnumerateArray().First(a => a.GetProperty("number").GetString() == number);

    [Fact]
    public async Task AVolunteerOverAHundredHoursIsReviewedNoticedForFiveWorkingDaysAndThenAwardedOnTheCertificate()
    {
        var (admin, number, _, _) = await VolunteerWithHoursAsync(120);
        var overview = await OkAsync(await admin.GetAsync("/api/stars"));
        var eligible = Assert.Single(overview.GetProperty("eligible").EnumerateArray());
        Assert.Equal((number, 1, 7200), (eligible.GetProperty("number").GetString(), eligible.GetProperty("eligibleLevel").GetInt32(), eligible.GetProperty("minutes").GetInt32()));

        overview = await OkAsync(await admin.PostAsJsonAsync("/api/stars/notices", new { numbers = new[] { number } }));
        Assert.Empty(overview.GetProperty("eligible").EnumerateArray());
        var award = Award(overview, number);
        Assert.Equal("OnNotice", award.GetProperty("status").GetString());
        var awardId = award.GetProperty("id").GetGuid();

        // The public sees it, masked, and may object; too early and with an open objection, it cannot be awarded.
        using var anonymous = app.CreateClient();
        var notice = Assert.Single(await anonymous.GetFromJsonAsync<JsonElement[]>("/api/notices") ?? []);
        Assert.DoesNotContain("志愿者100", notice.GetProperty("subject").GetString());
        Assert.Contains("志", notice.GetProperty("subject").GetString());
        await Pages.AssertFieldErrorAsync(await admin.PostAsync($"/api/stars/{awardId}/award", null), "award", "公示期到");
        await Pages.AssertFieldErrorAsync(await anonymous.PostAsJsonAsync($"/api/notices/star/{awardId}/objections", new { text = "短" }), "text", "5");
        Assert.True((await OkAsync(await anonymous.PostAsJsonAsync($"/api/notices/star/{awardId}/objections", new { text = "该志愿者有多次服务时长为代签", contact = "13800000000" }))).GetBoolean());

        app.Clock.Advance(TimeSpan.FromDays(8));
        using var later = await app.ApiClientAsync();
        await Pages.AssertFieldErrorAsync(await later.PostAsync($"/api/stars/{awardId}/award", null), "award", "异议");
        var objection = (await OkAsync(await later.GetAsync("/api/stars"))).GetProperty("objections")[0];
        Assert.Equal("13800000000", objection.GetProperty("contact").GetString());
        await OkAsync(await later.PostAsJsonAsync($"/api/stars/objections/{objection.GetProperty("id").GetGuid()}/answer", new { uphold = false, answer = "经核实签到记录无误" }));
        var awarded = Award(await OkAsync(await later.PostAsync($"/api/stars/{awardId}/award", null)), number);
        Assert.Equal("Awarded", awarded.GetProperty("status").GetString());

        using var volunteer = await app.ApiClientAsync(number, Zhiyuan.Tests.Volunteers.People.Password);
        Assert.Equal(1, (await OkAsync(await volunteer.GetAsync("/api/volunteers/me/certificate"))).GetProperty("starLevel").GetInt32());
        var actions = await app.WithDbAsync(db => db.AuditEntries.Where(a => a.Action.StartsWith("star.")).OrderBy(a => a.AtUtc).Select(a => a.Action).ToListAsync());
        Assert.Equal(["star.notice", "star.objection", "star.award"], actions);
    }

    [Fact]
    public async Task AnUpheldObjectionWithdrawsTheStarAndObjectionFloodsAreLimited()
    {
        var (admin, number, _, _) = await VolunteerWithHoursAsync(310);
        var overview = await OkAsync(await admin.PostAsJsonAsync("/api/stars/notices", new { numbers = new[] { number } }));
        var award = Award(overview, number);
        Assert.Equal(2, award.GetProperty("level").GetInt32());
        var awardId = award.GetProperty("id").GetGuid();
        using var anonymous = app.CreateClient();
        for (var i = 0; i < 5; i++)
        {
            await OkAsync(await anonymous.PostAsJsonAsync($"/api/notices/star/{awardId}/objections", new { text = $"第 {i + 1} 条异议：时长有误" }));
        }
        await Pages.AssertFieldErrorAsync(await anonymous.PostAsJsonAsync($"/api/notices/star/{awardId}/objections", new { text = "第 6 条异议：时长有误" }), "text", "每小时最多 5 条");
        Assert.Equal(5, await app.WithDbAsync(db => db.Objections.CountAsync()));
        // Nothing on notice under that id: not found, whatever the kind.
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.PostAsJsonAsync($"/api/notices/star/{Guid.NewGuid()}/objections", new { text = "不存在的公示" })).StatusCode);

        var objection = (await OkAsync(await admin.GetAsync("/api/stars"))).GetProperty("objections")[0].GetProperty("id").GetGuid();
        await Pages.AssertFieldErrorAsync(await admin.PostAsJsonAsync($"/api/stars/objections/{objection}/answer", new { uphold = true, answer = "" }), "award", "");
        var withdrawn = Award(await OkAsync(await admin.PostAsJsonAsync($"/api/stars/objections/{objection}/answer", new { uphold = true, answer = "核实有代签，撤回公示" })), number);
        Assert.Equal("Withdrawn", withdrawn.GetProperty("status").GetString());
        Assert.Empty(await anonymous.GetFromJsonAsync<JsonElement[]>("/api/notices") ?? []);
    }

    [Fact]
    public async Task ACorrectionBelowTheThresholdIsFlaggedNotAppliedAndARevocationNeedsAReason()
    {
        var (admin, number, host, entry) = await VolunteerWithHoursAsync(101);
        var awardId = Award(await OkAsync(await admin.PostAsJsonAsync("/api/stars/notices", new { numbers = new[] { number } })), number).GetProperty("id").GetGuid();
        app.Clock.Advance(TimeSpan.FromDays(8));
        using var later = await app.ApiClientAsync();
        await OkAsync(await later.PostAsync($"/api/stars/{awardId}/award", null));

        // The organisation corrects the 101 hours to 90: the star stays, and is flagged.
        await OkAsync(await later.PostAsJsonAsync($"/api/hours/entries/{entry}/correction", new { reason = "签退时间有误", startAt = DateTimeOffset.UtcNow.AddDays(-30), endAt = DateTimeOffset.UtcNow.AddDays(-30).AddHours(90) }));
        var overview = await OkAsync(await later.GetAsync("/api/stars"));
        var flagged = Assert.Single(overview.GetProperty("flagged").EnumerateArray());
        Assert.Equal((number, 1, 0), (flagged.GetProperty("number").GetString(), flagged.GetProperty("level").GetInt32(), flagged.GetProperty("levelByHours").GetInt32()));
        Assert.Equal(1, await app.WithDbAsync(db => db.Volunteers.Where(v => v.Number == number).Select(v => v.StarLevel).SingleAsync()));

        await Pages.AssertFieldErrorAsync(await later.PostAsJsonAsync($"/api/stars/{awardId}/revoke", new { reason = " " }), "award", "");
        await OkAsync(await later.PostAsJsonAsync($"/api/stars/{awardId}/revoke", new { reason = "更正后时长不足 100 小时" }));
        Assert.Equal(0, await app.WithDbAsync(db => db.Volunteers.Where(v => v.Number == number).Select(v => v.StarLevel).SingleAsync()));
        // Another county's administrator reaches none of it.
        await app.CreateUnitAdminAsync("dinghu", "441203");
        using var dinghu = await app.ApiClientAsync("dinghu", "Unit-admin-2019");
        Assert.Empty((await OkAsync(await dinghu.GetAsync("/api/stars"))).GetProperty("awards").EnumerateArray());
        Assert.Equal(HttpStatusCode.NotFound, (await dinghu.PostAsJsonAsync($"/api/stars/{awardId}/revoke", new { reason = "越权" })).StatusCode);
    }

    [Fact]
    public async Task TheListShowsFiftyAPageMostHoursFirstCountsThemAllAndCanBeLimitedToAUnit()
    {
        var admin = await app.ApiClientAsync();
        var host = await OrganizationAsync(admin);
        var volunteers = await app.VolunteersAsync(StarAwardUseCases.PageSize + 1);
        // 100 h, 101 h, … : the volunteer with the fewest hours is alone on page 2.
        for (var i = 0; i < volunteers.Count; i++)
        {
            await app.CreditAsync(host, volunteers[i].Number, 100 + i, DateTime.UtcNow.AddDays(-30));
        }
        var first = await OkAsync(await admin.GetAsync("/api/stars"));
        var firstPage = first.GetProperty("eligible").EnumerateArray().Select(e => e.GetProperty("minutes").GetInt32()).ToList();
        Assert.Equal(StarAwardUseCases.PageSize + 1, first.GetProperty("eligibleCount").GetInt32());
        Assert.Equal(Enumerable.Range(0, StarAwardUseCases.PageSize).Select(i => (100 + volunteers.Count - 1 - i) * 60), firstPage);
        var second = await OkAsync(await admin.GetAsync("/api/stars?page=2"));
        var last = Assert.Single(second.GetProperty("eligible").EnumerateArray());
        Assert.Equal((volunteers[0].Number, 6000), (last.GetProperty("number").GetString(), last.GetProperty("minutes").GetInt32()));
        foreach (var number in new[] { "3", "0", "-5", "2147483647" })
        {
            var beyond = await OkAsync(await admin.GetAsync($"/api/stars?page={number}"));
            Assert.Equal(StarAwardUseCases.PageSize + 1, beyond.GetProperty("eligibleCount").GetInt32());
            Assert.Equal(number is "0" or "-5" ? StarAwardUseCases.PageSize : 0, beyond.GetProperty("eligible").GetArrayLength());
        }

        // Limited to a unit: the volunteers are all in 端州 (441202); 鼎湖 (441203) has none; a unit out of reach is refused with a reason.
        Assert.Equal(StarAwardUseCases.PageSize + 1, (await OkAsync(await admin.GetAsync("/api/stars?unit=441202"))).GetProperty("eligibleCount").GetInt32());
        Assert.Equal(0, (await OkAsync(await admin.GetAsync("/api/stars?unit=441203"))).GetProperty("eligibleCount").GetInt32());
        await Pages.AssertFieldErrorAsync(await admin.GetAsync("/api/stars?unit=999999"), "unit", "999999");
        await app.CreateUnitAdminAsync("dinghu", "441203");
        using var dinghu = await app.ApiClientAsync("dinghu", "Unit-admin-2019");
        await Pages.AssertFieldErrorAsync(await dinghu.GetAsync("/api/stars?unit=441202"), "unit", "441202");
        Assert.Equal(0, (await OkAsync(await dinghu.GetAsync("/api/stars"))).GetProperty("eligibleCount").GetInt32());

        // The page: fifty checkboxes, the count, a pager, the unit filter; an unknown unit shows the whole list with the reason.
        using var pages = app.PageClient();
        await pages.SignInAsync("admin", TestApp.AdminPassword);
        var page = await pages.GetPageAsync("/recognition/stars");
        Assert.Equal(StarAwardUseCases.PageSize, page.QuerySelectorAll("#eligible input[name=numbers]").Length);
        Assert.Contains("51", page.QuerySelector("#eligible-count")!.TextContent);
        Assert.Single((await pages.GetPageAsync(page.QuerySelector("#next-page")!.GetAttribute("href")!)).QuerySelectorAll("#eligible input[name=numbers]"));
        Assert.Empty((await pages.GetPageAsync("/recognition/stars?unit=441203")).QuerySelectorAll("#eligible input[name=numbers]"));
        Assert.Empty((await pages.GetPageAsync("/recognition/stars?page=2147483647")).QuerySelectorAll("#eligible input[name=numbers]"));
        await Pages.AssertFieldErrorAsync(await pages.GetAsync("/recognition/stars?page=abc"), "page", "abc");
        var wrong = await pages.GetPageAsync("/recognition/stars?unit=999999");
        Assert.Contains("999999", wrong.QuerySelector("[role=alert]")!.TextContent);
        Assert.Equal(StarAwardUseCases.PageSize, wrong.QuerySelectorAll("#eligible input[name=numbers]").Length);

        // A volunteer who is not on the first page can still be put on notice.
        var noticed = await OkAsync(await admin.PostAsJsonAsync("/api/stars/notices", new { numbers = new[] { volunteers[0].Number } }));
        Assert.Equal(StarAwardUseCases.PageSize, noticed.GetProperty("eligibleCount").GetInt32());
        Assert.Equal("OnNotice", Award(noticed, volunteers[0].Number).GetProperty("status").GetString());
    }
}
