using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using SkiaSharp;
using Zhiyuan.Tests.Campaigns;
using Zhiyuan.Web.Campaigns;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Integrity;

/// <summary>Campaign reports under simultaneous requests: each workflow step once, rows and files as often as sent, huge figures never breaking a report.</summary>
public sealed class ReportRaceTests : AppTest
{
    static readonly object Contact = new { contactName = "李干事", contactPhone = "0758-2230000" };

    static void At(int day, int hour, params TestApp[] nodes)
    {
        foreach (var node in nodes)
        {
            node.Clock.Offset = new DateTimeOffset(2019, 3, day, hour, 0, 0, China) - DateTimeOffset.UtcNow;
        }
    }

    static MultipartFormDataContent Screenshot()
    {
        using var bitmap = new SKBitmap(320, 200);
        bitmap.Erase(SKColors.SteelBlue);
        using var image = SKImage.FromBitmap(bitmap);
        var file = new ByteArrayContent(image.Encode(SKEncodedImageFormat.Png, 100).ToArray());
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        return new MultipartFormDataContent { { file, "screenshot", "wechat.png" } };
    }

    [Fact]
    [Races("POST /api/campaigns", "POST /api/campaigns/{id}/reports/{unitCode}/{period}/typed-in-rows", "DELETE /api/campaigns/{id}/reports/{unitCode}/{period}/typed-in-rows/{rowId}",
        "PUT /api/campaigns/{id}/reports/{unitCode}/{period}/typed-in-rows/{rowId}", "POST /api/campaigns/{id}/reports/{unitCode}/{period}/import", "PUT /api/campaigns/{id}/reports/{unitCode}/{period}/summary",
        "POST /api/campaigns/{id}/reports/{unitCode}/{period}/screenshots", "POST /api/campaigns/{id}/reports/{unitCode}/{period}/submit",
        "POST /api/campaigns/{id}/reports/{unitCode}/{period}/return", "POST /api/campaigns/{id}/reports/{unitCode}/{period}/waive",
        "POST /api/campaigns/{id}/reports/{unitCode}/{period}/approve", "POST /api/campaigns/{id}/reports/{unitCode}/{period}/reopen",
        "POST /api/campaigns/{id}/packages")]
    public async Task EachReportWorkflowStepHappensOnceWhenPressedTwentyTimesAtOnceOnTwoNodes()
    {
        var data = await CampaignData.CreateAsync(app);
        await app.CreateUnitAdminAsync("duanzhou", "441202");
        await using var node2 = new TestApp(app.Database);
        At(7, 20, app, node2);
        using var county1 = await app.ApiClientAsync("duanzhou", "Unit-admin-2019");
        using var county2 = await node2.ApiClientAsync("duanzhou", "Unit-admin-2019");
        using var city1 = await app.ApiClientAsync();
        using var city2 = await node2.ApiClientAsync();
        var counties = new[] { county1, county2 };
        var cities = new[] { city1, city2 };
        var race = new Race(app);
        await race.IgnoreSeededViolationsAsync();
        var report = $"/api/campaigns/{data.CampaignId}/reports/441202/1";

        // Campaigns are naturally repeatable creations: twenty asked (each its own name), twenty made.
        await race.RunAsync("open a campaign ×20", Race.N, i => cities[i % 2].PostJsonAsync("/api/campaigns", new
        {
            name = $"并发行动月 {i}", theme = "志愿肇庆", startDate = "2019-03-01", endDate = "2019-03-31", dueDay = "Friday", dueHour = 0,
            finalDueDate = "2019-04-03", reportingDepth = 1, contactName = "曾繁智", contactPhone = "0758-2323563",
        }), Race.N, Race.N);

        // Rows: each request adds its own; the report holds exactly as many as were accepted.
        var added = await race.RunAsync("add a typed-in row ×20", Race.N,
            i => counties[i % 2].PostJsonAsync(report + "/typed-in-rows", new[] { new { isMedia = false, name = $"线下植树 {i}", personTimes = 40, organizations = 1, hours = 80m } }), Race.N, Race.N);
        race.CheckEqual(added.Successes, await app.WithDbAsync(db => db.TypedInRows.CountAsync()), "typed-in rows stored (as many as accepted)");
        var rowId = await app.WithDbAsync(db => db.TypedInRows.Select(r => r.Id).FirstAsync());
        await race.ExactlyOnceAsync("delete a typed-in row ×20", i => counties[i % 2].DeleteAsync($"{report}/typed-in-rows/{rowId}"));
        // An edit replaces one version once: the others find it already replaced. Nothing is deleted, the old versions are kept.
        var editId = await app.WithDbAsync(db => db.TypedInRows.Where(r => r.SupersededAtUtc == null).OrderBy(r => r.Id).Select(r => r.Id).FirstAsync());
        await race.ExactlyOnceAsync("edit a typed-in row ×20", i => counties[i % 2].PutAsJsonAsync($"{report}/typed-in-rows/{editId}",
            new { isMedia = false, name = "线下植树（更正）", personTimes = 41, organizations = 1, hours = 80m }));
        race.CheckEqual(1, await app.WithDbAsync(db => db.TypedInRows.CountAsync(r => r.ReplacesId == editId)), "versions replacing the edited row");
        race.CheckEqual(added.Successes - 1, await app.WithDbAsync(db => db.TypedInRows.CountAsync(r => r.SupersededAtUtc == null)), "current typed-in rows after a removal and an edit");
        race.CheckEqual(added.Successes + 1, await app.WithDbAsync(db => db.TypedInRows.CountAsync()), "typed-in row versions kept (every one)");

        // The unit's own form, downloaded and imported back twenty times at once: no server error, a readable report.
        var form = await county1.GetByteArrayAsync($"/api/campaigns/{data.CampaignId}/reports/441202/2/form.xlsx");
        MultipartFormDataContent Upload()
        {
            var file = new ByteArrayContent(form);
            file.Headers.ContentType = new MediaTypeHeaderValue(CampaignsApi.XlsxType);
            return new MultipartFormDataContent { { file, "file", "端州区.xlsx" } };
        }
        await race.RunAsync("import a filled form ×20", Race.N, i => counties[i % 2].PostAsync($"/api/campaigns/{data.CampaignId}/reports/441202/2/import", Upload()), 1, Race.N);
        await county1.GetAsync($"/api/campaigns/{data.CampaignId}/reports/441202/2").OkJsonAsync();

        // The final summary: saved as often as sent (the last write wins), screenshots each kept.
        var summary = $"/api/campaigns/{data.CampaignId}/reports/441202/0";
        await race.RunAsync("save the summary ×20", Race.N, i => counties[i % 2].PutAsJsonAsync(summary + "/summary", new { narrative = $"总结 {i}" }), 1, Race.N);
        var shots = await race.RunAsync("add a screenshot ×20", Race.N, i => counties[i % 2].PostAsync(summary + "/screenshots", Screenshot()), 1, Race.N);
        race.CheckEqual(shots.Successes, await app.WithDbAsync(db => db.SummaryScreenshots.CountAsync()), "screenshots stored (as many as accepted)");

        // The workflow: each step once.
        await race.ExactlyOnceAsync("submit a report ×20", i => counties[i % 2].PostJsonAsync(report + "/submit", Contact));
        await race.ExactlyOnceAsync("return a report ×20", i => cities[i % 2].PostJsonAsync(report + "/return", new { comment = "请补充线下植树活动" }));
        await race.ExactlyOnceAsync("resubmit a report ×20", i => counties[i % 2].PostJsonAsync(report + "/submit", Contact));
        await race.ExactlyOnceAsync("waive a sub-unit's report ×20",
            i => counties[i % 2].PostJsonAsync($"/api/campaigns/{data.CampaignId}/reports/{CampaignData.Town}/1/waive", new { comment = "街道本周无活动" }));
        await race.ExactlyOnceAsync("approve a report ×20", i => cities[i % 2].PostJsonAsync(report + "/approve", new { comment = "" }));
        await race.ExactlyOnceAsync("reopen a report ×20", i => cities[i % 2].PostJsonAsync(report + "/reopen", new { comment = "省里要求补充媒体数据" }));
        var actions = await app.WithDbAsync(db => db.AuditEntries.Where(a => a.Action.StartsWith("campaign.report")).Select(a => a.Action).ToListAsync());
        foreach (var step in new[] { "return", "waive", "approve", "reopen" })
        {
            race.CheckEqual(1, actions.Count(a => a == "campaign.report." + step), $"campaign.report.{step} entries in the audit log");
        }
        race.CheckEqual(2, actions.Count(a => a == "campaign.report.submit"), "campaign.report.submit entries (submitted and resubmitted)");

        // Packages for the province are frozen copies: repeatable, never a server error.
        await race.RunAsync("build the province package ×20", Race.N, i => cities[i % 2].PostEmptyAsync($"/api/campaigns/{data.CampaignId}/packages"), 1, Race.N);
        await race.AssertNoneAsync();
    }

