using System.Net;
using Zhiyuan.Tests.Activities;

namespace Zhiyuan.BrowserTests;

/// <summary>
/// The public cache through a real Kestrel and a real HTTP client (the in-memory test server does not frame
/// answers): a page and an API answer served from memory arrive whole, with their length and the headers they
/// were rendered with, and not as chunks.
/// </summary>
public sealed class PublicCacheOverKestrelTests
{
    [Fact]
    public async Task AnAnswerServedFromMemoryIsTheRenderedAnswerWithItsLength()
    {
        using var app = new Zhiyuan.Tests.TestApp();
        app.UseKestrel(0);
        app.StartServer();
        // Enough activities that the list and the API answer are sent in pieces (chunked) when rendered.
        using var admin = await app.ApiClientAsync();
        var host = await Scenario.OrganizationAsync(admin);
        for (var i = 0; i < 30; i++)
        {
            await Scenario.PublishedAsync(admin, Scenario.Activity(host, Scenario.InDays(3 + i % 20), title: $"西江河畔清洁行动 第 {i + 1} 场：沿江步道垃圾分拣与宣传"));
        }
        using var http = new HttpClient { BaseAddress = app.ClientOptions.BaseAddress };
        http.DefaultRequestHeaders.AcceptLanguage.ParseAdd("zh-CN");
        foreach (var url in new[] { "/", "/api/activities", "/activities" })
        {
            // Within one 10-second window of the platform's clock, the second answer is the first one kept.
            HttpResponseMessage first, second;
            string firstBody, secondBody;
            var attempts = 0;
            do
            {
                Assert.True(++attempts <= 3, $"{url} was never served from memory");
                first = await http.GetAsync(url);
                firstBody = await first.Content.ReadAsStringAsync();
                second = await http.GetAsync(url);
                secondBody = await second.Content.ReadAsStringAsync();
            }
            while (second.Headers.Age is null);
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
            Assert.Equal(firstBody, secondBody);
            Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(secondBody), second.Content.Headers.ContentLength);
            Assert.Null(second.Headers.TransferEncodingChunked);
            Assert.Equal(first.Content.Headers.ContentType, second.Content.Headers.ContentType);
            Assert.Equal(first.Headers.GetValues("X-Content-Type-Options"), second.Headers.GetValues("X-Content-Type-Options"));
        }
    }
}
