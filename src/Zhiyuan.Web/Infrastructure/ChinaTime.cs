namespace Zhiyuan.Web.Infrastructure;

/// <summary>China keeps one time zone, UTC+8, with no daylight saving; dates people see and ages are counted in it.</summary>
public static class ChinaTime
{
    public static readonly TimeSpan Offset = TimeSpan.FromHours(8);

    public static DateTime ToChina(DateTime utc) => utc + Offset;

    public static DateOnly Today(TimeProvider time) => DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime + Offset);

    public static string Format(DateTime utc) => ToChina(utc).ToString("yyyy-MM-dd HH:mm");
}
