// Compiled at test time together with the client Kiota generates from /openapi/v1.json (GeneratedClientTests):
// not part of the test project's own build. Every request goes through the generated client.
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Http.HttpClientLibrary;
using Zhiyuan.Client;
using Zhiyuan.Client.Models;

namespace Zhiyuan.ClientJourney;

public static class Journey
{
    /// <summary>
    /// Registers a volunteer, creates and publishes an activity, signs up, records attendance, confirms the hours
    /// and reads the week's table; answers what it saw, for the test to check.
    /// </summary>
    public static async Task<Dictionary<string, string>> RunAsync(Func<HttpClient> newHttpClient, string adminPassword, string documentNumber, string mobile,
        string volunteerPassword, DateTimeOffset sessionStart, Action<TimeSpan> advanceClock)
    {
        var seen = new Dictionary<string, string>();
        var anonymous = Client(newHttpClient(), null);

        // The city administrator signs in.
        var adminToken = await Step("admin token", () => anonymous.Api.Auth.Token.PostAsync(new SignInRequest { UserName = "admin", Password = adminPassword }));
        var admin = Client(newHttpClient(), adminToken!.AccessToken);

        // A wrong password is a described error answer: a problem, not a crash.
        try
        {
            await anonymous.Api.Auth.Token.PostAsync(new SignInRequest { UserName = "admin", Password = "wrong-" + adminPassword });
            seen["wrongPassword"] = "accepted";
        }
        catch (global::Zhiyuan.Client.Models.ProblemDetails problem)
        {
            seen["wrongPassword"] = $"{problem.ResponseStatusCode} {problem.Title}";
        }

        // A volunteer registers (实名注册) and signs in.
        var volunteer = await Step("register volunteer", () => anonymous.Api.Volunteers.PostAsync(new RegisterVolunteerRequest
        {
            Name = "王志愿", DocumentType = RegisterVolunteerRequest_documentType.ResidentId, DocumentNumber = documentNumber, Mobile = mobile,
            UnitCode = "441202", Skills = "急救", ServiceLines = [RegisterVolunteerRequest_serviceLines.CivilisedCity, RegisterVolunteerRequest_serviceLines.Ecology],
            GuardianConsent = false, Password = volunteerPassword,
        }));
        seen["volunteerNumber"] = volunteer!.Number!;
        var volunteerToken = await Step("volunteer token", () => anonymous.Api.Auth.Token.PostAsync(new SignInRequest { UserName = volunteer.Number, Password = volunteerPassword }));
        var me = Client(newHttpClient(), volunteerToken!.AccessToken);

        // Invalid input answers 400 with the field that is wrong.
        try
        {
            await admin.Api.Organizations.PostAsync(new RegisterOrganizationRequest { Name = "", Description = "", UnitCode = "441202" });
            seen["invalidOrganization"] = "accepted";
        }
        catch (HttpValidationProblemDetails problem)
        {
            seen["invalidOrganization"] = $"{problem.ResponseStatusCode} {string.Join(",", problem.Errors?.AdditionalData.Keys ?? [])}";
        }

        // An organisation, and its activity created and published.
        var organization = await Step("organisation", () => admin.Api.Organizations.PostAsync(new RegisterOrganizationRequest { Name = "端州区青年志愿者协会", Description = "", UnitCode = "441202" }));
        var activity = await Step("create activity", () => admin.Api.Activities.PostAsync(new CreateActivityRequest
        {
            HostOrganizationId = organization!.Id, Title = "西江河畔清洁行动", Description = "清理河岸垃圾，宣传垃圾分类",
            ServiceLine = ServiceLines.Ecology, ProgrammeTag = "河小青", PopulationTypes = [PopulationTypes.EmptyNestElderly],
            Address = "肇庆市端州区西江南路", CancelHoursBefore = 24, MembersOnly = false, ReviewSignUps = false, RiskNotice = "注意河边安全",
            Insured = true, ResponsiblePerson = "陈队长",
            Sessions = [new SessionRequest { StartsAt = sessionStart, EndsAt = sessionStart.AddHours(3), Capacity = 10 }],
        }));
        var published = await Step("publish", () => admin.Api.Activities[activity!.Id!.Value].Status.PostAsync(new ActivityStatusRequest { Status = ActivityStatus.Published }));
        seen["activityStatus"] = published!.Status.ToString()!;
        seen["serviceLine"] = published.ServiceLine.ToString()!;
        var sessionId = published.Sessions![0].Id!.Value;

        // The volunteer signs up.
        var signUp = await Step("sign up", () => me.Api.Sessions[sessionId].Signups.PostAsync());
        seen["signUp"] = signUp!.Status.ToString()!;

        // After the session, the organisation records the attendance (times, with their offset) and confirms the hours.
        advanceClock(sessionStart.AddHours(5) - DateTimeOffset.UtcNow);
        // Tokens last an hour: both sign in again after the day that passed.
        adminToken = await Step("admin token again", () => anonymous.Api.Auth.Token.PostAsync(new SignInRequest { UserName = "admin", Password = adminPassword }));
        admin = Client(newHttpClient(), adminToken!.AccessToken);
        volunteerToken = await Step("volunteer token again", () => anonymous.Api.Auth.Token.PostAsync(new SignInRequest { UserName = volunteer.Number, Password = volunteerPassword }));
        me = Client(newHttpClient(), volunteerToken!.AccessToken);
        var roster = await Step("attendance", () => admin.Api.Sessions[sessionId].Roster[volunteer.Number!].PostAsync(new RosterRequest
        {
            Action = RosterRequest_action.Times, CheckedInAt = sessionStart, CheckedOutAt = sessionStart.AddHours(3),
        }));
        seen["checkedIn"] = roster!.CheckedInAtUtc!.Value.ToUniversalTime().ToString("O");
        var confirmed = await Step("confirm", () => admin.Api.Sessions[sessionId].Confirm.PostAsync(new ConfirmRequest()));
        seen["confirmed"] = confirmed!.Confirmed?.ToString() ?? "";

        // The volunteer's own record shows the hours.
        var record = await Step("record", () => me.Api.Volunteers.Me.Record.GetAsync());
        seen["recordMinutes"] = record!.TotalMinutes?.ToString() ?? "";

        // The week's table of a weekly campaign, for the organisation's district.
        var today = new Date(sessionStart.Year, sessionStart.Month, sessionStart.Day);
        var campaign = await Step("campaign", () => admin.Api.Campaigns.PostAsync(new CreateCampaignRequest
        {
            Name = "志愿服务周报", Theme = "志愿肇庆", StartDate = new Date(sessionStart.AddDays(-14).DateTime), EndDate = new Date(sessionStart.AddDays(14).DateTime),
            DueDay = DayOfWeekObject.Friday, DueHour = 0, FinalDueDate = new Date(sessionStart.AddDays(21).DateTime), ReportingDepth = 2,
            ContactName = "曾繁智", ContactPhone = "0758-2323563",
        }));
        var week = campaign!.Periods!.Single(p => Before(p.StartDate!.Value, today) && Before(today, p.EndDate!.Value));
        var report = await Step("week's table", () => admin.Api.Campaigns[campaign.Id!.Value].Reports["441202"][week.Number!.Value].GetAsync());
        var row = report!.Table!.Activities!.Single();
        seen["row"] = row.Name!;
        seen["rowPersonTimes"] = row.PersonTimes.ToString()!;
        seen["rowMinutes"] = row.Minutes.ToString()!;
        seen["totalPersonTimes"] = report.Table.ActivityTotal!.PersonTimes.ToString()!;
        seen["reportStatus"] = report.Status?.ToString() ?? "none";
        return seen;
    }

