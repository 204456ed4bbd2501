using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Zhiyuan.Tests.Volunteers;
using Zhiyuan.Web.Activities;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Tests.Activities;

/// <summary>An organisation, its activities and its volunteers, set up through the API as users would.</summary>
public static class Scenario
{
    public static readonly TimeSpan China = TimeSpan.FromHours(8);

    /// <summary>The given hour, China time, so many days from today.</summary>
    public static DateTimeOffset InDays(int days, int hour = 9) =>
        new(DateTime.SpecifyKind(DateTime.UtcNow.Add(China).Date.AddDays(days).AddHours(hour), DateTimeKind.Unspecified), China);

    public static async Task<JsonElement> OkAsync(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>An organisation registered by the city administrator (approved at once), who then manages its activities.</summary>
    public static async Task<Guid> OrganizationAsync(HttpClient admin, string name = "端州区青年志愿者协会", string unitCode = "441202")
    {
        var organization = await OkAsync(await admin.PostAsJsonAsync("/api/organizations", new { name, description = "", unitCode }));
        return organization.GetProperty("id").GetGuid();
    }

    /// <summary>A valid activity request: one session starting at the given time, lasting the given hours.</summary>
    public static CreateActivityRequest Activity(Guid host, DateTimeOffset start, int capacity = 10, double hours = 3, string title = "西江河畔清洁行动") => new(
        HostOrganizationId: host, Title: title, Description: "清理河岸垃圾，宣传垃圾分类", CoOrganizerIds: null,
        ServiceLine: ServiceLines.Ecology, ProgrammeTag: "河小青", PopulationTypes: [PopulationTypes.EmptyNestElderly], OtherPopulation: null,
        Address: "肇庆市端州区西江南路", Latitude: null, Longitude: null, GeofenceMeters: null,
        SignUpOpensAt: null, SignUpClosesAt: null, CancelHoursBefore: 24, MinAge: null, MaxAge: null, RequiredSkills: null,
        MembersOnly: false, ReviewSignUps: false, RiskNotice: "注意河边安全", Insured: true, ResponsiblePerson: "陈队长",
        Sessions: [new SessionRequest(start, start.AddHours(hours), capacity)]);

    /// <summary>Creates and publishes; returns the activity as the API shows it.</summary>
    public static async Task<JsonElement> PublishedAsync(HttpClient admin, CreateActivityRequest request)
    {
        var created = await OkAsync(await admin.PostAsJsonAsync("/api/activities", request));
        var id = created.GetProperty("id").GetGuid();
        return await OkAsync(await admin.PostAsJsonAsync($"/api/activities/{id}/status", new { status = "Published" }));
    }

    public static Guid SessionId(JsonElement activity, int index = 0) => activity.GetProperty("sessions")[index].GetProperty("id").GetGuid();

    /// <summary>
    /// Registers volunteers (born in the given year, ID serials from <paramref name="firstSerial"/>) and signs each one in;
    /// with <paramref name="sms"/> (the gateway the app sends through) each gives the code sent to their mobile.
    /// </summary>
    public static async Task<List<(string Number, HttpClient Client)>> VolunteersAsync(this TestApp app, int count, int firstSerial = 100, int birthYear = 1995, string unitCode = "441202",
        Zhiyuan.Tests.Sms.TestSmsGateway? sms = null)
    {
        var volunteers = new List<(string, HttpClient)>();
        for (var i = 0; i < count; i++)
        {
            var serial = firstSerial + i;
            var mobile = "139" + serial.ToString("D8");
            var minor = DateTime.UtcNow.Year - birthYear < 19;
            using var anonymous = app.CreateClient();
            var registered = await OkAsync(await anonymous.PostAsJsonAsync("/api/volunteers", People.Registration("志愿者" + serial,
                People.ResidentId(new DateOnly(birthYear, 1 + serial % 12, 1 + serial % 28), serial % 1000), mobile, unitCode,
                guardianName: minor ? "监护人" : null, guardianConsent: minor, code: sms is null ? null : await app.MobileCodeAsync(sms, mobile))));
            var number = registered.GetProperty("number").GetString()!;
            volunteers.Add((number, await app.ApiClientAsync(number, People.Password)));
        }
        return volunteers;
    }

    public static Task<HttpResponseMessage> SignUpAsync(this HttpClient volunteer, Guid sessionId) => volunteer.PostAsync($"/api/sessions/{sessionId}/signups", null);
}
