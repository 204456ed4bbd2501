using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Zhiyuan.Tests.Platform;

/// <summary>
/// Every operation of the OpenAPI document, called by the city administrator with hostile values in
/// each query and path parameter and each JSON body field its schema names: wrong types, year 1 and
/// year 9999, times without an offset, NaN and infinities, huge numbers, NUL and other control
/// characters, zero-width-only text and 100,000 characters. Nothing may answer 5xx: testers found
/// several that did, each a different endpoint, so the walk covers the endpoints nobody has tried yet.
/// </summary>
public sealed class InputWalkTests(ITestOutputHelper log) : AppTest
{
    static readonly TimeSpan Budget = TimeSpan.FromSeconds(100);

    static readonly string Long = new('a', 100_000);

    /// <summary>Raw query and path values (unescaped; escaped when sent).</summary>
    static readonly string[] TextValues =
    [
        "\0", "a\u0001b", "x\u001fy", "\u200b", "\u200b\u200c\ufeff", Long, "0001-01-01", "9999-12-31",
        "0001-01-01T00:00:00Z", "9999-12-31T23:59:59+08:00", "2019-03-05T09:00:00", "NaN", "Infinity", "-Infinity",
        "1e400", "99999999999999999999", "2147483647", "-2147483648", "-1", "0", "9", "x", "",
    ];

    /// <summary>JSON values for a body field, whatever its type.</summary>
    static readonly string[] JsonValues =
    [
        "\"\\u0000\"", "\"a\\u0001b\"", "\"\\u200b\"", "\"\\u200b\\u3164\"", JsonSerializer.Serialize(Long),
        "\"0001-01-01\"", "\"9999-12-31\"", "\"0001-01-01T00:00:00+08:00\"", "\"9999-12-31T23:59:59Z\"", "\"2019-03-05T09:00:00\"",
        "\"NaN\"", "\"Infinity\"", "\"-Infinity\"", "1e308", "-1e308", "99999999999999999999", "2147483647", "-2147483648", "-1", "9",
        "true", "\"x\"", "{}", "[]", "[null]", "null",
    ];

