using System.Reflection;
using System.Text.Json;

namespace Zhiyuan.Tests.Integrity;

/// <summary>Every state-changing operation of the API is either proven under simultaneous requests or listed here with the reason it cannot race.</summary>
public sealed class RaceCoverageTests
{
    /// <summary>Operations with nothing to race, each with its reason. Keep it short and honest.</summary>
    public static readonly IReadOnlyDictionary<string, string> CannotRace = new Dictionary<string, string>
    {
        ["POST /api/public/packages/verify"] = "changes nothing: it reads the uploaded package and the stored reports and answers what it found",
        ["POST /api/auth/token"] = "issues a token and changes no state of the platform; its writes are counters (failures per address in one upsert, a volunteer's failures in one increment, Identity's lockout under its concurrency stamp) and a new refresh-token row",
    };

    static readonly string[] StateChanging = ["post", "put", "delete", "patch"];

    /// <summary>The operations named by [Races] on the tests of this assembly.</summary>
    public static HashSet<string> Covered() =>
        typeof(RaceCoverageTests).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .SelectMany(m => m.GetCustomAttributes<RacesAttribute>())
            .SelectMany(a => a.Operations)
            .ToHashSet();

    [Fact]
    public async Task EveryStateChangingOperationOfTheApiIsCoveredByARaceTestOrListedWithTheReasonItCannotRace()
    {
        await using var app = new TestApp();
        using var client = app.CreateClient();
        var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json")).RootElement;
        var operations = document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Where(m => StateChanging.Contains(m.Name)).Select(m => $"{m.Name.ToUpperInvariant()} {path.Name}"))
            .ToList();
        Assert.NotEmpty(operations);

        var covered = Covered();
        var missing = operations.Where(o => !covered.Contains(o) && !CannotRace.ContainsKey(o)).OrderBy(o => o, StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} state-changing operation(s) with no race test and no reason they cannot race:\n" + string.Join("\n", missing));

        // Names that match no operation are typos (or operations that were removed): they would hide a missing test.
        var unknown = covered.Concat(CannotRace.Keys).Where(o => !operations.Contains(o)).OrderBy(o => o, StringComparer.Ordinal).ToList();
        Assert.True(unknown.Count == 0, "[Races] or the cannot-race list name operations the API does not have:\n" + string.Join("\n", unknown));
        // Listed as unable to race yet raced by a test: one of the two is wrong.
        Assert.DoesNotContain(CannotRace.Keys, covered.Contains);
    }
}
