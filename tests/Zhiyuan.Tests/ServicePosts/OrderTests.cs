using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Web.ServicePosts;
using static Zhiyuan.Tests.Activities.Scenario;
using static Zhiyuan.Tests.ServicePosts.OrderScenario;

namespace Zhiyuan.Tests.ServicePosts;

public sealed class OrderTests : AppTest
{
    const string Phone = "13702260001";

    [Fact]
    public async Task ACitizenOrderIsDispatchedRejectedRedispatchedAcceptedCompletedIntoTheLedgerAndRated()
    {
        using var city = await app.ApiClientAsync();
        var host = await OrganizationAsync(city);
        var members = await app.MembersAsync(city, host, 3);
        using var orgAdmin = await app.OrganizationAdminAsync(city, host, members[0].Number);
        var menuId = await MenuAsync(orgAdmin, host);

        // 点单: anonymous, with the code sent to the phone.
        using var citizen = app.CreateClient();
        var placed = await app.PlaceAsync(citizen, Order(menuId, Phone));
        var id = placed.GetProperty("id").GetGuid();
        var link = placed.GetProperty("trackingLink").GetString()!;
        var tracked = await OkAsync(await citizen.GetAsync($"/api/orders/{id}/track?t={placed.GetProperty("trackingToken").GetString()}"));
        Assert.Equal("Ordered", tracked.GetProperty("status").GetString());
        Assert.Equal("点单", tracked.GetProperty("stage").GetString());
        Assert.Equal("137****0001", tracked.GetProperty("phoneMasked").GetString());
        Assert.Equal("李*姨", tracked.GetProperty("citizenName").GetString());
        Assert.DoesNotContain(Phone, await (await citizen.GetAsync(link)).Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await citizen.GetAsync($"/api/orders/{id}/track?t=0000")).StatusCode);

        // 派单 by the unit; the organisation turns it down with a reason; it is dispatched again.
        var dispatched = await OkAsync(await city.PostAsJsonAsync($"/api/orders/{id}/dispatch", new { organizationId = host }));
        Assert.Equal("派单", dispatched.GetProperty("stage").GetString());
        await Pages.AssertFieldErrorAsync(await orgAdmin.PostAsJsonAsync($"/api/orders/{id}/answer", new { accept = false }), "reason", "原因");
        var rejected = await OkAsync(await orgAdmin.PostAsJsonAsync($"/api/orders/{id}/answer", new { accept = false, reason = "本周人手不足" }));
        Assert.Equal("Rejected", rejected.GetProperty("status").GetString());
        await OkAsync(await city.PostAsJsonAsync($"/api/orders/{id}/dispatch", new { organizationId = host }));

        // 接单 with two members; a non-member is refused and nothing is made.
        await Pages.AssertFieldErrorAsync(await orgAdmin.PostAsJsonAsync($"/api/orders/{id}/answer", new { accept = true, volunteerNumbers = new[] { "ZY99999999" } }),
            "volunteerNumbers", "ZY99999999");
        Assert.Equal(0, await app.WithDbAsync(db => db.Activities.CountAsync()));
        var accepted = await OkAsync(await orgAdmin.PostAsJsonAsync($"/api/orders/{id}/answer",
            new { accept = true, volunteerNumbers = new[] { members[1].Number, members[2].Number } }));
        Assert.Equal(2, accepted.GetProperty("assignedVolunteers").GetArrayLength());
        var sessionId = accepted.GetProperty("sessionId").GetGuid();

        // Completion waits for the service time to be over; then both get two hours in the ledger.
        await Pages.AssertFieldErrorAsync(await orgAdmin.PostAsJsonAsync($"/api/orders/{id}/completion", new { }), "session", "结束");
        app.Clock.Advance(TimeSpan.FromDays(3));
        using var orgAdminLater = await app.ApiClientAsync(members[0].Number, Volunteers.People.Password);
        var completed = await OkAsync(await orgAdminLater.PostAsJsonAsync($"/api/orders/{id}/completion", new { }));
        Assert.Equal("Completed", completed.GetProperty("status").GetString());
        var ledger = await app.WithDbAsync(db => db.LedgerEntries.Where(e => e.SessionId == sessionId).Select(e => e.Minutes).ToListAsync());
        Assert.Equal([120, 120], ledger);
        using var volunteerLater = await app.ApiClientAsync(members[1].Number, Volunteers.People.Password);
        var record = await OkAsync(await volunteerLater.GetAsync("/api/volunteers/me/record"));
        Assert.Equal(120, record.GetProperty("totalMinutes").GetInt32());

