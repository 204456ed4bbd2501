using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;

namespace Zhiyuan.Tests.Volunteers;

public sealed class RegistrationTests : AppTest
{
    [Fact]
    public async Task ARegisteredVolunteerGetsANumberAnAccountAndMaskedNumbersBack()
    {
        var id = People.ResidentId(1990, 123);
        var volunteer = await app.RegisterAsync("李明", id, "13812345678");

        var number = volunteer.GetProperty("number").GetString()!;
        Assert.Matches("^ZY[0-9]{8}$", number);
        Assert.Equal("4412**********" + id[^4..], volunteer.GetProperty("documentNumber").GetString());
        Assert.Equal("138****5678", volunteer.GetProperty("mobile").GetString());
        Assert.Equal("Male", volunteer.GetProperty("gender").GetString());
        Assert.Equal("1990-03-05", volunteer.GetProperty("birthDate").GetString());
        Assert.Equal("端州区", volunteer.GetProperty("unitName").GetString());

        // Both the number and the mobile number sign in.
        using var byNumber = await app.ApiClientAsync(number, People.Password);
        using var byMobile = await app.ApiClientAsync("13812345678", People.Password);
        var me = await byMobile.GetFromJsonAsync<JsonElement>("/api/volunteers/me");
        Assert.Equal(number, me.GetProperty("number").GetString());

        // At rest: neither number in plain text, not even in the accounts table.
        var stored = await app.WithDbAsync(db => db.Volunteers.AsNoTracking().SingleAsync());
        Assert.DoesNotContain(id, System.Text.Encoding.UTF8.GetString(stored.DocumentCipher));
        Assert.DoesNotContain("13812345678", System.Text.Encoding.UTF8.GetString(stored.PhoneCipher));
        Assert.Null(await app.WithDbAsync(db => db.Users.Where(u => u.UserName == number).Select(u => u.PhoneNumber).SingleAsync()));
    }

    [Fact]
    public async Task VolunteerNumbersFollowACounterNotTheIdNumber()
    {
        var first = await app.RegisterAsync("甲", People.ResidentId(1990, 11), "13800000001");
        var second = await app.RegisterAsync("乙", People.ResidentId(1990, 11 + 2), "13800000002");
        Assert.Equal("ZY00000001", first.GetProperty("number").GetString());
        Assert.Equal("ZY00000002", second.GetProperty("number").GetString());
    }

    [Fact]
    public async Task ASecondRegistrationWithTheSameDocumentIsRefusedWithoutSayingWhoHasIt()
    {
        var id = People.ResidentId(1990, 123);
        await app.RegisterAsync("李明", id, "13812345678");
        using var client = app.CreateClient();

        var again = await client.PostAsJsonAsync("/api/volunteers", People.Registration("王芳", id.ToLowerInvariant(), "13912345678"));

        var problem = await Pages.AssertFieldErrorAsync(again, "documentNumber", "已注册");
        Assert.DoesNotContain("李明", problem.ToString());
        Assert.DoesNotContain("ZY", problem.ToString());
        Assert.Equal(1, await app.WithDbAsync(db => db.Volunteers.CountAsync()));
    }

    [Fact]
    public async Task AMobileNumberUsedByAnotherVolunteerIsRefused()
    {
        await app.RegisterAsync("李明", People.ResidentId(1990, 123), "13812345678");
        using var client = app.CreateClient();
        var response = await client.PostAsJsonAsync("/api/volunteers", People.Registration("王芳", People.ResidentId(1991, 124), "13812345678"));
        await Pages.AssertFieldErrorAsync(response, "mobile", "已被其他志愿者使用");
    }

    [Fact]
    public async Task UnderFourteensAreRefusedAndFourteenToSeventeensNeedAGuardian()
    {
        using var client = app.CreateClient();
        var child = await client.PostAsJsonAsync("/api/volunteers", People.Registration("小明", People.ResidentId(People.AgedYears(13)), "13800000013"));
        await Pages.AssertFieldErrorAsync(child, "birthDate", "未满 14 周岁");

        var teenId = People.ResidentId(People.AgedYears(15));
        var alone = await client.PostAsJsonAsync("/api/volunteers", People.Registration("小红", teenId, "13800000015"));
        var problem = await Pages.AssertFieldErrorAsync(alone, "guardianName", "监护人");
        Assert.True(problem.GetProperty("errors").TryGetProperty("guardianConsent", out _));

        var withConsent = await client.PostAsJsonAsync("/api/volunteers",
            People.Registration("小红", teenId, "13800000015", guardianName: "张丽", guardianConsent: true));
        Assert.Equal(HttpStatusCode.OK, withConsent.StatusCode);
        var stored = await app.WithDbAsync(db => db.Volunteers.AsNoTracking().SingleAsync());
        Assert.Equal("张丽", stored.GuardianName);
        Assert.NotNull(stored.GuardianConsentAtUtc);
    }

