namespace Zhiyuan.Web.Infrastructure;

/// <summary>
/// Where the platform finds its own appsettings.json (and a relative SQLite path). ASP.NET Core takes
/// the working directory as the content root, so a node started from another folder (a service
/// manager's default, an operator's home) silently ran without its appsettings.json: its log levels
/// among them, which then wrote every request's address to the log.
/// </summary>
public static class ContentRoot
{
    /// <summary>The builder options for the web app and the operator commands alike.</summary>
    public static WebApplicationOptions Options(string[] args) => new()
    {
        Args = args,
        ContentRootPath = Choose(args, Directory.GetCurrentDirectory(), AppContext.BaseDirectory),
    };

    /// <summary>
    /// The app's own folder when the working directory has no appsettings.json and the app's folder has
    /// one; otherwise null, leaving the default. The working directory keeps precedence when it holds
    /// the file: under <c>dotnet run</c> it is the project folder, whose data/zhiyuan.db must keep
    /// resolving there, and an operator may keep settings beside the data. A content root named on the
    /// command line or in the environment (as the test host does) always wins.
    /// </summary>
    public static string? Choose(string[] args, string workingDirectory, string baseDirectory)
    {
        if (NamedExplicitly(args))
        {
            return null;
        }
        if (File.Exists(Path.Combine(workingDirectory, "appsettings.json")))
        {
            return null;
        }
        return File.Exists(Path.Combine(baseDirectory, "appsettings.json")) ? baseDirectory : null;
    }

    static bool NamedExplicitly(string[] args) =>
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ASPNETCORE_CONTENTROOT"))
        || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOTNET_CONTENTROOT"))
        // Command-line configuration: --contentRoot x, --contentRoot=x, /contentRoot=x, contentRoot=x.
        || args.Any(a => a.TrimStart('-', '/').Split('=')[0].Equals("contentRoot", StringComparison.OrdinalIgnoreCase));
}
