using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
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
        string documentType = "ResidentId", string? guardianName = null, bool guardianConsent = false, string? gender = null, string? birthDate = null) => new
    {
        name, documentType, documentNumber, gender, birthDate, mobile, unitCode, skills = "急救", serviceLines = new[] { "CivilisedCity", "Ecology" },
        guardianName, guardianConsent, password = Password,
    };

    public static async Task<JsonElement> RegisterAsync(this TestApp app, string name, string documentNumber, string mobile, string unitCode = "441202")
    {
        using var client = app.CreateClient();
        var response = await client.PostAsJsonAsync("/api/volunteers", Registration(name, documentNumber, mobile, unitCode));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
