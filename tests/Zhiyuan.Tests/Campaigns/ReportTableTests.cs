using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Campaigns;

/// <summary>The statistics table against tables worked out by hand from <see cref="CampaignData"/>.</summary>
public sealed class ReportTableTests : AppTest
{
    static List<(string Name, int PersonTimes, int Organizations, string Types, int Served, string Hours, decimal Money, bool TypedIn)> Rows(JsonElement table) =>
        table.GetProperty("activities").EnumerateArray().Select(r => (
            r.GetProperty("name").GetString()!, r.GetProperty("personTimes").GetInt32(), r.GetProperty("organizations").GetInt32(),
            r.GetProperty("populationTypes").GetString()!, r.GetProperty("populationPersonTimes").GetInt32(),
            (r.GetProperty("minutes").GetInt32() / 60m).ToString("0.##"), r.GetProperty("moneyYuan").GetDecimal(), r.GetProperty("isTypedIn").GetBoolean())).ToList();

    static (int PersonTimes, int Organizations, int Served, int Minutes, decimal Money) Total(JsonElement table)
    {
        var t = table.GetProperty("activityTotal");
        return (t.GetProperty("personTimes").GetInt32(), t.GetProperty("organizations").GetInt32(), t.GetProperty("populationPersonTimes").GetInt32(),
            t.GetProperty("minutes").GetInt32(), t.GetProperty("moneyYuan").GetDecimal());
    }

    [Fact]
    public async Task TheWeeklyTableCountsAttendancesByTheWeekTheSessionStartsInWithDistinctOrganisationsAndSubUnits()
    {
        var data = await CampaignData.CreateAsync(app);
        using var city = await app.ApiClientAsync();

        // Period 1 is 1–7 March. The city sees every unit: 社区普法 (the town's, under 端州), 敬老院探访 (鼎湖), 西江清洁's Thursday 23:59 session.
        var week1 = await CampaignData.TableAsync(city, data.CampaignId, "441200", 1);
        Assert.Equal(
        [
            ("社区普法（城东街道志愿服务队）", 1, 2, "农村留守儿童", 20, "2", 0m, false),
            // v1 twice and v3 once (corrected from 2 h to 2.5 h): three attendances, not two people; the outcome counts here (its last session is in this week).
            ("敬老院探访（鼎湖区义工联）", 3, 1, "残疾人、其他（环卫工人）", 15, "8.5", 200m, false),
            // The Friday 00:01 session belongs to week 2; the outcome waits for the last session.
            ("西江清洁（端州区青年志愿者协会）", 2, 2, "", 0, "2", 0m, false),
        ], Rows(week1));
        // Organisations: A, B and C once each, although the column sums to 5.
        Assert.Equal((6, 3, 35, 750, 200m), Total(week1));
        var media = week1.GetProperty("media");
        Assert.Equal("敬老院探访（鼎湖区义工联）", Assert.Single(media.EnumerateArray()).GetProperty("name").GetString());
        Assert.Equal(2, week1.GetProperty("mediaTotal").GetProperty("websiteReports").GetInt32());

        // 端州区 includes its town but not 鼎湖.
        var duanzhou = await CampaignData.TableAsync(city, data.CampaignId, "441202", 1);
        Assert.Equal(["社区普法（城东街道志愿服务队）", "西江清洁（端州区青年志愿者协会）"], Rows(duanzhou).Select(r => r.Name));
        Assert.Equal((3, 3, 20, 240, 0m), Total(duanzhou));

        // Period 2 (8–14 March): the 00:01 session, and 西江清洁's outcome with its link.
        var week2 = await CampaignData.TableAsync(city, data.CampaignId, "441200", 2);
        Assert.Equal([("西江清洁（端州区青年志愿者协会）", 1, 2, "空巢老人", 30, "0.98", 100.50m, false)], Rows(week2));
        Assert.Equal((1, 2, 30, 59, 100.50m), Total(week2));
        var mediaTotal = week2.GetProperty("mediaTotal");
        Assert.Equal((1, 1, 500), (mediaTotal.GetProperty("printReports").GetInt32(), mediaTotal.GetProperty("links").GetInt32(), mediaTotal.GetProperty("reads").GetInt32()));

        // The final summary's table is computed for the whole window: each activity once, organisations distinct (3, not 3 + 2).
        var window = await CampaignData.TableAsync(city, data.CampaignId, "441200", 0);
        Assert.Equal(("西江清洁（端州区青年志愿者协会）", 3, "2.98"), Rows(window).Where(r => r.Name.StartsWith("西江")).Select(r => (r.Name, r.PersonTimes, r.Hours)).Single());
        Assert.Equal((7, 3, 65, 809, 300.50m), Total(window));

        // Weeks 3–5 had no sessions.
        Assert.Empty(Rows(await CampaignData.TableAsync(city, data.CampaignId, "441200", 3)));
    }

