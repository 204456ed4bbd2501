using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Campaigns;

/// <summary>
/// Who reads and who reports: units below the reporting depth read their own tables, the city adds a
/// late unit to the expected list, typed-in media reach the media table, a unit withdraws its
/// submission until a reviewer acts, and the reviewer sees who to call.
/// </summary>
public sealed class ExpectedUnitsAndWithdrawalTests : FrozenTablesCheckedTest
{
    static readonly object Contact = new { contactName = "李干事", contactPhone = "0758-2230000" };

    /// <summary>Puts the test clock at a China time in March 2019 (or April with a day past 31).</summary>
    void At(int day, int hour) =>
        app.Clock.Offset = new DateTimeOffset(2019, 3, 1, hour, 0, 0, China).AddDays(day - 1) - DateTimeOffset.UtcNow;

    static string? Status(JsonElement report) => report.GetProperty("status").GetString();

    static List<string> RowNames(JsonElement table, string list) =>
        table.GetProperty(list).EnumerateArray().Select(r => r.GetProperty("name").GetString()!).ToList();

    [Fact]
    public async Task AStreetOfficeBelowTheReportingDepthReadsItsOwnTableAndTheUnitsAboveReadItTooButNobodySubmitsIt()
    {
        // One level expected: the town under 端州 is below the reporting depth.
        var data = await CampaignData.CreateAsync(app, depth: 1);
        await app.CreateUnitAdminAsync("chengdong", CampaignData.Town);
        await app.CreateUnitAdminAsync("duanzhou", "441202");
        await app.CreateUnitAdminAsync("dinghu", "441203");
        At(7, 20);
        using var town = await app.ApiClientAsync("chengdong", "Unit-admin-2019");
        using var duanzhou = await app.ApiClientAsync("duanzhou", "Unit-admin-2019");
        using var dinghu = await app.ApiClientAsync("dinghu", "Unit-admin-2019");
        using var city = await app.ApiClientAsync();
        var report = $"/api/campaigns/{data.CampaignId}/reports/{CampaignData.Town}/1";

        // The town's own table: 社区普法 of its organisation, v2's 120 minutes.
        var own = await OkAsync(await town.GetAsync(report));
        Assert.False(own.GetProperty("isExpected").GetBoolean());
        Assert.False(own.GetProperty("canEdit").GetBoolean());
        Assert.False(own.GetProperty("canWithdraw").GetBoolean());
        var row = Assert.Single(own.GetProperty("table").GetProperty("activities").EnumerateArray());
        Assert.Equal(("社区普法（城东街道志愿服务队）", 1, 120), (row.GetProperty("name").GetString(), row.GetProperty("personTimes").GetInt32(), row.GetProperty("minutes").GetInt32()));
        Assert.Equal(HttpStatusCode.OK, (await town.GetAsync(report + "/form.xlsx")).StatusCode);

        // The district above it and the city read the same figures; a neighbouring district does not.
        foreach (var above in new[] { duanzhou, city })
        {
            var read = await OkAsync(await above.GetAsync(report));
            Assert.Equal(120, read.GetProperty("table").GetProperty("activityTotal").GetProperty("minutes").GetInt32());
            Assert.False(read.GetProperty("canReview").GetBoolean());
            Assert.False(read.GetProperty("canWaive").GetBoolean());
        }
        Assert.Equal(HttpStatusCode.NotFound, (await dinghu.GetAsync(report)).StatusCode);
        // The district's report lists the town among the units below, marked as not reporting.
        var district = await OkAsync(await duanzhou.GetAsync($"/api/campaigns/{data.CampaignId}/reports/441202/1"));
        var below = Assert.Single(district.GetProperty("unitsBelow").EnumerateArray());
        Assert.Equal((CampaignData.Town, false), (below.GetProperty("code").GetString(), below.GetProperty("isExpected").GetBoolean()));

        // Reading is for the whole tree; reporting stays with the expected units.
        await Pages.AssertFieldErrorAsync(await town.PostAsJsonAsync(report + "/submit", Contact), "report", "不是应报单位");
        await Pages.AssertFieldErrorAsync(await town.PostAsJsonAsync(report + "/typed-in-rows", new[] { new { isMedia = false, name = "街道活动", personTimes = 3 } }), "report", "不是应报单位");
        await Pages.AssertFieldErrorAsync(await city.PostAsJsonAsync(report + "/waive", new { comment = "无" }), "report", "不是应报单位");
        Assert.Equal(0, await app.WithDbAsync(db => db.CampaignReports.CountAsync(r => r.CampaignId == data.CampaignId)));

        // The pages: the campaign links the town to its own tables, read only; the district's report links down to it.
        using var browser = app.PageClient();
        await browser.SignInAsync("chengdong", "Unit-admin-2019");
        var campaign = await browser.GetPageAsync($"/campaigns/{data.CampaignId}");
        Assert.Contains("城东街道", campaign.QuerySelector("#own-unit-hint")!.TextContent);
        Assert.EndsWith($"/reports/{CampaignData.Town}/1", campaign.QuerySelector("#report-1")!.GetAttribute("href"));
        var page = await browser.GetPageAsync($"/campaigns/{data.CampaignId}/reports/{CampaignData.Town}/1");
        Assert.Contains("不是应报单位", page.QuerySelector("#not-expected")!.TextContent);
        Assert.Contains("社区普法", page.QuerySelector("#report-table")!.TextContent);
        Assert.Null(page.QuerySelector("#submit-report"));
        using var districtBrowser = app.PageClient();
        await districtBrowser.SignInAsync("duanzhou", "Unit-admin-2019");
        var districtPage = await districtBrowser.GetPageAsync($"/campaigns/{data.CampaignId}/reports/441202/1");
        Assert.Contains("城东街道", districtPage.QuerySelector("#units-below")!.TextContent);
    }

