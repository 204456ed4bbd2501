using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AngleSharp.Html.Parser;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Tests.Recognition;
using Zhiyuan.Tests.ServicePosts;
using Zhiyuan.Tests.Volunteers;
using static Zhiyuan.Tests.Activities.Scenario;
using static Zhiyuan.Tests.ServicePosts.OrderScenario;

namespace Zhiyuan.Tests.PublicSite;

/// <summary>
/// Every private field of every kind of record carries a marker; then every page and API answer an
/// anonymous visitor can reach, and every page of a volunteer outside the assignment, is read. No
/// marker may appear anywhere.
/// </summary>
public sealed class PrivacyWalkTests : AppTest
{
    const string AddressMarker = "肇庆市端州区江滨路MKADDR4711号3栋502";
    const string NotesMarker = "家中有独居老人门锁密码MKNOTE0815";
    const string CitizenPhone = "13712340099";
    const string ObjectionContact = "mkcontact3321@example.cn";
    const int MaxRequests = 400;

    [Fact]
    public async Task NothingPrivateReachesAnAnonymousVisitorOrAVolunteerOutsideTheAssignment()
    {
        using var city = await app.ApiClientAsync();
        var host = await OrganizationAsync(city);
        var members = await app.MembersAsync(city, host, 2);
        using var orgAdmin = await app.OrganizationAdminAsync(city, host, members[0].Number);
        var menuId = await MenuAsync(orgAdmin, host);

        // A citizen's home visit, dispatched, accepted by the organisation with one volunteer, and done.
        using var citizen = app.CreateClient();
        var placed = await app.PlaceAsync(citizen, Order(menuId, CitizenPhone) with { Address = AddressMarker, Notes = NotesMarker });
        var orderId = placed.GetProperty("id").GetGuid();
        var trackingToken = placed.GetProperty("trackingToken").GetString()!;
        await OkAsync(await city.PostAsJsonAsync($"/api/orders/{orderId}/dispatch", new { organizationId = host }));
        var accepted = await OkAsync(await orgAdmin.PostAsJsonAsync($"/api/orders/{orderId}/answer", new { accept = true, volunteerNumbers = new[] { members[1].Number } }));
        var orderActivityId = accepted.GetProperty("activityId").GetGuid();
        var orderSessionId = accepted.GetProperty("sessionId").GetGuid();

        // An undercover patrol round is private work too; a partner's staff key and an objection's contact are secrets.
        var partner = await OkAsync(await city.PostAsJsonAsync("/api/partners", new
        {
            name = "鼎湖山景区", kind = "景区", address = "肇庆市鼎湖区坑口街", validFrom = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(-1),
            validTo = DateOnly.FromDateTime(DateTime.UtcNow).AddYears(1), benefits = new[] { new { minStarLevel = 1, description = "门票八折" } },
        }));
        var staffKey = partner.GetProperty("staffPath").GetString()!.Split('/').Last();
        var starred = (await app.VolunteersAsync(1, firstSerial: 400))[0];
        await app.CreditAsync(host, starred.Number, 120, DateTime.UtcNow.AddDays(-30));
        await OkAsync(await city.PostAsJsonAsync("/api/stars/notices", new { numbers = new[] { starred.Number } }));
        var awardId = await app.WithDbAsync(db => db.StarAwards.Select(a => a.Id).SingleAsync());
        using var anonymous = app.CreateClient();
        await OkAsync(await anonymous.PostAsJsonAsync($"/api/notices/star/{awardId}/objections", new { text = "服务时长与实际不符", contact = ObjectionContact }));

        // After the service: hours confirmed, and the assigned volunteer's service-record certificate (verified in public).
        app.Clock.Advance(TimeSpan.FromDays(3));
        using var orgAdminLater = await app.ApiClientAsync(members[0].Number, People.Password);
        await OkAsync(await orgAdminLater.PostAsJsonAsync($"/api/orders/{orderId}/completion", new { }));
        using var assignedLater = await app.ApiClientAsync(members[1].Number, People.Password);
        var certificate = await OkAsync(await assignedLater.PostAsJsonAsync("/api/volunteers/me/service-certificates", new { }));

        var markers = new List<string> { AddressMarker, "MKADDR4711", NotesMarker, "MKNOTE0815", CitizenPhone, trackingToken, staffKey, ObjectionContact };
        var known = new Dictionary<string, string[]>
        {
            ["id"] = [orderActivityId.ToString(), orderId.ToString(), menuId.ToString(), awardId.ToString(), host.ToString()],
            ["activityId"] = [orderActivityId.ToString()],
            ["sessionId"] = [orderSessionId.ToString()],
            ["code"] = [certificate.GetProperty("code").GetString()!],
            ["number"] = [members[1].Number, starred.Number],
            ["kind"] = ["star"],
            ["unitCode"] = ["441202"],
        };

        // Everything an anonymous visitor reaches: pages by their links, and every GET of the API.
        var seen = new List<(string Url, string Body)>();
        await WalkPagesAsync(app.PageClient(), ["/", "/activities", $"/activities?q=MKADDR4711", $"/activities/{orderActivityId}", "/services", $"/services/{menuId}",
            "/honours", "/honour", "/notices", "/campaigns", "/partners", $"/verify/record/{certificate.GetProperty("code").GetString()}"], seen);
        await WalkApiAsync(anonymous, known, seen);
        FindMarkers(markers, seen, "an anonymous visitor");

        // A volunteer outside the assignment: their own pages, and the order's activity stays out of reach.
        var outsider = (await app.VolunteersAsync(1, firstSerial: 500))[0];
        var browser = app.PageClient();
        await browser.SignInAsync(outsider.Number, People.Password);
        var outsiderSeen = new List<(string Url, string Body)>();
        await WalkPagesAsync(browser, ["/", "/me", "/me/service-certificates", "/activities", $"/activities/{orderActivityId}", "/record"], outsiderSeen);
        using var outsiderApi = await app.ApiClientAsync(outsider.Number, People.Password);
        await WalkApiAsync(outsiderApi, known, outsiderSeen);
        Assert.Equal(HttpStatusCode.NotFound, (await outsiderApi.GetAsync($"/api/activities/{orderActivityId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await outsiderApi.GetAsync($"/api/orders/assignments/{orderActivityId}")).StatusCode);
        FindMarkers(markers, outsiderSeen, "a volunteer outside the assignment");

        // The assigned volunteer reads the address only by asking, and every look is audited.
        var assignment = await OkAsync(await assignedLater.GetAsync($"/api/orders/assignments/{orderActivityId}"));
        Assert.Equal(AddressMarker, assignment.GetProperty("address").GetString());
        Assert.Equal(1, await app.WithDbAsync(db => db.AuditEntries.CountAsync(a => a.Action == "order.address.view")));
    }

    static void FindMarkers(List<string> markers, List<(string Url, string Body)> seen, string who)
    {
        // A search page showing back the term the visitor typed is not a leak.
        var found = seen.SelectMany(s => markers.Where(m => s.Body.Contains(m, StringComparison.OrdinalIgnoreCase) && !Uri.UnescapeDataString(s.Url).Contains(m))
            .Select(m => $"{m} in {s.Url}")).ToList();
        // The volunteers' own ID and mobile numbers are watched by the suite's leak scanner for every response as well.
        Assert.True(found.Count == 0, $"Private data shown to {who}: " + string.Join("; ", found.Take(10)));
        Assert.True(seen.Count > 20, $"Only {seen.Count} answers were read for {who}; the walk found too little to prove anything.");
    }

    /// <summary>Reads the pages and follows their links on the same site (breadth first), as a visitor clicking around would.</summary>
    static async Task WalkPagesAsync(HttpClient client, IEnumerable<string> start, List<(string Url, string Body)> seen)
    {
        var queue = new Queue<string>(start);
        var visited = new HashSet<string>();
        var parser = new HtmlParser();
        while (queue.Count > 0 && visited.Count < MaxRequests)
        {
            var url = queue.Dequeue();
            if (!visited.Add(url))
            {
                continue;
            }
            var response = await client.GetAsync(url);
            Assert.True((int)response.StatusCode < 500, $"{url} answered {(int)response.StatusCode}");
            var body = await response.Content.ReadAsStringAsync();
            seen.Add((url, body));
            if (response.Content.Headers.ContentType?.MediaType != "text/html")
            {
                continue;
            }
            foreach (var href in parser.ParseDocument(body).QuerySelectorAll("a[href]").Select(a => a.GetAttribute("href")!))
            {
                if (href.StartsWith('/') && !href.StartsWith("//") && !href.StartsWith("/api/reference") && !href.StartsWith("/culture")
                    && !href.Contains("sign-out") && !Path.HasExtension(href.Split('?')[0]))
                {
                    queue.Enqueue(href.Split('#')[0]);
                }
            }
        }
    }

    /// <summary>Every GET operation of the API, with the path parameters filled in from the records made above.</summary>
    async Task WalkApiAsync(HttpClient client, Dictionary<string, string[]> known, List<(string Url, string Body)> seen)
    {
        var document = JsonDocument.Parse(await app.CreateClient().GetStringAsync("/openapi/v1.json")).RootElement;
        foreach (var path in document.GetProperty("paths").EnumerateObject().Where(p => p.Value.TryGetProperty("get", out _)))
        {
            var urls = new List<string> { path.Name };
            foreach (var parameter in System.Text.RegularExpressions.Regex.Matches(path.Name, @"\{(\w+)\}").Select(m => m.Groups[1].Value))
            {
                var values = known.TryGetValue(parameter, out var v) ? v : [];
                urls = urls.SelectMany(u => values.Select(value => u.Replace("{" + parameter + "}", value))).ToList();
            }
            foreach (var url in urls.Where(u => !u.Contains('{')))
            {
                // The query strings a search box would send, with the private text as the search term.
                foreach (var query in new[] { "", "?q=MKADDR4711", $"?t=&q={Uri.EscapeDataString(CitizenPhone)}" })
                {
                    var response = await client.GetAsync(url + query);
                    Assert.True((int)response.StatusCode < 500, $"{url + query} answered {(int)response.StatusCode}");
                    seen.Add((url + query, await response.Content.ReadAsStringAsync()));
                }
            }
        }
    }
}
