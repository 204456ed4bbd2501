using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Web.Hours;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Campaigns;

public sealed class ReportWorkflowTests : FrozenTablesCheckedTest
{
    static readonly object Contact = new { contactName = "李干事", contactPhone = "0758-2230000" };

    /// <summary>Puts the test clock at a China time in March 2019.</summary>
    void At(int day, int hour) => app.Clock.Offset = new DateTimeOffset(2019, 3, day, hour, 0, 0, China) - DateTimeOffset.UtcNow;

    static string Status(JsonElement report) => report.GetProperty("status").GetString()!;

    [Fact]
    public async Task ASubmittedReportIsFrozenReturnedResubmittedApprovedAndOnlyTheCityReopensIt()
    {
        var data = await CampaignData.CreateAsync(app);
        await app.CreateUnitAdminAsync("duanzhou", "441202");
        At(7, 20);
        using var duanzhou = await app.ApiClientAsync("duanzhou", "Unit-admin-2019");
        using var city = await app.ApiClientAsync();
        var report = $"/api/campaigns/{data.CampaignId}/reports/441202/1";

        var submitted = await OkAsync(await duanzhou.PostAsJsonAsync(report + "/submit", Contact));
        Assert.Equal("Submitted", Status(submitted));
        Assert.True(submitted.GetProperty("onTime").GetBoolean());
        Assert.True(submitted.GetProperty("isFrozen").GetBoolean());
        Assert.Equal(2, submitted.GetProperty("computationVersion").GetInt32());
        Assert.Equal(3, submitted.GetProperty("table").GetProperty("activityTotal").GetProperty("personTimes").GetInt32());
        Assert.Equal("李干事", submitted.GetProperty("table").GetProperty("contactName").GetString());
        // The unit cannot review itself, and a submitted report takes no more rows.
        Assert.Equal(HttpStatusCode.NotFound, (await duanzhou.PostAsJsonAsync(report + "/approve", new { comment = "" })).StatusCode);
        await Pages.AssertFieldErrorAsync(await duanzhou.PostAsJsonAsync(report + "/typed-in-rows", new[] { new { isMedia = false, name = "迟到的一行" } }), "report", "已提交");

        // A late confirmation changes the live figures, never the submitted ones; the difference is shown.
        await app.WithDbAsync(async db =>
        {
            var entry = await db.LedgerEntries.AsNoTracking().FirstAsync(e => e.Activity!.Title == "社区普法");
            db.LedgerEntries.Add(new LedgerEntry
            {
                VolunteerId = entry.VolunteerId, VolunteerUnitId = entry.VolunteerUnitId, SessionId = entry.SessionId, ActivityId = entry.ActivityId,
                OrganizationId = entry.OrganizationId, StartUtc = entry.StartUtc, EndUtc = entry.EndUtc, Minutes = 30, Kind = LedgerEntryKind.Confirmed,
                RecordedAtUtc = DateTime.UtcNow, RecordedBy = "test",
            });
            return await db.SaveChangesAsync();
        });
        var reviewed = await OkAsync(await city.GetAsync(report));
        Assert.Equal(3, reviewed.GetProperty("table").GetProperty("activityTotal").GetProperty("personTimes").GetInt32());
        var difference = reviewed.GetProperty("liveDifferences").EnumerateArray().Select(d => (d.GetProperty("figure").GetString(), d.GetProperty("submitted").GetString(), d.GetProperty("live").GetString())).ToList();
        Assert.Contains(("参与志愿者人次", "3", "4"), difference);

        // The city returns it with a comment (required); the unit adds a typed-in row and resubmits.
        await Pages.AssertFieldErrorAsync(await city.PostAsJsonAsync(report + "/return", new { comment = " " }), "comment", "请填写");
        var returned = await OkAsync(await city.PostAsJsonAsync(report + "/return", new { comment = "请补充线下植树活动" }));
        Assert.Equal("Returned", Status(returned));
        Assert.Equal("请补充线下植树活动", returned.GetProperty("reviewComment").GetString());
        await OkAsync(await duanzhou.PostAsJsonAsync(report + "/typed-in-rows", new[] { new { isMedia = false, name = "线下植树", personTimes = 40, organizations = 1, hours = 80m } }));
        At(8, 10);
        using var duanzhouNextDay = await app.ApiClientAsync("duanzhou", "Unit-admin-2019");
        using var cityNextDay = await app.ApiClientAsync();
        var resubmitted = await OkAsync(await duanzhouNextDay.PostAsJsonAsync(report + "/submit", Contact));
        // Resubmitting after the due time keeps the first submission's timeliness; the new freeze has the live figures.
        Assert.True(resubmitted.GetProperty("onTime").GetBoolean());
        Assert.Equal(44, resubmitted.GetProperty("table").GetProperty("activityTotal").GetProperty("personTimes").GetInt32());
        Assert.Empty(resubmitted.GetProperty("liveDifferences").EnumerateArray());

        // 端州 has an expected sub-unit (the town): it must be approved or waived first.
        await Pages.AssertFieldErrorAsync(await cityNextDay.PostAsJsonAsync(report + "/approve", new { comment = "" }), "report", "城东街道");
        await Pages.AssertFieldErrorAsync(await duanzhouNextDay.PostAsJsonAsync($"/api/campaigns/{data.CampaignId}/reports/{CampaignData.Town}/1/waive", new { comment = "" }), "comment", "请填写");
        Assert.Equal("Waived", Status(await OkAsync(await duanzhouNextDay.PostAsJsonAsync($"/api/campaigns/{data.CampaignId}/reports/{CampaignData.Town}/1/waive", new { comment = "街道本周无活动" }))));
        var approved = await OkAsync(await cityNextDay.PostAsJsonAsync(report + "/approve", new { comment = "" }));
        Assert.Equal("Approved", Status(approved));
        Assert.False(approved.GetProperty("canEdit").GetBoolean());

        // Locked: no submission, no rows; the county cannot reopen, the city can.
        await Pages.AssertFieldErrorAsync(await duanzhouNextDay.PostAsJsonAsync(report + "/submit", Contact), "report", "已通过");
        await Pages.AssertFieldErrorAsync(await duanzhouNextDay.PostAsJsonAsync(report + "/typed-in-rows", new[] { new { isMedia = false, name = "锁定后" } }), "report", "已通过");
        Assert.Equal(HttpStatusCode.NotFound, (await duanzhouNextDay.PostAsJsonAsync(report + "/reopen", new { comment = "想改" })).StatusCode);
        Assert.Equal("Returned", Status(await OkAsync(await cityNextDay.PostAsJsonAsync(report + "/reopen", new { comment = "省里要求补充媒体数据" }))));

        // Every step is in the audit log.
        var actions = await app.WithDbAsync(db => db.AuditEntries.Where(a => a.Action.StartsWith("campaign.report")).OrderBy(a => a.AtUtc).Select(a => a.Action).ToListAsync());
        Assert.Equal(["campaign.report.submit", "campaign.report.return", "campaign.report.typed-in", "campaign.report.submit", "campaign.report.waive",
            "campaign.report.approve", "campaign.report.reopen"], actions);
        // A stale page (old version number) cannot overwrite a newer state.
        await Pages.AssertFieldErrorAsync(await duanzhouNextDay.PostAsJsonAsync(report + "/submit", new { contactName = "李干事", contactPhone = "0758-2230000", version = 1 }), "report", "刷新");
    }

