using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AngleSharp.Html.Parser;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Tests.Volunteers;
using Zhiyuan.Web.BackEntries;
using Zhiyuan.Web.Data;
using static Zhiyuan.Tests.Activities.Scenario;
using static Zhiyuan.Tests.BackEntries.BackEntryScenario;

namespace Zhiyuan.Tests.BackEntries;

/// <summary>Back-entry (补录) of activities run without the platform: recorded by the organisation, credited only when the unit above approves.</summary>
public sealed class BackEntryTests : AppTest
{
    static DateOnly ChinaDate(DateTimeOffset at) => DateOnly.FromDateTime(at.UtcDateTime.AddHours(8));

    [Fact]
    public async Task LastWeeksCleanUpBackEnteredWithThreeVolunteersReachesTheLedgerRecordCertificateAndWeeklyTableMarkedOnlyAfterTheUnitApproves()
    {
        var s = await BackEntryScenario.CreateAsync(app);
        using var city = await app.ApiClientAsync();
        var today = ChinaDate(DateTimeOffset.UtcNow);
        var campaign = await OkAsync(await city.PostAsJsonAsync("/api/campaigns", new
        {
            name = "补录检验行动月", theme = "志愿肇庆 美好生活", startDate = today.AddDays(-20), endDate = today.AddDays(3), dueDay = "Friday", dueHour = 0,
            finalDueDate = today.AddDays(10), reportingDepth = 1, contactName = "曾繁智", contactPhone = "0758-2323563",
        }));
        var campaignId = campaign.GetProperty("id").GetGuid();
        var sessionDate = ChinaDate(s.Start);
        var period = campaign.GetProperty("periods").EnumerateArray().Single(p =>
            DateOnly.Parse(p.GetProperty("startDate").GetString()!) <= sessionDate && sessionDate <= DateOnly.Parse(p.GetProperty("endDate").GetString()!)).GetProperty("number").GetInt32();
        using var duanzhou = await UnitAdminAsync(app);
        // 端州 submits its report of that week before the back-entry is approved: its figures are frozen as they are.
        await OkAsync(await duanzhou.PostAsJsonAsync($"/api/campaigns/{campaignId}/reports/441202/{period}/submit", new { contactName = "李主任", contactPhone = "0758-2222222" }));

        var submitted = await OkAsync(await s.OrganizationAdmin.PostAsJsonAsync("/api/back-entries", s.CleanUp()));
        var id = Id(submitted);
        Assert.Equal("Submitted", submitted.GetProperty("status").GetString());
        Assert.Equal((3, 480), (submitted.GetProperty("personTimes").GetInt32(), submitted.GetProperty("minutes").GetInt32()));
        // The volunteer named by mobile is shown by number and name only.
        Assert.Equal(s.Volunteers.Select(v => v.Number), submitted.GetProperty("sessions")[0].GetProperty("attendance").EnumerateArray().Select(a => a.GetProperty("volunteerNumber").GetString()));

        // Nothing in the ledger, the record or the table before approval; the activity is not public.
        Assert.Equal(0, await app.WithDbAsync(db => db.LedgerEntries.CountAsync()));
        Assert.Equal(0, (await OkAsync(await s.Volunteers[0].Client.GetAsync("/api/volunteers/me/record"))).GetProperty("totalMinutes").GetInt32());
        Assert.Empty((await TableAsync(city, campaignId, "441200", period)).GetProperty("activities").EnumerateArray());
        var activityId = submitted.GetProperty("activityId").GetGuid();
        Assert.Equal(HttpStatusCode.NotFound, (await app.CreateClient().GetAsync($"/api/activities/{activityId}")).StatusCode);
        // The organisation cannot confirm the hours itself, nor publish the activity for sign-up.
        await Pages.AssertFieldErrorAsync(await s.OrganizationAdmin.PostAsJsonAsync($"/api/activities/{activityId}/status", new { status = "Published" }), "status", "补录");

        // Its own administrator cannot approve; nor can an administrator of another subtree (鼎湖), who does not even see it.
        await Pages.AssertFieldErrorAsync(await PostAsync(s.OrganizationAdmin, $"/api/back-entries/{id}/approve"), "status", "上级单位的管理员审核");
        using var dinghu = await UnitAdminAsync(app, "dinghu");
        Assert.Equal(HttpStatusCode.NotFound, (await PostAsync(dinghu, $"/api/back-entries/{id}/approve")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await dinghu.GetAsync($"/api/back-entries/{id}")).StatusCode);
        Assert.Empty((await OkAsync(await dinghu.GetAsync("/api/back-entries/review"))).EnumerateArray());
        Assert.Equal(0, await app.WithDbAsync(db => db.LedgerEntries.CountAsync()));

        // 端州 sees it waiting and approves.
        Assert.Equal(id, Id((await OkAsync(await duanzhou.GetAsync("/api/back-entries/review")))[0]));
        var approval = await OkAsync(await PostAsync(duanzhou, $"/api/back-entries/{id}/approve", new { version = submitted.GetProperty("version").GetInt32() }));
        Assert.Equal((3, 480, 0), (approval.GetProperty("credited").GetInt32(), approval.GetProperty("minutes").GetInt32(), approval.GetProperty("nothingToCredit").GetInt32()));
        Assert.Equal("Approved", approval.GetProperty("backEntry").GetProperty("status").GetString());

        // The ledger: three confirmations marked 补录, 3 + 2 + 3 hours.
        var ledger = await app.WithDbAsync(db => db.LedgerEntries.OrderBy(e => e.Volunteer!.Number).Select(e => new { e.Volunteer!.Number, e.Minutes, e.IsBackEntry, e.Kind }).ToListAsync());
        Assert.Equal([(s.Volunteers[0].Number, 180), (s.Volunteers[1].Number, 120), (s.Volunteers[2].Number, 180)], ledger.Select(e => (e.Number, e.Minutes)));
        Assert.All(ledger, e => Assert.True(e.IsBackEntry));
        // The activity is finished, public and marked.
        var activity = await OkAsync(await app.CreateClient().GetAsync($"/api/activities/{activityId}"));
        Assert.Equal(("Finished", true), (activity.GetProperty("status").GetString(), activity.GetProperty("isBackEntry").GetBoolean()));
        Assert.Contains("补录", (await app.CreateClient().GetPageAsync($"/activities/{activityId}")).QuerySelector("#activity-back-entry")!.TextContent);

        // The volunteer's record and the service-record certificate carry the mark.
        var record = await OkAsync(await s.Volunteers[1].Client.GetAsync("/api/volunteers/me/record"));
        Assert.Equal(120, record.GetProperty("totalMinutes").GetInt32());
        Assert.True(record.GetProperty("lines")[0].GetProperty("isBackEntry").GetBoolean());
        Assert.Contains("西江河畔清洁（补录）", Encoding.UTF8.GetString(await s.Volunteers[1].Client.GetByteArrayAsync("/api/volunteers/me/record.csv")));
        var certificate = await OkAsync(await s.Volunteers[1].Client.PostAsJsonAsync("/api/volunteers/me/service-certificates", new { }));
        Assert.True(certificate.GetProperty("lines")[0].GetProperty("isBackEntry").GetBoolean());
        using (var browser = app.PageClient())
        {
            await browser.SignInAsync(s.Volunteers[1].Number, People.Password);
            var printed = await browser.GetPageAsync($"/me/service-certificates/{certificate.GetProperty("id").GetGuid()}");
            Assert.Contains("补录", printed.QuerySelector("#service-certificate .records")!.TextContent);
            Assert.NotNull((await browser.GetPageAsync("/me/record")).QuerySelector("#record-lines .back-entry-tag"));
        }

        // The week's computed table: its row marked 补录, counted by the session's date; on the page and in the official form.
        var week = await TableAsync(city, campaignId, "441200", period);
        var row = Assert.Single(week.GetProperty("activities").EnumerateArray());
        Assert.Equal(("西江河畔清洁（端州区青年志愿者协会）", 3, 480, true, false),
            (row.GetProperty("name").GetString(), row.GetProperty("personTimes").GetInt32(), row.GetProperty("minutes").GetInt32(), row.GetProperty("isBackEntry").GetBoolean(),
                row.GetProperty("isTypedIn").GetBoolean()));
        var form = await city.GetByteArrayAsync($"/api/campaigns/{campaignId}/reports/441200/{period}/form.xlsx");
        using (var zip = new ZipArchive(new MemoryStream(form)))
        {
            Assert.Contains("西江河畔清洁（端州区青年志愿者协会）（补录）", new StreamReader(zip.GetEntry("xl/worksheets/sheet1.xml")!.Open()).ReadToEnd());
        }
        using (var browser = app.PageClient())
        {
            await browser.SignInAsync("admin", TestApp.AdminPassword);
            var reportPage = await browser.GetPageAsync($"/campaigns/{campaignId}/reports/441200/{period}");
            Assert.Contains("补录", reportPage.QuerySelector("#report-table tr.back-entry")!.TextContent);
        }
        // 端州's submitted report keeps its frozen figures and says the live ones differ.
        var frozen = await OkAsync(await duanzhou.GetAsync($"/api/campaigns/{campaignId}/reports/441202/{period}"));
        Assert.Empty(frozen.GetProperty("table").GetProperty("activities").EnumerateArray());
        Assert.NotEmpty(frozen.GetProperty("liveDifferences").EnumerateArray());

        // Audited: submitted and approved; and the database holds every invariant.
        var actions = await app.WithDbAsync(db => db.AuditEntries.Where(a => a.Action.StartsWith("back-entry.")).Select(a => a.Action).ToListAsync());
        Assert.Equal(["back-entry.approve", "back-entry.submit"], actions.Order());
        Assert.Empty(await app.WithDbAsync(db => IntegrityCheck.FindViolationsAsync(db)));
    }

