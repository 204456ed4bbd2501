using Microsoft.EntityFrameworkCore;
using Zhiyuan.Tests.ServicePosts;
using Zhiyuan.Tests.Volunteers;
using Zhiyuan.Web.ServicePosts;
using static Zhiyuan.Tests.Activities.Scenario;
using static Zhiyuan.Tests.ServicePosts.OrderScenario;

namespace Zhiyuan.Tests.Integrity;

/// <summary>Service posts, menus and citizen orders under simultaneous requests: the abuse limits hold and every stage happens once.</summary>
public sealed class OrderRaceTests : AppTest
{
    [Fact]
    [Races("POST /api/orders/verification-codes", "POST /api/orders")]
    public async Task ThreeHundredSimultaneousWrongCodesAreEvaluatedAtMostFiveTimesAndOneCodePlacesOneOrder()
    {
        using var city = await app.ApiClientAsync();
        var host = await OrganizationAsync(city);
        var menu = await MenuAsync(city, host);
        await using var node2 = new TestApp(app.Database);
        using var citizen = app.CreateClient();
        using var citizen2 = node2.CreateClient();
        var citizens = new[] { citizen, citizen2 };
        var race = new Race(app);

        // Twenty code requests for one number at once: at most five an hour.
        const string phone = "13702260001";
        var codes = await race.RunAsync("ask for a code ×20", Race.N, i => citizens[i % 2].PostJsonAsync("/api/orders/verification-codes", new { phone }), 1, 5);
        race.CheckEqual(codes.Successes, await app.WithDbAsync(db => db.PhoneVerifications.CountAsync()), "codes issued (as many as accepted)");

        // Three hundred wrong codes at once: at most five are compared, then the code is spent and the right one no longer works.
        var code = app.CodeFor(phone) ?? node2.CodeFor(phone);
        var wrong = code == "000000" ? "111111" : "000000";
        var guesses = await race.RunAsync("300 wrong codes", 300, i => citizens[i % 2].PostJsonAsync("/api/orders", Order(menu, phone, wrong)), 0, 0);
        var evaluated = guesses.Attempts.Count(a => a.Body.Contains("验证码不正确"));
        race.Check(evaluated <= 5, $"300 wrong codes at once: {evaluated} were compared with the code, at most 5 may be ({guesses.Summary})");
        var attempts = await app.WithDbAsync(db => db.PhoneVerifications.Select(v => v.FailedAttempts).ToListAsync());
        race.Check(attempts.All(a => a <= 5), $"failed attempts recorded on the codes: {string.Join(",", attempts)} (at most 5 each)");

        // A fresh number, one right code, twenty orders at once: one order.
        const string other = "13702260002";
        await citizen.PostJsonAsync("/api/orders/verification-codes", new { phone = other }).OkJsonAsync();
        var right = app.CodeFor(other);
        await race.ExactlyOnceAsync("place an order with one code ×20", i => citizens[i % 2].PostJsonAsync("/api/orders", Order(menu, other, right)));
        race.CheckEqual(1, await app.WithDbAsync(db => db.CitizenOrders.CountAsync()), "orders placed with one code");
        await race.AssertNoneAsync();
    }

