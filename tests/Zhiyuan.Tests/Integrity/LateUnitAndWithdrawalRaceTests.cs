using Microsoft.EntityFrameworkCore;
using Zhiyuan.Tests.Campaigns;
using Zhiyuan.Web.Campaigns;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Integrity;

/// <summary>Adding a late unit and withdrawing a submission, each pressed twenty times at once on two nodes: one change.</summary>
public sealed class LateUnitAndWithdrawalRaceTests : AppTest
{
    static void At(int day, int hour, params TestApp[] nodes)
    {
        foreach (var node in nodes)
        {
            node.Clock.Offset = new DateTimeOffset(2019, 3, day, hour, 0, 0, China) - DateTimeOffset.UtcNow;
        }
    }

    [Fact]
    [Races("POST /api/campaigns/{id}/units", "POST /api/campaigns/{id}/reports/{unitCode}/{period}/withdraw")]
    public async Task ALateUnitIsAddedOnceAndASubmissionWithdrawnOnceWhenAskedTwentyTimesAtOnce()
    {
        var data = await CampaignData.CreateAsync(app, depth: 1);
        await app.CreateUnitAdminAsync("duanzhou", "441202");
        await using var node2 = new TestApp(app.Database);
        At(9, 10, app, node2);
        using var city1 = await app.ApiClientAsync();
        using var city2 = await node2.ApiClientAsync();
        using var county1 = await app.ApiClientAsync("duanzhou", "Unit-admin-2019");
        using var county2 = await node2.ApiClientAsync("duanzhou", "Unit-admin-2019");
        var cities = new[] { city1, city2 };
        var counties = new[] { county1, county2 };
        var race = new Race(app);
        await race.IgnoreSeededViolationsAsync();

        await race.ExactlyOnceAsync("add a late unit ×20", i => cities[i % 2].PostJsonAsync($"/api/campaigns/{data.CampaignId}/units", new { unitCode = CampaignData.Town }));
        race.CheckEqual(1, await app.WithDbAsync(db => db.CampaignUnits.CountAsync(u => u.CampaignId == data.CampaignId && u.Code == CampaignData.Town)), "the town's rows in the expected list");
        race.CheckEqual(1, await app.WithDbAsync(db => db.AuditEntries.CountAsync(a => a.Action == "campaign.unit.add")), "campaign.unit.add entries in the audit log");

        var report = $"/api/campaigns/{data.CampaignId}/reports/441202/2";
        await county1.PostJsonAsync(report + "/submit", new { contactName = "李干事", contactPhone = "0758-2230000" }).OkJsonAsync();
        await race.ExactlyOnceAsync("withdraw a submission ×20", i => counties[i % 2].PostJsonAsync(report + "/withdraw", new { }));
        var stored = await app.WithDbAsync(db => db.CampaignReports.AsNoTracking().SingleAsync(r => r.CampaignId == data.CampaignId && r.PeriodNumber == 2 && db.Units.Any(u => u.Id == r.UnitId && u.Code == "441202")));
        race.CheckEqual(ReportStatus.Draft, stored.Status, "the report's status after the withdrawals");
        race.CheckEqual(1, await app.WithDbAsync(db => db.AuditEntries.CountAsync(a => a.Action == "campaign.report.withdraw")), "campaign.report.withdraw entries in the audit log");

        // Withdrawing and reviewing at once: whichever comes first stands, the other is refused.
        await county1.PostJsonAsync(report + "/submit", new { contactName = "李干事", contactPhone = "0758-2230000" }).OkJsonAsync();
        var mixed = await Race.AtOnceAsync("withdraw ×10 and return ×10 at once", Race.N, i => i % 2 == 0
            ? counties[i / 2 % 2].PostJsonAsync(report + "/withdraw", new { })
            : cities[i / 2 % 2].PostJsonAsync(report + "/return", new { comment = "请补充" }));
        race.Expect(mixed, 1, 1);
        await race.AssertNoneAsync();
    }
}
