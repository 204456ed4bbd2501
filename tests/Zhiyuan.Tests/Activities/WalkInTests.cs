using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AngleSharp.Html.Parser;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Tests.Volunteers;
using Zhiyuan.Web.Activities;
using Zhiyuan.Web.Data;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Activities;

/// <summary>Walk-ins (现场加入): volunteers who turn up without signing up, added on site by the session's leader.</summary>
public sealed class WalkInTests : AppTest
{
    /// <summary>Moves the clock to the given instant plus a few seconds (tokens expire on the way, so clients are made afresh).</summary>
    void MoveTo(DateTimeOffset instant) => app.Clock.Offset = instant - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(5);

    Task<HttpResponseMessage> WalkInAsync(HttpClient leader, Guid session, string who) =>
        leader.PostAsJsonAsync($"/api/sessions/{session}/walk-ins", new { volunteer = who });

    Task<(int Capacity, int Accepted, int Waitlisted)> CountersAsync(Guid session) => app.WithDbAsync(async db =>
    {
        var s = await db.ActivitySessions.AsNoTracking().SingleAsync(x => x.Id == session);
        return (s.Capacity, s.Accepted, s.Waitlisted);
    });

    static async Task<string> VerifyUrlAsync(HttpClient volunteer) =>
        "http://localhost" + (await OkAsync(await volunteer.GetAsync("/api/volunteers/me/certificate"))).GetProperty("verifyPath").GetString();

