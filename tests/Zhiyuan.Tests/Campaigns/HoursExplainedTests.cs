using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Tests.Volunteers;
using Zhiyuan.Web.Hours;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Campaigns;

/// <summary>A volunteer's own record traces every hour to its session, its confirmation (who, when) and any reversal or correction.</summary>
public sealed class HoursExplainedTests : AppTest
{
    [Fact]
    public async Task TheServiceRecordTracesEachHourToItsSessionConfirmationAndCorrection()
    {
        var data = await CampaignData.CreateAsync(app);
        // v3 was credited 120 minutes on 5 March, reversed and corrected to 150; v2's 社区普法 hours are then reversed outright.
        var (v3, v2) = await app.WithDbAsync(async db =>
        {
            var corrected = await db.LedgerEntries.Where(e => e.Kind == LedgerEntryKind.Correction).Select(e => e.Volunteer!.Number).SingleAsync();
            var law = await db.LedgerEntries.Include(e => e.Volunteer).SingleAsync(e => e.Activity!.Title == "社区普法");
            db.LedgerEntries.Add(new LedgerEntry
            {
                VolunteerId = law.VolunteerId, VolunteerUnitId = law.VolunteerUnitId, SessionId = law.SessionId, ActivityId = law.ActivityId, OrganizationId = law.OrganizationId,
                StartUtc = law.StartUtc, EndUtc = law.EndUtc, Minutes = -law.Minutes, Kind = LedgerEntryKind.Reversal, ReversesEntryId = law.Id,
                RecordedAtUtc = law.RecordedAtUtc.AddDays(2), RecordedBy = "城东街道管理员", Reason = "未实际到场",
            });
            await db.SaveChangesAsync();
            return (corrected, law.Volunteer!.Number);
        });

        using var volunteer = await app.ApiClientAsync(v3, People.Password);
        var record = await OkAsync(await volunteer.GetAsync("/api/volunteers/me/record"));
        var line = Assert.Single(record.GetProperty("lines").EnumerateArray());
        Assert.Equal(150, line.GetProperty("minutes").GetInt32());
        Assert.Equal(CampaignData.China(5, 9), line.GetProperty("sessionStartUtc").GetDateTime());
        var trace = line.GetProperty("trace").EnumerateArray().ToList();
        Assert.Equal([("Confirmed", 120), ("Reversal", -120), ("Correction", 150)], trace.Select(t => (t.GetProperty("kind").GetString(), t.GetProperty("minutes").GetInt32())));
        Assert.All(trace, t => Assert.Equal("test", t.GetProperty("recordedBy").GetString()));
        Assert.Equal(CampaignData.China(6, 12), trace[0].GetProperty("recordedAtUtc").GetDateTime());
        Assert.Equal("签退时间有误", trace[2].GetProperty("reason").GetString());
        // The trace adds up to the line: every hour accounted for.
        Assert.Equal(line.GetProperty("minutes").GetInt32(), trace.Sum(t => t.GetProperty("minutes").GetInt32()));

        using var browser = app.PageClient();
        await browser.SignInAsync(v3, People.Password);
        var page = await browser.GetPageAsync("/me/record");
        var shown = page.QuerySelector(".hour-trace")!.TextContent;
        Assert.Contains("test 于 2019-03-06 12:00 确认 2.00 小时", shown);
        Assert.Contains("撤销 2.00 小时", shown);
        Assert.Contains("更正为 2.50 小时", shown);
        Assert.Contains("原因：签退时间有误", shown);
        Assert.Contains("2019-03-05 09:00–12:00", shown);
        Assert.NotNull((await browser.GetPageAsync("/me")).QuerySelector("#hours-explained"));

        // Hours reversed outright count nothing and still say who took them back and why.
        using var other = app.PageClient();
        await other.SignInAsync(v2, People.Password);
        var withdrawn = (await other.GetPageAsync("/me/record")).QuerySelector("#record-withdrawn")!.TextContent;
        Assert.Contains("社区普法", withdrawn);
        Assert.Contains("城东街道管理员 于 2019-03-07 16:00 撤销 2.00 小时", withdrawn);
        Assert.Contains("未实际到场", withdrawn);
    }
}