    /// <summary>One call of the journey; a problem answer says which step it came from and what the server said.</summary>
    static async Task<T> Step<T>(string name, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (HttpValidationProblemDetails problem)
        {
            var errors = problem.Errors?.AdditionalData.Select(e => $"{e.Key}: {e.Value}") ?? [];
            throw new InvalidOperationException($"{name}: {problem.ResponseStatusCode} {problem.Title} {problem.Detail} {string.Join("; ", errors)}", problem);
        }
        catch (global::Zhiyuan.Client.Models.ProblemDetails problem)
        {
            throw new InvalidOperationException($"{name}: {problem.ResponseStatusCode} {problem.Title} {problem.Detail}", problem);
        }
    }

    static bool Before(Date a, Date b) => a.DateTime <= b.DateTime;

    /// <summary>The generated client on the given HttpClient, with the bearer token when there is one.</summary>
    static ZhiyuanClient Client(HttpClient http, string? token)
    {
        IAuthenticationProvider authentication = token is null
            ? new AnonymousAuthenticationProvider()
            : new BaseBearerTokenAuthenticationProvider(new FixedToken(token, http.BaseAddress!.Host));
        return new ZhiyuanClient(new HttpClientRequestAdapter(authentication, httpClient: http) { BaseUrl = http.BaseAddress!.ToString().TrimEnd('/') });
    }

    sealed class FixedToken(string token, string host) : IAccessTokenProvider
    {
        public AllowedHostsValidator AllowedHostsValidator { get; } = new([host]);

        public Task<string> GetAuthorizationTokenAsync(Uri uri, Dictionary<string, object>? additionalAuthenticationContext = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(token);
    }
}
