using System.Globalization;
using Microsoft.Extensions.Localization;

namespace Zhiyuan.Web.Infrastructure;

/// <summary>Reads typed-in numbers and times from page forms; empty means "not given", anything unreadable is a field error.</summary>
public static class FormValues
{
    public static int? Number(FieldErrors errors, string field, string? value, IStringLocalizer text)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        if (int.TryParse(value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
        {
            return number;
        }
        errors.Add(field, text["Validation.WholeNumber", value]);
        return null;
    }

    public static double? Decimal(FieldErrors errors, string field, string? value, IStringLocalizer text)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        if (double.TryParse(value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number))
        {
            return number;
        }
        errors.Add(field, text["Validation.Number", value]);
        return null;
    }

    /// <summary>A date input's value ("2019-03-01").</summary>
    public static DateOnly? Date(FieldErrors errors, string field, string? value, IStringLocalizer text)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        if (DateOnly.TryParseExact(value.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            if (InputRules.InRange(day))
            {
                return day;
            }
            errors.Add(field, text["Validation.DateRange", "2000-01-01 – 2100-12-31"]);
            return null;
        }
        errors.Add(field, text["Validation.Date", value]);
        return null;
    }

    /// <summary>A datetime-local value ("2019-03-05T09:00"), which people type in China time.</summary>
    public static DateTimeOffset? ChinaTime(FieldErrors errors, string field, string? value, IStringLocalizer text)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        if (DateTime.TryParse(value.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            // Checked before the offset is applied: year 1 minus eight hours does not exist.
            if (InputRules.InRange(DateOnly.FromDateTime(local)))
            {
                return new DateTimeOffset(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), Infrastructure.ChinaTime.Offset);
            }
            errors.Add(field, text["Validation.DateRange", "2000-01-01 – 2100-12-31"]);
            return null;
        }
        errors.Add(field, text["Validation.DateTime", value]);
        return null;
    }

    /// <summary>The value for a datetime-local input.</summary>
    public static string Local(DateTime utc) => Infrastructure.ChinaTime.ToChina(utc).ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture);
}