    static async Task<JsonElement> TableAsync(HttpClient client, Guid campaignId, string unitCode, int period) =>
        (await OkAsync(await client.GetAsync($"/api/campaigns/{campaignId}/reports/{unitCode}/{period}"))).GetProperty("table");

    [Fact]
    public async Task AReturnedBackEntryIsCorrectedAndSubmittedAgainAndCorrectionsOfItsHoursStayWithinWhatWasApproved()
    {
        var s = await BackEntryScenario.CreateAsync(app);
        var id = Id(await OkAsync(await s.OrganizationAdmin.PostAsJsonAsync("/api/back-entries", s.CleanUp())));
        using var duanzhou = await UnitAdminAsync(app);
        // Returning needs a reason.
        await Pages.AssertFieldErrorAsync(await PostAsync(duanzhou, $"/api/back-entries/{id}/return", new { reason = " " }), "reason", "请填写原因");
        var returned = await OkAsync(await PostAsync(duanzhou, $"/api/back-entries/{id}/return", new { reason = "第二位志愿者当天只服务了一小时" }));
        Assert.Equal(("Returned", "第二位志愿者当天只服务了一小时"), (returned.GetProperty("status").GetString(), returned.GetProperty("returnReason").GetString()));
        // Returned, it cannot be approved; the organisation corrects it and submits it again.
        await Pages.AssertFieldErrorAsync(await PostAsync(duanzhou, $"/api/back-entries/{id}/approve"), "status", "已退回");
        var corrected = s.CleanUp() with
        {
            Attendance = [new BackEntryAttendanceRequest(s.Volunteers[0].Number, 0, s.Start, s.End), new BackEntryAttendanceRequest(s.Volunteers[1].Mobile, 0, Hours: 1m)],
        };
        var again = await OkAsync(await s.OrganizationAdmin.PutAsJsonAsync($"/api/back-entries/{id}", corrected));
        Assert.Equal(("Submitted", 2, 240), (again.GetProperty("status").GetString(), again.GetProperty("personTimes").GetInt32(), again.GetProperty("minutes").GetInt32()));
        // Submitted, it can no longer be changed.
        await Pages.AssertFieldErrorAsync(await s.OrganizationAdmin.PutAsJsonAsync($"/api/back-entries/{id}", corrected), "status", "待审核");
        await OkAsync(await PostAsync(duanzhou, $"/api/back-entries/{id}/approve"));
        Assert.Equal(240, await app.WithDbAsync(db => db.LedgerEntries.SumAsync(e => e.Minutes)));
        Assert.Equal(["back-entry.approve", "back-entry.return", "back-entry.submit", "back-entry.submit"],
            (await app.WithDbAsync(db => db.AuditEntries.Where(a => a.Action.StartsWith("back-entry.")).Select(a => a.Action).ToListAsync())).Order());

        // The organisation may shorten approved back-entered hours, not extend them; the correction keeps the mark.
        var entry = await app.WithDbAsync(db => db.LedgerEntries.Where(e => e.Volunteer!.Number == s.Volunteers[1].Number).Select(e => e.Id).SingleAsync());
        await Pages.AssertFieldErrorAsync(await s.OrganizationAdmin.PostAsJsonAsync($"/api/hours/entries/{entry}/correction",
            new { startAt = s.Start, endAt = s.Start.AddHours(3), reason = "其实服务了三小时" }), "endAt", "只能在这段时间之内");
        await OkAsync(await s.OrganizationAdmin.PostAsJsonAsync($"/api/hours/entries/{entry}/correction", new { startAt = s.Start, endAt = s.Start.AddMinutes(30), reason = "只服务了半小时" }));
        var marks = await app.WithDbAsync(db => db.LedgerEntries.Where(e => e.Volunteer!.Number == s.Volunteers[1].Number).Select(e => new { e.Kind, e.IsBackEntry, e.Minutes }).ToListAsync());
        Assert.Equal(3, marks.Count);
        Assert.All(marks, m => Assert.True(m.IsBackEntry));
        Assert.Equal(30, marks.Sum(m => m.Minutes));
        Assert.Empty(await app.WithDbAsync(db => IntegrityCheck.FindViolationsAsync(db)));
    }

