using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Zhiyuan.Tests.Sms;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Tests.Volunteers;

/// <summary>Made-up people with valid resident ID numbers, and registering them through the API.</summary>
public static class People
{
    public const string Password = "Volunteer-2019";

    /// <summary>A valid resident ID: 端州区 (441202), the birth date, a three-digit serial (odd for men), and the MOD 11-2 check character.</summary>
    public static string ResidentId(DateOnly birth, int serial = 123)
    {
        var first17 = "441202" + birth.ToString("yyyyMMdd") + serial.ToString("D3");
        return first17 + IdentityDocument.CheckCharacterOf(first17);
    }

    public static string ResidentId(int year, int serial = 123) => ResidentId(new DateOnly(year, 3, 5), serial);

    /// <summary>Born the given number of years ago, a few days either side of the birthday.</summary>
    public static DateOnly AgedYears(int years, int daysPastBirthday = 10) =>
        DateOnly.FromDateTime(DateTime.UtcNow.AddHours(8)).AddYears(-years).AddDays(-daysPastBirthday);

    public static object Registration(string name, string documentNumber, string mobile, string unitCode = "441202",
        string documentType = "ResidentId", string? guardianName = null, bool guardianConsent = false, string? gender = null, string? birthDate = null, string? code = null) => new
    {
        name, documentType, documentNumber, gender, birthDate, mobile, unitCode, skills = "急救", serviceLines = new[] { "CivilisedCity", "Ecology" },
        guardianName, guardianConsent, password = Password, code,
    };

    /// <summary>With a text-message gateway configured: asks for the code to the mobile (获取验证码) and reads it off the gateway, as the phone would show it.</summary>
    public static async Task<string> MobileCodeAsync(this TestApp app, TestSmsGateway sms, string mobile)
    {
        using var client = app.CreateClient();
        var response = await client.PostAsJsonAsync("/api/volunteers/verification-codes", new { mobile });
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return sms.LatestCodeTo(mobile)!;
    }

    /// <summary>Registers through the API; with <paramref name="sms"/> (a gateway the app sends through) the code to the mobile first.</summary>
    public static async Task<JsonElement> RegisterAsync(this TestApp app, string name, string documentNumber, string mobile, string unitCode = "441202", TestSmsGateway? sms = null)
    {
        using var client = app.CreateClient();
        var code = sms is null ? null : await app.MobileCodeAsync(sms, mobile);
        var response = await client.PostAsJsonAsync("/api/volunteers", Registration(name, documentNumber, mobile, unitCode, code: code));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
