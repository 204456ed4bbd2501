using System.Net;
using System.Reflection;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Endpoints;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Zhiyuan.Tests.Platform;

/// <summary>
/// Every page that reads a typed query parameter (a page number, a yes/no, an id), given a value of the
/// wrong type in the address, as a mistyped or truncated link gives it: a 400 that names the parameter
/// and the value, never a server error.
/// </summary>
public sealed class PageQueryParameterTests : AppTest
{
    [Fact]
    public async Task AQueryValueAPageCannotReadIsRefusedWithItsNameNotAServerError()
    {
        using var client = app.PageClient();
        await client.SignInAsync("admin", TestApp.AdminPassword);
        var pages = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.Parameters.Count == 0 && e.Metadata.GetMetadata<ComponentTypeMetadata>() is not null)
            .Select(e => (Path: e.RoutePattern.RawText!, Page: e.Metadata.GetMetadata<ComponentTypeMetadata>()!.Type))
            .DistinctBy(p => p.Path).ToList();
        var checkedParameters = 0;
        foreach (var (path, page) in pages)
        {
            var typed = page.GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
                .Where(p => p.PropertyType != typeof(string) && p.GetCustomAttribute<SupplyParameterFromQueryAttribute>() is not null)
                .Select(p => p.GetCustomAttribute<SupplyParameterFromQueryAttribute>()!.Name ?? p.Name);
            foreach (var name in typed)
            {
                var response = await client.GetAsync($"{path}?{name}=not-a-value");
                Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{path}?{name}=not-a-value answered {(int)response.StatusCode}");
                await Pages.AssertFieldErrorAsync(response, name, "not-a-value");
                // Left empty, as a form with nothing chosen sends it: the page as without it.
                var empty = await client.GetAsync($"{path}?{name}=");
                Assert.True(empty.StatusCode == HttpStatusCode.OK, $"{path}?{name}= answered {(int)empty.StatusCode}");
                checkedParameters++;
            }
        }
        // The page numbers of the volunteer, activity and stars lists, the activity list's filter, the unit tree's switches and more.
        Assert.True(checkedParameters >= 6, $"only {checkedParameters} typed query parameters found");
    }

    [Fact]
    public async Task ABrowserFollowingAMistypedLinkGetsAPageSayingWhatIsWrongInItsLanguage()
    {
        using var client = app.PageClient();
        foreach (var (language, title, reason) in new[] { ("zh-CN", "请求有误", "“abc”"), ("en", "Something in this request is wrong", "\"abc\"") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/activities?page=abc&q=%E6%B8%85%E6%B4%81");
            request.Headers.Accept.ParseAdd("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
            request.Headers.AcceptLanguage.ParseAdd(language);
            var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
            var page = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
            Assert.Equal(title, page.QuerySelector("h1")!.TextContent);
            Assert.Contains(reason, page.QuerySelector("#bad-address-reason")!.TextContent);
            Assert.Contains("page", page.QuerySelector(".hint")!.TextContent);
            Assert.Equal("/activities", page.QuerySelector("#bad-address-retry")!.GetAttribute("href"));
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(page.QuerySelector("#bad-address-retry")!.GetAttribute("href"))).StatusCode);
        }

        // A value that would write markup is shown as text.
        using var hostile = new HttpRequestMessage(HttpMethod.Get, "/activities?page=%3Cscript%3Ealert(1)%3C/script%3E");
        hostile.Headers.Accept.ParseAdd("text/html");
        var hostileText = await (await client.SendAsync(hostile)).Content.ReadAsStringAsync();
        Assert.DoesNotContain("<script>", hostileText);
        Assert.Contains("&lt;script&gt;", hostileText);

        // The API never answers with the page.
        using var api = new HttpRequestMessage(HttpMethod.Get, "/api/activities?q=%00");
        api.Headers.Accept.ParseAdd("text/html");
        var apiResponse = await client.SendAsync(api);
        Assert.Equal(HttpStatusCode.BadRequest, apiResponse.StatusCode);
        Assert.NotEqual("text/html", apiResponse.Content.Headers.ContentType?.MediaType);
    }
}
