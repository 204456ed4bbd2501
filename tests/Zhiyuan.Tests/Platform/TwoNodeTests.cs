using System.Net;
using System.Net.Http.Json;

namespace Zhiyuan.Tests.Platform;

/// <summary>Nodes keep no state of their own: what one node issues, another on the same database accepts.</summary>
public sealed class TwoNodeTests
{
    [Fact]
    public async Task ACookieIssuedByOneNodeIsAcceptedByAnother()
    {
        using var nodeA = new TestApp();
        using var nodeB = new TestApp(nodeA.Database);
        var jar = new CookieContainer();
        using var onA = nodeA.PageClient(jar);
        await onA.SignInAsync("admin", TestApp.AdminPassword);

        using var onB = nodeB.PageClient(jar);
        var tree = await onB.GetPageAsync("/units");

        Assert.Contains("四会市", tree.QuerySelector("#unit-tree")!.TextContent);
        // A form rendered by node B posts back to node A: the antiforgery token is shared too.
        var page = await onB.GetPageAsync("/units/441202");
        var response = await onA.PostFormAsync("/units/441202", page, "add-child", ("Child.Code", "441202001"), ("Child.Name", "城东街道"), ("Child.Type", "Town"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("城东街道", (await onB.GetPageAsync("/units")).QuerySelector("#unit-tree")!.TextContent);
    }

    [Fact]
    public async Task ABearerTokenIssuedByOneNodeIsAcceptedByAnother()
    {
        using var nodeA = new TestApp();
        using var nodeB = new TestApp(nodeA.Database);
        using var onA = await nodeA.ApiClientAsync();
        using var onB = nodeB.CreateClient();
        onB.DefaultRequestHeaders.Authorization = onA.DefaultRequestHeaders.Authorization;

        var response = await onB.GetAsync("/api/auth/me");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("admin", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await onB.PostAsJsonAsync("/api/units/441202/children", new { code = "X-2", name = "测试", type = "Town" })).StatusCode);
    }

}