    [Fact]
    public async Task TheCompletenessGridShowsEachUnitsStateWithRatesAndTheirNumbers()
    {
        var data = await CampaignData.CreateAsync(app);
        await app.CreateUnitAdminAsync("duanzhou", "441202");
        await app.CreateUnitAdminAsync("dinghu", "441203");
        At(7, 20);
        using var duanzhou = await app.ApiClientAsync("duanzhou", "Unit-admin-2019");
        await OkAsync(await duanzhou.PostAsJsonAsync($"/api/campaigns/{data.CampaignId}/reports/441202/1/submit", Contact));
        At(9, 10);
        using var dinghu = await app.ApiClientAsync("dinghu", "Unit-admin-2019");
        await OkAsync(await dinghu.PostAsJsonAsync($"/api/campaigns/{data.CampaignId}/reports/441203/1/submit", Contact));
        await OkAsync(await dinghu.PostAsJsonAsync($"/api/campaigns/{data.CampaignId}/reports/441203/2/typed-in-rows", new[] { new { isMedia = false, name = "草稿行" } }));
        using var city = await app.ApiClientAsync();
        await OkAsync(await city.PostAsJsonAsync($"/api/campaigns/{data.CampaignId}/reports/441203/1/return", new { comment = "数据有误" }));

        var grid = await OkAsync(await city.GetAsync($"/api/campaigns/{data.CampaignId}/completeness"));
        JsonElement Cell(string unit, int period) => grid.GetProperty("rows").EnumerateArray().Single(r => r.GetProperty("unitCode").GetString() == unit)
            .GetProperty("cells").EnumerateArray().Single(c => c.GetProperty("periodNumber").GetInt32() == period);
        Assert.Equal(("Submitted", true), (Cell("441202", 1).GetProperty("status").GetString(), Cell("441202", 1).GetProperty("onTime").GetBoolean()));
        Assert.Equal(("Returned", false), (Cell("441203", 1).GetProperty("status").GetString(), Cell("441203", 1).GetProperty("onTime").GetBoolean()));
        Assert.Equal("Draft", Cell("441203", 2).GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, Cell("441204", 1).GetProperty("status").ValueKind);
        Assert.True(Cell("441204", 1).GetProperty("overdue").GetBoolean());
        Assert.False(Cell("441204", 3).GetProperty("overdue").GetBoolean());

        // Expected: the city, the 18 units below it and the town = 20 (the snapshot of two levels); 1 reported and on time
        // (鼎湖 was returned: a returned report does not count as reported).
        var week1 = grid.GetProperty("rates").EnumerateArray().Single(r => r.GetProperty("periodNumber").GetInt32() == 1);
        Assert.Equal((20, 1, 1), (week1.GetProperty("expected").GetInt32(), week1.GetProperty("reported").GetInt32(), week1.GetProperty("onTime").GetInt32()));

        // A county sees its own part only.
        using var county = await app.ApiClientAsync("duanzhou", "Unit-admin-2019");
        var own = await OkAsync(await county.GetAsync($"/api/campaigns/{data.CampaignId}/completeness"));
        Assert.Equal(["441202", CampaignData.Town], own.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("unitCode").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, (await county.GetAsync($"/api/campaigns/{data.CampaignId}/completeness?unitCode=441203")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await county.GetAsync($"/api/campaigns/{data.CampaignId}/reports/441203/1")).StatusCode);
    }
}
