using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Tests.Volunteers;

namespace Zhiyuan.BrowserTests;

/// <summary>
/// The pages whose scripts the Content-Security-Policy could stop (the certificate's print button, once an
/// onclick attribute; the dashboard's charts) still work in Chromium, and the console reports no violation.
/// </summary>
public sealed class ContentSecurityPolicyJourney
{
    [BrowserFact]
    public async Task PagesWithScriptsWorkUnderTheContentSecurityPolicy()
    {
        await using var browser = await Browser.StartAsync();
        var app = browser.App;
        await app.RegisterAsync("林小雨", People.ResidentId(2000, 124), "13912345678");
        // The demo campaign seeded on start.
        var campaignId = await app.WithDbAsync(db => db.Campaigns.Select(c => c.Id).FirstAsync());

        var violations = new ConcurrentQueue<string>();
        var page = await browser.NewPageAsync();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase) || message.Text.Contains("Refused to", StringComparison.Ordinal))
            {
                violations.Enqueue($"{page.Url}: {message.Text}");
            }
        };
        page.PageError += (_, error) => violations.Enqueue($"{page.Url}: {error}");

        await page.GotoAsync("/");
        await page.GotoAsync($"/campaigns/{campaignId}/dashboard");
        await page.Locator("#chart-weeks canvas").WaitForAsync();

        // The print button works from its script file: window.print is replaced to see the click reach it.
        await Browser.SignInAsync(page, "13912345678", People.Password, "/me/certificate");
        await page.EvaluateAsync("() => { window.printed = false; window.print = () => { window.printed = true; }; }");
        await page.ClickAsync("button[data-print]");
        Assert.True(await page.EvaluateAsync<bool>("() => window.printed"));

        var before = violations.ToList();
        Assert.True(before.Count == 0, string.Join("\n", before));

        // An injected inline script does not run: the policy is really there.
        Assert.False(await page.EvaluateAsync<bool>(
            "() => { const s = document.createElement('script'); s.textContent = 'window.injected = true'; document.body.appendChild(s); return window.injected === true; }"));
    }
}
