using System.Net.Http.Headers;
using Microsoft.EntityFrameworkCore;
using SkiaSharp;
using Zhiyuan.Tests.Recognition;
using Zhiyuan.Tests.Volunteers;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Integrity;

/// <summary>Stars, objections, commendations, partners and service-record certificates under simultaneous requests.</summary>
public sealed class RecognitionRaceTests : AppTest
{
    static MultipartFormDataContent Photo()
    {
        using var bitmap = new SKBitmap(64, 48);
        bitmap.Erase(SKColors.OrangeRed);
        using var image = SKImage.FromBitmap(bitmap);
        var file = new ByteArrayContent(image.Encode(SKEncodedImageFormat.Jpeg, 80).ToArray());
        file.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        return new MultipartFormDataContent { { file, "photo", "story.jpg" } };
    }

    [Fact]
    [Races("POST /api/stars/notices", "POST /api/notices/{kind}/{id}/objections", "POST /api/stars/objections/{id}/answer", "POST /api/stars/{id}/award",
        "POST /api/stars/{id}/revoke", "POST /api/stars/eligible/{number}/reject")]
    public async Task StarNoticesObjectionsAwardsAndRevocationsEachHappenOnceAndFortyObjectionsFromOneAddressKeepTheHourlyLimit()
    {
        using var setup = await app.ApiClientAsync();
        var host = await OrganizationAsync(setup);
        var volunteers = await app.VolunteersAsync(2);
        foreach (var (number, _) in volunteers)
        {
            await app.CreditAsync(host, number, 120, DateTime.UtcNow.AddDays(-30));
        }
        await using var node2 = new TestApp(app.Database);
        using var admin2 = await node2.ApiClientAsync();
        var admins = new[] { setup, admin2 };
        var race = new Race(app);
        await race.IgnoreSeededViolationsAsync();

        await race.ExactlyOnceAsync("put one volunteer on notice ×20", i => admins[i % 2].PostJsonAsync("/api/stars/notices", new { numbers = new[] { volunteers[0].Number } }));
        race.CheckEqual(1, await app.WithDbAsync(db => db.StarAwards.CountAsync()), "star awards on notice");
        await race.ExactlyOnceAsync("reject another volunteer's star ×20",
            i => admins[i % 2].PostJsonAsync($"/api/stars/eligible/{volunteers[1].Number}/reject", new { reason = "服务记录待核实" }));

        var awardId = await app.WithDbAsync(db => db.StarAwards.Where(a => a.Volunteer!.Number == volunteers[0].Number).Select(a => a.Id).FirstAsync());
        using var anonymous = app.CreateClient();
        using var anonymous2 = node2.CreateClient();
        var objections = await race.RunAsync("40 objections from one address", 40,
            i => (i % 2 == 0 ? anonymous : anonymous2).PostJsonAsync($"/api/notices/star/{awardId}/objections", new { text = $"第 {i + 1} 条异议：时长有误" }), 1, 5);
        race.CheckEqual(objections.Successes, await app.WithDbAsync(db => db.Objections.CountAsync()), "objections stored (as many as accepted)");

        var objectionIds = await app.WithDbAsync(db => db.Objections.Select(o => o.Id).ToListAsync());
        await race.ExactlyOnceAsync("answer one objection ×20",
            i => admins[i % 2].PostJsonAsync($"/api/stars/objections/{objectionIds[0]}/answer", new { uphold = false, answer = "经核实签到记录无误" }));
        foreach (var id in objectionIds.Skip(1))
        {
            await setup.PostJsonAsync($"/api/stars/objections/{id}/answer", new { uphold = false, answer = "经核实签到记录无误" }).OkJsonAsync();
        }

        app.Clock.Advance(TimeSpan.FromDays(8));
        node2.Clock.Advance(TimeSpan.FromDays(8));
        using var later1 = await app.ApiClientAsync();
        using var later2 = await node2.ApiClientAsync();
        var laterAdmins = new[] { later1, later2 };
        await race.ExactlyOnceAsync("award a star ×20", i => laterAdmins[i % 2].PostEmptyAsync($"/api/stars/{awardId}/award"));
        await race.ExactlyOnceAsync("revoke a star ×20", i => laterAdmins[i % 2].PostJsonAsync($"/api/stars/{awardId}/revoke", new { reason = "本人申请撤销" }));
        var actions = await app.WithDbAsync(db => db.AuditEntries.Where(a => a.Action.StartsWith("star.")).Select(a => a.Action).ToListAsync());
        race.CheckEqual(1, actions.Count(a => a == "star.award"), "star.award entries in the audit log");
        await race.AssertNoneAsync();
    }

