using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;

namespace Zhiyuan.Tests.Volunteers;

public sealed class CertificateTests : AppTest
{
    async Task<(HttpClient Browser, string Number)> RegisteredVolunteerAsync()
    {
        var volunteer = await app.RegisterAsync("李明华", People.ResidentId(1990, 123), "13812345678");
        var browser = app.PageClient();
        await browser.SignInAsync("13812345678", People.Password);
        return (browser, volunteer.GetProperty("number").GetString()!);
    }

    [Fact]
    public async Task TheCertificatesQrCodeLeadsToAPublicPageSayingItIsGenuine()
    {
        var (browser, number) = await RegisteredVolunteerAsync();
        var certificate = await browser.GetPageAsync("/me/certificate");
        Assert.Equal(number, certificate.QuerySelector("#certificate-number")!.TextContent);
        Assert.Equal("暂无星级", certificate.QuerySelector("#certificate-stars")!.TextContent);

        var image = certificate.QuerySelector("#certificate-qr")!.GetAttribute("src")!;
        var url = QrCodes.Decode(Convert.FromBase64String(image["data:image/png;base64,".Length..]));

        Assert.Matches("^http://localhost/verify/[A-Za-z0-9_-]{22}$", url);
        Assert.DoesNotContain(number, url);
        using var stranger = app.PageClient();
        var verified = await stranger.GetPageAsync(new Uri(url).PathAndQuery);
        Assert.Contains("真实有效", verified.QuerySelector("#verify-result")!.TextContent);
        Assert.Contains("李*华", verified.Body!.TextContent);
        Assert.DoesNotContain("李明华", verified.Body!.TextContent);
        Assert.DoesNotContain("138", verified.Body!.TextContent);
    }

    [Fact]
    public async Task ARevokedCertificateVerifiesAsRevokedAndCanBeRestored()
    {
        var (browser, number) = await RegisteredVolunteerAsync();
        var code = await app.WithDbAsync(db => db.Volunteers.Select(v => v.CertificateCode).SingleAsync());
        using var city = await app.ApiClientAsync();

        var withoutReason = await city.PostAsJsonAsync($"/api/volunteers/{number}/certificate/revoke", new { reason = "" });
        await Pages.AssertFieldErrorAsync(withoutReason, "reason", "注销原因");
        Assert.Equal(HttpStatusCode.OK, (await city.PostAsJsonAsync($"/api/volunteers/{number}/certificate/revoke", new { reason = "本人申请注销" })).StatusCode);

        using var stranger = app.CreateClient();
        var revoked = await stranger.GetFromJsonAsync<JsonElement>($"/api/certificates/{code}");
        Assert.False(revoked.GetProperty("genuine").GetBoolean());
        Assert.True(revoked.GetProperty("revoked").GetBoolean());
        Assert.Contains("已注销", (await (await stranger.GetAsync($"/verify/{code}")).Content.ReadAsStringAsync()));

        await city.PostAsync($"/api/volunteers/{number}/certificate/restore", null);
        Assert.True((await stranger.GetFromJsonAsync<JsonElement>($"/api/certificates/{code}")).GetProperty("genuine").GetBoolean());
    }

    [Fact]
    public async Task CertificateLinksCannotBeGuessedFromVolunteerNumbers()
    {
        await app.RegisterAsync("甲", People.ResidentId(1990, 11), "13800000001");
        await app.RegisterAsync("乙", People.ResidentId(1990, 13), "13800000002");
        var codes = await app.WithDbAsync(db => db.Volunteers.Select(v => v.CertificateCode).ToListAsync());
        Assert.All(codes, c => Assert.Matches("^[A-Za-z0-9_-]{22}$", c));
        Assert.NotEqual(codes[0][..8], codes[1][..8]);

        using var stranger = app.CreateClient();
        foreach (var guess in new[] { "ZY00000001", "1", codes[0][..21] + (codes[0][21] == 'A' ? 'B' : 'A'), new string('A', 22) })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/api/certificates/{guess}")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/verify/{guess}")).StatusCode);
        }
    }
}