    [Fact]
    public async Task No_hostile_value_in_any_parameter_or_field_makes_a_server_error()
    {
        using var client = await app.ApiClientAsync();
        var document = JsonNode.Parse(await client.GetStringAsync("/openapi/v1.json"))!;
        var schemas = document["components"]?["schemas"];
        var calls = new List<(string Operation, Func<HttpRequestMessage> Request, string Value)>();
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operationNode) in item!.AsObject())
            {
                if (operationNode is not JsonObject operation || method == "parameters")
                {
                    continue;
                }
                var name = $"{method.ToUpperInvariant()} {path}";
                var parameters = (operation["parameters"] as JsonArray ?? new JsonArray()).Concat(item["parameters"] as JsonArray ?? new JsonArray())
                    .Select(p => Resolve(p!, document)).ToList();
                var body = operation["requestBody"]?["content"]?["application/json"]?["schema"] is { } bodySchema ? Resolve(bodySchema, document) : null;
                var baseline = body is null ? null : Sample(body, document, 0);

                string Url(string? badName, string? badValue)
                {
                    var url = path;
                    var query = new List<string>();
                    foreach (var parameter in parameters)
                    {
                        var parameterName = parameter["name"]!.GetValue<string>();
                        var where = parameter["in"]?.GetValue<string>();
                        var value = parameterName == badName ? badValue! : SampleText(Resolve(parameter["schema"] ?? new JsonObject(), document), parameterName);
                        if (where == "path")
                        {
                            url = url.Replace("{" + parameterName + "}", Uri.EscapeDataString(value));
                        }
                        else if (where == "query" && (parameterName == badName || parameter["required"]?.GetValue<bool>() == true))
                        {
                            query.Add($"{Uri.EscapeDataString(parameterName)}={Uri.EscapeDataString(value)}");
                        }
                    }
                    return query.Count == 0 ? url : url + "?" + string.Join("&", query);
                }

                HttpRequestMessage Request(string url, string? json) => new(new HttpMethod(method.ToUpperInvariant()), url)
                {
                    Content = json is null ? null : new StringContent(json, Encoding.UTF8, "application/json"),
                };

                foreach (var parameter in parameters.Where(p => p["in"]?.GetValue<string>() is "path" or "query"))
                {
                    var parameterName = parameter["name"]!.GetValue<string>();
                    // %00 in a path is refused by Kestrel with a 400 before the app sees it; the in-memory test host throws instead.
                    foreach (var value in TextValues.Where(v => v != "\0" || parameter["in"]!.GetValue<string>() == "query"))
                    {
                        var url = Url(parameterName, value);
                        var json = baseline?.ToJsonString();
                        calls.Add(($"{name} {parameterName}", () => Request(url, json), Show(value)));
                    }
                }
                if (baseline is JsonObject baseObject)
                {
                    foreach (var field in Fields(baseObject))
                    {
                        foreach (var value in JsonValues)
                        {
                            var json = field.Replace(value);
                            var url = Url(null, null);
                            calls.Add(($"{name} body.{field.Name}", () => Request(url, json), Show(value)));
                        }
                    }
                }
                else if (baseline is not null)
                {
                    foreach (var value in JsonValues)
                    {
                        var url = Url(null, null);
                        calls.Add(($"{name} body", () => Request(url, value), Show(value)));
                    }
                }
            }
        }
        Assert.True(calls.Count > 1000, $"Only {calls.Count} calls: the OpenAPI document was not walked.");

        // Four at a time and bounded in time, so the calls go round the parameters and fields: every one
        // gets its first hostile values before any gets its last, and a slow machine walks less of each, not fewer of them.
        var reached = new System.Collections.Concurrent.ConcurrentDictionary<string, bool>();
        var targets = calls.Select(c => c.Operation).Distinct().ToList();
        calls = calls.GroupBy(c => c.Operation).SelectMany(g => g.Select((call, round) => (call, round))).OrderBy(c => c.round).Select(c => c.call).ToList();
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var done = 0;
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(calls, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (call, _) =>
        {
            if (clock.Elapsed > Budget)
            {
                return;
            }
            try
            {
                using var request = call.Request();
                using var response = await client.SendAsync(request);
                if ((int)response.StatusCode >= 500)
                {
                    var text = await response.Content.ReadAsStringAsync();
                    failures.Add($"{call.Operation} = {call.Value} → {(int)response.StatusCode} {text[..Math.Min(text.Length, 200)]}");
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or InvalidOperationException or IOException)
            {
                failures.Add($"{call.Operation} = {call.Value} → {ex.GetType().Name}: {ex.Message}");
            }
            reached[call.Operation] = true;
            Interlocked.Increment(ref done);
        });
        log.WriteLine($"{done} of {calls.Count} calls in {clock.Elapsed.TotalSeconds:0} s, {failures.Count} server errors.");
        var missed = targets.Where(t => !reached.ContainsKey(t)).ToList();
        Assert.True(missed.Count == 0, $"{missed.Count} parameters or fields not reached within the time budget: " + string.Join(", ", missed.Take(20)));
        Assert.True(failures.IsEmpty, $"{failures.Count} server error(s):\n" + string.Join("\n", failures.OrderBy(f => f, StringComparer.Ordinal).Take(100)));
    }

    static string Show(string value) => value.Length > 60 ? $"<{value.Length} characters>" : JsonSerializer.Serialize(value);

    /// <summary>A field of the baseline body (one level into objects and arrays of objects) and how to put another value there.</summary>
    sealed record Field(string Name, Func<string, string> Replace);

    static IEnumerable<Field> Fields(JsonObject body)
    {
        foreach (var (name, value) in body)
        {
            yield return new Field(name, bad => With(body, o => o[name] = JsonNode.Parse(bad)));
            if (value is JsonObject inner)
            {
                foreach (var (innerName, _) in inner)
                {
                    yield return new Field($"{name}.{innerName}", bad => With(body, o => o[name]![innerName] = JsonNode.Parse(bad)));
                }
            }
            else if (value is JsonArray { Count: > 0 } array && array[0] is JsonObject element)
            {
                foreach (var (innerName, _) in element)
                {
                    yield return new Field($"{name}[0].{innerName}", bad => With(body, o => o[name]![0]![innerName] = JsonNode.Parse(bad)));
                }
            }
        }
    }

    static string With(JsonObject body, Action<JsonObject> change)
    {
        var copy = body.DeepClone().AsObject();
        change(copy);
        return copy.ToJsonString();
    }

    static JsonNode Resolve(JsonNode schema, JsonNode document)
    {
        for (var i = 0; i < 10 && schema["$ref"]?.GetValue<string>() is { } reference; i++)
        {
            var node = document;
            foreach (var part in reference.TrimStart('#', '/').Split('/'))
            {
                node = node[part]!;
            }
            schema = node;
        }
        return schema;
    }

    static string[] Types(JsonNode schema) => schema["type"] switch
    {
        JsonValue v => [v.GetValue<string>()],
        JsonArray a => a.Select(t => t!.GetValue<string>()).Where(t => t != "null").ToArray(),
        _ => schema["properties"] is not null ? ["object"] : [],
    };

    /// <summary>A plausible value for a parameter, so that the one under test is the only odd one.</summary>
    static string SampleText(JsonNode schema, string name)
    {
        if (schema["enum"] is JsonArray { Count: > 0 } values)
        {
            return values[0]!.ToString();
        }
        var format = schema["format"]?.GetValue<string>();
        return format switch
        {
            "uuid" => Guid.NewGuid().ToString(),
            "date" => "2019-03-05",
            "date-time" => "2019-03-05T09:00:00+08:00",
            _ => Types(schema).FirstOrDefault() switch
            {
                "integer" or "number" => "1",
                "boolean" => "true",
                _ => name.Contains("unit", StringComparison.OrdinalIgnoreCase) || name == "code" ? "441200" : "x",
            },
        };
    }

    static JsonNode? Sample(JsonNode schema, JsonNode document, int depth)
    {
        schema = Resolve(schema, document);
        if (depth > 4)
        {
            return null;
        }
        if (schema["enum"] is JsonArray { Count: > 0 } values)
        {
            return values[0]!.DeepClone();
        }
        if ((schema["oneOf"] ?? schema["anyOf"]) is JsonArray { Count: > 0 } choices)
        {
            return choices.Select(c => Sample(c!, document, depth + 1)).FirstOrDefault(c => c is not null);
        }
        var format = schema["format"]?.GetValue<string>();
        switch (Types(schema).FirstOrDefault())
        {
            case "object":
                var result = new JsonObject();
                foreach (var (name, property) in schema["properties"] as JsonObject ?? new JsonObject())
                {
                    result[name] = Sample(property!, document, depth + 1);
                }
                return result;
            case "array":
                return schema["items"] is { } items ? new JsonArray(Sample(items, document, depth + 1)) : new JsonArray();
            case "integer":
                return 1;
            case "number":
                return 1.5;
            case "boolean":
                return true;
            case "string":
                return format switch
                {
                    "uuid" => Guid.NewGuid().ToString(),
                    "date" => "2019-03-05",
                    "date-time" => "2019-03-05T09:00:00+08:00",
                    _ => "x",
                };
            default:
                return null;
        }
    }
}