    [Fact]
    public async Task TheCityAddsALateUnitThatCountsForThePeriodsDueAfterwardsOnlyOnceAndAudited()
    {
        var data = await CampaignData.CreateAsync(app, depth: 1);
        await app.CreateUnitAdminAsync("chengdong", CampaignData.Town);
        await app.CreateUnitAdminAsync("duanzhou", "441202");
        // Saturday 9 March: period 1 was due on Friday 8 March 00:00, period 2 is due on the 15th.
        At(9, 10);
        using var city = await app.ApiClientAsync();
        using var duanzhou = await app.ApiClientAsync("duanzhou", "Unit-admin-2019");
        var units = $"/api/campaigns/{data.CampaignId}/units";
        var before = await OkAsync(await city.GetAsync($"/api/campaigns/{data.CampaignId}/completeness"));
        static int Expected(JsonElement grid, int period) =>
            grid.GetProperty("rates").EnumerateArray().Single(r => r.GetProperty("periodNumber").GetInt32() == period).GetProperty("expected").GetInt32();

        // Only the city adds, only units of the campaign's tree, each once.
        Assert.Equal(HttpStatusCode.NotFound, (await duanzhou.PostAsJsonAsync(units, new { unitCode = CampaignData.Town })).StatusCode);
        await Pages.AssertFieldErrorAsync(await city.PostAsJsonAsync(units, new { unitCode = "NOPE" }), "unitCode", "NOPE");
        await Pages.AssertFieldErrorAsync(await city.PostAsJsonAsync(units, new { unitCode = "441203" }), "unitCode", "已是本活动月的应报单位");
        await Pages.AssertFieldErrorAsync(await city.PostAsJsonAsync(units, new { unitCode = " " }), "unitCode", "请填写");
        var added = await OkAsync(await city.PostAsJsonAsync(units, new { unitCode = CampaignData.Town }));
        Assert.Equal("441202", added.GetProperty("parentUnitCode").GetString());
        Assert.Equal([2, 3, 4, 5, 0], added.GetProperty("expectedPeriods").EnumerateArray().Select(p => p.GetInt32()));
        await Pages.AssertFieldErrorAsync(await city.PostAsJsonAsync(units, new { unitCode = CampaignData.Town }), "unitCode", "已是本活动月的应报单位");
        Assert.Equal(1, await app.WithDbAsync(db => db.AuditEntries.CountAsync(a => a.Action == "campaign.unit.add")));
        Assert.Equal(before.GetProperty("rows").GetArrayLength() + 1, (await OkAsync(await city.GetAsync($"/api/campaigns/{data.CampaignId}"))).GetProperty("expectedUnits").GetInt32());

        // Completeness: period 1 (due before the addition) is not expected of it and its rates are unchanged; from period 2 it counts.
        var after = await OkAsync(await city.GetAsync($"/api/campaigns/{data.CampaignId}/completeness"));
        var townRow = after.GetProperty("rows").EnumerateArray().Single(r => r.GetProperty("unitCode").GetString() == CampaignData.Town);
        Assert.NotEqual(JsonValueKind.Null, townRow.GetProperty("addedAtUtc").ValueKind);
        var cells = townRow.GetProperty("cells").EnumerateArray().ToDictionary(c => c.GetProperty("periodNumber").GetInt32(), c => c.GetProperty("expected").GetBoolean());
        Assert.False(cells[1]);
        Assert.True(cells[2] && cells[5] && cells[0]);
        Assert.Equal(Expected(before, 1), Expected(after, 1));
        Assert.Equal(Expected(before, 2) + 1, Expected(after, 2));
        Assert.Equal(Expected(before, 0) + 1, Expected(after, 0));
        // The dashboard's weeks agree.
        var weeks = (await OkAsync(await city.GetAsync($"/api/campaigns/{data.CampaignId}/dashboard"))).GetProperty("weeks").EnumerateArray().ToList();
        Assert.Equal(Expected(before, 1), weeks[0].GetProperty("expected").GetInt32());
        Assert.Equal(Expected(before, 2) + 1, weeks[1].GetProperty("expected").GetInt32());

        // The town reports from period 2; period 1 stays read only, and 端州's period 1 does not wait for it.
        using var town = await app.ApiClientAsync("chengdong", "Unit-admin-2019");
        await Pages.AssertFieldErrorAsync(await town.PostAsJsonAsync($"/api/campaigns/{data.CampaignId}/reports/{CampaignData.Town}/1/submit", Contact), "report", "不是应报单位");
        Assert.Equal("Submitted", Status(await OkAsync(await duanzhou.PostAsJsonAsync($"/api/campaigns/{data.CampaignId}/reports/441202/1/submit", Contact))));
        Assert.Equal("Approved", Status(await OkAsync(await city.PostAsJsonAsync($"/api/campaigns/{data.CampaignId}/reports/441202/1/approve", new { comment = "" }))));
        // Period 2: 端州 now waits for the town.
        await OkAsync(await duanzhou.PostAsJsonAsync($"/api/campaigns/{data.CampaignId}/reports/441202/2/submit", Contact));
        await Pages.AssertFieldErrorAsync(await city.PostAsJsonAsync($"/api/campaigns/{data.CampaignId}/reports/441202/2/approve", new { comment = "" }), "report", "城东街道");
        var submitted = await OkAsync(await town.PostAsJsonAsync($"/api/campaigns/{data.CampaignId}/reports/{CampaignData.Town}/2/submit", Contact));
        Assert.True(submitted.GetProperty("isExpected").GetBoolean());
        Assert.True(submitted.GetProperty("onTime").GetBoolean());

        // After the final summary's due time the campaign is over: nothing more is added.
        At(34, 1);
        using var cityLater = await app.ApiClientAsync();
        await Pages.AssertFieldErrorAsync(await cityLater.PostAsJsonAsync(units, new { unitCode = "441203001" }), "campaign", "结束");
    }

