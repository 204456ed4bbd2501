using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Zhiyuan.Tests.Volunteers;
using Zhiyuan.Web.Infrastructure;
using Zhiyuan.Web.ServicePosts;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.ServicePosts;

/// <summary>Organisations with members, service menus and citizen orders, set up through the API as users would.</summary>
public static class OrderScenario
{
    /// <summary>Volunteers who applied to the organisation and were approved by its administrator.</summary>
    public static async Task<List<(string Number, HttpClient Client)>> MembersAsync(this TestApp app, HttpClient admin, Guid organizationId, int count, int firstSerial = 100)
    {
        var volunteers = await app.VolunteersAsync(count, firstSerial);
        foreach (var (number, client) in volunteers)
        {
            await OkAsync(await client.PostAsync($"/api/organizations/{organizationId}/applications", null));
            await OkAsync(await admin.PostAsJsonAsync($"/api/organizations/{organizationId}/members/{number}/decision", new { approve = true }));
        }
        return volunteers;
    }

    /// <summary>Makes a member an administrator of the organisation and signs them in again, so their token carries the role.</summary>
    public static async Task<HttpClient> OrganizationAdminAsync(this TestApp app, HttpClient admin, Guid organizationId, string number)
    {
        await OkAsync(await admin.PostAsJsonAsync($"/api/organizations/{organizationId}/admins", new { volunteerNumber = number }));
        return await app.ApiClientAsync(number, People.Password);
    }

    public static async Task<Guid> MenuAsync(HttpClient admin, Guid organizationId, string areaCode = "441202", ServiceMode mode = ServiceMode.DoorToDoor, string title = "独居老人上门陪护")
    {
        var menu = await OkAsync(await admin.PostAsJsonAsync("/api/service-menus", new CreateMenuRequest(organizationId, null, title, "陪老人聊天、打扫卫生",
            Zhiyuan.Web.Volunteers.ServiceLines.PovertyRelief, mode, areaCode, true, null)));
        return menu.GetProperty("id").GetGuid();
    }

    public static string CodeFor(this TestApp app, string phone) => app.Services.GetRequiredService<DevelopmentLogSmsSender>().LatestFor(phone)!;

    public static PlaceOrderRequest Order(Guid menuId, string phone, string? code = null, string address = "肇庆市端州区天宁北路 12 号", int days = 2) =>
        new(menuId, null, "李阿姨", phone, code, address, InDays(days, 10), InDays(days, 12), "行动不便，需要帮忙买菜");

    /// <summary>Asks for a code, then orders with it, as an anonymous citizen; returns the placed order.</summary>
    public static async Task<JsonElement> PlaceAsync(this TestApp app, HttpClient citizen, PlaceOrderRequest request)
    {
        await OkAsync(await citizen.PostAsJsonAsync("/api/orders/verification-codes", new { phone = request.Phone }));
        return await OkAsync(await citizen.PostAsJsonAsync("/api/orders", request with { Code = app.CodeFor(request.Phone!) }));
    }
}
