using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Zhiyuan.Tests.Volunteers;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Recognition;

public sealed class ServiceCertificateTests : AppTest
{
    [Fact]
    public async Task AVolunteerIssuesACertificateThatVerifiesByQrAndShortCodeWithTheFiguresItShowedEvenAfterACorrection()
    {
        using var admin = await app.ApiClientAsync();
        var host = await OrganizationAsync(admin);
        var volunteer = (await app.VolunteersAsync(1))[0];
        var first = await app.CreditAsync(host, volunteer.Number, 3, new DateTime(2026, 3, 5, 1, 0, 0, DateTimeKind.Utc), "学雷锋纪念日清洁");
        await app.CreditAsync(host, volunteer.Number, 2, new DateTime(2026, 6, 1, 1, 0, 0, DateTimeKind.Utc), "六一关爱留守儿童");

        var url = "/api/volunteers/me/service-certificates";
        await Pages.AssertFieldErrorAsync(await volunteer.Client.PostAsJsonAsync(url, new { from = "2026-07-01", to = "2026-03-01" }), "to", "");
        await Pages.AssertFieldErrorAsync(await volunteer.Client.PostAsJsonAsync(url, new { from = "2025-01-01", to = "2025-12-31" }), "from", "没有已确认的服务记录");
        var march = await OkAsync(await volunteer.Client.PostAsJsonAsync(url, new { from = "2026-03-01", to = "2026-03-31" }));
        Assert.Equal(180, march.GetProperty("totalMinutes").GetInt32());
        Assert.Single(march.GetProperty("lines").EnumerateArray());
        var all = await OkAsync(await volunteer.Client.PostAsJsonAsync(url, new { }));
        Assert.Equal(300, all.GetProperty("totalMinutes").GetInt32());
        Assert.Matches(@"^ZM\d{4}-000002$", all.GetProperty("serial").GetString());
        Assert.Equal("端州区青年志愿者协会（端州区）", all.GetProperty("lines")[0].GetProperty("recordingUnit").GetString());
        Assert.Equal("肇庆市志愿者联合会", all.GetProperty("issuer").GetString());

        // A correction afterwards: the issued certificate still verifies with what it showed.
        await OkAsync(await admin.PostAsJsonAsync($"/api/hours/entries/{first}/correction", new { reason = "登记有误" }));
        using var anonymous = app.CreateClient();
        var code = all.GetProperty("code").GetString()!;
        var verified = await OkAsync(await anonymous.GetAsync($"/api/service-certificates/verify?code={code}"));
        Assert.Equal(300, verified.GetProperty("totalMinutes").GetInt32());
        Assert.DoesNotContain("志愿者100", verified.GetRawText());
        var shortCode = all.GetProperty("shortCode").GetString()!;
        Assert.Equal(300, (await OkAsync(await anonymous.GetAsync($"/api/service-certificates/verify?short={shortCode[..4]}-{shortCode[4..].ToLowerInvariant()}"))).GetProperty("totalMinutes").GetInt32());
        // A new certificate now shows the corrected record.
        Assert.Equal(120, (await OkAsync(await volunteer.Client.PostAsJsonAsync(url, new { }))).GetProperty("totalMinutes").GetInt32());

        // Forged or altered codes: the same 404, nothing learnt.
        var altered = code[..^1] + (code[^1] == 'a' ? 'b' : 'a');
        var answers = new List<string>();
        foreach (var guess in new[] { altered, "not-a-code", new string('0', 32), "ABCDEFGH" })
        {
            var response = await anonymous.GetAsync($"/api/service-certificates/verify?code={guess}&short={guess}");
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            answers.Add(string.Join("|", body.EnumerateObject().Where(p => p.Name != "traceId").Select(p => p.ToString())));
        }
        Assert.Single(answers.Distinct());
        // The page answers with the site's ordinary "not found".
        var page = await app.PageClient().GetPageAsync($"/verify/record/{altered}", HttpStatusCode.NotFound);
        Assert.DoesNotContain(volunteer.Number, page.Body!.TextContent);
    }

    [Fact]
    public async Task GuessingShortCodesIsRateLimited()
    {
        using var anonymous = app.CreateClient();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 25; i++)
        {
            statuses.Add((await anonymous.GetAsync($"/api/service-certificates/verify?short=ABCD{i:0000}")).StatusCode);
        }
        Assert.Equal(20, statuses.Count(s => s == HttpStatusCode.NotFound));
        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
    }

    [Fact]
    public async Task TheCertificatePageIsOnlyTheHoldersAndPrintsTheSerialQrAndShortCode()
    {
        using var admin = await app.ApiClientAsync();
        var host = await OrganizationAsync(admin);
        var volunteer = (await app.VolunteersAsync(2))[0];
        await app.CreditAsync(host, volunteer.Number, 4, new DateTime(2026, 3, 5, 1, 0, 0, DateTimeKind.Utc));
        var issued = await OkAsync(await volunteer.Client.PostAsJsonAsync("/api/volunteers/me/service-certificates", new { }));
        var id = issued.GetProperty("id").GetGuid();
        using var browser = app.PageClient();
        await browser.SignInAsync(volunteer.Number, People.Password);
        var page = await browser.GetPageAsync($"/me/service-certificates/{id}");
        Assert.Equal(issued.GetProperty("serial").GetString(), page.QuerySelector("#certificate-serial")!.TextContent);
        Assert.Equal(issued.GetProperty("shortCode").GetString(), page.QuerySelector("#certificate-short-code")!.TextContent);
        Assert.StartsWith("data:image/png;base64,", page.QuerySelector("#service-certificate-qr")!.GetAttribute("src"));
        using var other = app.PageClient();
        await other.SignInAsync((await app.WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.SingleAsync(
            db.Volunteers.Where(v => v.Number != volunteer.Number).Select(v => v.Number)))), People.Password);
        await other.GetPageAsync($"/me/service-certificates/{id}", HttpStatusCode.NotFound);
    }
}
