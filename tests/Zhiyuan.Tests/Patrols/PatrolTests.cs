using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SkiaSharp;
using Zhiyuan.Tests.ServicePosts;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Patrols;

public sealed class PatrolTests : AppTest
{
    /// <summary>An organisation with a patrol team of two members, two departments with a liaison each, and a round going on now.</summary>
    async Task<(HttpClient City, Guid Round, List<(string Number, HttpClient Client)> Members, Guid Traffic, Guid Environment, HttpClient TrafficLiaison, HttpClient EnvironmentLiaison)>
        SetUpAsync(bool riverTeam = false, string mode = "Open")
    {
        var city = await app.ApiClientAsync();
        var host = await OrganizationAsync(city, "市民志愿巡访团");
        var members = await app.MembersAsync(city, host, 2);
        var traffic = (await OkAsync(await city.PostAsJsonAsync("/api/departments", new { name = "市公安局交警支队", unitCode = "441200" }))).GetProperty("id").GetGuid();
        var environment = (await OkAsync(await city.PostAsJsonAsync("/api/departments", new { name = "市生态环境局", unitCode = "441200" }))).GetProperty("id").GetGuid();
        foreach (var (user, department) in new[] { ("jiaojing", traffic), ("huanbao", environment) })
        {
            await OkAsync(await city.PostAsJsonAsync("/api/accounts", new { userName = user, displayName = user, password = "Liaison-pass-2019", role = "DepartmentLiaison", unitCode = "441200" }));
            await OkAsync(await city.PostAsJsonAsync($"/api/departments/{department}/liaisons", new { userName = user }));
        }
        var team = await OkAsync(await city.PostAsJsonAsync("/api/patrols/teams",
            new { organizationId = host, name = riverTeam ? "西江河小青" : "端州巡访一队", isRiverTeam = riverTeam, volunteerNumbers = members.Select(m => m.Number).ToArray() }));
        var start = DateTimeOffset.UtcNow.AddMinutes(-30);
        var round = await OkAsync(await city.PostAsJsonAsync("/api/patrols/rounds",
            new { teamId = team.GetProperty("id").GetGuid(), mode, area = "端州区天宁北路及周边公交站", startsAt = start, endsAt = start.AddHours(3) }));
        return (city, round.GetProperty("id").GetGuid(), members, traffic, environment,
            await app.ApiClientAsync("jiaojing", "Liaison-pass-2019"), await app.ApiClientAsync("huanbao", "Liaison-pass-2019"));
    }

    static byte[] Jpeg()
    {
        using var bitmap = new SKBitmap(64, 48);
        bitmap.Erase(SKColors.OrangeRed);
        using var image = SKImage.FromBitmap(bitmap);
        return image.Encode(SKEncodedImageFormat.Jpeg, 80).ToArray();
    }

