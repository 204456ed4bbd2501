using System.Net;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Zhiyuan.Web.Infrastructure;

namespace Zhiyuan.Tests.Platform;

/// <summary>
/// The OpenAPI document is enough to use the API without reading the source: every operation says what
/// it does, every error it can answer is described with its problem-details schema, every enum lists its
/// values with their Chinese names, times state their offset format, and every JSON body has an example.
/// </summary>
public sealed partial class ApiDocumentationTests : AppTest
{
    static readonly string[] StateChanging = ["post", "put", "patch", "delete"];

    async Task<JsonNode> DocumentAsync()
    {
        using var client = app.CreateClient();
        return JsonNode.Parse(await client.GetStringAsync("/openapi/v1.json"))!;
    }

    static IEnumerable<(string Name, string Path, string Method, JsonObject Operation)> Operations(JsonNode document) =>
        from path in document["paths"]!.AsObject()
        from method in path.Value!.AsObject()
        where method.Value is JsonObject && method.Key != "parameters"
        select ($"{method.Key.ToUpperInvariant()} {path.Key}", path.Key, method.Key, method.Value!.AsObject());

    [Fact]
    public async Task Every_operation_has_a_summary_and_a_description()
    {
        var document = await DocumentAsync();
        var operations = Operations(document).ToList();
        Assert.True(operations.Count > 100, $"only {operations.Count} operations");
        var missing = operations
            .Where(o => string.IsNullOrWhiteSpace(o.Operation["summary"]?.GetValue<string>()) || string.IsNullOrWhiteSpace(o.Operation["description"]?.GetValue<string>()))
            .Select(o => o.Name).ToList();
        Assert.True(missing.Count == 0, "Without a summary or description:\n" + string.Join("\n", missing));
        // No entry of the table names an operation that is gone (a renamed route would silently lose its text).
        var names = operations.Select(o => o.Name).ToHashSet();
        var stale = ApiOperationTexts.All.Keys.Concat(ApiOperationTexts.Examples.Keys).Where(k => !names.Contains(k)).ToList();
        Assert.True(stale.Count == 0, "Texts for operations that do not exist:\n" + string.Join("\n", stale));
        Assert.Equal("Sign up (报名)", document["paths"]!["/api/sessions/{sessionId}/signups"]!["post"]!["summary"]!.GetValue<string>());
        // The handler's own comment is part of the description, and so is who may call it.
        var create = document["paths"]!["/api/activities"]!["post"]!["description"]!.GetValue<string>();
        Assert.Contains("Creates a draft activity", create);
        Assert.Contains("bearer token", create);
    }

    [Fact]
    public async Task Every_error_answer_an_operation_gives_is_described_with_a_problem_schema()
    {
        var document = await DocumentAsync();
        var problems = new List<string>();
        foreach (var (name, _, method, operation) in Operations(document))
        {
            var responses = operation["responses"]!.AsObject();
            foreach (var (status, response) in responses.Where(r => r.Key.StartsWith('4')))
            {
                if (string.IsNullOrWhiteSpace(response!["description"]?.GetValue<string>()) || response["description"]!.GetValue<string>() is "Bad Request" or "Not Found")
                {
                    problems.Add($"{name} {status}: no description");
                }
                var schema = response["content"]?["application/problem+json"]?["schema"]?["$ref"]?.GetValue<string>();
                if (schema is not ("#/components/schemas/ProblemDetails" or "#/components/schemas/HttpValidationProblemDetails"))
                {
                    problems.Add($"{name} {status}: no problem-details schema");
                }
            }
            var hasInput = operation["parameters"] is JsonArray { Count: > 0 } || operation["requestBody"] is not null;
            if (hasInput && responses["400"]?["content"]?["application/problem+json"]?["schema"]?["$ref"]?.GetValue<string>() != "#/components/schemas/HttpValidationProblemDetails")
            {
                problems.Add($"{name}: takes input but 400 (a validation problem with field errors) is not described");
            }
            if (StateChanging.Contains(method) && responses["409"] is null)
            {
                problems.Add($"{name}: changes state but 409 is not described");
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));

        var errors = document["components"]!["schemas"]!["HttpValidationProblemDetails"]!["properties"]!["errors"]!;
        Assert.Equal("string", errors["additionalProperties"]!["items"]!["type"]!.GetValue<string>());
        foreach (var limited in new[] { "/api/orders/verification-codes", "/api/auth/token" })
        {
            Assert.NotNull(document["paths"]![limited]!["post"]!["responses"]!["429"]);
        }
        Assert.NotNull(document["paths"]!["/api/partners/check/{code}"]!["get"]!["responses"]!["429"]);
    }