    [Fact]
    public async Task TheLeaderAddsWalkInsByNumberMobileOrCertificatePhotoOutsideTheCapacityAndTheirHoursReachTheLedger()
    {
        using var setup = await app.ApiClientAsync();
        var start = InDays(1, 9);
        var session = SessionId(await PublishedAsync(setup, Activity(await OrganizationAsync(setup), start, capacity: 2, hours: 3)));
        var signedUp = await app.VolunteersAsync(3);
        foreach (var (_, client) in signedUp)
        {
            await OkAsync(await client.SignUpAsync(session));
        }
        // Full: two accepted, one waiting. Four more volunteers come without signing up; their certificates are on their phones.
        var walkIns = await app.VolunteersAsync(4, firstSerial: 300);
        var certificate = await VerifyUrlAsync(walkIns[2].Client);
        var revokedUrl = await VerifyUrlAsync(walkIns[3].Client);
        Assert.Equal((2, 2, 1), await CountersAsync(session));

        // The day before, nobody can be added on site: walk-ins are for the session's own day.
        await Pages.AssertFieldErrorAsync(await WalkInAsync(setup, session, walkIns[0].Number), "session", "当天");

        MoveTo(start.AddMinutes(30));
        using var leader = await app.ApiClientAsync();
        // By volunteer number (typed in lower case), by mobile number (as people write it), by a photo of the certificate QR.
        var byNumber = await OkAsync(await WalkInAsync(leader, session, walkIns[0].Number.ToLowerInvariant()));
        Assert.Contains("现场加入", byNumber.GetProperty("message").GetString());
        Assert.True(byNumber.GetProperty("volunteer").GetProperty("walkIn").GetBoolean());
        Assert.Equal("Accepted", byNumber.GetProperty("volunteer").GetProperty("status").GetString());
        Assert.NotEqual(JsonValueKind.Null, byNumber.GetProperty("volunteer").GetProperty("checkedInAtUtc").ValueKind);
        var mobile = "139" + 301.ToString("D8");
        var byMobile = await OkAsync(await WalkInAsync(leader, session, $"{mobile[..3]} {mobile[3..7]} {mobile[7..]}"));
        Assert.Equal(walkIns[1].Number, byMobile.GetProperty("volunteer").GetProperty("volunteerNumber").GetString());
        var byPhoto = await OkAsync(await leader.PostAsync($"/api/sessions/{session}/walk-ins/photo", CertificatePhotos.Upload(CertificatePhotos.Photo(certificate))));
        Assert.Equal(walkIns[2].Number, byPhoto.GetProperty("volunteer").GetProperty("volunteerNumber").GetString());
        Assert.True(byPhoto.GetProperty("volunteer").GetProperty("walkIn").GetBoolean());
        // The verification link pasted as text works the same; adding someone twice changes nothing.
        var again = await OkAsync(await WalkInAsync(leader, session, certificate));
        Assert.Contains("已在本时段签到", again.GetProperty("message").GetString());

        // Someone who had signed up is simply checked in; the one on the waitlist becomes a walk-in and leaves the queue.
        var checkedIn = await OkAsync(await WalkInAsync(leader, session, signedUp[0].Number));
        Assert.Contains("已报名本时段", checkedIn.GetProperty("message").GetString());
        Assert.False(checkedIn.GetProperty("volunteer").GetProperty("walkIn").GetBoolean());
        var waiting = await OkAsync(await WalkInAsync(leader, session, signedUp[2].Number));
        Assert.True(waiting.GetProperty("volunteer").GetProperty("walkIn").GetBoolean());
        // No place was taken: the counters are as before, less the waitlist place given up.
        Assert.Equal((2, 2, 0), await CountersAsync(session));

        // What cannot be added says why, in Chinese.
        await Pages.AssertFieldErrorAsync(await WalkInAsync(leader, session, "ZY99999999"), "volunteer", "没有找到志愿者编号为 ZY99999999");
        await Pages.AssertFieldErrorAsync(await WalkInAsync(leader, session, "13800000000"), "volunteer", "没有找到用该手机号码注册的志愿者");
        await Pages.AssertFieldErrorAsync(await WalkInAsync(leader, session, "张三"), "volunteer", "无法识别");
        await Pages.AssertFieldErrorAsync(await WalkInAsync(leader, session, ""), "volunteer", "请输入志愿者编号");
        await Pages.AssertFieldErrorAsync(await WalkInAsync(leader, session, "http://localhost/verify/AAAAAAAAAAAAAAAAAAAAAA"), "volunteer", "没有找到该二维码对应的志愿者证");
        await Pages.AssertFieldErrorAsync(await leader.PostAsync($"/api/sessions/{session}/walk-ins/photo", CertificatePhotos.Upload(CertificatePhotos.Blank())),
            "photo", "没有识别到二维码");
        await Pages.AssertFieldErrorAsync(await leader.PostAsync($"/api/sessions/{session}/walk-ins/photo", CertificatePhotos.Upload(CertificatePhotos.Qr("https://example.com/"), "qr.png")),
            "photo", "不是志愿者证二维码");
        await Pages.AssertFieldErrorAsync(await leader.PostAsync($"/api/sessions/{session}/walk-ins/photo", CertificatePhotos.Upload("not a photo"u8.ToArray())),
            "photo", "");
        // A revoked certificate proves nothing; the same person by number still can be added.
        await OkAsync(await leader.PostAsJsonAsync($"/api/volunteers/{walkIns[3].Number}/certificate/revoke", new { reason = "证件遗失" }));
        await Pages.AssertFieldErrorAsync(await WalkInAsync(leader, session, revokedUrl), "volunteer", "已被撤销");
        await OkAsync(await WalkInAsync(leader, session, walkIns[3].Number));
        // Somebody else's leader (another unit's administrator) cannot add anyone here.
        await app.CreateUnitAdminAsync("sihui-admin", "441284");
        using var stranger = await app.ApiClientAsync("sihui-admin", "Unit-admin-2019");
        Assert.Equal(HttpStatusCode.NotFound, (await WalkInAsync(stranger, session, walkIns[0].Number)).StatusCode);

        // The roster shows who came on site; so does the leader's page.
        var roster = (await OkAsync(await leader.GetAsync($"/api/sessions/{session}/leader"))).GetProperty("roster").EnumerateArray().ToList();
        Assert.Equal(5, roster.Count(r => r.GetProperty("walkIn").GetBoolean()));
        Assert.Equal(7, roster.Count(r => r.GetProperty("status").GetString() == "Accepted"));
        using var leaderPage = app.PageClient();
        await leaderPage.SignInAsync("admin", TestApp.AdminPassword);
        var page = await leaderPage.GetPageAsync($"/sessions/{session}/leader");
        Assert.Contains("现场加入", page.QuerySelector($"#roster-{walkIns[0].Number}")!.TextContent);
        Assert.DoesNotContain("现场加入", page.QuerySelector($"#roster-{signedUp[0].Number}")!.TextContent);

        // After the session the organisation confirms: walk-ins are credited like everyone else.
        MoveTo(start.AddHours(4));
        using var organisation = await app.ApiClientAsync();
        var confirmed = await OkAsync(await organisation.PostAsync($"/api/sessions/{session}/confirm", null));
        Assert.Equal(6, confirmed.GetProperty("confirmed").GetInt32()); // five walk-ins and the one checked in; the other accepted never came
        // Too late now: the session is over.
        await Pages.AssertFieldErrorAsync(await WalkInAsync(organisation, session, signedUp[1].Number), "session", "结束");

        // The walk-in's own record and sign-ups say 现场加入.
        using var walkedIn = await app.ApiClientAsync(walkIns[0].Number, People.Password);
        var record = await OkAsync(await walkedIn.GetAsync("/api/volunteers/me/record"));
        Assert.InRange(record.GetProperty("totalMinutes").GetInt32(), 149, 150); // checked in at 09:30 and a few seconds, out at the end
        Assert.True(record.GetProperty("lines")[0].GetProperty("walkIn").GetBoolean());
        Assert.True((await OkAsync(await walkedIn.GetAsync("/api/volunteers/me/signups")))[0].GetProperty("walkIn").GetBoolean());
        var recordPage = app.PageClient();
        await recordPage.SignInAsync(walkIns[0].Number, People.Password);
        Assert.Contains("现场加入", (await recordPage.GetPageAsync("/me/record")).QuerySelector("#record-lines")!.TextContent);

        Assert.Empty(await app.WithDbAsync(db => IntegrityCheck.FindViolationsAsync(db)));
    }