    [Fact]
    public async Task OutOfWindowFutureUnknownAndDuplicateAttendanceIsRefusedInChineseAndNothingIsSaved()
    {
        var s = await BackEntryScenario.CreateAsync(app);
        var admin = s.OrganizationAdmin;
        var old = InDays(-31, 9);
        await Pages.AssertFieldErrorAsync(await admin.PostAsJsonAsync("/api/back-entries", s.CleanUp() with
        {
            Sessions = [new BackEntrySessionRequest(old, old.AddHours(3))], Attendance = [new BackEntryAttendanceRequest(s.Volunteers[0].Number)],
        }), "sessions[0].startsAt", "只能补录30天内的活动");

        // A session still going on, and check-out times later than now.
        var now = DateTimeOffset.UtcNow;
        await Pages.AssertFieldErrorAsync(await admin.PostAsJsonAsync("/api/back-entries", s.CleanUp() with
        {
            Sessions = [new BackEntrySessionRequest(now.AddHours(-1), now.AddHours(1))], Attendance = [new BackEntryAttendanceRequest(s.Volunteers[0].Number)],
        }), "sessions[0].endsAt", "不能晚于现在");
        await Pages.AssertFieldErrorAsync(await admin.PostAsJsonAsync("/api/back-entries", s.CleanUp() with
        {
            Attendance = [new BackEntryAttendanceRequest(s.Volunteers[0].Number, 0, s.Start, now.AddHours(2))],
        }), "attendance[0].checkedOutAt", "不能晚于现在");

        // An unknown number, an unknown mobile (masked in the answer), a volunteer twice in the session, hours longer than the session.
        var response = await admin.PostAsJsonAsync("/api/back-entries", s.CleanUp() with
        {
            Attendance =
            [
                new BackEntryAttendanceRequest("ZY99999999"), new BackEntryAttendanceRequest("13700001234"), new BackEntryAttendanceRequest(s.Volunteers[0].Number),
                new BackEntryAttendanceRequest(s.Volunteers[0].Mobile, 0, s.Start, s.Start.AddHours(1)), new BackEntryAttendanceRequest(s.Volunteers[1].Number, Hours: 4m),
                new BackEntryAttendanceRequest(s.Volunteers[2].Number, Session: 3),
            ],
        });
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.DoesNotContain("13700001234", body);
        var errors = JsonDocument.Parse(body).RootElement.GetProperty("errors");
        void Says(string field, string reason) =>
            Assert.True(errors.TryGetProperty(field, out var messages) && messages.EnumerateArray().Any(m => m.GetString()!.Contains(reason)), $"{field} should say “{reason}”: {errors}");
        Says("attendance[0].volunteer", "没有编号为 ZY99999999 的志愿者");
        Says("attendance[1].volunteer", "没有手机号为 137****1234 的注册志愿者");
        Says("attendance[3].volunteer", "同一时段已经录入（attendance[2]）");
        Says("attendance[4].hours", "不超过该时段的 3.00 小时");
        Says("attendance[5].session", "没有第 3 个时段");

        // Submitting with nobody on the roster; another organisation's host.
        await Pages.AssertFieldErrorAsync(await admin.PostAsJsonAsync("/api/back-entries", s.CleanUp() with { Attendance = [] }), "attendance", "至少录入一名志愿者");
        using var city = await app.ApiClientAsync();
        var other = await OrganizationAsync(city, "鼎湖区义工联", "441203");
        await Pages.AssertFieldErrorAsync(await admin.PostAsJsonAsync("/api/back-entries", s.CleanUp() with { HostOrganizationId = other }), "hostOrganizationId", "主办组织");
        Assert.Equal((0, 0), await app.WithDbAsync(async db => (await db.BackEntries.CountAsync(), await db.Activities.CountAsync())));

        // An ordinary activity whose sessions are over is pointed here instead of at a sign-up window nobody set.
        await Pages.AssertFieldErrorAsync(await admin.PostAsJsonAsync("/api/activities", Activity(s.Organization, s.Start)), "sessions", "补录");

        // Time already credited to a volunteer (here by an approved back-entry) is refused when back-entered again.
        var first = Id(await OkAsync(await admin.PostAsJsonAsync("/api/back-entries", s.CleanUp())));
        using var duanzhou = await UnitAdminAsync(app);
        await OkAsync(await PostAsync(duanzhou, $"/api/back-entries/{first}/approve"));
        var twice = await admin.PostAsJsonAsync("/api/back-entries", s.CleanUp(title: "西江河畔清洁（重复）") with
        {
            Attendance = [new BackEntryAttendanceRequest(s.Volunteers[0].Number, 0, s.Start.AddHours(1), s.Start.AddHours(2))],
        });
        await Pages.AssertFieldErrorAsync(twice, "attendance[0].checkedInAt", "已有记入的服务时长");
        Assert.Equal(1, await app.WithDbAsync(db => db.BackEntries.CountAsync()));
    }