    /// <summary>An operation that answers 401 to a caller without a token says so (and 403 with it).</summary>
    [Fact]
    public async Task Every_operation_that_refuses_a_caller_without_a_token_documents_401_and_403()
    {
        var document = await DocumentAsync();
        using var anonymous = app.CreateClient();
        var undocumented = new List<string>();
        var refused = 0;
        foreach (var (name, path, method, operation) in Operations(document))
        {
            var url = Regex.Replace(path, @"\{(\w+)\}", m => m.Groups[1].Value.Contains("id", StringComparison.OrdinalIgnoreCase) ? Guid.NewGuid().ToString() : "441200");
            using var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), url);
            using var response = await anonymous.SendAsync(request);
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                refused++;
                if (operation["responses"]!["401"] is null || operation["responses"]!["403"] is null)
                {
                    undocumented.Add(name);
                }
            }
        }
        Assert.True(refused > 50, $"only {refused} operations refused a caller without a token");
        Assert.True(undocumented.Count == 0, "401/403 not described:\n" + string.Join("\n", undocumented));
    }

    [Fact]
    public async Task Every_enum_lists_its_values_with_their_Chinese_names_and_no_enum_property_is_a_plain_string()
    {
        var document = await DocumentAsync();
        var schemas = document["components"]!["schemas"]!.AsObject();
        var web = typeof(Zhiyuan.Web.Infrastructure.InputRules).Assembly;
        var problems = new List<string>();

        // Every enum of the platform that the document uses: all its values, each with a Chinese name.
        foreach (var type in web.GetTypes().Where(t => t.IsEnum).Append(typeof(DayOfWeek)))
        {
            if (schemas[type.Name] is not JsonObject schema)
            {
                continue;
            }
            var values = (schema["enum"] as JsonArray)?.Select(v => v?.ToString()).ToHashSet() ?? [];
            foreach (var value in Enum.GetNames(type))
            {
                if (!values.Contains(value))
                {
                    problems.Add($"{type.Name}: {value} is not among the enum values");
                }
                var line = Regex.Match(schema["description"]?.GetValue<string>() ?? "", $@"\b{value} — ([^;(]+)");
                if (!line.Success || !Regex.IsMatch(line.Groups[1].Value, @"\p{IsCJKUnifiedIdeographs}"))
                {
                    problems.Add($"{type.Name}: {value} has no Chinese name in the description");
                }
            }
        }

        // Every property of a C# enum type (or a list of one) is documented as that enum, never a plain string.
        var checkedProperties = 0;
        foreach (var (name, node) in schemas)
        {
            var type = web.GetTypes().FirstOrDefault(t => t.Name == name && !t.IsEnum && t.IsPublic);
            if (type is null || node!["properties"] is not JsonObject properties)
            {
                continue;
            }
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                var jsonName = char.ToLowerInvariant(property.Name[0]) + property.Name[1..];
                if (properties[jsonName] is not { } propertySchema)
                {
                    continue;
                }
                var element = ElementType(property.PropertyType);
                if (element.IsEnum)
                {
                    checkedProperties++;
                    if (EnumValues(propertySchema, document) is not { Count: > 0 } values || !Enum.GetNames(element).All(values.Contains))
                    {
                        problems.Add($"{name}.{jsonName} ({element.Name}) is not documented with its values");
                    }
                }
                else if (element == typeof(string) && propertySchema["type"] is null && propertySchema["$ref"] is null)
                {
                    problems.Add($"{name}.{jsonName}: a string with no type");
                }
                else if (element == typeof(DateTimeOffset) && propertySchema["description"]?.GetValue<string>().Contains("+08:00") != true)
                {
                    problems.Add($"{name}.{jsonName}: a time whose offset format is not stated");
                }
            }
        }
        Assert.True(checkedProperties > 30, $"only {checkedProperties} enum properties found");
        Assert.True(problems.Count == 0, string.Join("\n", problems));

        // Text fields that take a few words list them too: the roster's actions.
        var action = schemas["RosterRequest"]!["properties"]!["action"]!;
        Assert.Equal(["times", "checkIn", "checkOut"], action["enum"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Contains("签到", action["description"]!.GetValue<string>());
        var lines = schemas["ServiceLines"]!["description"]!.GetValue<string>();
        Assert.Contains("CivilisedCity — ", lines);
        Assert.Contains("EmptyNestElderly — 空巢老人", schemas["PopulationTypes"]!["description"]!.GetValue<string>());
    }

    [Fact]
    public async Task Every_JSON_request_body_has_an_example_and_times_carry_their_offset()
    {
        var document = await DocumentAsync();
        var missing = Operations(document)
            .Where(o => o.Operation["requestBody"]?["content"]?["application/json"] is { } json && json["example"] is null)
            .Select(o => o.Name).ToList();
        Assert.True(missing.Count == 0, "No example:\n" + string.Join("\n", missing));
        var example = document["paths"]!["/api/activities"]!["post"]!["requestBody"]!["content"]!["application/json"]!["example"]!;
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$", example["sessions"]![0]!["startsAt"]!.GetValue<string>());
        Assert.Contains("2026-12-01T09:00:00+08:00", document["info"]!["description"]!.GetValue<string>());
    }

    static Type ElementType(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type.IsArray)
        {
            return ElementType(type.GetElementType()!);
        }
        if (type.IsGenericType && type.GetGenericArguments() is [var item] && typeof(System.Collections.IEnumerable).IsAssignableFrom(type))
        {
            return ElementType(item);
        }
        return type;
    }

    /// <summary>The enum values a property schema allows, through $ref, oneOf (nullable) and array items.</summary>
    static HashSet<string>? EnumValues(JsonNode schema, JsonNode document)
    {
        for (var i = 0; i < 5; i++)
        {
            if (schema["$ref"]?.GetValue<string>() is { } reference)
            {
                schema = document["components"]!["schemas"]![reference.Split('/').Last()]!;
            }
            else if ((schema["oneOf"] ?? schema["anyOf"]) is JsonArray choices)
            {
                schema = choices.FirstOrDefault(c => c!["type"]?.ToString() != "null")!;
            }
            else if (schema["items"] is { } items)
            {
                schema = items;
            }
            else
            {
                break;
            }
        }
        return (schema["enum"] as JsonArray)?.Where(v => v is not null).Select(v => v!.ToString()).ToHashSet();
    }
}