    [Fact]
    public async Task AWalkInOutsideTheCapacityKeepsTheFullSessionFullAndItsWaitlistUntouched()
    {
        using var setup = await app.ApiClientAsync();
        var start = InDays(1, 14);
        var session = SessionId(await PublishedAsync(setup, Activity(await OrganizationAsync(setup), start, capacity: 1, hours: 2) with { CancelHoursBefore = 2 }));
        var volunteers = await app.VolunteersAsync(4);
        await OkAsync(await volunteers[0].Client.SignUpAsync(session));
        await OkAsync(await volunteers[1].Client.SignUpAsync(session));
        MoveTo(start.AddHours(-6)); // the morning of the day: a session later today takes walk-ins already
        using var leader = await app.ApiClientAsync();
        await OkAsync(await WalkInAsync(leader, session, volunteers[2].Number));
        await OkAsync(await WalkInAsync(leader, session, volunteers[3].Number));
        Assert.Equal((1, 1, 1), await CountersAsync(session));
        // The accepted volunteer cancels in time: the waiting one takes the place, not a walk-in, and the counters stay true.
        using var first = await app.ApiClientAsync(volunteers[0].Number, People.Password);
        await OkAsync(await first.DeleteAsync($"/api/sessions/{session}/signups/me"));
        var rows = await app.WithDbAsync(db => db.SignUps.Where(s => s.SessionId == session).Select(s => new { s.Volunteer!.Number, s.Status, s.WalkIn }).ToListAsync());
        Assert.Equal(SignUpStatus.Accepted, rows.Single(r => r.Number == volunteers[1].Number).Status);
        Assert.Equal(2, rows.Count(r => r.WalkIn && r.Status == SignUpStatus.Accepted));
        Assert.Equal((1, 1, 0), await CountersAsync(session));
        // A walk-in is checked in: they cannot cancel and free a place they never held.
        using var walkIn = await app.ApiClientAsync(volunteers[2].Number, People.Password);
        Assert.Equal(HttpStatusCode.BadRequest, (await walkIn.DeleteAsync($"/api/sessions/{session}/signups/me")).StatusCode);
        Assert.Equal((1, 1, 0), await CountersAsync(session));
        Assert.Empty(await app.WithDbAsync(db => IntegrityCheck.FindViolationsAsync(db)));
    }