    static MultipartFormDataContent Form(Dictionary<string, string> fields, params (byte[] Bytes, string Name)[] photos)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, value) in fields)
        {
            form.Add(new StringContent(value), name);
        }
        foreach (var (bytes, name) in photos)
        {
            var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            form.Add(content, "photos", name);
        }
        return form;
    }

    static Dictionary<string, string> Finding(Guid round, Guid department, string category = "Traffic") => new()
    {
        ["roundId"] = round.ToString(), ["place"] = "天宁北路与建设路交叉口", ["category"] = category, ["description"] = "红绿灯故障，行人闯红灯",
        ["suggestion"] = "尽快维修信号灯", ["departmentId"] = department.ToString(),
    };

    [Fact]
    public async Task AFindingWithAPhotoGoesToItsDepartmentWhoseLiaisonAnswersAndThePatrolClosesItAndTheRoundsHoursReachTheLedger()
    {
        var (city, round, members, traffic, _, liaison, _) = await SetUpAsync();
        var member = members[0].Client;
        var filed = await OkAsync(await member.PostAsync("/api/patrols/findings", Form(Finding(round, traffic), (Jpeg(), "IMG_1.jpg"))));
        var id = filed.GetProperty("id").GetGuid();
        Assert.Equal("Open", filed.GetProperty("status").GetString());
        Assert.Equal(1, filed.GetProperty("problemPhotos").GetArrayLength());

        // The liaison sees it, with its photo, and answers with the rectification and a photo.
        var inbox = await OkAsync(await liaison.GetAsync("/api/patrols/findings"));
        Assert.Equal(id, inbox.EnumerateArray().Single().GetProperty("id").GetGuid());
        await Pages.AssertFieldErrorAsync(await member.PostAsync($"/api/patrols/findings/{id}/answer", Form(new() { ["answer"] = "已修" })), "answer", "联络员");
        var answered = await OkAsync(await liaison.PostAsync($"/api/patrols/findings/{id}/answer", Form(new() { ["answer"] = "信号灯已于当日修复" }, (Jpeg(), "fixed.jpg"))));
        Assert.Equal("Answered", answered.GetProperty("status").GetString());
        Assert.Equal(1, answered.GetProperty("rectificationPhotos").GetArrayLength());

        // The patrol reopens it with a comment, the liaison answers again, the patrol closes it.
        await Pages.AssertFieldErrorAsync(await member.PostAsJsonAsync($"/api/patrols/findings/{id}/verification", new { close = false }), "comment", "核实意见");
        var reopened = await OkAsync(await member.PostAsJsonAsync($"/api/patrols/findings/{id}/verification", new { close = false, comment = "夜间仍不亮" }));
        Assert.Equal("Reopened", reopened.GetProperty("status").GetString());
        await OkAsync(await liaison.PostAsync($"/api/patrols/findings/{id}/answer", Form(new() { ["answer"] = "更换了控制器" })));
        var closed = await OkAsync(await members[1].Client.PostAsJsonAsync($"/api/patrols/findings/{id}/verification", new { close = true }));
        Assert.Equal("Closed", closed.GetProperty("status").GetString());
        Assert.Equal(1, closed.GetProperty("reopenCount").GetInt32());

        // Statistics by department and category.
        var statistics = await OkAsync(await city.GetAsync("/api/patrols/statistics"));
        var byDepartment = statistics.GetProperty("byDepartment").EnumerateArray().Single();
        Assert.Equal("市公安局交警支队", byDepartment.GetProperty("name").GetString());
        Assert.Equal(1, byDepartment.GetProperty("closed").GetInt32());
        Assert.Equal("交通秩序", statistics.GetProperty("byCategory")[0].GetProperty("name").GetString());

        // The round is an activity: finishing it confirms both members' three hours; it counts like any other.
        await Pages.AssertFieldErrorAsync(await city.PostAsJsonAsync($"/api/patrols/rounds/{round}/finish", new { }), "session", "结束");
        app.Clock.Advance(TimeSpan.FromHours(4));
        using var cityLater = await app.ApiClientAsync();
        var finished = await OkAsync(await cityLater.PostAsJsonAsync($"/api/patrols/rounds/{round}/finish", new { }));
        Assert.NotEqual(JsonValueKind.Null, finished.GetProperty("finishedAtUtc").ValueKind);
        Assert.Equal([180, 180], await app.WithDbAsync(db => db.LedgerEntries.Select(e => e.Minutes).ToListAsync()));
        var activity = await OkAsync(await app.CreateClient().GetAsync($"/api/activities/{finished.GetProperty("activityId").GetGuid()}"));
        Assert.Equal("Finished", activity.GetProperty("status").GetString());
        Assert.Equal("市民志愿巡访团", activity.GetProperty("programmeTag").GetString());
    }

    [Fact]
    public async Task ALiaisonCannotReadAnswerOrSeePhotosOfAnotherDepartmentsFindings()
    {
        var (_, round, members, traffic, environment, trafficLiaison, environmentLiaison) = await SetUpAsync();
        var filed = await OkAsync(await members[0].Client.PostAsync("/api/patrols/findings", Form(Finding(round, traffic), (Jpeg(), "IMG_1.jpg"))));
        var id = filed.GetProperty("id").GetGuid();
        await OkAsync(await members[0].Client.PostAsync("/api/patrols/findings", Form(Finding(round, environment, "Sanitation"))));

        Assert.Equal(HttpStatusCode.NotFound, (await environmentLiaison.GetAsync($"/api/patrols/findings/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await environmentLiaison.PostAsync($"/api/patrols/findings/{id}/answer", Form(new() { ["answer"] = "不归我们管" }))).StatusCode);
        Assert.Equal("Sanitation", (await OkAsync(await environmentLiaison.GetAsync("/api/patrols/findings"))).EnumerateArray().Single().GetProperty("category").GetString());
        Assert.Equal("Traffic", (await OkAsync(await trafficLiaison.GetAsync("/api/patrols/findings"))).EnumerateArray().Single().GetProperty("category").GetString());
        var statistics = await OkAsync(await environmentLiaison.GetAsync("/api/patrols/statistics"));
        Assert.Equal("市生态环境局", statistics.GetProperty("byDepartment").EnumerateArray().Single().GetProperty("name").GetString());
        // On the page too: not found, not a hint that it exists.
        using var page = app.PageClient();
        await page.SignInAsync("huanbao", "Liaison-pass-2019");
        await page.GetPageAsync($"/patrols/findings/{id}", HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.NotFound, (await page.GetAsync($"/patrols/photos/{filed.GetProperty("problemPhotos")[0].GetGuid()}")).StatusCode);
        using var trafficPage = app.PageClient();
        await trafficPage.SignInAsync("jiaojing", "Liaison-pass-2019");
        var photo = await trafficPage.GetAsync($"/patrols/photos/{filed.GetProperty("problemPhotos")[0].GetGuid()}");
        Assert.Equal("image/jpeg", photo.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Open", (await app.WithDbAsync(db => db.Findings.SingleAsync(f => f.Id == id))).Status.ToString());
    }

    [Fact]
    public async Task FindingsWithPhotosThatAreNotImagesOrWithoutWaterReadingsAreRefusedAndNothingIsSaved()
    {
        var (_, round, members, _, environment, _, _) = await SetUpAsync(riverTeam: true);
        var member = members[0].Client;
        var exe = new byte[] { 0x4D, 0x5A, 0x90, 0x00 }.Concat(new byte[2000]).ToArray();
        await Pages.AssertFieldErrorAsync(await member.PostAsync("/api/patrols/findings", Form(Finding(round, environment), (Jpeg(), "ok.jpg"), (exe, "photo.jpg"))),
            "photos", "不是 JPEG、PNG 或 WebP");
        await Pages.AssertFieldErrorAsync(await member.PostAsync("/api/patrols/findings", Form(Finding(round, environment, "RiverPollution"))), "waterPh", "水质读数");
        var badPh = Finding(round, environment, "RiverPollution");
        badPh["waterPh"] = "15";
        await Pages.AssertFieldErrorAsync(await member.PostAsync("/api/patrols/findings", Form(badPh)), "waterPh", "0 到 14");
        var noDepartment = Finding(round, Guid.NewGuid());
        await Pages.AssertFieldErrorAsync(await member.PostAsync("/api/patrols/findings", Form(noDepartment)), "departmentId", "部门");
        Assert.Equal(0, await app.WithDbAsync(db => db.Findings.CountAsync()));
        Assert.Equal(0, await app.WithDbAsync(db => db.FindingPhotos.CountAsync()));

        var good = Finding(round, environment, "RiverPollution");
        good["waterPh"] = "6.1";
        good["waterDissolvedOxygen"] = "3.2";
        good["waterTurbidity"] = "85";
        var filed = await OkAsync(await member.PostAsync("/api/patrols/findings", Form(good)));
        Assert.Equal(6.1, filed.GetProperty("waterPh").GetDouble());

        // Unanswered past the deadline: flagged overdue, in the list and in the statistics.
        app.Clock.Advance(TimeSpan.FromDays(8));
        using var later = await app.ApiClientAsync(members[0].Number, Volunteers.People.Password);
        Assert.True((await OkAsync(await later.GetAsync($"/api/patrols/findings/{filed.GetProperty("id").GetGuid()}"))).GetProperty("overdue").GetBoolean());
        using var city = await app.ApiClientAsync();
        Assert.Equal(1, (await OkAsync(await city.GetAsync("/api/patrols/statistics"))).GetProperty("byCategory")[0].GetProperty("overdue").GetInt32());
    }

    [Fact]
    public async Task UndercoverRoundsStayOffThePublicListAndPagesEvenWhenFinished()
    {
        var (city, round, _, _, _, _, _) = await SetUpAsync(mode: "Undercover");
        var activityId = (await OkAsync(await city.GetAsync($"/api/patrols/rounds/{round}"))).GetProperty("activityId").GetGuid();
        using var anonymous = app.CreateClient();
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync($"/api/activities/{activityId}")).StatusCode);
        Assert.Equal(0, (await OkAsync(await anonymous.GetAsync("/api/activities"))).GetProperty("total").GetInt32());
        app.Clock.Advance(TimeSpan.FromHours(4));
        using var cityLater = await app.ApiClientAsync();
        await OkAsync(await cityLater.PostAsJsonAsync($"/api/patrols/rounds/{round}/finish", new { }));
        // Private work: the hours count and the round shows in reports, but the public never sees it.
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync($"/api/activities/{activityId}")).StatusCode);
        Assert.Equal(0, (await OkAsync(await anonymous.GetAsync("/api/activities"))).GetProperty("total").GetInt32());
        Assert.Equal(HttpStatusCode.OK, (await cityLater.GetAsync($"/api/activities/{activityId}")).StatusCode);
    }
}
