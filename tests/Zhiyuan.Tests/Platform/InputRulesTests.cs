using System.Net;
using System.Net.Http.Json;

namespace Zhiyuan.Tests.Platform;

/// <summary>
/// What the testers found, each answered 500 or stored once: now a 400 problem naming the field, with a
/// reason in the caller's language.
/// </summary>
public sealed class InputRulesTests : AppTest
{
    [Fact]
    public async Task DatesOutOfRangeOrWithoutOffsetNonFiniteNumbersAndUndefinedEnumsAreFieldErrors()
    {
        using var anonymous = app.CreateClient();
        anonymous.DefaultRequestHeaders.AcceptLanguage.ParseAdd("en");
        await Pages.AssertFieldErrorAsync(await anonymous.GetAsync("/api/activities?from=0001-01-01"), "from", "2000-01-01");
        await Pages.AssertFieldErrorAsync(await anonymous.GetAsync("/api/activities?to=9999-12-31"), "to", "2100-12-31");
        await Pages.AssertFieldErrorAsync(await anonymous.GetAsync("/api/activities?q=%00"), "q", "control");

        using var city = await app.ApiClientAsync(language: "en");
        await Pages.AssertFieldErrorAsync(await city.PostAsJsonAsync("/api/campaigns",
            new { name = "x", startDate = "2019-03-01", endDate = "2019-03-31", dueDay = 9 }), "dueDay", "Sunday");
        await Pages.AssertFieldErrorAsync(await city.PostAsJsonAsync("/api/campaigns",
            new { name = "x", startDate = "2019-03-01", endDate = "2019-03-31", dueDay = "9" }), "dueDay", "");
        await Pages.AssertFieldErrorAsync(await city.PostAsJsonAsync("/api/campaigns",
            new { name = "x", startDate = "0001-01-01", endDate = "0001-01-31" }), "startDate", "2000-01-01");
        await Pages.AssertFieldErrorAsync(await city.PostAsJsonAsync("/api/campaigns",
            new { name = "x", startDate = "9999-12-01", endDate = "9999-12-31" }), "startDate", "2100-12-31");
        await Pages.AssertFieldErrorAsync(await city.PostAsJsonAsync($"/api/sessions/{Guid.NewGuid()}/attendance",
            new { code = "x", latitude = "NaN", longitude = 112.5 }), "latitude", "finite");

        var session = $"/api/activities/{Guid.NewGuid()}/sessions";
        await Pages.AssertFieldErrorAsync(await city.PostAsJsonAsync(session,
            new { startsAt = "2019-03-05T09:00:00", endsAt = "2019-03-05T11:00:00+08:00", capacity = 5 }), "startsAt", "offset");
        await Pages.AssertFieldErrorAsync(await city.PostAsJsonAsync(session,
            new { startsAt = "9999-12-31T09:00:00+08:00", endsAt = "9999-12-31T11:00:00+08:00", capacity = 5 }), "startsAt", "2100-12-31");

        // In Chinese by default.
        using var chinese = await app.ApiClientAsync();
        await Pages.AssertFieldErrorAsync(await chinese.PostAsJsonAsync(session,
            new { startsAt = "2019-03-05T09:00:00", endsAt = "2019-03-05T11:00:00+08:00", capacity = 5 }), "startsAt", "时区偏移");
    }

    [Fact]
    public async Task ControlCharactersAreRefusedAndInvisibleTextIsEmpty()
    {
        using var city = await app.ApiClientAsync(language: "en");
        await Pages.AssertFieldErrorAsync(await city.PostAsJsonAsync("/api/organizations", new { name = "协会\0", unitCode = "441202" }), "name", "control");
        await Pages.AssertFieldErrorAsync(await city.PostAsJsonAsync("/api/organizations", new { name = "\u200b", unitCode = "441202" }), "name", "required");
        await Pages.AssertFieldErrorAsync(await city.PostAsJsonAsync("/api/auth/token", new { userName = "ad\0min", password = "x" }), "userName", "control");

        // Pages: the public search and a form.
        using var browser = app.PageClient(language: "en");
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.GetAsync("/activities?q=%00")).StatusCode);
        var signIn = await browser.GetPageAsync("/account/sign-in");
        var posted = await browser.PostFormAsync("/account/sign-in", signIn, "sign-in", ("Input.UserName", "ad\0min"), ("Input.Password", "x"));
        Assert.True(posted.StatusCode == HttpStatusCode.BadRequest, $"{posted.StatusCode}: {await posted.Content.ReadAsStringAsync()}");
    }
}