    [Fact]
    public async Task TheWindowIsTheSettingHoursBackEntryDays()
    {
        app.Settings["Hours:BackEntryDays"] = "7";
        using var city = await app.ApiClientAsync();
        var organization = await OrganizationAsync(city);
        var start = InDays(-10, 9);
        var request = new BackEntryRequest(organization, "社区清洁", "", null, Zhiyuan.Web.Volunteers.ServiceLines.Ecology, [Zhiyuan.Web.Activities.PopulationTypes.EmptyNestElderly],
            null, "端州区", "陈队长", [new BackEntrySessionRequest(start, start.AddHours(2))], [], Submit: false);
        await Pages.AssertFieldErrorAsync(await city.PostAsJsonAsync("/api/back-entries", request), "sessions[0].startsAt", "只能补录7天内的活动");
        var recent = InDays(-6, 9);
        await OkAsync(await city.PostAsJsonAsync("/api/back-entries", request with { Sessions = [new BackEntrySessionRequest(recent, recent.AddHours(2))] }));
    }

    [Fact]
    public async Task ARosterSpreadsheetWithOneBadRowShowsTheRowAndReasonAndSavesNothingWhileAGoodOneReplacesTheRoster()
    {
        var s = await BackEntryScenario.CreateAsync(app);
        var draft = await OkAsync(await s.OrganizationAdmin.PostAsJsonAsync("/api/back-entries", s.CleanUp(submit: false) with { Attendance = [] }));
        var id = Id(draft);
        Assert.Equal(("Draft", 0), (draft.GetProperty("status").GetString(), draft.GetProperty("personTimes").GetInt32()));
        var date = ChinaDate(s.Start).ToString("yyyy-MM-dd");

        // Row 3 names nobody: every error comes back with its row, nothing is saved.
        var bad = Roster((s.Volunteers[0].Number, date, "09:00", "12:00", ""), ("ZY99999999", date, "", "", ""), (s.Volunteers[1].Mobile, date, "", "", "25"));
        var refused = await s.OrganizationAdmin.PostAsync($"/api/back-entries/{id}/roster", Upload(bad));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        var rowErrors = problem.GetProperty("rowErrors").EnumerateArray().Select(e => (e.GetProperty("row").GetInt32(), e.GetProperty("column").GetString(), e.GetProperty("reason").GetString()!)).ToList();
        Assert.Contains(rowErrors, e => e.Item1 == 3 && e.Item2 == "志愿者编号或手机号" && e.Item3.Contains("没有编号为 ZY99999999 的志愿者"));
        Assert.Contains(rowErrors, e => e.Item1 == 4 && e.Item2 == "时长（小时）" && e.Item3.Contains("不超过该时段的 3.00 小时"));
        Assert.Contains("未保存任何数据", problem.GetProperty("title").GetString());
        Assert.Equal(0, await app.WithDbAsync(db => db.BackEntryAttendances.CountAsync()));

        // A good roster (a date as Excel keeps it, hours for one row) replaces the attendance.
        var good = Roster((s.Volunteers[0].Number, ChinaDate(s.Start).ToDateTime(TimeOnly.MinValue), "9:00", "12:00", ""), (s.Volunteers[1].Mobile, date, "", "", "2.5"));
        var imported = await OkAsync(await s.OrganizationAdmin.PostAsync($"/api/back-entries/{id}/roster", Upload(good)));
        Assert.Equal((2, 330), (imported.GetProperty("personTimes").GetInt32(), imported.GetProperty("minutes").GetInt32()));
        Assert.Equal("Draft", imported.GetProperty("status").GetString());

        // The same on the page: the bad row is listed in Chinese and nothing changes.
        using var browser = app.PageClient();
        await browser.SignInAsync(s.OrganizationAdminNumber, People.Password);
        var page = await browser.GetPageAsync($"/activities/back-entries/{id}");
        var form = Upload(bad);
        form.Add(new StringContent("roster"), "_handler");
        form.Add(new StringContent(page.QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!), "__RequestVerificationToken");
        var answer = new HtmlParser().ParseDocument(await (await browser.PostAsync($"/activities/back-entries/{id}", form)).Content.ReadAsStringAsync());
        Assert.Contains("未保存任何数据", answer.QuerySelector("#roster-result")!.TextContent);
        Assert.Contains(answer.QuerySelectorAll("#roster-errors tbody tr"), tr => tr.TextContent.Contains('3') && tr.TextContent.Contains("没有编号为 ZY99999999 的志愿者"));
        Assert.Equal(2, await app.WithDbAsync(db => db.BackEntryAttendances.CountAsync()));

        // Submitted from the page; then the unit reviews it on its queue page.
        page = await browser.GetPageAsync($"/activities/back-entries/{id}");
        var submitted = await browser.PostFormAsync($"/activities/back-entries/{id}", page, "submit", ("version", page.QuerySelector("#back-entry-roster input[name=version]")!.GetAttribute("value")!));
        Assert.Contains("已提交审核", new HtmlParser().ParseDocument(await submitted.Content.ReadAsStringAsync()).QuerySelector("#back-entry-done")!.TextContent);
        using var reviewer = app.PageClient();
        await reviewer.SignInAsync("duanzhou", UnitAdminPassword);
        var queue = await reviewer.GetPageAsync("/activities/back-entries/review");
        Assert.NotNull(queue.QuerySelector($"#review-{id}"));
        var approved = await reviewer.PostFormAsync("/activities/back-entries/review", queue, $"approve-{id}", ("version", queue.QuerySelector($"#review-{id} input[name=version]")!.GetAttribute("value")!));
        var after = new HtmlParser().ParseDocument(await approved.Content.ReadAsStringAsync());
        Assert.Contains("已审核通过：记入 2 人次、5.50 小时", after.QuerySelector("#review-done")!.TextContent);
        Assert.NotNull(after.QuerySelector("#review-empty"));
        Assert.Equal(330, await app.WithDbAsync(db => db.LedgerEntries.Where(e => e.IsBackEntry).SumAsync(e => e.Minutes)));
    }

