using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Zhiyuan.Tests.Operations;

/// <summary>
/// The built Zhiyuan.Web.dll run as a real child process, as an operator runs it: so that it can be
/// killed with SIGKILL (which no in-process host can survive to be tested) and its exit code read.
/// </summary>
public sealed class AppProcess : IDisposable
{
    public const string AdminPassword = "Admin-pass-2019";

    static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "Zhiyuan.Web.dll");

    readonly Process process;
    readonly StringBuilder output = new();

    AppProcess(Process process, Uri baseAddress)
    {
        this.process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    public bool HasExited => process.HasExited;

    public int ExitCode => process.ExitCode;

    /// <summary>The environment of a production node on the given database, its key ring under the test certificate "node".</summary>
    public static Dictionary<string, string?> Environment(string provider, string connectionString) => new(TestCertificates.Environment("node"))
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["Database__Provider"] = provider,
        ["Database__ConnectionString"] = connectionString,
        ["Admin__Password"] = AdminPassword,
    };

    /// <summary>Starts the web app on a free loopback port, from its own folder unless another working directory is given.</summary>
    public static AppProcess Start(Dictionary<string, string?> environment, string? workingDirectory = null)
    {
        var baseAddress = new Uri($"http://127.0.0.1:{FreePort()}");
        var process = Launch(["--urls", baseAddress.ToString().TrimEnd('/')], environment, workingDirectory);
        var app = new AppProcess(process, baseAddress);
        process.OutputDataReceived += (_, e) => app.Append(e.Data);
        process.ErrorDataReceived += (_, e) => app.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return app;
    }

    /// <summary>Runs the app with the given arguments to its end (an operator command) and returns its exit code and everything it printed.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(string[] arguments, Dictionary<string, string?> environment, TimeSpan? timeout = null)
    {
        using var process = Launch(arguments, environment);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"`Zhiyuan.Web {string.Join(' ', arguments)}` did not end: {await output} {await error}");
        }
        return (process.ExitCode, await output, await error);
    }

    static Process Launch(string[] arguments, Dictionary<string, string?> environment, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo("dotnet", ["exec", Dll, .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        return Process.Start(start)!;
    }

    void Append(string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }

    /// <summary>Waits until /health answers 200; false when the process ended first or the time ran out.</summary>
    public async Task<bool> WaitHealthyAsync(TimeSpan timeout)
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var giveUpAt = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < giveUpAt && !process.HasExited)
        {
            try
            {
                if ((await client.GetAsync("/health")).StatusCode == HttpStatusCode.OK)
                {
                    return true;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }
            await Task.Delay(100);
        }
        return false;
    }

    /// <summary>SIGKILL: no shutdown code runs, as when a machine loses power or the OOM killer strikes.</summary>
    public void Kill()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }
        process.WaitForExit();
    }

    public void Dispose()
    {
        Kill();
        process.Dispose();
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
