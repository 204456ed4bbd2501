using System.Text.RegularExpressions;

namespace Zhiyuan.Web.Volunteers;

public enum DocumentType
{
    /// <summary>居民身份证, GB 11643.</summary>
    ResidentId,

    /// <summary>港澳居民来往内地通行证.</summary>
    HongKongMacauPermit,

    /// <summary>台湾居民来往大陆通行证.</summary>
    TaiwanPermit,

    Passport,
}

public enum Gender
{
    Female,
    Male,
}

/// <summary>Why a document number was refused; each has its own message for the person typing it.</summary>
public enum DocumentProblem
{
    None,
    Empty,
    ResidentIdLength,
    ResidentIdCharacters,
    ResidentIdProvince,
    ResidentIdDate,
    ResidentIdFutureDate,
    ResidentIdCheck,
    PermitFormat,
    PassportFormat,
}

/// <summary>A document number as stored: upper-case, no spaces, and what a resident ID tells about its holder.</summary>
public readonly record struct CheckedDocument(DocumentType Type, string Number, DateOnly? BirthDate, Gender? Gender);

public static partial class IdentityDocument
{
    static readonly int[] Weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const string CheckCharacters = "10X98765432";

    /// <summary>GB/T 2260 province-level codes, plus 81/82/83 of the residence permits for Hong Kong, Macau and Taiwan residents.</summary>
    static readonly HashSet<string> Provinces =
    [
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
        "71", "81", "82", "83",
    ];

    /// <summary>Checks a number of the given type and returns it in the form it is stored and hashed in.</summary>
    public static (CheckedDocument Document, DocumentProblem Problem) Check(DocumentType type, string? raw, DateOnly today)
    {
        var number = (raw ?? "").Replace(" ", "").Trim().ToUpperInvariant();
        if (number.Length == 0)
        {
            return (default, DocumentProblem.Empty);
        }
        var problem = type switch
        {
            DocumentType.ResidentId => CheckResidentId(number, today),
            DocumentType.HongKongMacauPermit => HongKongMacauPermitPattern().IsMatch(number) ? DocumentProblem.None : DocumentProblem.PermitFormat,
            DocumentType.TaiwanPermit => TaiwanPermitPattern().IsMatch(number) ? DocumentProblem.None : DocumentProblem.PermitFormat,
            _ => PassportPattern().IsMatch(number) ? DocumentProblem.None : DocumentProblem.PassportFormat,
        };
        if (problem != DocumentProblem.None)
        {
            return (default, problem);
        }
        return type == DocumentType.ResidentId
            ? (new CheckedDocument(type, number, BirthDateOf(number), (number[16] - '0') % 2 == 1 ? Gender.Male : Gender.Female), problem)
            : (new CheckedDocument(type, number, null, null), problem);
    }

    static DocumentProblem CheckResidentId(string number, DateOnly today)
    {
        if (number.Length != 18)
        {
            return DocumentProblem.ResidentIdLength;
        }
        if (!ResidentIdPattern().IsMatch(number))
        {
            return DocumentProblem.ResidentIdCharacters;
        }
        if (!Provinces.Contains(number[..2]))
        {
            return DocumentProblem.ResidentIdProvince;
        }
        var birth = BirthDateOf(number);
        if (birth is null || birth.Value.Year < 1900)
        {
            return DocumentProblem.ResidentIdDate;
        }
        if (birth.Value > today)
        {
            return DocumentProblem.ResidentIdFutureDate;
        }
        return number[17] == CheckCharacterOf(number) ? DocumentProblem.None : DocumentProblem.ResidentIdCheck;
    }

    /// <summary>The MOD 11-2 check character of the first 17 digits.</summary>
    public static char CheckCharacterOf(string number)
    {
        var sum = 0;
        for (var i = 0; i < 17; i++)
        {
            sum += (number[i] - '0') * Weights[i];
        }
        return CheckCharacters[sum % 11];
    }

    static DateOnly? BirthDateOf(string number) =>
        DateOnly.TryParseExact(number.AsSpan(6, 8), "yyyyMMdd", out var date) ? date : null;

    /// <summary>Whole years of age on the given day.</summary>
    public static int AgeOn(DateOnly birthDate, DateOnly today)
    {
        var age = today.Year - birthDate.Year;
        return birthDate.AddYears(age) > today ? age - 1 : age;
    }

    [GeneratedRegex("^[0-9]{17}[0-9X]$")]
    private static partial Regex ResidentIdPattern();

    [GeneratedRegex("^[HM][0-9]{8}([0-9]{2})?$")]
    private static partial Regex HongKongMacauPermitPattern();

    [GeneratedRegex("^[0-9]{8}([0-9]{2})?$")]
    private static partial Regex TaiwanPermitPattern();

    [GeneratedRegex("^[A-Z0-9]{5,17}$")]
    private static partial Regex PassportPattern();

    [GeneratedRegex("^1[3-9][0-9]{9}$")]
    public static partial Regex MobilePattern();
}