    [Fact]
    public async Task AWalkInRespectsTheAgeLimitAndAnotherSessionAtTheSameTime()
    {
        using var setup = await app.ApiClientAsync();
        var host = await OrganizationAsync(setup);
        var start = InDays(1, 9);
        var adults = SessionId(await PublishedAsync(setup, Activity(host, start, hours: 3, title: "成人场") with { MinAge = 18 }));
        var other = SessionId(await PublishedAsync(setup, Activity(host, start.AddHours(1), hours: 3, title: "同时段活动")));
        var minor = (await app.VolunteersAsync(1, firstSerial: 150, birthYear: DateTime.UtcNow.Year - 16))[0];
        var busy = (await app.VolunteersAsync(1, firstSerial: 160))[0];
        await OkAsync(await busy.Client.SignUpAsync(other));
        // A session called off takes no walk-ins either; and one with a walk-in can no longer be called off.
        var twoSessions = await PublishedAsync(setup, Activity(host, start.AddHours(6), hours: 1, title: "两场活动") with
        {
            Sessions = [new SessionRequest(start.AddHours(6), start.AddHours(7), 5), new SessionRequest(start.AddHours(8), start.AddHours(9), 5)],
        });
        var twoSessionsId = twoSessions.GetProperty("id").GetGuid();
        await OkAsync(await setup.PostAsJsonAsync($"/api/activities/{twoSessionsId}/sessions/{SessionId(twoSessions)}/cancellation", new { reason = "场地临时关闭" }));
        MoveTo(start.AddMinutes(10));
        using var leader = await app.ApiClientAsync();
        await Pages.AssertFieldErrorAsync(await WalkInAsync(leader, SessionId(twoSessions), busy.Number), "session", "该时段已取消");
        await OkAsync(await WalkInAsync(leader, SessionId(twoSessions, 1), busy.Number));
        await Pages.AssertFieldErrorAsync(await leader.PostAsJsonAsync($"/api/activities/{twoSessionsId}/cancellation", new { reason = "暴雨" }), "status", "已有志愿者签到");
        await Pages.AssertFieldErrorAsync(await WalkInAsync(leader, adults, minor.Number), "volunteer", "本活动要求年龄 18+ 岁");
        await Pages.AssertFieldErrorAsync(await WalkInAsync(leader, adults, busy.Number), "volunteer", "同时段活动");
        Assert.Equal(0, await app.WithDbAsync(db => db.SignUps.CountAsync(s => s.SessionId == adults)));
    }

