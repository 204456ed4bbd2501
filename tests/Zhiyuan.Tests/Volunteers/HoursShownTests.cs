using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Zhiyuan.Tests.Recognition;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Volunteers;

/// <summary>Hours on the volunteer's own page and on the administrator's volunteer page, from the hour ledger.</summary>
public sealed class HoursShownTests : AppTest
{
    /// <summary>A service credited to the volunteer: its China start time and the minutes the ledger holds for it.</summary>
    sealed record Service(DateTime ChinaStart, int Hours, string Title)
    {
        public DateTime StartUtc => DateTime.SpecifyKind(ChinaStart, DateTimeKind.Utc).AddHours(-8);

        public int Minutes { get; set; } = Hours * 60;

        public Guid EntryId { get; set; }
    }

    /// <summary>Now is 15 June 2026, 10:00 China time.</summary>
    void AtMidJune2026() => app.Clock.Offset = new DateTimeOffset(2026, 6, 15, 10, 0, 0, China) - DateTimeOffset.UtcNow;

    static decimal Hours(int minutes) => Math.Round(minutes / 60m, 2, MidpointRounding.AwayFromZero);

    static decimal Figure(JsonElement hours, string name) => hours.GetProperty(name).GetDecimal();

    [Fact]
    public async Task TheVolunteerAndTheirAdministratorSeeTheLedgersTotalsAndACorrectionOrReversalChangesThem()
    {
        AtMidJune2026();
        using var city = await app.ApiClientAsync();
        var host = await OrganizationAsync(city);
        var (number, _) = (await app.VolunteersAsync(1))[0];
        // The year is China's: a service starting at 00:30 on 1 January China time (still 31 December in UTC) is this year's.
        var services = new List<Service>
        {
            new(new DateTime(2025, 6, 1, 9, 0, 0), 4, "河道巡查"),
            new(new DateTime(2025, 12, 31, 21, 0, 0), 2, "跨年志愿服务"),
            new(new DateTime(2026, 1, 1, 0, 30, 0), 3, "元旦敬老"),
            new(new DateTime(2026, 3, 5, 9, 0, 0), 97, "学雷锋月长期驻点"),
        };
        foreach (var service in services)
        {
            service.EntryId = await app.CreditAsync(host, number, service.Hours, service.StartUtc, service.Title);
        }
        (int Total, int Year) Expected() => (services.Sum(s => s.Minutes), services.Where(s => s.ChinaStart.Year == 2026).Sum(s => s.Minutes));

        using var volunteer = await app.ApiClientAsync(number, People.Password);
        async Task<JsonElement> OwnHoursAsync() => (await OkAsync(await volunteer.GetAsync("/api/volunteers/me"))).GetProperty("hours");
        var hours = await OwnHoursAsync();
        Assert.Equal((Hours(Expected().Total), Hours(Expected().Year), 2026), (Figure(hours, "totalHours"), Figure(hours, "yearHours"), hours.GetProperty("year").GetInt32()));
        Assert.Equal(106.00m, Figure(hours, "totalHours"));
        // 106 hours reach the first star, which waits for the unit's review: nothing is missing for it.
        Assert.Equal((0, 1, 1, 100), (hours.GetProperty("starLevel").GetInt32(), hours.GetProperty("starLevelByHours").GetInt32(),
            hours.GetProperty("nextStarLevel").GetInt32(), hours.GetProperty("nextStarHours").GetInt32()));
        Assert.Equal(0m, Figure(hours, "hoursToNextStar"));

        // The organisation corrects the New Year's service to 95 minutes: two decimals, exactly as the record has it.
        var newYear = services.Single(s => s.Title == "元旦敬老");
        var start = new DateTimeOffset(newYear.StartUtc, TimeSpan.Zero);
        await OkAsync(await city.PostAsJsonAsync($"/api/hours/entries/{newYear.EntryId}/correction", new { startAt = start, endAt = start.AddMinutes(95), reason = "提前离场" }));
        newYear.Minutes = 95;
        hours = await OwnHoursAsync();
        Assert.Equal((Hours(Expected().Total), Hours(Expected().Year)), (Figure(hours, "totalHours"), Figure(hours, "yearHours")));
        Assert.Equal("104.58", hours.GetProperty("totalHours").GetRawText());

        // The long stay is withdrawn altogether (a reversal): the totals drop and the first star is missing again.
        var stay = services.Single(s => s.Title == "学雷锋月长期驻点");
        await OkAsync(await city.PostAsJsonAsync($"/api/hours/entries/{stay.EntryId}/correction", new { reason = "重复登记" }));
        services.Remove(stay);
        hours = await OwnHoursAsync();
        var (total, year) = Expected();
        Assert.Equal((Hours(total), Hours(year)), (Figure(hours, "totalHours"), Figure(hours, "yearHours")));
        Assert.Equal((7.58m, 1.58m), (Figure(hours, "totalHours"), Figure(hours, "yearHours")));
        Assert.Equal(Hours(100 * 60 - total), Figure(hours, "hoursToNextStar"));
        Assert.Equal(0, hours.GetProperty("starLevelByHours").GetInt32());
        // The same total as the service record, which the certificate is issued from.
        Assert.Equal(total, (await OkAsync(await volunteer.GetAsync("/api/volunteers/me/record"))).GetProperty("totalMinutes").GetInt32());

        // The volunteer's page says the same.
        using var browser = app.PageClient();
        await browser.SignInAsync(number, People.Password);
        var page = await browser.GetPageAsync("/me");
        var facts = page.QuerySelector("#my-hours-facts")!;
        Assert.Contains($"{Hours(total):0.00} 小时", facts.QuerySelector(".total-hours")!.TextContent);
        Assert.Contains($"{Hours(year):0.00} 小时", facts.QuerySelector(".year-hours")!.TextContent);
        Assert.Contains("2026 年", facts.TextContent);
        Assert.Contains($"还差 {Hours(100 * 60 - total):0.00} 小时", facts.QuerySelector(".next-star")!.TextContent);

        // The administrator of the volunteer's unit: hours, the latest ledger lines (reversals included) and the organisations.
        await app.CreateUnitAdminAsync("duanzhou", "441202");
        using var duanzhou = await app.ApiClientAsync("duanzhou", "Unit-admin-2019");
        await OkAsync(await volunteer.PostAsync($"/api/organizations/{host}/applications", null));
        await OkAsync(await city.PostAsJsonAsync($"/api/organizations/{host}/members/{number}/decision", new { approve = true }));
        var detail = await OkAsync(await duanzhou.GetAsync($"/api/volunteers/{number}"));
        Assert.Equal((Hours(total), Hours(year)), (Figure(detail.GetProperty("hours"), "totalHours"), Figure(detail.GetProperty("hours"), "yearHours")));
        var lines = detail.GetProperty("recentService").EnumerateArray().ToList();
        // Four confirmations, one reversal and one correction of the New Year's service, and the long stay's reversal: seven lines, newest service first.
        Assert.Equal(7, lines.Count);
        Assert.Equal(total, lines.Sum(l => l.GetProperty("minutes").GetInt32()));
        Assert.Equal("学雷锋月长期驻点", lines[0].GetProperty("activity").GetString());
        Assert.Contains(lines, l => l.GetProperty("kind").GetString() == "Reversal" && l.GetProperty("hours").GetDecimal() == -97m);
        Assert.Contains(lines, l => l.GetProperty("kind").GetString() == "Correction" && l.GetProperty("hours").GetDecimal() == 1.58m);
        var organization = Assert.Single(detail.GetProperty("organizations").EnumerateArray());
        Assert.Equal("端州区青年志愿者协会", organization.GetProperty("name").GetString());

        using var adminBrowser = app.PageClient();
        await adminBrowser.SignInAsync("duanzhou", "Unit-admin-2019");
        var adminPage = await adminBrowser.GetPageAsync($"/volunteers/{number}");
        Assert.Contains($"{Hours(total):0.00} 小时", adminPage.QuerySelector("#volunteer-hours .total-hours")!.TextContent);
        Assert.Equal(7, adminPage.QuerySelectorAll("#recent-service tbody tr").Length);
        Assert.Contains("冲销", adminPage.QuerySelector("#recent-service")!.TextContent);
        Assert.Contains("端州区青年志愿者协会", adminPage.QuerySelector("#volunteer-organizations")!.TextContent);
        // Lists carry no hours; only the detail does.
        var list = await OkAsync(await duanzhou.GetAsync("/api/volunteers"));
        Assert.Equal(JsonValueKind.Null, list.GetProperty("items")[0].GetProperty("hours").ValueKind);
    }

    [Fact]
    public async Task AnAdministratorOutsideTheVolunteersSubtreeSeesNoneOfIt()
    {
        AtMidJune2026();
        using var city = await app.ApiClientAsync();
        var host = await OrganizationAsync(city);
        var (number, _) = (await app.VolunteersAsync(1))[0];
        await app.CreditAsync(host, number, 5, new DateTime(2026, 3, 5, 1, 0, 0, DateTimeKind.Utc));
        await app.CreateUnitAdminAsync("dinghu", "441203");
        using var dinghu = await app.ApiClientAsync("dinghu", "Unit-admin-2019");
        var refused = await dinghu.GetAsync($"/api/volunteers/{number}");
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        Assert.DoesNotContain("hours", await refused.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        using var browser = app.PageClient();
        await browser.SignInAsync("dinghu", "Unit-admin-2019");
        var page = await browser.GetPageAsync($"/volunteers/{number}", HttpStatusCode.NotFound);
        Assert.Null(page.QuerySelector("#volunteer-service"));
        // The city, above everyone, sees it.
        Assert.Equal(5.00m, (await OkAsync(await city.GetAsync($"/api/volunteers/{number}"))).GetProperty("hours").GetProperty("totalHours").GetDecimal());
    }
}