    [Fact]
    public async Task TheBackEntryFormTakesTheRosterAsLinesAndNamesTheLineOfEachError()
    {
        var s = await BackEntryScenario.CreateAsync(app);
        using var browser = app.PageClient();
        await browser.SignInAsync(s.OrganizationAdminNumber, People.Password);
        Assert.NotNull((await browser.GetPageAsync("/activities/managed")).QuerySelector("#back-entries-link"));
        var page = await browser.GetPageAsync("/activities/back-entries/new");
        var date = ChinaDate(s.Start).ToString("yyyy-MM-dd");
        (string, string)[] Fields(string attendance) =>
        [
            ("host", s.Organization.ToString()), ("title", "社区敬老探访"), ("description", "陪老人聊天"), ("serviceLine", "PovertyRelief"), ("population", "EmptyNestElderly"),
            ("address", "端州区城东街道"), ("responsible", "王老师"), ("sessions[0].date", date), ("sessions[0].start", "09:00"), ("sessions[0].end", "12:00"),
            ("sessions[1].date", ""), ("sessions[1].start", ""), ("sessions[1].end", ""), ("attendance", attendance), ("submit", "true"),
        ];

        var wrong = await browser.PostFormAsync("/activities/back-entries/new", page, "back-entry",
            Fields($"{s.Volunteers[0].Number}, {date}, 09:00, 11:00\nZY99999999, {date}\n{s.Volunteers[1].Number}, 2000-01-01"));
        var errors = new HtmlParser().ParseDocument(await wrong.Content.ReadAsStringAsync()).QuerySelectorAll(".field-error[data-field=attendance]").Select(e => e.TextContent).ToList();
        Assert.Contains(errors, e => e.StartsWith("第 2 行：") && e.Contains("没有编号为 ZY99999999 的志愿者"));
        Assert.Contains(errors, e => e.StartsWith("第 3 行：") && e.Contains("该活动在 2000-01-01 没有时段"));
        Assert.Equal(0, await app.WithDbAsync(db => db.BackEntries.CountAsync()));

        var saved = await browser.PostFormAsync("/activities/back-entries/new", page, "back-entry",
            Fields($"{s.Volunteers[0].Number}, {date}, 09:00, 11:00\n{s.Volunteers[1].Mobile} {date} 1.5\n{s.Volunteers[2].Number} {date}"));
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        var shown = await browser.GetPageAsync(saved.Headers.Location!.OriginalString);
        Assert.Contains("已提交审核", shown.QuerySelector("#back-entry-done")!.TextContent);
        Assert.Contains("3 人次，6.50 小时", shown.QuerySelector("#back-entry-total")!.TextContent);
        // The organisation sees it waiting, but has no review buttons.
        Assert.Null(shown.QuerySelector("#approve-back-entry"));
        Assert.Equal(0, await app.WithDbAsync(db => db.LedgerEntries.CountAsync()));
    }
}
