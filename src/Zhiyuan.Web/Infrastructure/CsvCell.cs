namespace Zhiyuan.Web.Infrastructure;

public static class CsvCell
{
    /// <summary>A quoted CSV cell; a leading =, +, - or @ is defused so Excel shows it rather than runs it.</summary>
    public static string Quote(string value) =>
        "\"" + (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' ? "'" + value : value).Replace("\"", "\"\"") + "\"";
}
