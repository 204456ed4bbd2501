using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Campaigns;

/// <summary>
/// Every figure of the hand-computed tables (<see cref="ReportTableTests"/>) opens the records it is made of: each drilled list
/// adds up to exactly the figure, and holds as many records as the figure counts.
/// </summary>
public sealed class DrillDownTests : FrozenTablesCheckedTest
{
    static readonly string[] ActivityColumns = ["personTimes", "organizations", "populationTypes", "populationPersonTimes", "hours", "moneyYuan"];
    static readonly string[] MediaColumns = ["printReports", "websiteReports", "links", "reads"];

    static string Url(Guid campaignId, string unit, int period, string row, string column) =>
        $"/api/campaigns/{campaignId}/reports/{unit}/{period}/cells/{row}/{column}";

    /// <summary>The cell's figure as the table states it, in the drill's unit (hours as minutes); null for the population types (a text).</summary>
    static decimal? Figure(JsonElement row, string column) => column switch
    {
        "populationTypes" => null,
        "hours" => row.GetProperty("minutes").GetDecimal(),
        "links" => row.GetProperty("links").ValueKind == JsonValueKind.Array ? row.GetProperty("links").GetArrayLength() : row.GetProperty("links").GetDecimal(),
        _ => row.GetProperty(column).GetDecimal(),
    };

    /// <summary>Drills every cell of the table, rows and totals, and checks each list against its figure. Returns the number of cells drilled.</summary>
    static async Task<int> DrillEveryCellAsync(HttpClient client, Guid campaignId, string unit, int period)
    {
        var table = await CampaignData.TableAsync(client, campaignId, unit, period);
        var cells = 0;
        foreach (var (rows, total, columns) in new[]
                 {
                     (table.GetProperty("activities"), table.GetProperty("activityTotal"), ActivityColumns),
                     (table.GetProperty("media"), table.GetProperty("mediaTotal"), MediaColumns),
                 })
        {
            var lines = rows.EnumerateArray().Select(r => (Key: r.GetProperty("id").GetGuid().ToString(), Row: r)).Append(("total", total));
            foreach (var (key, row) in lines)
            {
                foreach (var column in columns.Where(c => key != "total" || c != "populationTypes"))
                {
                    var drill = await OkAsync(await client.GetAsync(Url(campaignId, unit, period, key, column)));
                    var items = drill.GetProperty("items").EnumerateArray().ToList();
                    var sum = items.Sum(i => i.GetProperty("value").GetDecimal());
                    Assert.Equal(sum, drill.GetProperty("value").GetDecimal());
                    if (Figure(row, column) is { } figure)
                    {
                        Assert.True(figure == sum, $"{unit}/{period} {key} {column}: the table says {figure}, the drilled records add up to {sum}");
                    }
                    else if (!row.GetProperty("isTypedIn").GetBoolean())
                    {
                        // The population types: each type the row names is one drilled population line.
                        Assert.Equal(row.GetProperty("populationTypes").GetString(), string.Join("、", items.Select(i => i.GetProperty("label").GetString())));
                    }
                    if (column is "personTimes" or "organizations" or "links")
                    {
                        // Counted records are each one; typed-in rows count as stated.
                        var platform = items.Where(i => !i.GetProperty("isTypedIn").GetBoolean()).ToList();
                        Assert.All(platform, i => Assert.Equal(1m, i.GetProperty("value").GetDecimal()));
                        Assert.Equal(Figure(row, column), platform.Count + items.Where(i => i.GetProperty("isTypedIn").GetBoolean()).Sum(i => i.GetProperty("value").GetDecimal()));
                    }
                    cells++;
                }
            }
        }
        return cells;
    }

