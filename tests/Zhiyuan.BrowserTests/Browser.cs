using Deque.AxeCore.Playwright;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Playwright;
using Zhiyuan.Tests.Volunteers;

// One journey at a time: each runs a web host and a Chromium, and two of each on two cores make
// single steps slow enough to time out.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Zhiyuan.BrowserTests;

/// <summary>
/// A journey test in Debian's Chromium. Without /usr/bin/chromium it is skipped, except under
/// CI=true, where a missing browser must fail the run rather than hide it.
/// </summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public const string ChromiumPath = "/usr/bin/chromium";

    public BrowserFactAttribute()
    {
        if (!File.Exists(ChromiumPath) && Environment.GetEnvironmentVariable("CI")?.ToLowerInvariant() is not ("true" or "1"))
        {
            Skip = "Chromium is not installed (apt-get install chromium fonts-wqy-zenhei).";
        }
    }
}

/// <summary>
/// The platform on a real port with its own database, and a fresh Chromium to drive it
/// (Playwright gives every launch a new, empty profile folder of its own).
/// </summary>
public sealed class Browser : IAsyncDisposable
{
    public static readonly string ScreenshotFolder =
        Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "TestResults", "screenshots"));

    IPlaywright? playwright;
    IBrowser? chromium;

    Browser(Zhiyuan.Tests.TestApp app) => App = app;

    public Zhiyuan.Tests.TestApp App { get; }

    public string BaseAddress => App.ClientOptions.BaseAddress.ToString().TrimEnd('/');

    /// <param name="configure">Settings the app starts with (a text-message gateway, say).</param>
    public static async Task<Browser> StartAsync(Action<Zhiyuan.Tests.TestApp>? configure = null)
    {
        var app = new Zhiyuan.Tests.TestApp();
        configure?.Invoke(app);
        app.UseKestrel(0);
        app.StartServer();
        var browser = new Browser(app);
        browser.playwright = await Playwright.CreateAsync();
        browser.chromium = await browser.playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = BrowserFactAttribute.ChromiumPath,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
            ],
        });
        return browser;
    }

    /// <summary>A new page as a Chinese user's browser would open it, at the given screen size.</summary>
    public async Task<IPage> NewPageAsync(int width = 1280, int height = 800, string locale = "zh-CN")
    {
        var context = await chromium!.NewContextAsync(new() { Locale = locale, ViewportSize = new() { Width = width, Height = height }, BaseURL = BaseAddress });
        // A shared 2-core machine running a whole suite can take longer than Playwright's 30 s for one step.
        context.SetDefaultTimeout(90_000);
        context.SetDefaultNavigationTimeout(90_000);
        return await context.NewPageAsync();
    }

    /// <summary>Signs in on the sign-in page and waits to be sent back to <paramref name="returnUrl"/>.</summary>
    public static async Task SignInAsync(IPage page, string userName, string password, string returnUrl)
    {
        await page.GotoAsync("/account/sign-in?returnUrl=" + Uri.EscapeDataString(returnUrl));
        await page.FillAsync("#userName", userName);
        await page.FillAsync("#password", password);
        await page.ClickAsync("#sign-in");
        await page.WaitForURLAsync("**" + returnUrl);
    }

    /// <summary>
    /// Reads the QR code an image shows, as a phone camera would. The image is decoded by Chromium
    /// after the page has loaded, so the screenshot waits for it and is taken again if it came too early.
    /// </summary>
    public static async Task<string> ReadQrCodeAsync(ILocator image)
    {
        await image.WaitForAsync();
        await image.EvaluateAsync("img => img.decode ? img.decode() : null");
        for (var attempt = 1; ; attempt++)
        {
            var text = QrCodes.TryDecode(await image.ScreenshotAsync());
            if (text is not null || attempt == 5)
            {
                Assert.NotNull(text);
                return text;
            }
            await Task.Delay(500);
        }
    }

    /// <summary>
    /// Runs axe-core (Deque.AxeCore.Playwright) on the page as it is now and fails on any serious or critical
    /// violation, naming the rule, what it asks for and the first elements concerned. For any page — the public
    /// ones (AccessibilityJourney) and each role's home.
    /// </summary>
    public static async Task AssertAccessibleAsync(IPage page, string name)
    {
        var result = await page.RunAxe();
        var serious = result.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(serious.Count == 0, $"{name} ({page.Url}) has accessibility violations:\n" + string.Join("\n", serious.Select(v =>
            $"- {v.Id} ({v.Impact}): {v.Help} — " + string.Join(" | ", v.Nodes.Take(3).Select(n => n.Html)))));
    }

    public static async Task<string> ScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(ScreenshotFolder);
        var path = Path.Combine(ScreenshotFolder, name + ".png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        if (chromium is not null)
        {
            await chromium.DisposeAsync();
        }
        playwright?.Dispose();
        await App.DisposeAsync();
    }
}