    [Fact]
    public async Task TheLeaderRegistersANewcomerOnTheSpotWhoLaterClaimsTheRecordAndADoubleClickRegistersOnce()
    {
        using var setup = await app.ApiClientAsync();
        var start = InDays(1, 9);
        var session = SessionId(await PublishedAsync(setup, Activity(await OrganizationAsync(setup), start, capacity: 1, hours: 3)));
        MoveTo(start.AddMinutes(20));
        using var leader = await app.ApiClientAsync();
        var document = People.ResidentId(1988, 411);
        var body = new { name = "林晓", documentType = "ResidentId", documentNumber = document, mobile = "13600000411" };

        // The registration rules apply: a wrong ID number and a bad mobile are named.
        await Pages.AssertFieldErrorAsync(await leader.PostAsJsonAsync($"/api/sessions/{session}/walk-ins/registrations",
            body with { documentNumber = document[..^1] + (document[^1] == '1' ? "2" : "1") }), "documentNumber", "");
        await Pages.AssertFieldErrorAsync(await leader.PostAsJsonAsync($"/api/sessions/{session}/walk-ins/registrations", body with { mobile = "12345" }), "mobile", "");
        Assert.Equal(0, await app.WithDbAsync(db => db.Volunteers.CountAsync()));

        var added = await OkAsync(await leader.PostAsJsonAsync($"/api/sessions/{session}/walk-ins/registrations", body));
        var number = added.GetProperty("volunteer").GetProperty("volunteerNumber").GetString()!;
        Assert.Contains(number, added.GetProperty("message").GetString());
        Assert.True(added.GetProperty("volunteer").GetProperty("walkIn").GetBoolean());
        Assert.Equal("136****0411", added.GetProperty("volunteer").GetProperty("mobile").GetString());
        // Pressed again: the same person, added once.
        var again = await OkAsync(await leader.PostAsJsonAsync($"/api/sessions/{session}/walk-ins/registrations", body));
        Assert.Equal(number, again.GetProperty("volunteer").GetProperty("volunteerNumber").GetString());
        Assert.Equal(1, await app.WithDbAsync(db => db.Volunteers.CountAsync()));
        Assert.Equal(1, await app.WithDbAsync(db => db.SignUps.CountAsync(s => s.SessionId == session && s.WalkIn)));
        Assert.Null(await app.WithDbAsync(db => db.Volunteers.Select(v => v.UserId).SingleAsync()));
        // The same document with another mobile number is not theirs to use; another person's mobile neither.
        await Pages.AssertFieldErrorAsync(await leader.PostAsJsonAsync($"/api/sessions/{session}/walk-ins/registrations", body with { mobile = "13600000412" }),
            "documentNumber", "手机号码与注册信息不符");
        await Pages.AssertFieldErrorAsync(await leader.PostAsJsonAsync($"/api/sessions/{session}/walk-ins/registrations",
            body with { name = "别人", documentNumber = People.ResidentId(1989, 413) }), "mobile", "已被其他志愿者使用");

        // At home the newcomer registers with the same document and mobile number: the record (and the walk-in) is theirs.
        using var anonymous = app.CreateClient();
        var claimed = await OkAsync(await anonymous.PostAsJsonAsync("/api/volunteers", People.Registration("林晓", document, "13600000411")));
        Assert.Equal(number, claimed.GetProperty("number").GetString());
        using var own = await app.ApiClientAsync(number, People.Password);
        var mine = await OkAsync(await own.GetAsync("/api/volunteers/me/signups"));
        Assert.True(mine[0].GetProperty("walkIn").GetBoolean());

        // Through the pages: the walk-in page links to the on-site registration, which comes back to it with the news.
        using var browser = app.PageClient();
        await browser.SignInAsync("admin", TestApp.AdminPassword);
        var walkInPage = await browser.GetPageAsync($"/sessions/{session}/walk-ins");
        Assert.NotNull(walkInPage.QuerySelector("#walk-in-register"));
        Assert.Equal("environment", walkInPage.QuerySelector("#walk-in-photo")!.GetAttribute("capture"));
        var form = await browser.GetPageAsync($"/sessions/{session}/walk-ins/register");
        var nothing = new HtmlParser().ParseDocument(await (await browser.PostFormAsync($"/sessions/{session}/walk-ins/register", form, "walk-in-register")).Content.ReadAsStringAsync());
        Assert.NotNull(nothing.QuerySelector(".field-error[data-field='name']"));
        Assert.NotNull(nothing.QuerySelector(".field-error[data-field='mobile']"));
        var response = await browser.PostFormAsync($"/sessions/{session}/walk-ins/register", form, "walk-in-register",
            ("name", "周敏"), ("documentType", "ResidentId"), ("documentNumber", "123"), ("mobile", "13600000414"));
        var invalid = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        Assert.NotNull(invalid.QuerySelector(".field-error[data-field='documentNumber']"));
        Assert.Equal("周敏", invalid.QuerySelector("#name")!.GetAttribute("value"));
        response = await browser.PostFormAsync($"/sessions/{session}/walk-ins/register", form, "walk-in-register",
            ("name", "周敏"), ("documentType", "ResidentId"), ("documentNumber", People.ResidentId(1991, 415)), ("mobile", "13600000414"));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var back = await browser.GetPageAsync(response.Headers.Location!.OriginalString);
        Assert.Contains("已为 周敏 现场注册", back.QuerySelector("#walk-in-done")!.TextContent);
        Assert.Contains("现场加入", back.QuerySelector("#walk-in-roster")!.TextContent);
        Assert.Empty(await app.WithDbAsync(db => IntegrityCheck.FindViolationsAsync(db)));
    }

