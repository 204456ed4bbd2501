using Microsoft.Extensions.Options;

namespace Zhiyuan.Web.Recognition;

/// <summary>Settings of section "Recognition". Cities differ (Guangdong 100/300/600/1000/1500 h, Beijing 100/200/500/800/1000 h).</summary>
public sealed class RecognitionOptions
{
    public static readonly int[] GuangdongThresholds = [100, 300, 600, 1000, 1500];

    /// <summary>Confirmed hours for stars 1, 2, … (null: Guangdong's). Set as Recognition:StarThresholds:0 … :4.</summary>
    public int[]? StarThresholds { get; set; }

    /// <summary>Working days (Monday to Friday) a star or a commendation stays on public notice, at least 5.</summary>
    public int NoticeWorkingDays { get; set; } = 5;

    /// <summary>Objections one address may send in an hour.</summary>
    public int ObjectionsPerHour { get; set; } = 5;

    public int[] Thresholds => StarThresholds is { Length: > 0 } set ? set : GuangdongThresholds;
}

/// <summary>Refuses, at start-up, thresholds that do not increase and a notice shorter than the rules allow.</summary>
sealed class RecognitionOptionsValidation : IValidateOptions<RecognitionOptions>
{
    public ValidateOptionsResult Validate(string? name, RecognitionOptions options)
    {
        var thresholds = options.Thresholds;
        if (thresholds[0] <= 0 || thresholds.Zip(thresholds.Skip(1)).Any(pair => pair.Second <= pair.First))
        {
            return ValidateOptionsResult.Fail(
                $"Recognition:StarThresholds must be positive hours that increase from one star to the next, e.g. 100, 300, 600, 1000, 1500; got {string.Join(", ", thresholds)}. (星级时长门槛必须为递增的正数。)");
        }
        if (options.NoticeWorkingDays < 5)
        {
            return ValidateOptionsResult.Fail($"Recognition:NoticeWorkingDays must be at least 5 (公示期不少于 5 个工作日); got {options.NoticeWorkingDays}.");
        }
        return options.ObjectionsPerHour < 1 ? ValidateOptionsResult.Fail("Recognition:ObjectionsPerHour must be at least 1.") : ValidateOptionsResult.Success;
    }
}

/// <summary>Where a volunteer stands against the thresholds.</summary>
/// <param name="Level">The star awarded (stars are decisions, ADR 0010).</param>
/// <param name="LevelByHours">The star the confirmed hours reach, which may be ahead of the award (waiting for review) or behind it (flagged after a correction).</param>
/// <param name="NextLevel">The star after the awarded one; null at the top star.</param>
/// <param name="NextLevelHours">Its threshold in hours.</param>
/// <param name="MinutesToNext">Confirmed minutes still missing for it; 0 when the hours already reach it.</param>
public sealed record StarProgress(int Level, int LevelByHours, int? NextLevel, int? NextLevelHours, int? MinutesToNext);

public static class StarLevels
{
    /// <summary>The highest star level the confirmed minutes reach (0 below the first threshold).</summary>
    public static int For(int minutes, int[] thresholdHours) => thresholdHours.Count(hours => minutes >= hours * 60);

    /// <summary>The awarded star, the star the minutes reach, and how far the next star is.</summary>
    public static StarProgress Progress(int minutes, int awardedLevel, int[] thresholdHours)
    {
        var byHours = For(minutes, thresholdHours);
        if (awardedLevel >= thresholdHours.Length)
        {
            return new StarProgress(awardedLevel, byHours, null, null, null);
        }
        var next = awardedLevel + 1;
        var hours = thresholdHours[next - 1];
        return new StarProgress(awardedLevel, byHours, next, hours, Math.Max(0, hours * 60 - minutes));
    }

    /// <summary>When a notice that starts now ends: midnight (China time) after the given number of full working days.</summary>
    public static DateTime NoticeEndsAtUtc(DateTime nowUtc, int workingDays)
    {
        var today = DateOnly.FromDateTime(Infrastructure.ChinaTime.ToChina(nowUtc));
        var lastDay = Hours.ServiceTime.ConfirmationDue(today, workingDays);
        return lastDay.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc) - Infrastructure.ChinaTime.Offset;
    }
}
