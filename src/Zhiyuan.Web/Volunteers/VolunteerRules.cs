using Microsoft.Extensions.Localization;
using Zhiyuan.Web.Infrastructure;

namespace Zhiyuan.Web.Volunteers;

/// <summary>What a person (or a spreadsheet row) gives to register a volunteer, as typed.</summary>
public sealed record VolunteerInput(
    string? Name,
    string? DocumentType,
    string? DocumentNumber,
    string? Gender,
    string? BirthDate,
    string? Mobile,
    string? Skills,
    string[]? ServiceLines,
    string? GuardianName,
    bool GuardianConsent);

/// <summary>A registration that passed every check, in the form it is stored in.</summary>
public sealed record CheckedVolunteer(
    string Name,
    CheckedDocument Document,
    Gender Gender,
    DateOnly BirthDate,
    string Mobile,
    string Skills,
    ServiceLines ServiceLines,
    string? GuardianName);

/// <summary>
/// The registration rules, shared by the form, the API and the spreadsheet import: each invalid
/// field gets its own message, keyed by the field's name.
/// </summary>
public sealed class VolunteerRules(IStringLocalizer<SharedResource> text)
{
    public const int MinimumAge = 14;
    public const int AdultAge = 18;

    public CheckedVolunteer? Check(VolunteerInput input, DateOnly today, FieldErrors errors)
    {
        var name = (input.Name ?? "").Trim();
        if (name.Length == 0)
        {
            errors.Add("name", text["Validation.Required", text["Volunteers.Field.Name"]]);
        }
        else if (name.Length > Volunteer.NameMaxLength)
        {
            errors.Add("name", text["Validation.TooLong", text["Volunteers.Field.Name"], Volunteer.NameMaxLength]);
        }

        var type = ParseDocumentType(input.DocumentType);
        CheckedDocument? document = null;
        if (type is null)
        {
            errors.Add("documentType", text["Volunteers.Error.DocumentType", input.DocumentType ?? ""]);
        }
        else
        {
            var (checkedDocument, problem) = IdentityDocument.Check(type.Value, input.DocumentNumber, today);
            if (problem == DocumentProblem.None)
            {
                document = checkedDocument;
            }
            else
            {
                errors.Add("documentNumber", problem == DocumentProblem.Empty
                    ? text["Validation.Required", text["Volunteers.Field.DocumentNumber"]]
                    : text["Volunteers.Error.Document." + problem]);
            }
        }

        // A resident ID says gender and birth date; other documents need them typed in.
        var gender = document?.Gender ?? ParseGender(input.Gender);
        var birthDate = document?.BirthDate ?? ParseDate(input.BirthDate);
        if (type is not null and not DocumentType.ResidentId)
        {
            if (gender is null)
            {
                errors.Add("gender", text["Volunteers.Error.Gender"]);
            }
            if (birthDate is null || birthDate.Value.Year < 1900 || birthDate.Value > today)
            {
                errors.Add("birthDate", text["Volunteers.Error.BirthDate"]);
                birthDate = null;
            }
        }

        string? guardian = null;
        if (birthDate is { } born)
        {
            var age = IdentityDocument.AgeOn(born, today);
            if (age < MinimumAge)
            {
                errors.Add("birthDate", text["Volunteers.Error.TooYoung", age, MinimumAge]);
            }
            else if (age < AdultAge)
            {
                guardian = (input.GuardianName ?? "").Trim();
                if (guardian.Length == 0 || guardian.Length > Volunteer.NameMaxLength)
                {
                    errors.Add("guardianName", text["Volunteers.Error.GuardianName", age]);
                }
                if (!input.GuardianConsent)
                {
                    errors.Add("guardianConsent", text["Volunteers.Error.GuardianConsent", age]);
                }
            }
        }

        var mobile = CheckMobile(input.Mobile, errors);
        var skills = CheckSkills(input.Skills, errors);
        var lines = CheckServiceLines(input.ServiceLines, errors);

        return errors.Any ? null : new CheckedVolunteer(name, document!.Value, gender!.Value, birthDate!.Value, mobile, skills, lines, guardian);
    }