    [Fact]
    public async Task TheWalkInPageAddsByTypedNumberAndByTheCameraPhotoAndIsClosedOnOtherDays()
    {
        using var setup = await app.ApiClientAsync();
        var start = InDays(1, 9);
        var session = SessionId(await PublishedAsync(setup, Activity(await OrganizationAsync(setup), start, capacity: 5, hours: 3)));
        var volunteers = await app.VolunteersAsync(2);
        var certificate = await VerifyUrlAsync(volunteers[1].Client);
        using var browser = app.PageClient();
        await browser.SignInAsync("admin", TestApp.AdminPassword);
        var closed = await browser.GetPageAsync($"/sessions/{session}/walk-ins");
        Assert.NotNull(closed.QuerySelector("#walk-in-closed"));
        Assert.Null(closed.QuerySelector("#walk-in-volunteer"));

        MoveTo(start.AddMinutes(5));
        await browser.SignInAsync("admin", TestApp.AdminPassword);
        var page = await browser.GetPageAsync($"/sessions/{session}/walk-ins");
        var response = await browser.PostFormAsync($"/sessions/{session}/walk-ins", page, "walk-in", ("volunteer", "ZY12345678"));
        var shown = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        Assert.Contains("没有找到志愿者编号为 ZY12345678", shown.QuerySelector(".error[role=alert]")!.TextContent);
        response = await browser.PostFormAsync($"/sessions/{session}/walk-ins", page, "walk-in", ("volunteer", volunteers[0].Number));
        shown = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        Assert.Contains("现场加入本时段", shown.QuerySelector("#walk-in-done")!.TextContent);

        // The camera's photo is posted by the page's own form (with its token) and the page tells what it found.
        var token = page.QuerySelector("#walk-in-photo-form input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
        var upload = CertificatePhotos.Upload(CertificatePhotos.Photo(certificate));
        upload.Add(new StringContent(token), "__RequestVerificationToken");
        response = await browser.PostAsync($"/sessions/{session}/walk-ins/photo", upload);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var after = await browser.GetPageAsync(response.Headers.Location!.OriginalString);
        Assert.Contains("现场加入", after.QuerySelector($"#walk-in-{volunteers[1].Number}")!.TextContent);
        Assert.Contains("现场加入本时段", after.QuerySelector("#walk-in-done")!.TextContent);
        var blank = CertificatePhotos.Upload(CertificatePhotos.Blank());
        blank.Add(new StringContent(token), "__RequestVerificationToken");
        response = await browser.PostAsync($"/sessions/{session}/walk-ins/photo", blank);
        var refused = await browser.GetPageAsync(response.Headers.Location!.OriginalString);
        Assert.Contains("没有识别到二维码", refused.QuerySelector(".error[role=alert]")!.TextContent);
        // Without the page's token the upload is refused.
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.PostAsync($"/sessions/{session}/walk-ins/photo", CertificatePhotos.Upload(CertificatePhotos.Blank()))).StatusCode);
        Assert.Equal(2, await app.WithDbAsync(db => db.SignUps.CountAsync(s => s.SessionId == session && s.WalkIn)));
    }
}
