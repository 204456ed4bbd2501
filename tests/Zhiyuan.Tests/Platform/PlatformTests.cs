using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Zhiyuan.Tests.Platform;

public sealed class PlatformTests : AppTest
{
    [Fact]
    public async Task TheSuiteRunsOnTheDatabaseItWasAskedFor()
    {
        var provider = await app.WithDbAsync(db => Task.FromResult(db.Database.ProviderName));

        Assert.Contains(TestDatabase.Provider == Zhiyuan.Web.Data.DatabaseProvider.Postgres ? "Npgsql" : "Sqlite", provider);
    }

    [Fact]
    public async Task HealthSaysHealthyWhenTheDatabaseAnswers()
    {
        using var client = app.CreateClient();

        var response = await client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // JSON with the running version since the operations work (HealthAndMetricsTests has the rest).
        Assert.Equal("Healthy", System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task TheOpenApiDocumentDescribesTheApiAndHasAReferencePage()
    {
        using var client = app.CreateClient();

        var document = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = document.GetProperty("paths");
        foreach (var path in new[] { "/api/units", "/api/units/{code}", "/api/units/{code}/children", "/api/units/{code}/move", "/api/auth/token", "/api/auth/password", "/api/accounts", "/api/accounts/{userName}/unlock" })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is not in the OpenAPI document");
        }
        Assert.Equal("http", document.GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer").GetProperty("type").GetString());
        var reference = await client.GetAsync("/api/reference");
        Assert.Equal(HttpStatusCode.OK, reference.StatusCode);
        Assert.Contains("openapi/v1.json", await reference.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task TheHomePageSpeaksChineseByDefaultAndEnglishAfterTheSwitch()
    {
        using var browser = app.PageClient(language: "");
        var chinese = await browser.GetPageAsync("/");
        Assert.Equal("zh-CN", chinese.DocumentElement.GetAttribute("lang"));
        Assert.Contains("志愿服务平台", chinese.QuerySelector("h1")!.TextContent);
        var switchLink = chinese.QuerySelector("#switch-language")!.GetAttribute("href")!;

        var switched = await browser.GetAsync(switchLink);
        Assert.Equal(HttpStatusCode.Redirect, switched.StatusCode);
        Assert.Equal("/", switched.Headers.Location!.OriginalString);
        var english = await browser.GetPageAsync("/");

        Assert.Equal("en", english.DocumentElement.GetAttribute("lang"));
        Assert.Contains("volunteer-service platform", english.QuerySelector("h1")!.TextContent);
        Assert.Equal("中文", english.QuerySelector("#switch-language")!.TextContent);
    }

    [Fact]
    public async Task PagesAndApiAnswersCarryTheSecurityHeaders()
    {
        using var client = app.CreateClient();

        foreach (var url in new[] { "/", "/api/units", "/health" })
        {
            var response = await client.GetAsync(url);
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        }
    }

    [Fact]
    public async Task TheLanguageSwitchNeverRedirectsToAnotherSite()
    {
        using var browser = app.PageClient();

        var response = await browser.GetAsync("/culture/en?returnUrl=//evil.example.com/");

        Assert.Equal("/", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task AnUnknownPageIsA404InTheUsersLanguage()
    {
        using var browser = app.PageClient();

        var page = await browser.GetPageAsync("/no-such-page", HttpStatusCode.NotFound);

        Assert.Contains("找不到页面", page.Body!.TextContent);
    }
}
