using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using MiniExcelLibs;
using Zhiyuan.Tests.ServicePosts;
using Zhiyuan.Web.Activities;
using Zhiyuan.Web.BackEntries;
using Zhiyuan.Web.Volunteers;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.BackEntries;

/// <summary>
/// An organisation of 端州区 (441202) whose administrator back-enters last week's river clean-up, the
/// unit administrators of 端州 (who review it) and of 鼎湖 (another subtree), set up through the API.
/// </summary>
public sealed class BackEntryScenario
{
    public const string UnitAdminPassword = "Unit-admin-2019";

    public required Guid Organization { get; init; }

    /// <summary>The organisation's administrator (a member volunteer, signed in again with the role).</summary>
    public required HttpClient OrganizationAdmin { get; init; }

    public required string OrganizationAdminNumber { get; init; }

    /// <summary>The three volunteers of the clean-up, members of the organisation, with their mobiles.</summary>
    public required List<(string Number, string Mobile, HttpClient Client)> Volunteers { get; init; }

    /// <summary>Last week's session, 09:00–12:00 China time seven days ago.</summary>
    public DateTimeOffset Start { get; } = InDays(-7, 9);

    public DateTimeOffset End => Start.AddHours(3);

    public static async Task<BackEntryScenario> CreateAsync(TestApp app)
    {
        using var city = await app.ApiClientAsync();
        var organization = await OrganizationAsync(city);
        var members = await app.MembersAsync(city, organization, 4);
        var admin = await app.OrganizationAdminAsync(city, organization, members[0].Number);
        await app.CreateUnitAdminAsync("duanzhou", "441202", UnitAdminPassword);
        await app.CreateUnitAdminAsync("dinghu", "441203", UnitAdminPassword);
        return new BackEntryScenario
        {
            Organization = organization, OrganizationAdmin = admin, OrganizationAdminNumber = members[0].Number,
            // Mobiles as MembersAsync registers them: 139 and the serial (100 …) in eight digits.
            Volunteers = members.Skip(1).Select((m, i) => (m.Number, "139" + (101 + i).ToString("D8"), m.Client)).ToList(),
        };
    }

    /// <summary>
    /// Last week's clean-up: the first volunteer by number with check-in and check-out, the second by
    /// mobile with two hours, the third by number for the whole session — 3 + 2 + 3 hours.
    /// </summary>
    public BackEntryRequest CleanUp(bool submit = true, string title = "西江河畔清洁") => new(
        Organization, title, "清理河岸垃圾", null, ServiceLines.Ecology, [PopulationTypes.EmptyNestElderly], null, "肇庆市端州区西江南路", "陈队长",
        [new BackEntrySessionRequest(Start, End)],
        [
            new BackEntryAttendanceRequest(Volunteers[0].Number, 0, Start, End),
            new BackEntryAttendanceRequest(Volunteers[1].Mobile, 0, Hours: 2m),
            new BackEntryAttendanceRequest(Volunteers[2].Number),
        ],
        submit);

    public static Task<HttpClient> UnitAdminAsync(TestApp app, string userName = "duanzhou") => app.ApiClientAsync(userName, UnitAdminPassword);

    public static Guid Id(JsonElement view) => view.GetProperty("id").GetGuid();

    /// <summary>A roster spreadsheet (.xlsx) with the template's columns, one row per attendance.</summary>
    public static byte[] Roster(params (string Volunteer, object Date, string Start, string End, string Hours)[] rows)
    {
        using var xlsx = new MemoryStream();
        xlsx.SaveAs(rows.Select(r => new Dictionary<string, object>
        {
            ["志愿者编号或手机号"] = r.Volunteer, ["姓名"] = "（不读取）", ["时段日期"] = r.Date, ["开始"] = r.Start, ["结束"] = r.End, ["时长（小时）"] = r.Hours,
        }).ToList());
        return xlsx.ToArray();
    }

    public static MultipartFormDataContent Upload(byte[] file, string fileName = "名单.xlsx")
    {
        var form = new MultipartFormDataContent();
        var content = new ByteArrayContent(file);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        form.Add(content, "file", fileName);
        return form;
    }

    public static Task<HttpResponseMessage> PostAsync(HttpClient client, string url, object? body = null) => client.PostAsJsonAsync(url, body ?? new { });
}
