using System.Globalization;
using System.Reflection;
using System.Resources;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.OpenApi;

namespace Zhiyuan.Web.Infrastructure;

/// <summary>
/// The OpenAPI document at /openapi/v1.json, complete enough to generate a client from (docs/api.md):
/// every operation with a summary and a description (<see cref="ApiOperationTexts"/> and the handlers'
/// XML comments), every error answer with its problem-details schema, enums with their values and their
/// Chinese names, times with their offset format, and an example for every JSON request body.
/// </summary>
public static partial class OpenApiSetup
{
    /// <summary>The example time every date-time is described with: China time, with its offset.</summary>
    public const string ExampleTime = "2026-12-01T09:00:00+08:00";

    /// <summary>The OpenAPI document, with the bearer scheme so the reference page can call the API.</summary>
    public static IServiceCollection AddAppOpenApi(this IServiceCollection services) => services.AddOpenApi(o =>
    {
        o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Zhiyuan API";
            document.Info.Description = "志愿服务平台接口 / The volunteer-service platform's API. Get a token from POST /api/auth/token and send it as \"Authorization: Bearer …\". " +
                                        "Errors are RFC 9457 problem details in the language of Accept-Language (zh-CN or en): 400 carries `errors`, each field with its messages. " +
                                        $"Times carry their offset, e.g. {ExampleTime} (China time); fields ending in Utc are UTC. Enums travel by name.";
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes["Bearer"] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "The accessToken from POST /api/auth/token.",
            };
            document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("Bearer", document)] = [] }];
            document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
            document.Components.Schemas.TryAdd("ProblemDetails", ProblemSchema(withErrors: false));
            document.Components.Schemas.TryAdd("HttpValidationProblemDetails", ProblemSchema(withErrors: true));
            return Task.CompletedTask;
        });
        o.AddSchemaTransformer((schema, context, _) =>
        {
            DescribeSchema(schema, context);
            return Task.CompletedTask;
        });
        o.AddOperationTransformer((operation, context, _) =>
        {
            DescribeOperation(operation, context);
            return Task.CompletedTask;
        });
    });

    // --- schemas ------------------------------------------------------------------------------------

    static void DescribeSchema(OpenApiSchema schema, OpenApiSchemaTransformerContext context)
    {
        var declared = context.JsonPropertyInfo?.PropertyType ?? context.JsonTypeInfo.Type;
        var type = Nullable.GetUnderlyingType(declared) ?? declared;
        var nullable = Nullable.GetUnderlyingType(declared) is not null || schema.Type?.HasFlag(JsonSchemaType.Null) == true;

        // The input rules' own converters (InputRules.AddConverters) hide the types from the generator: say them again.
        if (type == typeof(string) && schema.Type is null && schema.Enum is not { Count: > 0 } && schema.Properties is not { Count: > 0 })
        {
            schema.Type = JsonSchemaType.String;
        }
        else if (type == typeof(DateTimeOffset))
        {
            schema.Type = JsonSchemaType.String | (nullable ? JsonSchemaType.Null : 0);
            schema.Format = "date-time";
            SetExample(schema, ExampleTime);
            AddDescription(schema, $"A time with its offset (RFC 3339), e.g. {ExampleTime}; a time without an offset is refused.");
        }
        else if (type == typeof(DateTime))
        {
            SetExample(schema, "2026-12-01T01:00:00Z");
            AddDescription(schema, "A UTC time (RFC 3339), e.g. 2026-12-01T01:00:00Z.");
        }
        else if (type == typeof(DateOnly))
        {
            SetExample(schema, "2026-12-01");
            AddDescription(schema, "A China date (yyyy-MM-dd), e.g. 2026-12-01.");
        }
        else if (type == typeof(double) || type == typeof(float) || type == typeof(decimal))
        {
            schema.Type = JsonSchemaType.Number | (nullable ? JsonSchemaType.Null : 0);
            schema.Pattern = null;
        }
        else if (type == typeof(int) || type == typeof(long) || type == typeof(short))
        {
            // Numbers travel as numbers (a quoted number is accepted but not documented).
            schema.Type = JsonSchemaType.Integer | (nullable ? JsonSchemaType.Null : 0);
            schema.Pattern = null;
        }
        else if (type.IsEnum)
        {
            DescribeEnum(schema, type);
        }
        else if (typeof(IDictionary<string, string[]>).IsAssignableFrom(type) || type == typeof(IDictionary<string, string[]>))
        {
            // A validation problem's errors: each field with its messages.
            schema.AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } };
            AddDescription(schema, "Each field (JSON property or parameter name) with its messages.");
        }

        // A list of texts keeps its item type too.
        if (type == typeof(string[]) && (schema.Items is null || schema.Items.Type is null))
        {
            schema.Items = new OpenApiSchema { Type = JsonSchemaType.String };
        }

        // Text fields that carry an enum's names (read by the use case, which answers 400 with the allowed names).
        if (context.JsonPropertyInfo is { } named && EnumsByName.TryGetValue(named.Name, out var carried) && (type == typeof(string) || type == typeof(string[])))
        {
            var target = new OpenApiSchema();
            DescribeEnum(target, carried);
            target.Enum = target.Enum!.Where(v => v?.ToString() != "None").ToList();
            target.Extensions = null;
            if (type == typeof(string[]))
            {
                schema.Items = target;
                AddDescription(schema, target.Description!);
            }
            else
            {
                schema.Enum = target.Enum;
                schema.Type = JsonSchemaType.String | JsonSchemaType.Null;
                AddDescription(schema, target.Description!);
            }
        }

        if (context.JsonPropertyInfo is { } property && StringChoices.TryGetValue((property.DeclaringType, property.Name), out var choices))
        {
            schema.Type = JsonSchemaType.String | JsonSchemaType.Null;
            schema.Enum = choices.Select(c => (JsonNode)JsonValue.Create(c.Value)).ToList();
            SetExample(schema, choices[0].Value);
            AddDescription(schema, "One of: " + string.Join("; ", choices.Select(c => $"{c.Value} — {c.Chinese} ({c.English})")) + ".");
        }
    }

    /// <summary>Text fields (or lists of texts) named after the enum whose names they take.</summary>
    static readonly Dictionary<string, Type> EnumsByName = new()
    {
        ["documentType"] = typeof(Volunteers.DocumentType),
        ["gender"] = typeof(Volunteers.Gender),
        ["serviceLines"] = typeof(Volunteers.ServiceLines),
    };

    /// <summary>Text fields that take one of a few words; the words, their Chinese names and what they do.</summary>
    static readonly Dictionary<(Type, string), (string Value, string Chinese, string English)[]> StringChoices = new()
    {
        [(typeof(Activities.RosterRequest), "action")] =
        [
            ("times", "按时间登记", "set checkedInAt and checkedOutAt as given (the default)"),
            ("checkIn", "签到", "checked in now"),
            ("checkOut", "签退", "checked out now"),
        ],
        [(typeof(Recognition.ReviewNominationRequest), "action")] =
        [
            ("notice", "公示", "put the nomination on public notice"),
            ("reject", "驳回", "reject it, with a reason"),
        ],
    };

    /// <summary>Names for values that have no display string of their own in the resources.</summary>
    static readonly Dictionary<string, (string Chinese, string English)> ExtraNames = new()
    {
        ["None"] = ("无", "none"),
        ["DayOfWeek.Sunday"] = ("星期日", "Sunday"),
        ["DayOfWeek.Monday"] = ("星期一", "Monday"),
        ["DayOfWeek.Tuesday"] = ("星期二", "Tuesday"),
        ["DayOfWeek.Wednesday"] = ("星期三", "Wednesday"),
        ["DayOfWeek.Thursday"] = ("星期四", "Thursday"),
        ["DayOfWeek.Friday"] = ("星期五", "Friday"),
        ["DayOfWeek.Saturday"] = ("星期六", "Saturday"),
        ["SmsDelivery.DevelopmentLog"] = ("写入开发日志", "written to the development log"),
        ["SmsDelivery.TextMessage"] = ("短信", "text message"),
        ["MessageKind.WaitlistPromoted"] = ("候补转正", "promoted from the waiting list"),
        ["MessageKind.SignUpRejected"] = ("报名未通过", "sign-up rejected"),
        ["MessageKind.HoursConfirmed"] = ("时长已确认", "hours confirmed"),
        ["MessageKind.CorrectionMade"] = ("时长已更正", "hours corrected"),
        ["MessageKind.CorrectionDeclined"] = ("更正申请未通过", "correction declined"),
        ["MessageKind.ReportReturned"] = ("报表被退回", "report returned"),
        ["MessageKind.ReportReopened"] = ("报表重新打开", "report reopened"),
        ["MessageKind.ReportApproved"] = ("报表已通过", "report approved"),
        ["MessageKind.ReportReminder"] = ("报表提醒", "report reminder"),
        ["MessageKind.ReportOverdue"] = ("报表逾期", "report overdue"),
        ["MessageKind.ActivityChanged"] = ("活动有变更", "activity changed"),
        ["MessageKind.ActivityCancelled"] = ("活动已取消", "activity cancelled"),
        ["OrderStepState.Done"] = ("已完成", "done"),
        ["OrderStepState.Current"] = ("进行中", "current"),
        ["OrderStepState.Waiting"] = ("未开始", "waiting"),
        ["OrderStepState.Cancelled"] = ("已取消", "cancelled"),
        ["ReportTaskKind.Due"] = ("待报送", "due"),
        ["ReportTaskKind.Overdue"] = ("已逾期", "overdue"),
        ["ReportTaskKind.Returned"] = ("被退回", "returned"),
        ["ReportTaskKind.ToReview"] = ("待审核", "to review"),
    };

    /// <summary>Where the resources keep an enum's display names when not under the enum's own name.</summary>
    static readonly Dictionary<string, string> ResourcePrefixes = new()
    {
        ["RecognitionStatus"] = "Recognition.Status",
        ["CommendationKind"] = "Commendations.Kind",
        ["ObjectionStatus"] = "Objections.Status",
        ["ReportStatus"] = "Reports.Status",
    };

    static readonly ResourceManager Resources = new("Zhiyuan.Web.Resources.SharedResource", typeof(SharedResource).Assembly);
    static readonly CultureInfo English = CultureInfo.GetCultureInfo("en");

    /// <summary>The Chinese and English display names of an enum value, from the same resources the pages use.</summary>
    public static (string Chinese, string English)? DisplayNames(Type enumType, string value)
    {
        var prefixes = new[] { enumType.Name, ResourcePrefixes.GetValueOrDefault(enumType.Name), enumType.Name.TrimEnd('s') }.OfType<string>();
        foreach (var prefix in prefixes)
        {
            var key = $"{prefix}.{value}";
            if (Resources.GetString(key, CultureInfo.InvariantCulture) is { Length: > 0 } chinese)
            {
                return (chinese, Resources.GetString(key, English) ?? value);
            }
        }
        return ExtraNames.TryGetValue($"{enumType.Name}.{value}", out var names) || ExtraNames.TryGetValue(value, out names) ? names : null;
    }

    static void DescribeEnum(OpenApiSchema schema, Type type)
    {
        var names = Enum.GetNames(type);
        var flags = type.IsDefined(typeof(FlagsAttribute));
        schema.Type = JsonSchemaType.String;
        schema.Enum = names.Select(n => (JsonNode)JsonValue.Create(n)).ToList();
        var values = new JsonArray();
        var lines = new List<string>();
        foreach (var name in names)
        {
            var display = DisplayNames(type, name);
            lines.Add(display is { } d ? $"{name} — {d.Chinese} ({d.English})" : name);
            values.Add(new JsonObject { ["value"] = name, ["name"] = name, ["description"] = display is { } e ? $"{e.Chinese} ({e.English})" : name });
        }
        var description = (flags ? "One or more of (several joined with \", \", e.g. \"CivilisedCity, Ecology\"): " : "One of: ") + string.Join("; ", lines) + ".";
        AddDescription(schema, description);
        schema.Extensions ??= new Dictionary<string, IOpenApiExtension>();
        schema.Extensions["x-ms-enum"] = new JsonNodeExtension(new JsonObject { ["name"] = type.Name, ["modelAsString"] = false, ["values"] = values });
        if (flags)
        {
            schema.Extensions["x-ms-enum-flags"] = new JsonNodeExtension(new JsonObject { ["isFlags"] = true, ["style"] = "simple" });
        }
    }

    static void SetExample(OpenApiSchema schema, string value)
    {
        schema.Examples ??= [];
        if (schema.Examples.Count == 0)
        {
            schema.Examples.Add(JsonValue.Create(value));
        }
    }

    static void AddDescription(OpenApiSchema schema, string text)
    {
        if (schema.Description?.Contains(text, StringComparison.Ordinal) == true)
        {
            return;
        }
        schema.Description = string.IsNullOrEmpty(schema.Description) ? text : schema.Description + " " + text;
    }

    // --- operations ---------------------------------------------------------------------------------

    /// <summary>What each error status means, the same for every operation.</summary>
    public static readonly IReadOnlyDictionary<string, string> ErrorAnswers = new Dictionary<string, string>
    {
        ["400"] = "Bad request: the input is not valid. `errors` names each field (JSON property or parameter, e.g. \"sessions[0].startsAt\") with messages a person can act on, in the language of Accept-Language. Nothing was changed.",
        ["401"] = "Not signed in: no bearer token, or it has expired. Get one from POST /api/auth/token (or renew it with POST /api/auth/refresh).",
        ["403"] = "Forbidden: signed in, but the caller's role does not allow this operation.",
        ["404"] = "Not found: no such record, or it lies outside the caller's unit subtree (an administrator reaches only their own unit and the units below it).",
        ["409"] = "Conflict: the record changed meanwhile, or the same request already did its work; `detail` says what to do (read it again and retry if still wanted). Nothing was changed.",
        ["429"] = "Too many requests: wait for the seconds in the Retry-After header, then try again.",
    };

    static readonly string[] StateChanging = ["POST", "PUT", "PATCH", "DELETE"];

    /// <summary>Operations with a counted limit of their own besides the rate-limiting policies.</summary>
    static readonly HashSet<string> CountedLimits =
    [
        "POST /api/auth/token", "POST /api/volunteers/verification-codes", "POST /api/orders/verification-codes", "POST /api/auth/recovery",
        "POST /api/auth/recovery/complete",
    ];

    [GeneratedRegex(@":[^}/]+(?=\})|\?(?=\})")]
    private static partial Regex RouteConstraint();

    /// <summary>"POST /api/activities/{id}/status": the operation's name as the document writes it.</summary>
    public static string OperationKey(string method, string? relativePath) =>
        $"{method.ToUpperInvariant()} /{RouteConstraint().Replace(relativePath ?? "", "").TrimEnd('/')}";

    static void DescribeOperation(OpenApiOperation operation, OpenApiOperationTransformerContext context)
    {
        var description = context.Description;
        var key = OperationKey(description.HttpMethod ?? "GET", description.RelativePath);
        var metadata = description.ActionDescriptor.EndpointMetadata;
        var handler = metadata.OfType<MethodInfo>().FirstOrDefault();
        var texts = ApiOperationTexts.All.GetValueOrDefault(key);

        operation.Summary ??= texts.Summary;
        var fromCode = handler is null ? null : XmlDocs.Summary(handler);
        var anonymous = metadata.OfType<IAllowAnonymous>().Any() || !metadata.OfType<IAuthorizeData>().Any();
        var access = anonymous
            ? "Open to everyone (no token needed)."
            : metadata.OfType<IAuthorizeData>().FirstOrDefault(a => a.Policy is not null) is { } policy
                ? $"Needs a bearer token of an administrator (policy {policy.Policy})."
                : "Needs a bearer token.";
        var parts = new[] { texts.Description, fromCode, access }.Where(p => !string.IsNullOrWhiteSpace(p)).Distinct();
        operation.Description ??= string.Join("\n\n", parts);

        var method = (description.HttpMethod ?? "GET").ToUpperInvariant();
        var hasInput = description.ParameterDescriptions.Count > 0 || operation.RequestBody is not null;
        operation.Responses ??= new OpenApiResponses();
        var document = context.Document;
        if (hasInput)
        {
            AddError(operation, "400", "HttpValidationProblemDetails", document);
        }
        if (!anonymous)
        {
            AddError(operation, "401", "ProblemDetails", document);
            AddError(operation, "403", "ProblemDetails", document);
        }
        if (key.Contains('{') || operation.Responses.ContainsKey("404"))
        {
            AddError(operation, "404", "ProblemDetails", document);
        }
        if (StateChanging.Contains(method))
        {
            AddError(operation, "409", "HttpValidationProblemDetails", document);
        }
        if (metadata.OfType<EnableRateLimitingAttribute>().Any() || CountedLimits.Contains(key))
        {
            AddError(operation, "429", "ProblemDetails", document);
        }
        foreach (var (status, response) in operation.Responses)
        {
            if (status is "200" or "204" && response is OpenApiResponse ok && ok.Description is null or "OK" or "No Content")
            {
                ok.Description = status == "200" ? "Success: the result." : "Success: nothing to return.";
            }
        }

        if (operation.RequestBody?.Content is { } content && content.TryGetValue("application/json", out var json) && json.Example is null)
        {
            json.Example = ApiOperationTexts.Examples.TryGetValue(key, out var example)
                ? JsonNode.Parse(example)
                : json.Schema is { } schema ? ExampleOf(schema, document, 0) : null;
        }
    }

    static void AddError(OpenApiOperation operation, string status, string schemaName, OpenApiDocument? document)
    {
        var text = ErrorAnswers[status];
        if (operation.Responses!.TryGetValue(status, out var existing) && existing is OpenApiResponse response)
        {
            response.Description = text;
            return;
        }
        // The component is added at the end if no operation brought it (EnsureProblemSchemas).
        var schema = new OpenApiSchemaReference(schemaName, document);
        operation.Responses[status] = new OpenApiResponse
        {
            Description = text,
            Content = new Dictionary<string, OpenApiMediaType> { ["application/problem+json"] = new() { Schema = schema } },
        };
    }

    /// <summary>RFC 9457 problem details, for a document in which no operation brought the framework's schema.</summary>
    static OpenApiSchema ProblemSchema(bool withErrors)
    {
        var properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer | JsonSchemaType.Null, Format = "int32" },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null },
            ["instance"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null },
        };
        if (withErrors)
        {
            properties["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
            };
        }
        return new OpenApiSchema { Type = JsonSchemaType.Object, Properties = properties };
    }

    /// <summary>An example made from a schema: plausible values, the first value of each enum, times with their offset.</summary>
    static JsonNode? ExampleOf(IOpenApiSchema schema, OpenApiDocument? document, int depth)
    {
        if (depth > 5)
        {
            return null;
        }
        if (schema is OpenApiSchemaReference reference)
        {
            var id = reference.Reference.Id;
            if (id is null || document?.Components?.Schemas?.TryGetValue(id, out var target) != true || target is null)
            {
                return null;
            }
            schema = target;
        }
        if (schema.Examples is { Count: > 0 } examples && examples[0] is { } example)
        {
            return example.DeepClone();
        }
        if (schema.Enum is { Count: > 0 } values)
        {
            return values.FirstOrDefault(v => v is not null && v.ToString() != "None")?.DeepClone() ?? values[0]?.DeepClone();
        }
        if ((schema.OneOf ?? schema.AnyOf) is { Count: > 0 } choices)
        {
            return choices.Select(c => ExampleOf(c, document, depth + 1)).FirstOrDefault(c => c is not null);
        }
        var type = schema.Type ?? (schema.Properties is { Count: > 0 } ? JsonSchemaType.Object : 0);
        if (type.HasFlag(JsonSchemaType.Object) && schema.Properties is { } properties)
        {
            var result = new JsonObject();
            foreach (var (name, property) in properties)
            {
                result[name] = ExampleOf(property, document, depth + 1);
            }
            return result;
        }
        if (type.HasFlag(JsonSchemaType.Array))
        {
            return schema.Items is { } items ? new JsonArray(ExampleOf(items, document, depth + 1)) : new JsonArray();
        }
        if (type.HasFlag(JsonSchemaType.Integer))
        {
            return 1;
        }
        if (type.HasFlag(JsonSchemaType.Number))
        {
            return 1.5;
        }
        if (type.HasFlag(JsonSchemaType.Boolean))
        {
            return false;
        }
        return schema.Format switch
        {
            "uuid" => "3fa85f64-5717-4562-b3fc-2c963f66afa6",
            "date" => "2026-12-01",
            "date-time" => ExampleTime,
            _ => type.HasFlag(JsonSchemaType.String) ? "string" : null,
        };
    }

    /// <summary>The handlers' XML comments (the documentation file the build writes beside the assembly).</summary>
    static class XmlDocs
    {
        static readonly Lazy<Dictionary<string, string>> Members = new(Load);

        static Dictionary<string, string> Load()
        {
            var file = Path.ChangeExtension(typeof(SharedResource).Assembly.Location, ".xml");
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            if (!File.Exists(file))
            {
                return result;
            }
            foreach (var member in XDocument.Load(file).Descendants("member"))
            {
                if (member.Attribute("name")?.Value is { } name && name.StartsWith("M:", StringComparison.Ordinal) && member.Element("summary") is { } summary)
                {
                    // "M:Namespace.Type.Method(args)": keyed without the arguments (handlers are not overloaded).
                    var withoutArguments = name[2..].Split('(')[0];
                    result.TryAdd(withoutArguments, Flatten(summary));
                }
            }
            return result;
        }

        static string Flatten(XElement element)
        {
            var text = string.Concat(element.Nodes().Select(n => n switch
            {
                XText t => t.Value,
                XElement { Name.LocalName: "c" or "code" } c => "`" + c.Value + "`",
                XElement { Name.LocalName: "see" or "paramref" or "typeparamref" } see =>
                    (see.Attribute("cref") ?? see.Attribute("name"))?.Value.Split('.', ':').Last() ?? see.Value,
                XElement e => Flatten(e),
                _ => "",
            }));
            return Regex.Replace(text, @"\s+", " ").Trim();
        }

        public static string? Summary(MethodInfo method) =>
            method.DeclaringType is { } type && Members.Value.TryGetValue($"{type.FullName?.Replace('+', '.')}.{method.Name}", out var summary) ? summary : null;
    }
}