    [Fact]
    public async Task PassportHoldersGiveGenderAndBirthDateThemselves()
    {
        using var client = app.CreateClient();
        var missing = await client.PostAsJsonAsync("/api/volunteers", People.Registration("John Smith", "E12345678", "13800000020", documentType: "Passport"));
        await Pages.AssertFieldErrorAsync(missing, "gender", "性别");

        var complete = await client.PostAsJsonAsync("/api/volunteers",
            People.Registration("John Smith", "e12345678", "13800000020", documentType: "Passport", gender: "Male", birthDate: "1985-06-01"));
        var volunteer = await complete.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.OK, complete.StatusCode);
        Assert.Equal("E1*****78", volunteer.GetProperty("documentNumber").GetString());
        Assert.Equal("1985-06-01", volunteer.GetProperty("birthDate").GetString());
    }

    [Fact]
    public async Task EveryInvalidFieldGetsItsOwnMessageInTheCallersLanguage()
    {
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.AcceptLanguage.ParseAdd("en");
        var response = await client.PostAsJsonAsync("/api/volunteers", new
        {
            name = "", documentType = "ResidentId", documentNumber = "110105194912310021", mobile = "12345", unitCode = "NOPE",
            serviceLines = new[] { "Knitting" }, password = "short",
        });

        var problem = await Pages.AssertFieldErrorAsync(response, "documentNumber", "check character");
        var errors = problem.GetProperty("errors");
        Assert.Contains("Name is required", errors.GetProperty("name")[0].GetString());
        Assert.Contains("11 digits", errors.GetProperty("mobile")[0].GetString());
        Assert.Contains("NOPE", errors.GetProperty("unitCode")[0].GetString());
        Assert.Contains("Knitting", errors.GetProperty("serviceLines")[0].GetString());
        Assert.Contains("8", errors.GetProperty("password")[0].GetString());
        Assert.Equal(0, await app.WithDbAsync(db => db.Volunteers.CountAsync()));
        Assert.Equal(1, await app.WithDbAsync(db => db.Users.CountAsync()));
    }

    [Fact]
    public async Task TheRegistrationPageKeepsWhatWasTypedAndShowsEachMistakeUnderItsField()
    {
        using var browser = app.PageClient();
        var page = await browser.GetPageAsync("/volunteers/register");
        var response = await browser.PostFormAsync("/volunteers/register", page, "register",
            ("Input.Name", "李明"), ("Input.DocumentType", "ResidentId"), ("Input.DocumentNumber", "110105194912310021"),
            ("Input.Mobile", "1381234"), ("Input.UnitCode", "441202"), ("Input.Skills", "摄影"), ("Input.Lines[Ecology]", "on"), ("Input.Password", "Volunteer-2019"));

        var html = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        Assert.Equal("李明", html.QuerySelector("#name")!.GetAttribute("value"));
        Assert.Equal("摄影", html.QuerySelector("#skills")!.GetAttribute("value"));
        Assert.NotNull(html.QuerySelector("input[name='Input.Lines[Ecology]'][checked]"));
        Assert.Contains("校验位", html.QuerySelector(".field-error[data-field=documentNumber]")!.TextContent);
        Assert.Contains("11 位", html.QuerySelector(".field-error[data-field=mobile]")!.TextContent);
        Assert.Equal(0, await app.WithDbAsync(db => db.Volunteers.CountAsync()));
    }

    [Fact]
    public async Task RegisteringOnThePageSignsInAndShowsTheVolunteersOwnPage()
    {
        using var browser = app.PageClient();
        var page = await browser.GetPageAsync("/volunteers/register");
        var response = await browser.PostFormAsync("/volunteers/register", page, "register",
            ("Input.Name", "李明"), ("Input.DocumentType", "ResidentId"), ("Input.DocumentNumber", People.ResidentId(1990)),
            ("Input.Mobile", "13812345678"), ("Input.UnitCode", "441202"), ("Input.Lines[CivilisedCity]", "on"), ("Input.Password", "Volunteer-2019"));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);

        var me = await browser.GetPageAsync("/me?registered=1");
        Assert.Contains("ZY00000001", me.QuerySelector("#registered")!.TextContent);
        Assert.Equal("138****5678", me.QuerySelector("#my-mobile")!.TextContent);

        var saved = await browser.PostFormAsync("/me", me, "contact", ("Input.Mobile", "13987654321"), ("Input.Skills", "手语"), ("Input.Lines[Ecology]", "on"));
        var after = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await saved.Content.ReadAsStringAsync());
        Assert.Equal("139****4321", after.QuerySelector("#my-mobile")!.TextContent);
        using var byNewMobile = await app.ApiClientAsync("13987654321", "Volunteer-2019");
    }

    [Fact]
    public async Task RegisteringWithNoServiceLineTickedAndUntickingThemAllLaterWorks()
    {
        using var browser = app.PageClient();
        var page = await browser.GetPageAsync("/volunteers/register");
        // No Input.Lines[…] at all: the form posts nothing for unticked boxes.
        var response = await browser.PostFormAsync("/volunteers/register", page, "register",
            ("Input.Name", "李明"), ("Input.DocumentType", "ResidentId"), ("Input.DocumentNumber", People.ResidentId(1991)),
            ("Input.Mobile", "13812345679"), ("Input.UnitCode", "441202"), ("Input.Password", "Volunteer-2019"));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);

        var me = await browser.GetPageAsync("/me?registered=1");
        var saved = await browser.PostFormAsync("/me", me, "contact", ("Input.Mobile", "13812345679"), ("Input.Skills", ""));
        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        Assert.Null(new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await saved.Content.ReadAsStringAsync()).QuerySelector("input[name^='Input.Lines'][checked]"));
    }

    [Fact]
    public async Task SomeoneImportedClaimsTheirRecordByRegisteringWithTheSameDocumentAndMobile()
    {
        var id = People.ResidentId(1988, 321);
        await ImportTests.ImportCsvAsync(app, $"姓名,证件类型,证件号码,手机号码\n陈静,居民身份证,{id},13700001111\n");

        using var client = app.CreateClient();
        var otherPhone = await client.PostAsJsonAsync("/api/volunteers", People.Registration("陈静", id, "13700002222"));
        await Pages.AssertFieldErrorAsync(otherPhone, "documentNumber", "已注册");

        var claimed = await client.PostAsJsonAsync("/api/volunteers", People.Registration("陈静", id, "13700001111"));
        Assert.Equal(HttpStatusCode.OK, claimed.StatusCode);
        var volunteer = await claimed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("ZY00000001", volunteer.GetProperty("number").GetString());
        Assert.True(volunteer.GetProperty("hasAccount").GetBoolean());
        Assert.Equal(1, await app.WithDbAsync(db => db.Volunteers.CountAsync()));
    }

    [Fact]
    public async Task TenSimultaneousRegistrationsOfOnePersonMakeOneVolunteerAndClearRefusals()
    {
        var id = People.ResidentId(1990, 123);
        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(async i =>
        {
            using var client = app.CreateClient();
            return await client.PostAsJsonAsync("/api/volunteers", People.Registration("李明", id, "1381234560" + i));
        }));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.OK), r => Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode));
        Assert.Equal(1, await app.WithDbAsync(db => db.Volunteers.CountAsync()));
        Assert.Equal(1, await app.WithDbAsync(db => db.Users.CountAsync(u => u.UserName!.StartsWith("ZY"))));
    }

    [Fact]
    public async Task SimultaneousRegistrationsOfDifferentPeopleAllGetDistinctNumbers()
    {
        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(async i =>
        {
            using var client = app.CreateClient();
            return await client.PostAsJsonAsync("/api/volunteers", People.Registration("志愿者" + i, People.ResidentId(1980 + i, 100 + i), "1390000000" + i));
        }));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var numbers = await app.WithDbAsync(db => db.Volunteers.Select(v => v.Number).OrderBy(n => n).ToListAsync());
        Assert.Equal(Enumerable.Range(1, 10).Select(i => $"ZY{i:D8}"), numbers);
    }
}