    [Fact]
    public async Task TheCityAddsALateUnitFromTheCampaignPage()
    {
        var data = await CampaignData.CreateAsync(app, depth: 1);
        At(9, 10);
        using var browser = app.PageClient();
        await browser.SignInAsync("admin", TestApp.AdminPassword);
        var page = await browser.GetPageAsync($"/campaigns/{data.CampaignId}");
        Assert.Contains(page.QuerySelectorAll("#addable-units option"), o => o.GetAttribute("value") == CampaignData.Town);
        var refused = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await (await browser.PostFormAsync($"/campaigns/{data.CampaignId}", page, "add-unit", ("unitCode", "NOPE"))).Content.ReadAsStringAsync());
        Assert.Contains("NOPE", refused.QuerySelector("#add-unit")!.TextContent);
        var done = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await (await browser.PostFormAsync($"/campaigns/{data.CampaignId}", page, "add-unit", ("unitCode", CampaignData.Town))).Content.ReadAsStringAsync());
        Assert.Contains("城东街道", done.QuerySelector("#unit-added")!.TextContent);
        Assert.Contains("第 2 期", done.QuerySelector("#unit-added")!.TextContent);
        Assert.DoesNotContain(done.QuerySelectorAll("#addable-units option"), o => o.GetAttribute("value") == CampaignData.Town);
        var grid = await browser.GetPageAsync($"/campaigns/{data.CampaignId}/completeness");
        Assert.Equal("cell-not-expected", grid.QuerySelector($"td[data-unit='{CampaignData.Town}'][data-period='1']")!.ClassName);
        Assert.Equal("cell-none", grid.QuerySelector($"td[data-unit='{CampaignData.Town}'][data-period='2']")!.ClassName);
    }

    [Fact]
    public async Task TheMediaFiguresOfATypedInActivityRowReachTheMediaTable()
    {
        var data = await CampaignData.CreateAsync(app);
        await app.CreateUnitAdminAsync("duanzhou", "441202");
        // The rows are typed in before the submission below (the as-of check recomputes the frozen table from what was recorded by then).
        At(7, 19);
        using var duanzhou = await app.ApiClientAsync("duanzhou", "Unit-admin-2019");
        var report = $"/api/campaigns/{data.CampaignId}/reports/441202/1";
        var before = (await OkAsync(await duanzhou.GetAsync(report))).GetProperty("table").GetProperty("mediaTotal");
        var table = (await OkAsync(await duanzhou.PostAsJsonAsync(report + "/typed-in-rows", new object[]
        {
            new { isMedia = false, name = "线下植树（端州区团委）", personTimes = 40, organizations = 1, hours = 80m, printReports = 2, websiteReports = 1,
                links = "https://mp.weixin.qq.com/s/zhishu\nhttps://www.zq.gov.cn/news/1", reads = 300 },
            new { isMedia = false, name = "线下清洁（无报道）", personTimes = 5, organizations = 1, hours = 5m, printReports = 0, websiteReports = 0, links = "", reads = 0 },
        }))).GetProperty("table");

        // Both are activity rows; only the one with coverage has a media row, marked typed-in.
        Assert.Contains("线下植树（端州区团委）", RowNames(table, "activities"));
        Assert.Contains("线下清洁（无报道）", RowNames(table, "activities"));
        var media = table.GetProperty("media").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "线下植树（端州区团委）");
        Assert.True(media.GetProperty("isTypedIn").GetBoolean());
        Assert.Equal((2, 1, 300), (media.GetProperty("printReports").GetInt32(), media.GetProperty("websiteReports").GetInt32(), media.GetProperty("reads").GetInt32()));
        Assert.Equal(["https://mp.weixin.qq.com/s/zhishu", "https://www.zq.gov.cn/news/1"], media.GetProperty("links").EnumerateArray().Select(l => l.GetString()));
        Assert.DoesNotContain("线下清洁（无报道）", RowNames(table, "media"));
        var total = table.GetProperty("mediaTotal");
        Assert.Equal(before.GetProperty("printReports").GetInt32() + 2, total.GetProperty("printReports").GetInt32());
        Assert.Equal(before.GetProperty("websiteReports").GetInt32() + 1, total.GetProperty("websiteReports").GetInt32());
        Assert.Equal(before.GetProperty("links").GetInt32() + 2, total.GetProperty("links").GetInt32());
        Assert.Equal(before.GetProperty("reads").GetInt32() + 300, total.GetProperty("reads").GetInt32());

        // The city's merge has it once; the official form carries it in table 2.
        using var city = await app.ApiClientAsync();
        Assert.Single(RowNames(await CampaignData.TableAsync(city, data.CampaignId, "441200", 1), "media"), n => n == "线下植树（端州区团委）");
        Assert.Equal(HttpStatusCode.OK, (await duanzhou.GetAsync(report + "/form.xlsx")).StatusCode);
        // A submission freezes it under computation version 2.
        At(7, 20);
        using var duanzhouNow = await app.ApiClientAsync("duanzhou", "Unit-admin-2019");
        var submitted = await OkAsync(await duanzhouNow.PostAsJsonAsync(report + "/submit", Contact));
        Assert.Equal(2, submitted.GetProperty("computationVersion").GetInt32());
        Assert.Contains("线下植树（端州区团委）", RowNames(submitted.GetProperty("table"), "media"));
    }

    [Fact]
    public async Task AUnitWithdrawsItsSubmissionUntilTheReviewerActsAndIsRefusedClearlyAfterwards()
    {
        var data = await CampaignData.CreateAsync(app, depth: 1);
        await app.CreateUnitAdminAsync("duanzhou", "441202");
        At(7, 20);
        using var duanzhou = await app.ApiClientAsync("duanzhou", "Unit-admin-2019");
        using var city = await app.ApiClientAsync();
        var report = $"/api/campaigns/{data.CampaignId}/reports/441202/1";
        await Pages.AssertFieldErrorAsync(await duanzhou.PostAsJsonAsync(report + "/withdraw", new { }), "report", "尚未提交");

        // Submitted on time, then withdrawn: a draft again, nothing frozen, no submission counted.
        var submitted = await OkAsync(await duanzhou.PostAsJsonAsync(report + "/submit", Contact));
        Assert.True(submitted.GetProperty("canWithdraw").GetBoolean());
        // The reviewer cannot withdraw it for the unit; it returns it instead.
        await Pages.AssertFieldErrorAsync(await city.PostAsJsonAsync(report + "/withdraw", new { }), "report", "端州区");
        // A stale page (an older version) withdraws nothing.
        await Pages.AssertFieldErrorAsync(await duanzhou.PostAsJsonAsync(report + "/withdraw", new { version = 0 }), "report", "刷新");
        var withdrawn = await OkAsync(await duanzhou.PostAsJsonAsync(report + "/withdraw", new { version = submitted.GetProperty("version").GetInt32() }));
        Assert.Equal("Draft", Status(withdrawn));
        Assert.False(withdrawn.GetProperty("isFrozen").GetBoolean());
        Assert.Equal(JsonValueKind.Null, withdrawn.GetProperty("onTime").ValueKind);
        Assert.True(withdrawn.GetProperty("canEdit").GetBoolean());
        var grid = await OkAsync(await city.GetAsync($"/api/campaigns/{data.CampaignId}/completeness"));
        var rate = grid.GetProperty("rates").EnumerateArray().Single(r => r.GetProperty("periodNumber").GetInt32() == 1);
        Assert.Equal(0, rate.GetProperty("reported").GetInt32());
        await Pages.AssertFieldErrorAsync(await duanzhou.PostAsJsonAsync(report + "/withdraw", new { }), "report", "尚未提交");

        // Resubmitted after the due time: the submission that stands is late.
        At(8, 10);
        using var duanzhouLate = await app.ApiClientAsync("duanzhou", "Unit-admin-2019");
        using var cityLate = await app.ApiClientAsync();
        Assert.False((await OkAsync(await duanzhouLate.PostAsJsonAsync(report + "/submit", Contact))).GetProperty("onTime").GetBoolean());
        // Returned, resubmitted, withdrawn: back to "returned" with the reviewer's comment.
        await OkAsync(await cityLate.PostAsJsonAsync(report + "/return", new { comment = "请补充线下活动" }));
        await OkAsync(await duanzhouLate.PostAsJsonAsync(report + "/submit", Contact));
        var back = await OkAsync(await duanzhouLate.PostAsJsonAsync(report + "/withdraw", new { }));
        Assert.Equal("Returned", Status(back));
        Assert.Equal("请补充线下活动", back.GetProperty("reviewComment").GetString());
        Assert.False(back.GetProperty("onTime").GetBoolean());

        // Once the reviewer has acted, withdrawing is refused and says why.
        await OkAsync(await duanzhouLate.PostAsJsonAsync(report + "/submit", Contact));
        Assert.Equal("Approved", Status(await OkAsync(await cityLate.PostAsJsonAsync(report + "/approve", new { comment = "" }))));
        await Pages.AssertFieldErrorAsync(await duanzhouLate.PostAsJsonAsync(report + "/withdraw", new { }), "report", "审核单位已处理");
        var actions = await app.WithDbAsync(db => db.AuditEntries.Where(a => a.Action == "campaign.report.withdraw").Select(a => a.Details).ToListAsync());
        Assert.Equal(["back to draft", "back to returned"], actions.Order());
    }

    [Fact]
    public async Task TheReviewerSeesTheSubmittedContactAndTheUnitWithdrawsFromItsPage()
    {
        var data = await CampaignData.CreateAsync(app, depth: 1);
        await app.CreateUnitAdminAsync("duanzhou", "441202");
        At(7, 20);
        using var unitBrowser = app.PageClient();
        await unitBrowser.SignInAsync("duanzhou", "Unit-admin-2019");
        var url = $"/campaigns/{data.CampaignId}/reports/441202/1";
        var page = await unitBrowser.GetPageAsync(url);
        var version = page.QuerySelector("#submit input[name=version]")!.GetAttribute("value")!;
        await unitBrowser.PostFormAsync(url, page, "submit", ("version", version), ("contactName", "李干事"), ("contactPhone", "0758-2230000"));

        // The reviewer: the contact person and phone, on the page and in the API.
        using var cityBrowser = app.PageClient();
        await cityBrowser.SignInAsync("admin", TestApp.AdminPassword);
        var review = await cityBrowser.GetPageAsync(url);
        var contact = review.QuerySelector("#report-contact")!.TextContent;
        Assert.Contains("李干事", contact);
        Assert.Contains("0758-2230000", contact);
        Assert.NotNull(review.QuerySelector("#approve-report"));
        Assert.Null(review.QuerySelector("#withdraw-report"));
        using var city = await app.ApiClientAsync();
        var view = await OkAsync(await city.GetAsync($"/api/campaigns/{data.CampaignId}/reports/441202/1"));
        Assert.Equal(("李干事", "0758-2230000"), (view.GetProperty("contactName").GetString(), view.GetProperty("contactPhone").GetString()));

        // The unit withdraws from its page.
        var submitted = await unitBrowser.GetPageAsync(url);
        var withdrawVersion = submitted.QuerySelector("#withdraw input[name=version]")!.GetAttribute("value")!;
        var done = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await (await unitBrowser.PostFormAsync(url, submitted, "withdraw", ("version", withdrawVersion))).Content.ReadAsStringAsync());
        Assert.Contains("已撤回", done.QuerySelector("#report-done")!.TextContent);
        Assert.Contains("草稿", done.QuerySelector("#report-status")!.TextContent);
        Assert.NotNull(done.QuerySelector("#submit-report"));
    }
}
