using System.Reflection;

namespace Zhiyuan.Web.Infrastructure;

/// <summary>
/// The version of the running build: the assembly's informational version, which the SDK writes as
/// "1.0.0+&lt;git commit&gt;" when it builds from a git checkout. Shown by `Zhiyuan.Web version`, on
/// /health and in the page footer, so an operator can tell which build each node runs.
/// </summary>
public static class AppVersion
{
    static readonly string Informational =
        typeof(AppVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(AppVersion).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    /// <summary>The version without the commit, e.g. "1.0.0".</summary>
    public static string Version { get; } = Informational.Split('+')[0];

    /// <summary>The full git commit the build was made from, or null when it was built outside git.</summary>
    public static string? Commit { get; } = Informational.Split('+') is [_, var commit, ..] && commit.Length > 0 ? commit : null;

    /// <summary>The commit's first 12 characters, or null.</summary>
    public static string? ShortCommit => Commit is { Length: > 12 } c ? c[..12] : Commit;

    /// <summary>"1.0.0 (commit 0123456789ab)", or "1.0.0" without a commit.</summary>
    public static string Describe() => ShortCommit is null ? Version : $"{Version} (commit {ShortCommit})";
}