    [Fact]
    [Races("POST /api/service-posts", "POST /api/service-menus", "POST /api/service-menus/{id}/published", "POST /api/orders/{id}/dispatch",
        "POST /api/orders/{id}/answer", "POST /api/orders/{id}/completion", "POST /api/orders/{id}/rating", "POST /api/orders/{id}/cancellation",
        "POST /api/orders/{id}/citizen-cancellation")]
    public async Task EachStageOfACitizenOrderHappensOnceWhenPressedTwentyTimesAtOnce()
    {
        using var city = await app.ApiClientAsync();
        var host = await OrganizationAsync(city);
        var members = await app.MembersAsync(city, host, 3);
        using var orgAdmin = await app.OrganizationAdminAsync(city, host, members[0].Number);
        await using var node2 = new TestApp(app.Database);
        using var city2 = await node2.ApiClientAsync();
        using var orgAdmin2 = await node2.ApiClientAsync(members[0].Number, People.Password);
        var cities = new[] { city, city2 };
        var orgAdmins = new[] { orgAdmin, orgAdmin2 };
        var race = new Race(app);

        // Posts and menus are naturally repeatable creations: twenty asked, twenty made.
        await race.RunAsync("create a service post ×20", Race.N,
            i => orgAdmins[i % 2].PostJsonAsync("/api/service-posts", new { hostOrganizationId = host, name = $"学雷锋志愿服务岗 {i}", place = "端州区天宁北路", openingHours = "9:00–17:00" }),
            Race.N, Race.N);
        await race.RunAsync("create a service menu ×20", Race.N, i => orgAdmins[i % 2].PostJsonAsync("/api/service-menus", new CreateMenuRequest(host, null, $"上门陪护 {i}", "陪老人聊天",
            Zhiyuan.Web.Volunteers.ServiceLines.PovertyRelief, ServiceMode.DoorToDoor, "441202", true, null)), Race.N, Race.N);
        var menu = await app.WithDbAsync(db => db.ServiceMenus.Select(m => m.Id).FirstAsync());
        // Publishing is a setting: the same value twenty times is harmless, each may succeed.
        await race.RunAsync("unpublish a menu ×20", Race.N, i => orgAdmins[i % 2].PostJsonAsync($"/api/service-menus/{menu}/published", new { published = false }), 1, Race.N);
        await orgAdmin.PostJsonAsync($"/api/service-menus/{menu}/published", new { published = true }).OkJsonAsync();

        using var citizen = app.CreateClient();
        var placed = await app.PlaceAsync(citizen, Order(menu, "13702260001"));
        var id = placed.GetProperty("id").GetGuid();
        var token = placed.GetProperty("trackingToken").GetString();

        await race.ExactlyOnceAsync("dispatch an order ×20", i => cities[i % 2].PostJsonAsync($"/api/orders/{id}/dispatch", new { organizationId = host }));
        await race.ExactlyOnceAsync("accept an order ×20", i => orgAdmins[i % 2].PostJsonAsync($"/api/orders/{id}/answer",
            new { accept = true, volunteerNumbers = new[] { members[1].Number, members[2].Number } }));
        race.CheckEqual(1, await app.WithDbAsync(db => db.Activities.CountAsync()), "activities made for one accepted order");

        app.Clock.Advance(TimeSpan.FromDays(3));
        node2.Clock.Advance(TimeSpan.FromDays(3));
        using var later1 = await app.ApiClientAsync(members[0].Number, People.Password);
        using var later2 = await node2.ApiClientAsync(members[0].Number, People.Password);
        var laterAdmins = new[] { later1, later2 };
        await race.ExactlyOnceAsync("complete an order ×20", i => laterAdmins[i % 2].PostJsonAsync($"/api/orders/{id}/completion", new { }));
        var minutes = await app.WithDbAsync(db => db.LedgerEntries.Select(e => e.Minutes).ToListAsync());
        race.CheckEqual("120,120", string.Join(",", minutes), "ledger minutes after completing a two-hour order for two volunteers");
        using var citizen2 = node2.CreateClient();
        var citizens = new[] { citizen, citizen2 };
        await race.ExactlyOnceAsync("rate an order ×20", i => citizens[i % 2].PostJsonAsync($"/api/orders/{id}/rating?t={token}", new { rating = 5, comment = "非常感谢" }));

        // Two more orders: one cancelled by the unit, one by the citizen, each twenty times at once.
        var second = await app.PlaceAsync(citizen, Order(menu, "13702260002", days: 6));
        using var laterCity1 = await app.ApiClientAsync();
        using var laterCity2 = await node2.ApiClientAsync();
        var laterCities = new[] { laterCity1, laterCity2 };
        await race.ExactlyOnceAsync("cancel an order ×20",
            i => laterCities[i % 2].PostJsonAsync($"/api/orders/{second.GetProperty("id").GetGuid()}/cancellation", new { reason = "重复下单" }));
        var third = await app.PlaceAsync(citizen, Order(menu, "13702260003", days: 6));
        await race.ExactlyOnceAsync("the citizen cancels an order ×20", i => citizens[i % 2].PostJsonAsync(
            $"/api/orders/{third.GetProperty("id").GetGuid()}/citizen-cancellation?t={third.GetProperty("trackingToken").GetString()}", new { reason = "不需要了" }));
        var events = await app.WithDbAsync(db => db.OrderEvents.Select(e => e.Status).ToListAsync());
        race.CheckEqual(1, events.Count(s => s == OrderStatus.Completed), "completion events");
        race.CheckEqual(2, events.Count(s => s == OrderStatus.Cancelled), "cancellation events of two orders");
        await race.AssertNoneAsync();
    }
}
