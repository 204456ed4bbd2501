using System.Diagnostics;
using System.Reflection;
using Xunit.Abstractions;
using Zhiyuan.Tests.Activities;
using Zhiyuan.Tests.Volunteers;

namespace Zhiyuan.Tests.Platform;

/// <summary>
/// The OpenAPI document is good enough to program against: at test time the document served by the live
/// test host is handed to Kiota (the dotnet tool pinned in .config/dotnet-tools.json), the C# client it
/// generates is compiled with GeneratedClient/ClientJourney.cs, and that journey — no hand-written request
/// code — registers a volunteer, creates and publishes an activity, signs up, records attendance, confirms
/// the hours and reads the week's table, through the test host's HttpClient.
/// </summary>
public sealed class GeneratedClientTests(ITestOutputHelper log) : AppTest
{
    [Fact]
    public async Task A_client_generated_from_the_document_by_Kiota_runs_the_volunteer_journey()
    {
        var root = RepositoryRoot();
        var work = Path.Combine(root, "tests", "Zhiyuan.Tests", "obj", "generated-client", Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        try
        {
            // 1. The document exactly as the running app serves it.
            using (var http = app.CreateClient())
            {
                await File.WriteAllTextAsync(Path.Combine(work, "openapi.json"), await http.GetStringAsync("/openapi/v1.json"));
            }

            // 2. Kiota generates the client; 3. it is compiled with the journey (the project inherits the repository's package versions).
            await RunAsync(root, "dotnet", "tool", "restore");
            await RunAsync(root, "dotnet", "kiota", "generate", "--language", "CSharp", "--openapi", Path.Combine(work, "openapi.json"),
                "--output", Path.Combine(work, "Client"), "--namespace-name", "Zhiyuan.Client", "--class-name", "ZhiyuanClient",
                "--exclude-backward-compatible", "--clean-output", "--log-level", "Warning");
            File.Copy(Path.Combine(root, "tests", "Zhiyuan.Tests", "Platform", "GeneratedClient", "ClientJourney.cs"), Path.Combine(work, "ClientJourney.cs"));
            await File.WriteAllTextAsync(Path.Combine(work, "Zhiyuan.ClientJourney.csproj"), Project);
            // No build server or node is left running after the test.
            await RunAsync(work, "dotnet", "build", "-nologo", "-v", "q", "-nodeReuse:false", "-p:UseSharedCompilation=false", "-o", Path.Combine(work, "out"));

            // 4. The journey, through the live test host.
            var assembly = Assembly.LoadFrom(Path.Combine(work, "out", "Zhiyuan.ClientJourney.dll"));
            var run = assembly.GetType("Zhiyuan.ClientJourney.Journey")!.GetMethod("RunAsync")!;
            var sessionStart = Scenario.InDays(1, 9);
            var documentNumber = People.ResidentId(new DateOnly(1995, 5, 5), 321);
            var task = (Task<Dictionary<string, string>>)run.Invoke(null,
                [(Func<HttpClient>)app.CreateClient, TestApp.AdminPassword, documentNumber, "13900000321", People.Password, sessionStart, (Action<TimeSpan>)app.Clock.Advance])!;
            var seen = await task;
            foreach (var (key, value) in seen)
            {
                log.WriteLine($"{key}: {value}");
            }

            Assert.StartsWith("401 ", seen["wrongPassword"]);
            Assert.Matches("^400 .*name", seen["invalidOrganization"]);
            Assert.StartsWith("ZY", seen["volunteerNumber"]);
            Assert.Equal("Published", seen["activityStatus"]);
            Assert.Equal("Ecology", seen["serviceLine"]);
            Assert.Equal("Accepted", seen["signUp"]);
            Assert.Equal(sessionStart.UtcDateTime.ToString("O"), DateTimeOffset.Parse(seen["checkedIn"]).UtcDateTime.ToString("O"));
            Assert.Equal("1", seen["confirmed"]);
            Assert.Equal("180", seen["recordMinutes"]);
            Assert.Contains("西江河畔清洁行动", seen["row"]);
            Assert.Equal("1", seen["rowPersonTimes"]);
            Assert.Equal("180", seen["rowMinutes"]);
            Assert.Equal("1", seen["totalPersonTimes"]);
        }
        finally
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
                // The loaded assembly may still be mapped; the folder is under obj/ and goes with a clean.
            }
        }
    }

    const string Project = """
        <Project Sdk="Microsoft.NET.Sdk">
          <!-- Written by GeneratedClientTests: the Kiota client and the journey; package versions from Directory.Packages.props. -->
          <PropertyGroup>
            <AssemblyName>Zhiyuan.ClientJourney</AssemblyName>
            <TreatWarningsAsErrors>false</TreatWarningsAsErrors>
            <NoWarn>$(NoWarn);CS8618;CS1591;CS0108</NoWarn>
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="Microsoft.Kiota.Abstractions" />
            <PackageReference Include="Microsoft.Kiota.Http.HttpClientLibrary" />
            <PackageReference Include="Microsoft.Kiota.Serialization.Form" />
            <PackageReference Include="Microsoft.Kiota.Serialization.Json" />
            <PackageReference Include="Microsoft.Kiota.Serialization.Multipart" />
            <PackageReference Include="Microsoft.Kiota.Serialization.Text" />
          </ItemGroup>
        </Project>
        """;

    static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, ".config", "dotnet-tools.json")))
        {
            folder = folder.Parent;
        }
        return folder?.FullName ?? throw new InvalidOperationException("No .config/dotnet-tools.json above " + AppContext.BaseDirectory);
    }

    async Task RunAsync(string folder, string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        // Kiota looks for a newer version of itself online; there is nothing to find offline.
        start.Environment["KIOTA_UPDATE__DISABLED"] = "true";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        // Not the test run's MSBuild settings (a nested build must not inherit them).
        start.Environment.Remove("MSBuildExtensionsPath");
        start.Environment.Remove("MSBUILD_EXE_PATH");
        start.Environment.Remove("MSBuildSDKsPath");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var text = await output + await error;
        log.WriteLine($"$ {program} {string.Join(' ', arguments)} → {process.ExitCode}");
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}):\n{text[^Math.Min(text.Length, 4000)..]}");
    }
}
