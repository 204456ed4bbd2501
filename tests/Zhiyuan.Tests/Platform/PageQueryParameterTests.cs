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
}