    [Fact]
    [Races("POST /api/campaigns/{id}/reports/{unitCode}/{period}/typed-in-rows")]
    public async Task TypedInRowsWithHugeFiguresNeverBreakTheUnitOrCityReportTheFormOrTheSubmission()
    {
        var data = await CampaignData.CreateAsync(app);
        await app.CreateUnitAdminAsync("duanzhou", "441202");
        At(7, 20, app);
        using var county = await app.ApiClientAsync("duanzhou", "Unit-admin-2019");
        using var city = await app.ApiClientAsync();
        var race = new Race(app);
        await race.IgnoreSeededViolationsAsync();
        var report = $"/api/campaigns/{data.CampaignId}/reports/441202/1";

        // Twenty-five rows of 100,000,000 person-times each, sent at once: each is accepted or refused by name, never a server error.
        await race.RunAsync("25 rows of 100,000,000 person-times at once", 25, i => county.PostJsonAsync(report + "/typed-in-rows", new[]
        {
            new { isMedia = false, name = $"超大活动 {i}", personTimes = 100_000_000, organizations = 100_000_000, populationTypes = "空巢老人", populationPersonTimes = 100_000_000,
                hours = 10_000_000m, moneyYuan = 100_000_000_000m, printReports = 100_000_000, websiteReports = 100_000_000 },
        }), 0, 25);
        await race.RunAsync("25 media rows of 100,000,000 reads at once", 25, i => county.PostJsonAsync(report + "/typed-in-rows", new[]
        {
            new { isMedia = true, name = $"媒体报道 {i}", links = $"https://mp.weixin.qq.com/s/{i}", reads = 100_000_000 },
        }), 0, 25);

        // Everything that reads the report still answers.
        foreach (var (who, client, url) in new[]
        {
            ("the unit's report", county, report),
            ("the city's report", city, $"/api/campaigns/{data.CampaignId}/reports/441200/1"),
            ("the unit's form", county, report + "/form.xlsx"),
            ("the city's form", city, $"/api/campaigns/{data.CampaignId}/reports/441200/1/form.xlsx"),
            ("the completeness grid", city, $"/api/campaigns/{data.CampaignId}/completeness"),
        })
        {
            using var response = await client.GetAsync(url);
            race.Check(response.IsSuccessStatusCode, $"{who} answers after huge typed-in rows: {(int)response.StatusCode} {Truncate(await response.Content.ReadAsStringAsync())}");
        }
        using var submitted = await county.PostAsJsonAsync(report + "/submit", Contact);
        race.Check((int)submitted.StatusCode is 200 or 400, $"submitting a report with huge rows answers 200 or a 400 naming the figure: {(int)submitted.StatusCode} {Truncate(await submitted.Content.ReadAsStringAsync())}");
        using var cityAfter = await city.GetAsync($"/api/campaigns/{data.CampaignId}/reports/441200/1");
        race.Check(cityAfter.IsSuccessStatusCode, $"the city's report answers after the submission: {(int)cityAfter.StatusCode}");
        await race.AssertNoneAsync();
    }

    static string Truncate(string text) => text.Length > 300 ? text[..300] + "…" : text;
}
