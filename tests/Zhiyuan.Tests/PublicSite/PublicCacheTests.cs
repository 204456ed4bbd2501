using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Tests.ServicePosts;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.PublicSite;

/// <summary>
/// The cache of the public pages (PublicSite/PublicCache.cs): anonymous answers are served again,
/// never to or from someone signed in, never across languages, never after a change on this node,
/// at most 10 seconds on another, and never for a page with a form.
/// </summary>
public sealed class PublicCacheTests : AppTest
{
    /// <summary>An answer served from the cache carries Age (seconds since it was kept).</summary>
    static bool FromCache(HttpResponseMessage response) => response.Headers.Age is not null;

    /// <summary>Moves the clocks to the start of a 10-second freshness window, so that a few requests fall inside one.</summary>
    static void StartOfWindow(params TestApp[] nodes)
    {
        var now = nodes[0].Clock.GetUtcNow();
        var ahead = TimeSpan.FromSeconds(10 - now.ToUnixTimeSeconds() % 10) - TimeSpan.FromTicks(now.Ticks % TimeSpan.TicksPerSecond) + TimeSpan.FromMilliseconds(50);
        foreach (var node in nodes)
        {
            node.Clock.Offset = nodes[0].Clock.Offset + ahead;
        }
    }

    static async Task<(HttpResponseMessage Response, string Body)> GetAsync(HttpClient client, string url)
    {
        var response = await client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (response, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ASecondAnonymousRequestIsServedFromTheCacheAndAChangeOnThisNodeShowsAtOnce()
    {
        using var city = await app.ApiClientAsync();
        var host = await OrganizationAsync(city);
        var first = await PublishedAsync(city, Activity(host, InDays(3), capacity: 2, title: "西江河畔清洁行动"));
        var firstId = first.GetProperty("id").GetGuid();
        var volunteers = await app.VolunteersAsync(1);
        using var anonymous = app.PageClient();
        // Warm: the first renders compile queries, and each check below must fit in one 10-second window.
        foreach (var url in new[] { "/activities", "/api/activities", $"/activities/{firstId}" })
        {
            await GetAsync(anonymous, url);
        }

        StartOfWindow(app);
        var (fresh, freshBody) = await GetAsync(anonymous, "/activities");
        Assert.False(FromCache(fresh));
        Assert.Contains("西江河畔清洁行动", freshBody);
        var (again, againBody) = await GetAsync(anonymous, "/activities");
        Assert.True(FromCache(again));
        Assert.Equal(freshBody, againBody);
        // A write the platform does not make (by hand, past EF Core) is not seen until the answer's 10 seconds are over:
        // what another node's cache does with this node's changes.
        await app.WithDbAsync(async db =>
        {
            await db.Database.OpenConnectionAsync();
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = """UPDATE "Activities" SET "Title" = '西江河畔清洁行动（改）' WHERE "Title" = '西江河畔清洁行动'""";
            return await command.ExecuteNonQueryAsync();
        });
        Assert.DoesNotContain("西江河畔清洁行动（改）", (await GetAsync(anonymous, "/activities")).Body);
        app.Clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Contains("西江河畔清洁行动（改）", (await GetAsync(anonymous, "/activities")).Body);

        // Publishing: the list and the API show the new activity at once.
        StartOfWindow(app);
        await GetAsync(anonymous, "/activities");
        await GetAsync(anonymous, "/api/activities");
        Assert.True(FromCache((await GetAsync(anonymous, "/api/activities")).Response));
        await PublishedAsync(city, Activity(host, InDays(4), title: "敬老院探访"));
        Assert.Contains("敬老院探访", (await GetAsync(anonymous, "/activities")).Body);
        Assert.Contains("敬老院探访", (await GetAsync(anonymous, "/api/activities")).Body);

        // A sign-up: the activity's page shows one place taken at once.
        StartOfWindow(app);
        Assert.Contains("已录取 0 / 2", (await GetAsync(anonymous, $"/activities/{firstId}")).Body);
        Assert.True(FromCache((await GetAsync(anonymous, $"/activities/{firstId}")).Response));
        await OkAsync(await volunteers[0].Client.SignUpAsync(SessionId(first)));
        Assert.Contains("已录取 1 / 2", (await GetAsync(anonymous, $"/activities/{firstId}")).Body);
    }

    [Fact]
    public async Task SignedInPeopleNeverGetTheAnonymousAnswerNorLeaveTheirsLanguagesStayApartAndPagesWithFormsAreNotCached()
    {
        using var city = await app.ApiClientAsync();
        var host = await OrganizationAsync(city);
        var menuId = await OrderScenario.MenuAsync(city, host);
        await PublishedAsync(city, Activity(host, InDays(3), title: "西江河畔清洁行动"));
        using var anonymous = app.PageClient();
        using var signedIn = app.PageClient();
        await signedIn.SignInAsync("admin", TestApp.AdminPassword);
        using var english = app.PageClient(language: "en");
        foreach (var (client, url) in new[] { (signedIn, "/activities"), (anonymous, "/activities"), (anonymous, "/api/activities"), (anonymous, "/"), (english, "/") })
        {
            await GetAsync(client, url);
        }

        StartOfWindow(app);
        // Signed in first: rendered for them, stored for nobody.
        var (mine, mineBody) = await GetAsync(signedIn, "/activities");
        Assert.False(FromCache(mine));
        Assert.Contains("id=\"nav-workbench\"", mineBody);
        var (theirs, theirsBody) = await GetAsync(anonymous, "/activities");
        Assert.False(FromCache(theirs));
        Assert.Contains("id=\"nav-sign-in\"", theirsBody);
        Assert.DoesNotContain("nav-workbench", theirsBody);
        // Now cached for anonymous callers, and still not served to the signed-in one.
        Assert.True(FromCache((await GetAsync(anonymous, "/activities")).Response));
        (mine, mineBody) = await GetAsync(signedIn, "/activities");
        Assert.False(FromCache(mine));
        Assert.Contains("id=\"nav-workbench\"", mineBody);
        // A bearer token in the API: the same.
        await GetAsync(anonymous, "/api/activities");
        Assert.False(FromCache((await GetAsync(city, "/api/activities")).Response));
        Assert.False(FromCache((await GetAsync(city, "/api/activities")).Response));

        // Chinese and English are kept apart: by Accept-Language, and by the culture cookie the language switch sets.
        StartOfWindow(app);
        Assert.Contains("<html lang=\"zh-CN\"", (await GetAsync(anonymous, "/")).Body);
        Assert.True(FromCache((await GetAsync(anonymous, "/")).Response));
        var (en, enBody) = await GetAsync(english, "/");
        Assert.False(FromCache(en));
        Assert.Contains("<html lang=\"en\"", enBody);
        Assert.Contains("The volunteer-service platform", enBody);
        using var switched = app.PageClient(language: "");
        Assert.Equal(HttpStatusCode.Redirect, (await switched.GetAsync("/culture/en?returnUrl=/")).StatusCode);
        // The cookie is kept apart from the header it overrides: its own answer, in English, then served again.
        Assert.Contains("<html lang=\"en\"", (await GetAsync(switched, "/")).Body);
        var (cookie, cookieBody) = await GetAsync(switched, "/");
        Assert.True(FromCache(cookie));
        Assert.Contains("<html lang=\"en\"", cookieBody);
        Assert.Contains("<html lang=\"zh-CN\"", (await GetAsync(anonymous, "/")).Body);

        // A page with a form carries an antiforgery token bound to the caller's cookie: rendered for each caller every time.
        using var other = app.PageClient();
        foreach (var url in new[] { $"/services/{menuId}", "/account/sign-in" })
        {
            var one = await anonymous.GetAsync(url);
            var two = await other.GetAsync(url);
            var three = await other.GetAsync(url);
            Assert.False(FromCache(two) || FromCache(three), url);
            var tokens = new List<string?>();
            foreach (var response in new[] { one, two })
            {
                var page = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
                tokens.Add(page.QuerySelector("input[name=__RequestVerificationToken]")?.GetAttribute("value"));
            }
            Assert.NotNull(tokens[0]);
            Assert.NotEqual(tokens[0], tokens[1]);
        }
    }

    [Fact]
    public async Task AConfirmationShowsOnTheHonourRollAndHomeFiguresAtOnceOnThisNodeAndWithinTenSecondsOnAnother()
    {
        using var city = await app.ApiClientAsync();
        var host = await OrganizationAsync(city);
        var start = InDays(1, 9);
        var activity = await PublishedAsync(city, Activity(host, start, capacity: 5, hours: 2));
        var session = SessionId(activity);
        var volunteers = await app.VolunteersAsync(1);
        await OkAsync(await volunteers[0].Client.SignUpAsync(session));
        await using var node2 = new TestApp(app.Database);
        app.Clock.Offset = start.AddHours(3) - DateTimeOffset.UtcNow;
        using var admin = await app.ApiClientAsync();
        await OkAsync(await admin.PostAsJsonAsync($"/api/sessions/{session}/roster/{volunteers[0].Number}", new { checkedInAt = start, checkedOutAt = start.AddHours(2) }));
        using var anonymous = app.PageClient();
        using var anonymous2 = node2.PageClient();

        foreach (var (client, url) in new[] { (anonymous, "/honour"), (anonymous, "/"), (anonymous, "/api/public/honour-roll"), (anonymous2, "/honour") })
        {
            await GetAsync(client, url);
        }

        StartOfWindow(app, node2);
        Assert.DoesNotContain("id=\"honour-roll\"", (await GetAsync(anonymous, "/honour")).Body);
        var (before, beforeBody) = await GetAsync(anonymous, "/honour");
        Assert.True(FromCache(before));
        Assert.DoesNotContain("id=\"honour-roll\"", beforeBody);
        await GetAsync(anonymous, "/");
        Assert.Equal(0, (await OkAsync(await anonymous.GetAsync("/api/public/honour-roll"))).GetProperty("lines").GetArrayLength());
        Assert.DoesNotContain("id=\"honour-roll\"", (await GetAsync(anonymous2, "/honour")).Body);

        await OkAsync(await admin.PostAsync($"/api/sessions/{session}/confirm", null));

        // This node: at once.
        var honour = (await GetAsync(anonymous, "/honour")).Body;
        Assert.Contains("id=\"honour-roll\"", honour);
        Assert.Contains("2.00", honour);
        Assert.Equal("2.00", (await OkAsync(await anonymous.GetAsync("/api/public/honour-roll"))).GetProperty("lines")[0].GetProperty("hours").GetString());
        var home = new AngleSharp.Html.Parser.HtmlParser().ParseDocument((await GetAsync(anonymous, "/")).Body);
        Assert.Equal("2.00", home.QuerySelector("#figure-hours strong")!.TextContent.Trim());
        // The other node has its own cache: within its 10 seconds it may still show the roll before, never after.
        node2.Clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Contains("id=\"honour-roll\"", (await GetAsync(anonymous2, "/honour")).Body);
    }
}
