using System.Net;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Tests.Volunteers;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Activities;

/// <summary>The activity pages driven as a browser would: forms, messages under the fields, redirects.</summary>
public sealed class ActivityPageTests : AppTest
{
    [Fact]
    public async Task TheNewActivityFormNamesEveryBadFieldKeepsWhatWasTypedAndSavesNothingUntilItIsRight()
    {
        using (var api = await app.ApiClientAsync())
        {
            await OrganizationAsync(api);
            await OrganizationAsync(api, "鼎湖区志愿者联合会", "441203");
        }
        using var admin = app.PageClient();
        await admin.SignInAsync("admin", TestApp.AdminPassword);
        var form = await admin.GetPageAsync("/activities/new");
        // By name: the order of the options follows the database's collation (pinyin puts 鼎湖 before 端州).
        var host = form.QuerySelectorAll("#host option").Single(o => o.TextContent == "端州区青年志愿者协会").GetAttribute("value")!;
        var day = DateTime.UtcNow.AddHours(8).Date.AddDays(3);
        (string, string)[] Fields(string start, string end, string capacity, string coOrganizers) =>
        [
            ("Input.HostOrganizationId", host), ("Input.Title", "敬老院探访"), ("Input.ServiceLine", "PovertyRelief"), ("population", "EmptyNestElderly"),
            ("Input.Address", "端州区敬老院"), ("Input.ResponsiblePerson", "李老师"), ("Input.CoOrganizers", coOrganizers),
            ("Input.Sessions[0].StartsAt", start), ("Input.Sessions[0].EndsAt", end), ("Input.Sessions[0].Capacity", capacity), ("Input.CancelHoursBefore", "24"),
        ];

        var response = await admin.PostFormAsync("/activities/new", form, "new-activity", Fields($"{day:yyyy-MM-dd}T12:00", $"{day:yyyy-MM-dd}T09:00", "十", "不存在的组织"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        Assert.Contains("不是整数", page.QuerySelector(".field-error[data-field='sessions[0].capacity']")!.TextContent);
        Assert.Contains("不存在的组织", page.QuerySelector(".field-error[data-field='coOrganizerIds']")!.TextContent);
        Assert.Equal("敬老院探访", page.QuerySelector("#title")!.GetAttribute("value"));

        response = await admin.PostFormAsync("/activities/new", form, "new-activity", Fields($"{day:yyyy-MM-dd}T12:00", $"{day:yyyy-MM-dd}T09:00", "0", ""));
        page = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        Assert.Contains("结束时间必须晚于开始时间", page.QuerySelector(".field-error[data-field='sessions[0].endsAt']")!.TextContent);
        Assert.Contains("招募人数", page.QuerySelector(".field-error[data-field='sessions[0].capacity']")!.TextContent);
        Assert.Equal(0, await app.WithDbAsync(db => db.Activities.CountAsync()));

        response = await admin.PostFormAsync("/activities/new", form, "new-activity", Fields($"{day:yyyy-MM-dd}T09:00", $"{day:yyyy-MM-dd}T12:00", "1", "鼎湖区志愿者联合会"));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var manage = response.Headers.Location!.OriginalString;
        var activity = await app.WithDbAsync(db => db.Activities.Include(a => a.CoOrganizers).Include(a => a.Sessions).SingleAsync());
        Assert.Single(activity.CoOrganizers);
        Assert.Equal(day.AddHours(1), activity.Sessions[0].StartsAtUtc); // 09:00 in China is 01:00 UTC

        var managePage = await admin.GetPageAsync(manage);
        response = await admin.PostFormAsync(manage, managePage, "status", ("status", "Published"));
        Assert.Contains("招募中", await response.Content.ReadAsStringAsync());

        // Two volunteers sign up through the detail page: one gets the place, the other is told where they stand.
        foreach (var (serial, expected) in new[] { (701, "报名成功"), (702, "候补第 1 位") })
        {
            var mobile = "137" + serial.ToString("D8");
            await app.RegisterAsync("志愿者" + serial, People.ResidentId(1990, serial % 1000), mobile);
            using var volunteer = app.PageClient();
            await volunteer.SignInAsync(mobile, People.Password);
            var detail = await volunteer.GetPageAsync($"/activities/{activity.Id}");
            response = await volunteer.PostFormAsync($"/activities/{activity.Id}", detail, "signup-" + activity.Sessions[0].Id);
            Assert.Contains(expected, await response.Content.ReadAsStringAsync());
            // The same form posted again (a double click, or Back and submit): the page as it is now, saying so — never a blank 400.
            var again = await volunteer.PostFormAsync($"/activities/{activity.Id}", detail, "signup-" + activity.Sessions[0].Id);
            Assert.True(again.StatusCode == HttpStatusCode.SeeOther, $"{again.StatusCode} {again.Content.Headers.ContentType} [{await again.Content.ReadAsStringAsync()}]");
            var shown = await volunteer.GetPageAsync(again.Headers.Location!.ToString());
            Assert.Contains("已经处理过了", shown.QuerySelector("#form-repeated")!.TextContent);
        }
        var me = await app.PageClient().GetAsync($"/activities/{activity.Id}");
        Assert.Contains("已录取 1 / 1", await me.Content.ReadAsStringAsync());
    }
}