    [Fact]
    public async Task TypedInRowsStayMarkedAndTheCityMergeCountsThemOnce()
    {
        var data = await CampaignData.CreateAsync(app);
        await app.CreateUnitAdminAsync("duanzhou", "441202");
        using var duanzhou = await app.ApiClientAsync("duanzhou", "Unit-admin-2019");
        var report = await OkAsync(await duanzhou.PostAsJsonAsync($"/api/campaigns/{data.CampaignId}/reports/441202/1/typed-in-rows", new[]
        {
            new { isMedia = false, name = "线下植树（端州区团委）", personTimes = 40, organizations = 2, populationTypes = "", populationPersonTimes = 0, hours = 80m, moneyYuan = 500m },
        }));
        var table = report.GetProperty("table");
        var typed = Rows(table).Last();
        Assert.Equal(("线下植树（端州区团委）", 40, 2, "80", 500m, true), (typed.Name, typed.PersonTimes, typed.Organizations, typed.Hours, typed.Money, typed.TypedIn));
        // Typed-in organisations cannot be matched to platform ones: added as stated.
        Assert.Equal((43, 5, 20, 5040, 500m), Total(table));

        using var city = await app.ApiClientAsync();
        var cityWeek1 = await CampaignData.TableAsync(city, data.CampaignId, "441200", 1);
        Assert.Single(Rows(cityWeek1), r => r.TypedIn);
        Assert.Equal((46, 5, 35, 5550, 700m), Total(cityWeek1));
        // Not in week 2, once in the window.
        Assert.DoesNotContain(Rows(await CampaignData.TableAsync(city, data.CampaignId, "441200", 2)), r => r.TypedIn);
        Assert.Single(Rows(await CampaignData.TableAsync(city, data.CampaignId, "441200", 0)), r => r.TypedIn);
        // 鼎湖 does not see 端州's row.
        Assert.DoesNotContain(Rows(await CampaignData.TableAsync(city, data.CampaignId, "441203", 1)), r => r.TypedIn);
    }

    [Fact]
    public async Task BadTypedInRowsAndPeriodsAreRefusedWithReasonsAndNothingIsSaved()
    {
        var data = await CampaignData.CreateAsync(app);
        using var city = await app.ApiClientAsync();
        var url = $"/api/campaigns/{data.CampaignId}/reports/441202/1/typed-in-rows";
        var good = new { isMedia = false, name = "线下活动", personTimes = 1, organizations = 1, hours = 1m, moneyYuan = 1m, links = "" };
        // One bad row among good ones: none is saved.
        await Pages.AssertFieldErrorAsync(await city.PostAsJsonAsync(url, new object[] { good, new { isMedia = false, name = "负数", personTimes = -3, organizations = 1, hours = 1m, moneyYuan = 1m, links = "" } }),
            "rows[1].personTimes", "参与志愿者人次须是不小于 0 的整数");
        await Pages.AssertFieldErrorAsync(await city.PostAsJsonAsync(url, new object[] { new { isMedia = false, name = "小数", hours = 1.005m } }), "hours", "最多两位小数");
        await Pages.AssertFieldErrorAsync(await city.PostAsJsonAsync(url, new object[] { new { isMedia = true, name = "链接", links = "javascript:alert(1)" } }), "links", "javascript:alert(1)");
        await Pages.AssertFieldErrorAsync(await city.PostAsJsonAsync(url, new object[] { new { isMedia = false, name = "", personTimes = 1 } }), "name", "请填写");
        // Text in a number field never reaches the use case.
        Assert.Equal(HttpStatusCode.BadRequest, (await city.PostAsync(url, JsonContent.Create(new object[] { new { isMedia = false, name = "文本", personTimes = "许多" } }))).StatusCode);
        Assert.DoesNotContain(Rows(await CampaignData.TableAsync(city, data.CampaignId, "441202", 1)), r => r.TypedIn);

        // A period outside the campaign.
        await Pages.AssertFieldErrorAsync(await city.GetAsync($"/api/campaigns/{data.CampaignId}/reports/441202/9"), "period", "没有第 9 期");
        // A unit that is not expected to report (below the reporting depth) or unknown.
        Assert.Equal(HttpStatusCode.NotFound, (await city.GetAsync($"/api/campaigns/{data.CampaignId}/reports/NOPE/1")).StatusCode);
        Assert.Equal(0, await app.WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.CountAsync(db.TypedInRows)));
    }
}