        // 评单 by the citizen, once; the history shows every step.
        var token = placed.GetProperty("trackingToken").GetString();
        await Pages.AssertFieldErrorAsync(await citizen.PostAsJsonAsync($"/api/orders/{id}/rating?t={token}", new { rating = 9 }), "rating", "1 到 5");
        var rated = await OkAsync(await citizen.PostAsJsonAsync($"/api/orders/{id}/rating?t={token}", new { rating = 5, comment = "非常感谢" }));
        Assert.Equal("评单", rated.GetProperty("stage").GetString());
        Assert.Equal(["Ordered", "Dispatched", "Rejected", "Dispatched", "Accepted", "Completed", "Rated"],
            rated.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("status").GetString()!).ToArray());
        await Pages.AssertFieldErrorAsync(await citizen.PostAsJsonAsync($"/api/orders/{id}/rating?t={token}", new { rating = 4 }), "status", "完成后");

        // Times per unit; the full phone number only to the dispatcher or the organisation, and audited.
        Assert.Equal(HttpStatusCode.Forbidden, (await orgAdminLater.GetAsync("/api/orders/figures")).StatusCode);
        using var cityLater = await app.ApiClientAsync();
        var unit = (await OkAsync(await cityLater.GetAsync("/api/orders/figures"))).EnumerateArray().Single();
        Assert.Equal("441202", unit.GetProperty("unitCode").GetString());
        Assert.Equal(1, unit.GetProperty("completed").GetInt32());
        Assert.True(unit.GetProperty("hoursToComplete").GetDouble() >= 0);
        Assert.Equal(5, unit.GetProperty("averageRating").GetDouble());
        Assert.Equal(Phone, (await OkAsync(await cityLater.GetAsync($"/api/orders/{id}/personal-data"))).GetProperty("phone").GetString());
        Assert.Equal(1, await app.WithDbAsync(db => db.AuditEntries.CountAsync(a => a.Action == "order.contact.view")));
        using var outsider = (await app.VolunteersAsync(1, firstSerial: 300))[0].Client;
        Assert.Equal(HttpStatusCode.NotFound, (await outsider.GetAsync($"/api/orders/{id}/personal-data")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await outsider.GetAsync($"/api/orders/{id}")).StatusCode);
    }

    [Fact]
    public async Task OrdersWithImpossibleTimesAddressesOutsideTheCityOrWithoutTheRightCodeAreRefusedAndNothingIsSaved()
    {
        using var city = await app.ApiClientAsync();
        var host = await OrganizationAsync(city);
        var menuId = await MenuAsync(city, host, areaCode: "441202");
        using var citizen = app.CreateClient();
        await OkAsync(await citizen.PostAsJsonAsync("/api/orders/verification-codes", new { phone = Phone }));
        var code = app.CodeFor(Phone);
        var good = Order(menuId, Phone, code);

        var backwards = await citizen.PostAsJsonAsync("/api/orders", good with { PreferredStart = InDays(2, 12), PreferredEnd = InDays(2, 10) });
        await Pages.AssertFieldErrorAsync(backwards, "preferredEnd", "结束时间");
        var past = await citizen.PostAsJsonAsync("/api/orders", good with { PreferredStart = InDays(-1, 10), PreferredEnd = InDays(-1, 12) });
        await Pages.AssertFieldErrorAsync(past, "preferredStart", "一小时之后");
        var farAway = await citizen.PostAsJsonAsync("/api/orders", good with { PreferredStart = InDays(200, 10), PreferredEnd = InDays(200, 12) });
        await Pages.AssertFieldErrorAsync(farAway, "preferredStart", "90 天");
        var tooLong = await citizen.PostAsJsonAsync("/api/orders", good with { PreferredEnd = InDays(3, 12) });
        await Pages.AssertFieldErrorAsync(tooLong, "preferredEnd", "12 小时");
        await Pages.AssertFieldErrorAsync(await citizen.PostAsJsonAsync("/api/orders", good with { Address = "广州市天河区体育西路 1 号" }), "address", "不在肇庆市内");
        await Pages.AssertFieldErrorAsync(await citizen.PostAsJsonAsync("/api/orders", good with { Address = "肇庆市怀集县城中路 3 号" }), "address", "不在服务区域");
        await Pages.AssertFieldErrorAsync(await citizen.PostAsJsonAsync("/api/orders", good with { Phone = "12345" }), "phone", "11 位");
        await Pages.AssertFieldErrorAsync(await citizen.PostAsJsonAsync("/api/orders", good with { Code = "000000" == code ? "111111" : "000000" }), "code", "不正确");
        await Pages.AssertFieldErrorAsync(await citizen.PostAsJsonAsync("/api/orders", good with { Phone = "13702260002" }), "code", "验证码");
        await Pages.AssertFieldErrorAsync(await citizen.PostAsJsonAsync("/api/orders", good with { MenuId = Guid.NewGuid() }), "menuId", "不存在");
        Assert.Equal(0, await app.WithDbAsync(db => db.CitizenOrders.CountAsync()));
        Assert.Equal(0, await app.WithDbAsync(db => db.OrderEvents.CountAsync()));

        // The same code still works after all that (one wrong guess does not burn it), and only once.
        await OkAsync(await citizen.PostAsJsonAsync("/api/orders", good));
        await Pages.AssertFieldErrorAsync(await citizen.PostAsJsonAsync("/api/orders", good), "code", "验证码");
        // English callers get English reasons.
        citizen.DefaultRequestHeaders.AcceptLanguage.ParseAdd("en");
        await Pages.AssertFieldErrorAsync(await citizen.PostAsJsonAsync("/api/orders", good with { Address = "Guangzhou" }), "address", "not in Zhaoqing");
    }

    [Fact]
    public async Task FloodsOfOrdersAndCodesFromOnePhoneNumberAreRateLimited()
    {
        using var city = await app.ApiClientAsync();
        var menuId = await MenuAsync(city, await OrganizationAsync(city));
        using var citizen = app.CreateClient();
        for (var i = 0; i < 3; i++)
        {
            await app.PlaceAsync(citizen, Order(menuId, Phone));
        }
        await OkAsync(await citizen.PostAsJsonAsync("/api/orders/verification-codes", new { phone = Phone }));
        await Pages.AssertFieldErrorAsync(await citizen.PostAsJsonAsync("/api/orders", Order(menuId, Phone, app.CodeFor(Phone))), "phone", "24 小时内最多下 3 单");
        Assert.Equal(3, await app.WithDbAsync(db => db.CitizenOrders.CountAsync()));
        await OkAsync(await citizen.PostAsJsonAsync("/api/orders/verification-codes", new { phone = Phone }));
        await Pages.AssertFieldErrorAsync(await citizen.PostAsJsonAsync("/api/orders/verification-codes", new { phone = Phone }), "phone", "最多获取 5 次");

        // Another number is not held back, and a day later the first may order again.
        await app.PlaceAsync(citizen, Order(menuId, "13702260009"));
        app.Clock.Advance(TimeSpan.FromDays(1.1));
        await app.PlaceAsync(citizen, Order(menuId, Phone, days: 4));
        Assert.Equal(5, await app.WithDbAsync(db => db.CitizenOrders.CountAsync()));
    }

    [Fact]
    public async Task OverdueOrdersAreFlaggedCancellingAnAcceptedOrderRemovesItsSessionAndStageNamesAreSettings()
    {
        app.Settings["Orders:StageNames:Ordered"] = "下单";
        app.Settings["Orders:StageNames:Rated"] = "评价";
        using var city = await app.ApiClientAsync();
        var host = await OrganizationAsync(city);
        var members = await app.MembersAsync(city, host, 1);
        var menuId = await MenuAsync(city, host);
        using var citizen = app.CreateClient();
        var placed = await app.PlaceAsync(citizen, Order(menuId, Phone, days: 5));
        var id = placed.GetProperty("id").GetGuid();
        var token = placed.GetProperty("trackingToken").GetString();
        var order = await OkAsync(await city.GetAsync($"/api/orders/{id}"));
        Assert.Equal("下单", order.GetProperty("stage").GetString());
        Assert.False(order.GetProperty("overdue").GetBoolean());

        app.Clock.Advance(TimeSpan.FromHours(25));
        using var cityLater = await app.ApiClientAsync();
        Assert.True((await OkAsync(await cityLater.GetAsync($"/api/orders/{id}"))).GetProperty("overdue").GetBoolean());
        Assert.Equal(1, (await OkAsync(await cityLater.GetAsync("/api/orders/figures")))[0].GetProperty("overdue").GetInt32());

        await OkAsync(await cityLater.PostAsJsonAsync($"/api/orders/{id}/dispatch", new { organizationId = host }));
        await OkAsync(await cityLater.PostAsJsonAsync($"/api/orders/{id}/answer", new { accept = true, volunteerNumbers = new[] { members[0].Number } }));
        Assert.Equal(1, await app.WithDbAsync(db => db.Activities.CountAsync()));

        var cancelled = await OkAsync(await citizen.PostAsJsonAsync($"/api/orders/{id}/citizen-cancellation?t={token}", new { reason = "家人已回来照顾" }));
        Assert.Equal("Cancelled", cancelled.GetProperty("status").GetString());
        Assert.Equal(0, await app.WithDbAsync(db => db.Activities.CountAsync()));
        Assert.Equal(0, await app.WithDbAsync(db => db.SignUps.CountAsync()));
        await Pages.AssertFieldErrorAsync(await cityLater.PostAsJsonAsync($"/api/orders/{id}/dispatch", new { organizationId = host }), "status", "已取消");
    }

    [Fact]
    public async Task ATimeSlotTakesNoMoreOrdersThanItsCapacityAndACancelledOrderFreesItsPlace()
    {
        using var city = await app.ApiClientAsync();
        var host = await OrganizationAsync(city);
        var past = new SlotRequest(InDays(-1, 9), InDays(-1, 11), 1);
        await Pages.AssertFieldErrorAsync(await city.PostAsJsonAsync("/api/service-menus", new CreateMenuRequest(host, null, "法律咨询", "", Zhiyuan.Web.Volunteers.ServiceLines.SocialGovernance,
            ServiceMode.Appointment, "441200", true, [past])), "slots[0].startsAt", "早于现在");
        var menu = await OkAsync(await city.PostAsJsonAsync("/api/service-menus", new CreateMenuRequest(host, null, "法律咨询", "", Zhiyuan.Web.Volunteers.ServiceLines.SocialGovernance,
            ServiceMode.Appointment, "441200", true, [new SlotRequest(InDays(3, 9), InDays(3, 11), 1)])));
        var menuId = menu.GetProperty("id").GetGuid();
        var slotId = menu.GetProperty("slots")[0].GetProperty("id").GetGuid();
        using var citizen = app.CreateClient();
        var first = await app.PlaceAsync(citizen, Order(menuId, Phone, address: "肇庆市四会市东城街道") with { SlotId = slotId });
        await OkAsync(await citizen.PostAsJsonAsync("/api/orders/verification-codes", new { phone = "13702260002" }));
        await Pages.AssertFieldErrorAsync(await citizen.PostAsJsonAsync("/api/orders", Order(menuId, "13702260002", app.CodeFor("13702260002")) with { SlotId = slotId }),
            "slotId", "约满");
        await OkAsync(await citizen.PostAsJsonAsync($"/api/orders/{first.GetProperty("id").GetGuid()}/citizen-cancellation?t={first.GetProperty("trackingToken").GetString()}", new { }));
        var second = await OkAsync(await citizen.PostAsJsonAsync("/api/orders", Order(menuId, "13702260002", app.CodeFor("13702260002")) with { SlotId = slotId }));
        var tracked = await OkAsync(await citizen.GetAsync($"/api/orders/{second.GetProperty("id").GetGuid()}/track?t={second.GetProperty("trackingToken").GetString()}"));
        Assert.Equal(InDays(3, 9).UtcDateTime, tracked.GetProperty("preferredStartUtc").GetDateTime());
    }

    [Fact]
    public async Task TheCitizenOrdersOnThePageWithTheCodeAndFollowsItByTheLink()
    {
        using var city = await app.ApiClientAsync();
        var menuId = await MenuAsync(city, await OrganizationAsync(city));
        using var browser = app.PageClient();
        var page = await browser.GetPageAsync($"/services/{menuId}");
        Assert.Contains("独居老人上门陪护", page.Title);
        var fields = new[]
        {
            ("name", "李阿姨"), ("phone", Phone), ("address", "肇庆市端州区天宁北路 12 号"),
            ("preferredStart", InDays(2, 10).ToString("yyyy-MM-ddTHH:mm")), ("preferredEnd", InDays(2, 12).ToString("yyyy-MM-ddTHH:mm")), ("notes", ""),
        };
        var sent = await browser.PostFormAsync($"/services/{menuId}", page, "order", [.. fields, ("action", "code")]);
        var sentPage = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await sent.Content.ReadAsStringAsync());
        Assert.Contains("137****0001", sentPage.QuerySelector("#code-sent")!.TextContent);
        var placed = await browser.PostFormAsync($"/services/{menuId}", sentPage, "order", [.. fields, ("code", app.CodeFor(Phone)), ("action", "place")]);
        Assert.Equal(HttpStatusCode.Redirect, placed.StatusCode);
        var tracking = await browser.GetPageAsync(placed.Headers.Location!.ToString());
        Assert.Contains("点单成功", tracking.QuerySelector("#order-placed")!.TextContent);
        Assert.Equal("点单", tracking.QuerySelector("#order-stage")!.TextContent);
    }
}