    [Fact]
    public async Task EveryFigureOfTheHandComputedTablesDrillsToExactlyTheRecordsItCounts()
    {
        var data = await CampaignData.CreateAsync(app);
        using var city = await app.ApiClientAsync();
        var cells = 0;
        foreach (var (unit, period) in new[] { ("441200", 1), ("441202", 1), ("441200", 2), ("441200", 0), ("441200", 3), ("441203", 1), (CampaignData.Town, 1) })
        {
            cells += await DrillEveryCellAsync(city, data.CampaignId, unit, period);
        }
        Assert.True(cells > 100, $"{cells} cells drilled");

        var week1 = await CampaignData.TableAsync(city, data.CampaignId, "441200", 1);
        var visit = week1.GetProperty("activities").EnumerateArray().Single(r => r.GetProperty("name").GetString()!.StartsWith("敬老院探访")).GetProperty("id").GetGuid();

        // 敬老院探访's 3 person-times: v1 twice and v3 once — v3's attendance shows its confirmation, the reversal and the correction.
        var personTimes = await OkAsync(await city.GetAsync(Url(data.CampaignId, "441200", 1, visit.ToString(), "personTimes")));
        Assert.Equal("3", personTimes.GetProperty("figure").GetString());
        var attendances = personTimes.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(3, attendances.Count);
        Assert.All(attendances, a => Assert.Equal("Attendance", a.GetProperty("kind").GetString()));
        var corrected = Assert.Single(attendances, a => a.GetProperty("entries").GetArrayLength() == 3);
        Assert.Equal(["Confirmed", "Reversal", "Correction"], corrected.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("kind").GetString()));
        Assert.Equal([120, -120, 150], corrected.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("minutes").GetInt32()));
        Assert.Equal("签退时间有误", corrected.GetProperty("entries")[1].GetProperty("reason").GetString());
        Assert.Equal(CampaignData.China(5, 9), corrected.GetProperty("sessionStartUtc").GetDateTime());
        // Hours of the same row: 180 + 180 + 150 minutes.
        var hours = await OkAsync(await city.GetAsync(Url(data.CampaignId, "441200", 1, visit.ToString(), "hours")));
        Assert.Equal(("8.50", 510m), (hours.GetProperty("figure").GetString(), hours.GetProperty("value").GetDecimal()));

        // Names are masked: no volunteer's full name anywhere in a drill.
        var names = await app.WithDbAsync(db => db.Volunteers.Select(v => v.Name).ToListAsync());
        var everyone = await city.GetStringAsync(Url(data.CampaignId, "441200", 0, "total", "personTimes"));
        Assert.All(names.Where(n => n.Length > 1), n => Assert.DoesNotContain(n, everyone));
        Assert.Contains("*", everyone);

        // "Organisations 3" lists the 3 names and says why the column adds up to 5.
        var organisations = await OkAsync(await city.GetAsync(Url(data.CampaignId, "441200", 1, "total", "organizations")));
        Assert.Equal(["城东街道志愿服务队", "端州区青年志愿者协会", "鼎湖区义工联"],
            organisations.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("label").GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(5, organisations.GetProperty("columnSum").GetInt64());
        Assert.Contains("各行相加为 5", organisations.GetProperty("note").GetString());
        var a = organisations.GetProperty("items").EnumerateArray().Single(i => i.GetProperty("label").GetString() == "端州区青年志愿者协会");
        Assert.Equal(["社区普法（城东街道志愿服务队）", "西江清洁（端州区青年志愿者协会）"], a.GetProperty("fromRows").EnumerateArray().Select(r => r.GetString()));

        // 西江清洁 in week 1: its outcome waits for its last session (week 2), and the drill says so.
        var clean = week1.GetProperty("activities").EnumerateArray().Single(r => r.GetProperty("name").GetString()!.StartsWith("西江清洁")).GetProperty("id").GetGuid();
        var money = await OkAsync(await city.GetAsync(Url(data.CampaignId, "441200", 1, clean.ToString(), "moneyYuan")));
        Assert.Empty(money.GetProperty("items").EnumerateArray());
        Assert.Contains("最后一场", money.GetProperty("note").GetString());
    }

    [Fact]
    public async Task TypedInRowsDrillAsTypedInWithWhoEnteredThemAndTheCityTotalIsTheUnion()
    {
        var data = await CampaignData.CreateAsync(app);
        await app.CreateUnitAdminAsync("duanzhou", "441202");
        using var duanzhou = await app.ApiClientAsync("duanzhou", "Unit-admin-2019");
        await OkAsync(await duanzhou.PostAsJsonAsync($"/api/campaigns/{data.CampaignId}/reports/441202/1/typed-in-rows", new object[]
        {
            new { isMedia = false, name = "线下植树（端州区团委）", personTimes = 40, organizations = 2, populationTypes = "空巢老人", populationPersonTimes = 12, hours = 80m, moneyYuan = 500m,
                printReports = 1, links = "https://example.org/a https://example.org/b", reads = 90 },
            new { isMedia = true, name = "端州电视台报道", printReports = 0, websiteReports = 3, links = "https://example.org/tv", reads = 10 },
        }));
        using var city = await app.ApiClientAsync();
        var cells = 0;
        foreach (var (client, unit, period) in new[] { (duanzhou, "441202", 1), (city, "441200", 1), (city, "441200", 0), (duanzhou, "441202", 0) })
        {
            cells += await DrillEveryCellAsync(client, data.CampaignId, unit, period);
        }
        Assert.True(cells > 60);

        // The city's organisations: 3 distinct platform organisations plus the 2 the typed-in row states.
        var organisations = await OkAsync(await city.GetAsync(Url(data.CampaignId, "441200", 1, "total", "organizations")));
        Assert.Equal("5", organisations.GetProperty("figure").GetString());
        var typed = Assert.Single(organisations.GetProperty("items").EnumerateArray(), i => i.GetProperty("isTypedIn").GetBoolean());
        Assert.Equal(("TypedIn", "线下植树（端州区团委）", 2m), (typed.GetProperty("kind").GetString(), typed.GetProperty("label").GetString(), typed.GetProperty("value").GetDecimal()));
        Assert.Equal("duanzhou", typed.GetProperty("enteredBy").GetString());
        Assert.Equal(JsonValueKind.String, typed.GetProperty("enteredAtUtc").ValueKind);

        // The links total: the activity's link is in week 2; week 1 has the typed-in rows' three links, one record each.
        var links = await OkAsync(await city.GetAsync(Url(data.CampaignId, "441200", 1, "total", "links")));
        Assert.Equal(["https://example.org/a", "https://example.org/b", "https://example.org/tv"], links.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("label").GetString()));
    }

    [Fact]
    public async Task DrillsAreScopedLikeTheTableAndAnswerCsv()
    {
        var data = await CampaignData.CreateAsync(app);
        await app.CreateUnitAdminAsync("duanzhou", "441202");
        await app.CreateUnitAdminAsync("dinghu", "441203");
        using var city = await app.ApiClientAsync();
        using var duanzhou = await app.ApiClientAsync("duanzhou", "Unit-admin-2019");
        using var dinghu = await app.ApiClientAsync("dinghu", "Unit-admin-2019");
        var week1 = await CampaignData.TableAsync(city, data.CampaignId, "441200", 1);
        var visit = week1.GetProperty("activities").EnumerateArray().Single(r => r.GetProperty("name").GetString()!.StartsWith("敬老院探访")).GetProperty("id").GetGuid();

        // 鼎湖 reads its own activity's records, not 端州's table; 端州 cannot reach 鼎湖's activity through its own table either.
        await OkAsync(await dinghu.GetAsync(Url(data.CampaignId, "441203", 1, visit.ToString(), "personTimes")));
        Assert.Equal(HttpStatusCode.NotFound, (await dinghu.GetAsync(Url(data.CampaignId, "441202", 1, "total", "personTimes"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await dinghu.GetAsync(Url(data.CampaignId, "441200", 1, "total", "personTimes"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await duanzhou.GetAsync(Url(data.CampaignId, "441202", 1, visit.ToString(), "personTimes"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await duanzhou.GetAsync(Url(data.CampaignId, "441203", 1, visit.ToString(), "personTimes"))).StatusCode);
        // The 端州 total holds only 端州's subtree.
        var duanzhouTotal = await OkAsync(await duanzhou.GetAsync(Url(data.CampaignId, "441202", 1, "total", "personTimes")));
        Assert.Equal(3, duanzhouTotal.GetProperty("items").GetArrayLength());
        Assert.DoesNotContain(duanzhouTotal.GetProperty("items").EnumerateArray(), i => i.GetProperty("row").GetString()!.StartsWith("敬老院探访"));
        // Nobody signed in, a volunteer: no records.
        using var anonymous = app.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(Url(data.CampaignId, "441200", 1, "total", "personTimes"))).StatusCode);

        // Wrong column, row or format: 400 with the reason.
        await Pages.AssertFieldErrorAsync(await city.GetAsync(Url(data.CampaignId, "441200", 1, "total", "volunteers")), "column", "personTimes");
        await Pages.AssertFieldErrorAsync(await city.GetAsync(Url(data.CampaignId, "441200", 1, "第一行", "hours")), "row", "total");
        await Pages.AssertFieldErrorAsync(await city.GetAsync(Url(data.CampaignId, "441200", 1, "total", "hours") + "?format=pdf"), "format", "csv");
        Assert.Equal(HttpStatusCode.NotFound, (await city.GetAsync(Url(data.CampaignId, "441200", 1, Guid.NewGuid().ToString(), "hours"))).StatusCode);

        // CSV: one line per ledger entry of each attendance, names masked, the total at the end.
        var csv = await city.GetAsync(Url(data.CampaignId, "441200", 1, visit.ToString(), "personTimes") + "?format=csv");
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        var lines = (await csv.Content.ReadAsStringAsync()).TrimStart('\uFEFF').Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\n')).ToList();
        lines = lines.SelectMany(l => l.Split('\n', StringSplitOptions.RemoveEmptyEntries)).ToList();
        // Title, header, v1 twice, v3's three entries, the total.
        Assert.Equal(2 + 2 + 3 + 1, lines.Count);
        Assert.Equal(["\"确认\"", "\"撤销\"", "\"更正\""], lines[3..6].Select(l => l.Split(',')[5]));
        Assert.StartsWith("\"合计\",\"\",\"\",\"\",\"3\"", lines[^1]);
        var names = await app.WithDbAsync(db => db.Volunteers.Select(v => v.Name).ToListAsync());
        var text = string.Join("\n", lines);
        Assert.All(names.Where(n => n.Length > 1), n => Assert.DoesNotContain(n, text));
    }

    [Fact]
    public async Task ASubmittedReportDrillsToTheLiveRecordsWithTheSubmittedFigureBeside()
    {
        var data = await CampaignData.CreateAsync(app);
        await app.CreateUnitAdminAsync("duanzhou", "441202");
        app.Clock.Offset = new DateTimeOffset(2019, 3, 7, 20, 0, 0, TimeSpan.FromHours(8)) - DateTimeOffset.UtcNow;
        using var duanzhou = await app.ApiClientAsync("duanzhou", "Unit-admin-2019");
        var submitted = await OkAsync(await duanzhou.PostAsJsonAsync($"/api/campaigns/{data.CampaignId}/reports/441202/1/submit",
            new { contactName = "李干事", contactPhone = "0758-2230000" }));
        var law = submitted.GetProperty("table").GetProperty("activities").EnumerateArray().Single(r => r.GetProperty("name").GetString()!.StartsWith("社区普法"));
        var lawId = law.GetProperty("id").GetGuid().ToString();
        // A late confirmation: a second volunteer's attendance at 社区普法, after the report was frozen.
        await app.WithDbAsync(async db =>
        {
            var entry = await db.LedgerEntries.AsNoTracking().FirstAsync(e => e.Activity!.Title == "社区普法");
            var other = await db.LedgerEntries.AsNoTracking().Where(e => e.VolunteerId != entry.VolunteerId).Select(e => new { e.VolunteerId, e.VolunteerUnitId }).FirstAsync();
            db.LedgerEntries.Add(new Zhiyuan.Web.Hours.LedgerEntry
            {
                VolunteerId = other.VolunteerId, VolunteerUnitId = other.VolunteerUnitId, SessionId = entry.SessionId, ActivityId = entry.ActivityId,
                OrganizationId = entry.OrganizationId, StartUtc = entry.StartUtc, EndUtc = entry.EndUtc.AddMinutes(-60), Minutes = 60,
                Kind = Zhiyuan.Web.Hours.LedgerEntryKind.Confirmed, RecordedAtUtc = DateTime.UtcNow, RecordedBy = "late",
            });
            return await db.SaveChangesAsync();
        });
        foreach (var (row, figure, live) in new[] { (lawId, "1", "2"), ("total", "3", "4") })
        {
            var drill = await OkAsync(await duanzhou.GetAsync(Url(data.CampaignId, "441202", 1, row, "personTimes")));
            Assert.Equal((live, figure), (drill.GetProperty("figure").GetString(), drill.GetProperty("submittedFigure").GetString()));
            Assert.Equal(int.Parse(live), drill.GetProperty("items").GetArrayLength());
            Assert.Equal(JsonValueKind.String, drill.GetProperty("frozenAtUtc").ValueKind);
        }
        // The submitted table's row links to the same records.
        using var browser = app.PageClient();
        await browser.SignInAsync("duanzhou", "Unit-admin-2019");
        var page = await browser.GetPageAsync($"/campaigns/{data.CampaignId}/reports/441202/1/cells/{lawId}/personTimes");
        Assert.Contains("提交时此格为 1", page.QuerySelector("#drill-submitted")!.TextContent);
        Assert.Equal(2, page.QuerySelectorAll("#drill-items tbody tr").Length);
    }

    [Fact]
    public async Task TheReportPageLinksEachNumberToItsRecordsPage()
    {
        var data = await CampaignData.CreateAsync(app);
        using var browser = app.PageClient();
        await browser.SignInAsync("admin", TestApp.AdminPassword);
        var report = await browser.GetPageAsync($"/campaigns/{data.CampaignId}/reports/441200/1");
        var links = report.QuerySelectorAll("#report-table a.drill-link").Select(a => a.GetAttribute("href")!).ToList();
        // 3 rows × 6 columns less the empty population types of 西江清洁, and the 5 totals.
        Assert.Equal(3 * 6 - 1 + 5, links.Count);
        var total = Assert.Single(links, l => l.EndsWith("/cells/total/personTimes"));
        var page = await browser.GetPageAsync(total);
        Assert.Equal("6", page.QuerySelector("#drill-figure .drill-figure")!.TextContent.Trim());
        Assert.Equal(6, page.QuerySelectorAll("#drill-items tbody tr").Length);
        Assert.Contains("撤销", page.QuerySelector("#drill-items")!.TextContent);
        var csv = await browser.GetAsync(page.QuerySelector("#drill-csv")!.GetAttribute("href")!);
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        // The media table's numbers link too.
        Assert.NotEmpty(report.QuerySelectorAll("#media-table a.drill-link"));
        // Outside the subtree: not found.
        await app.CreateUnitAdminAsync("dinghu", "441203");
        using var other = app.PageClient();
        await other.SignInAsync("dinghu", "Unit-admin-2019");
        await other.GetPageAsync(total, HttpStatusCode.NotFound);
    }
}
