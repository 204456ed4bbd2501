using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Web.Campaigns;

namespace Zhiyuan.Tests.Campaigns;

/// <summary>The March 2019 demo data (Demo:March2019=true), as the city administrator sees it through the API.</summary>
public sealed class DemoDataTests
{
    sealed class DemoApp : TestApp
    {
        public DemoApp()
        {
        }

        public DemoApp(TestDatabase database) : base(database)
        {
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Demo:March2019", "true");
        }
    }

    [Fact]
    public async Task The_demo_month_gives_the_city_a_computed_table_and_a_grid_with_submitted_reports()
    {
        await using var app = new DemoApp();
        using var city = await app.ApiClientAsync();
        var campaigns = await city.GetFromJsonAsync<JsonElement>("/api/campaigns");
        var id = campaigns.EnumerateArray().Single(c => c.GetProperty("name").GetString() == DemoCampaign.Name).GetProperty("id").GetString();

        var report = await city.GetFromJsonAsync<JsonElement>($"/api/campaigns/{id}/reports/441200/1");
        var table = report.GetProperty("table");
        Assert.True(table.GetProperty("activities").GetArrayLength() > 0);
        var personTimes = table.GetProperty("activityTotal").GetProperty("personTimes").GetInt32();
        var minutes = table.GetProperty("activityTotal").GetProperty("minutes").GetInt32();
        Assert.True(personTimes > 0 && minutes > 0, $"person-times {personTimes}, minutes {minutes}");
        // The frozen table is what the calculator gives now: the demo's reports were computed, not made up.
        Assert.True(report.GetProperty("isFrozen").GetBoolean());
        Assert.Empty(report.GetProperty("liveDifferences").EnumerateArray());
        // And it is the ledger of period 1 (1–7 March, China time).
        var (from, to) = CampaignCalendar.UtcRange(new DateOnly(2019, 3, 1), new DateOnly(2019, 3, 7));
        var ledger = await app.WithDbAsync(async db =>
        {
            var entries = db.LedgerEntries.Where(e => e.Session!.StartsAtUtc >= from && e.Session.StartsAtUtc < to);
            return (await entries.CountAsync(), await entries.SumAsync(e => e.Minutes));
        });
        Assert.Equal(ledger, (personTimes, minutes));

        var grid = await city.GetFromJsonAsync<JsonElement>($"/api/campaigns/{id}/completeness");
        var cells = grid.GetProperty("rows").EnumerateArray().SelectMany(r => r.GetProperty("cells").EnumerateArray()).ToList();
        var statuses = cells.Select(c => c.GetProperty("status").ValueKind == JsonValueKind.Null ? "" : c.GetProperty("status").GetString()).ToList();
        Assert.Contains("Submitted", statuses);
        Assert.Contains("Approved", statuses);
        Assert.Contains("Returned", statuses);
        Assert.Contains(cells, c => c.GetProperty("onTime").ValueKind == JsonValueKind.False);
        Assert.True(grid.GetProperty("rates")[0].GetProperty("reported").GetInt32() > 0);

        // A second start (or a second node) adds nothing more.
        var activities = await app.WithDbAsync(db => db.Activities.CountAsync());
        await using (var again = new DemoApp(app.Database))
        {
            Assert.Equal(activities, await again.WithDbAsync(db => db.Activities.CountAsync()));
        }
    }
}