    [Fact]
    [Races("POST /api/commendations", "POST /api/commendations/{id}/nominations", "POST /api/commendations/nominations/{id}/photos",
        "POST /api/commendations/nominations/{id}/review", "POST /api/commendations/nominations/{id}/award", "POST /api/commendations/objections/{id}/answer",
        "POST /api/partners")]
    public async Task CommendationRoundsNominationsReviewsAndAwardsEachHappenOnceAndPartnersAreCreatedAsOftenAsAsked()
    {
        using var city = await app.ApiClientAsync();
        await using var node2 = new TestApp(app.Database);
        using var city2 = await node2.ApiClientAsync();
        var admins = new[] { city, city2 };
        var race = new Race(app);
        await race.IgnoreSeededViolationsAsync();
        var volunteer = (await app.VolunteersAsync(1))[0];

        // Rounds and partners are naturally repeatable: twenty requests, twenty rounds (no unique rule on the name).
        await race.RunAsync("create a commendation round ×20", Race.N, i => admins[i % 2].PostJsonAsync("/api/commendations", new
        {
            name = $"2019年度肇庆市最美志愿者 {i}", kind = "MostBeautifulVolunteer", criteria = "事迹突出", nominationsCloseAt = DateTimeOffset.UtcNow.AddDays(10),
        }), Race.N, Race.N);
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        await race.RunAsync("create a partner ×20", Race.N, i => admins[i % 2].PostJsonAsync("/api/partners", new
        {
            name = $"鼎湖山景区 {i}", validFrom = today, validTo = today.AddDays(365), benefits = new[] { new { minStarLevel = 1, description = "门票八折" } },
        }), Race.N, Race.N);

        var roundId = await app.WithDbAsync(db => db.CommendationRounds.Select(r => r.Id).FirstAsync());
        await race.ExactlyOnceAsync("nominate one volunteer ×20", i => admins[i % 2].PostJsonAsync($"/api/commendations/{roundId}/nominations",
            new { volunteerNumber = volunteer.Number, reason = "三年坚持河小青巡河", story = "每周六清晨沿西江巡河。" }));
        race.CheckEqual(1, await app.WithDbAsync(db => db.Nominations.CountAsync()), "nominations of one volunteer in one round");
        var nominationId = await app.WithDbAsync(db => db.Nominations.Select(n => n.Id).FirstAsync());
        var photos = await race.RunAsync("add a story photo ×20", Race.N, i => admins[i % 2].PostAsync($"/api/commendations/nominations/{nominationId}/photos", Photo()), 1, Race.N);
        race.CheckEqual(photos.Successes, await app.WithDbAsync(db => db.StoryPhotos.CountAsync()), "story photos stored (as many as accepted)");

        await race.ExactlyOnceAsync("put a nomination on notice ×20",
            i => admins[i % 2].PostJsonAsync($"/api/commendations/nominations/{nominationId}/review", new { action = "notice" }));
        using var anonymous = app.CreateClient();
        await anonymous.PostJsonAsync($"/api/notices/nomination/{nominationId}/objections", new { text = "该志愿者事迹有夸大成分" }).OkJsonAsync();
        var objection = await app.WithDbAsync(db => db.Objections.Select(o => o.Id).FirstAsync());
        await race.ExactlyOnceAsync("answer a nomination objection ×20",
            i => admins[i % 2].PostJsonAsync($"/api/commendations/objections/{objection}/answer", new { uphold = false, answer = "经核实事迹属实" }));

        app.Clock.Advance(TimeSpan.FromDays(8));
        node2.Clock.Advance(TimeSpan.FromDays(8));
        using var later1 = await app.ApiClientAsync();
        using var later2 = await node2.ApiClientAsync();
        var laterAdmins = new[] { later1, later2 };
        await race.ExactlyOnceAsync("award a nomination ×20", i => laterAdmins[i % 2].PostEmptyAsync($"/api/commendations/nominations/{nominationId}/award"));
        await race.AssertNoneAsync();
    }

    [Fact]
    [Races("POST /api/volunteers/me/service-certificates")]
    public async Task TwentySimultaneousRequestsForTheSameServiceRecordCertificateIssueItOnce()
    {
        using var setup = await app.ApiClientAsync();
        var host = await OrganizationAsync(setup);
        var volunteer = (await app.VolunteersAsync(1))[0];
        await app.CreditAsync(host, volunteer.Number, 3, DateTime.UtcNow.AddDays(-30));
        await using var node2 = new TestApp(app.Database);
        using var phone2 = await node2.ApiClientAsync(volunteer.Number, People.Password);
        var race = new Race(app);
        await race.IgnoreSeededViolationsAsync();
        // A double click (or two phones) asks for the same certificate: every answer shows it, one is issued with one serial number.
        await race.RunAsync("issue a service-record certificate ×20", Race.N,
            i => (i % 2 == 0 ? volunteer.Client : phone2).PostJsonAsync("/api/volunteers/me/service-certificates", new { }), Race.N, Race.N);
        var serials = await app.WithDbAsync(db => db.ServiceCertificates.Select(c => c.Serial).ToListAsync());
        race.CheckEqual(1, serials.Count, "certificates stored for twenty identical requests");
        await race.AssertNoneAsync();
    }
}