    /// <summary>The mobile number without spaces or dashes; empty (and an error only if required) when none was given.</summary>
    public string CheckMobile(string? raw, FieldErrors errors, bool required = true)
    {
        var mobile = (raw ?? "").Replace(" ", "").Replace("-", "").Trim();
        if (mobile.Length == 0)
        {
            if (required)
            {
                errors.Add("mobile", text["Validation.Required", text["Volunteers.Field.Mobile"]]);
            }
        }
        else if (!IdentityDocument.MobilePattern().IsMatch(mobile))
        {
            errors.Add("mobile", text["Volunteers.Error.Mobile"]);
        }
        return mobile;
    }

    public string CheckSkills(string? raw, FieldErrors errors)
    {
        var skills = (raw ?? "").Trim();
        if (skills.Length > Volunteer.SkillsMaxLength)
        {
            errors.Add("skills", text["Validation.TooLong", text["Volunteers.Field.Skills"], Volunteer.SkillsMaxLength]);
        }
        return skills;
    }

    public ServiceLines CheckServiceLines(string[]? raw, FieldErrors errors)
    {
        var lines = ServiceLines.None;
        foreach (var value in (raw ?? []).Where(v => !string.IsNullOrWhiteSpace(v)))
        {
            if (ParseServiceLine(value) is { } line)
            {
                lines |= line;
            }
            else
            {
                errors.Add("serviceLines", text["Volunteers.Error.ServiceLine", value.Trim()]);
            }
        }
        return lines;
    }

    /// <summary>The English name, the Chinese name, or the number 1–6 of a service line.</summary>
    ServiceLines? ParseServiceLine(string raw)
    {
        var value = raw.Trim();
        for (var i = 0; i < ServiceLineList.All.Length; i++)
        {
            var line = ServiceLineList.All[i];
            if (value.Equals(line.ToString(), StringComparison.OrdinalIgnoreCase) || value == (i + 1).ToString()
                || value == ChineseServiceLineNames[i] || value == LocalizedServiceLineNames[i])
            {
                return line;
            }
        }
        return null;
    }

    /// <summary>Looked up once per request: an import asks for them on every row.</summary>
    string[] LocalizedServiceLineNames => localizedServiceLineNames ??= ServiceLineList.All.Select(l => text["ServiceLine." + l].Value).ToArray();

    string[]? localizedServiceLineNames;

    /// <summary>Spreadsheets from other platforms carry the Chinese names whatever language the importer reads.</summary>
    static readonly string[] ChineseServiceLineNames = ["创建文明城市", "助力扶贫帮困", "生态环保", "新时代文明实践", "助力社会治理", "志愿文化展示宣传"];

    static readonly Dictionary<string, DocumentType> DocumentTypeNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["居民身份证"] = DocumentType.ResidentId,
        ["身份证"] = DocumentType.ResidentId,
        ["港澳居民来往内地通行证"] = DocumentType.HongKongMacauPermit,
        ["港澳通行证"] = DocumentType.HongKongMacauPermit,
        ["台湾居民来往大陆通行证"] = DocumentType.TaiwanPermit,
        ["台胞证"] = DocumentType.TaiwanPermit,
        ["护照"] = DocumentType.Passport,
    };

    public static DocumentType? ParseDocumentType(string? raw)
    {
        var value = (raw ?? "").Trim();
        if (value.Length == 0)
        {
            return DocumentType.ResidentId;
        }
        if (DocumentTypeNames.TryGetValue(value, out var type))
        {
            return type;
        }
        return Enum.TryParse<DocumentType>(value, ignoreCase: true, out type) && Enum.IsDefined(type) && !int.TryParse(value, out _) ? type : null;
    }

    static Gender? ParseGender(string? raw) => (raw ?? "").Trim() switch
    {
        "男" => Gender.Male,
        "女" => Gender.Female,
        var v when Enum.TryParse<Gender>(v, ignoreCase: true, out var g) && !int.TryParse(v, out _) => g,
        _ => null,
    };

    static DateOnly? ParseDate(string? raw) =>
        DateOnly.TryParseExact((raw ?? "").Trim(), ["yyyy-MM-dd", "yyyy/M/d", "yyyy-M-d", "yyyyMMdd"], out var date) ? date : null;
}
