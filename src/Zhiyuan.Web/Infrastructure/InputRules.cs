using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Endpoints;
using Microsoft.Extensions.Localization;

namespace Zhiyuan.Web.Infrastructure;

/// <summary>
/// The rules every value from outside obeys, whichever endpoint or page it reaches: dates with their
/// offset and between 2000 and 2100 (year 1 or 9999 overflow when shifted to China time or UTC),
/// finite numbers, defined enum values, and no C0 control characters (PostgreSQL refuses NUL in text,
/// and none of them belongs in a name). Applied once — to the JSON options, to bound API arguments and
/// to query strings and forms — rather than endpoint by endpoint.
/// </summary>
public static class InputRules
{
    public static readonly DateOnly FirstDay = new(2000, 1, 1);
    public static readonly DateOnly LastDay = new(2100, 12, 31);

    public static bool InRange(DateOnly day) => day >= FirstDay && day <= LastDay;

    public static bool InRange(DateTimeOffset time) => time.Year >= FirstDay.Year && time.Year <= LastDay.Year;

    /// <summary>C0 control characters and DEL, except tab and line breaks, which multi-line text keeps.</summary>
    public static bool HasControl(string? value)
    {
        if (value is null)
        {
            return false;
        }
        foreach (var c in value)
        {
            if ((c < ' ' && c is not ('\t' or '\n' or '\r')) || c == '\u007f')
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>True when nothing in the text would be seen: white space, zero-width and other format characters, fillers.</summary>
    public static bool IsInvisible(string? value)
    {
        if (value is null)
        {
            return true;
        }
        foreach (var c in value)
        {
            var seen = !char.IsWhiteSpace(c) && !char.IsControl(c)
                       && char.GetUnicodeCategory(c) is not (UnicodeCategory.Format or UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark)
                       && c is not ('\u115f' or '\u1160' or '\u3164' or '\uffa0' or '\u2800');
            if (seen)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The converters the API's JSON options carry (Program.cs).</summary>
    public static void AddConverters(JsonSerializerOptions options)
    {
        // Enums by name or number, as before; an undefined number (9 for a day of the week) is refused by CheckArguments.
        // The framework's own converter, so the OpenAPI document still lists the names.
        options.Converters.Add(new JsonStringEnumConverter());
        options.Converters.Add(new CheckedString());
        options.Converters.Add(new CheckedDateTimeOffset());
        options.Converters.Add(new CheckedDateOnly());
        options.Converters.Add(new CheckedDouble());
    }

    /// <summary>An API argument (query, route, header value) checked by the same rules; the message key and its argument, or null.</summary>
    public static (string Key, object? Argument)? Check(object? value) => value switch
    {
        string s when HasControl(s) => ("Validation.Control", null),
        DateOnly d when !InRange(d) => ("Validation.DateRange", Bounds),
        DateTimeOffset t when !InRange(t) => ("Validation.DateRange", Bounds),
        DateTime t when t.Year < FirstDay.Year || t.Year > LastDay.Year => ("Validation.DateRange", Bounds),
        double n when !double.IsFinite(n) => ("Validation.Finite", null),
        float n when !float.IsFinite(n) => ("Validation.Finite", null),
        Enum e when !IsDefined(e) => ("Validation.Enum", string.Join(", ", Enum.GetNames(e.GetType()))),
        System.Collections.IList list when HasNullItem(list) => ("Validation.NullItem", null),
        _ => null,
    };

    /// <summary>[null] in a list of rows or items: nothing any use case can read.</summary>
    static bool HasNullItem(System.Collections.IList list)
    {
        foreach (var item in list)
        {
            if (item is null)
            {
                return true;
            }
        }
        return false;
    }

    const string Bounds = "2000-01-01 – 2100-12-31";

    static bool IsDefined(Enum value)
    {
        var type = value.GetType();
        if (type.IsDefined(typeof(FlagsAttribute)))
        {
            // A combination of flags is fine; a bit no flag has is not.
            // As long: a negative value (-1 has every bit) must not overflow the check itself.
            long all = 0;
            foreach (var flag in Enum.GetValues(type))
            {
                all |= Convert.ToInt64(flag, CultureInfo.InvariantCulture);
            }
            return (Convert.ToInt64(value, CultureInfo.InvariantCulture) & ~all) == 0;
        }
        return Enum.IsDefined(type, value);
    }

    /// <summary>The endpoint filter (Program.cs) that applies <see cref="Check"/> to every bound argument of an API endpoint.</summary>
    public static async ValueTask<object?> CheckArguments(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var parameters = context.HttpContext.GetEndpoint()?.Metadata.GetMetadata<MethodInfo>()?.GetParameters();
        FieldErrors? errors = null;
        var text = context.HttpContext.RequestServices.GetRequiredService<IStringLocalizer<SharedResource>>();
        for (var i = 0; i < context.Arguments.Count; i++)
        {
            var argument = context.Arguments[i];
            if (Check(argument) is { } problem)
            {
                var name = parameters is not null && i < parameters.Length ? parameters[i].Name ?? "value" : "value";
                (errors ??= new FieldErrors()).Add(name, text[problem.Key, problem.Argument ?? ""]);
            }
            // A request body's own fields, one level down: enums given as numbers (9 for a day of the week) and [null] in a list.
            else if (argument is not null && argument.GetType() is { IsClass: true } type && type.Namespace?.StartsWith("Zhiyuan.", StringComparison.Ordinal) == true)
            {
                foreach (var property in type.GetProperties().Where(p => p.GetIndexParameters().Length == 0))
                {
                    if (Check(property.GetValue(argument)) is { } fieldProblem)
                    {
                        (errors ??= new FieldErrors()).Add(JsonNamingPolicy.CamelCase.ConvertName(property.Name), text[fieldProblem.Key, fieldProblem.Argument ?? ""]);
                    }
                }
            }
        }
        if (errors is not null)
        {
            return Problems.Invalid(errors.ToDictionary(), text);
        }
        return await next(context);
    }

    /// <summary>
    /// Refuses, before any endpoint or page sees it, a query string or form field holding a control
    /// character: the public search (?q=%00) and every page form go through here. Also a page's typed
    /// query parameter that its type cannot read (?page=abc).
    /// </summary>
    public static IApplicationBuilder UseControlCharacterCheck(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        string? field = null;
        var message = "Validation.Control";
        foreach (var (key, values) in http.Request.Query)
        {
            if (HasControl(key) || values.Any(HasControl))
            {
                field = key;
                break;
            }
            // No search term, code or filter is this long; a 100,000-character one once reached an audit column and failed there.
            if (values.Any(v => v?.Length > MaxQueryValueLength))
            {
                field = key;
                message = "Validation.QueryTooLong";
                break;
            }
        }
        object? argument = MaxQueryValueLength;
        if (field is null && UnreadableQueryParameter(http) is { } unreadable)
        {
            (field, message, argument) = (unreadable.Name, "Validation.QueryValue", unreadable.Value);
        }
        if (field is null && HasControl(Uri.UnescapeDataString(http.Request.Path.Value ?? "")))
        {
            field = "path";
        }
        if (field is null && http.Request.HasFormContentType && !http.Request.ContentType!.Contains("multipart", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var form = await http.Request.ReadFormAsync(http.RequestAborted);
                foreach (var (key, values) in form)
                {
                    if (HasControl(key) || values.Any(HasControl))
                    {
                        field = key;
                        break;
                    }
                }
            }
            catch (InvalidDataException)
            {
                // The framework's form reader itself throws on %00 ("The form value contains invalid characters"), which would be a 500.
                field = "form";
            }
        }
        if (field is null)
        {
            await next(http);
            return;
        }
        var text = http.RequestServices.GetRequiredService<IStringLocalizer<SharedResource>>();
        if (!http.Request.Path.StartsWithSegments("/api") && http.Request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase))
        {
            // A person following a mistyped or cut-off link in a browser gets a page saying what is wrong, not JSON.
            await Results.Content(BadAddressPage(http, text, field, text[message, argument!].Value), "text/html; charset=utf-8", statusCode: StatusCodes.Status400BadRequest)
                .ExecuteAsync(http);
            return;
        }
        await Results.ValidationProblem(new Dictionary<string, string[]> { [field] = [text[message, argument!].Value] },
            title: text["Problem.Validation"]).ExecuteAsync(http);
    });

    /// <summary>
    /// A small page of its own (the request never reaches the app's pages and their layout), in the caller's
    /// language, naming the part of the address or form that is wrong, with a link to the same page without
    /// its query string.
    /// </summary>
    static string BadAddressPage(HttpContext http, IStringLocalizer text, string field, string reason)
    {
        static string Encode(string value) => System.Net.WebUtility.HtmlEncode(value);
        var title = Encode(text["BadAddress.Title"]);
        return $"""
            <!DOCTYPE html>
            <html lang="{Encode(CultureInfo.CurrentUICulture.Name)}">
            <head><meta charset="utf-8" /><meta name="viewport" content="width=device-width, initial-scale=1" /><title>{title}</title><link rel="stylesheet" href="/app.css" /></head>
            <body><main class="bad-address">
            <h1>{title}</h1>
            <p id="bad-address-reason">{Encode(reason)}</p>
            <p class="hint">{Encode(text["BadAddress.Field", field])}</p>
            <p><a id="bad-address-retry" href="{Encode(http.Request.PathBase + http.Request.Path)}">{Encode(text["BadAddress.Retry"])}</a> · <a href="{Encode(http.Request.PathBase + "/")}">{Encode(text["Nav.Home"])}</a></p>
            </main></body>
            </html>
            """;
    }

    public const int MaxQueryValueLength = 1000;

    /// <summary>The typed query parameters ([SupplyParameterFromQuery], not strings) of each page component.</summary>
    static readonly ConcurrentDictionary<Type, (string Name, Type Type)[]> PageQueryParameters = new();

    /// <summary>
    /// A page's query parameter that its type cannot read (?page=abc, ?openPlaces=maybe): Blazor would
    /// throw while setting the page's parameters, a 500. Read as Blazor reads them (invariant culture).
    /// </summary>
    static (string Name, string Value)? UnreadableQueryParameter(HttpContext http)
    {
        if (!http.Request.QueryString.HasValue || http.GetEndpoint()?.Metadata.GetMetadata<ComponentTypeMetadata>() is not { } page)
        {
            return null;
        }
        var parameters = PageQueryParameters.GetOrAdd(page.Type, type => type
            .GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
            .Select(p => (Property: p, Query: p.GetCustomAttribute<SupplyParameterFromQueryAttribute>()))
            .Where(p => p.Query is not null && p.Property.PropertyType != typeof(string))
            .Select(p => (p.Query!.Name ?? p.Property.Name, p.Property.PropertyType)).ToArray());
        foreach (var (name, type) in parameters)
        {
            var values = http.Request.Query[name];
            if (values.Any(string.IsNullOrEmpty) && Nullable.GetUnderlyingType(type) is null)
            {
                // Left empty (?openPlaces=): Blazor reads that as null, which a yes/no or a number cannot hold;
                // the page is shown as without it.
                http.Request.QueryString = QueryString.Create(http.Request.Query
                    .SelectMany(q => q.Value.Where(v => !(string.Equals(q.Key, name, StringComparison.OrdinalIgnoreCase) && string.IsNullOrEmpty(v)))
                        .Select(v => KeyValuePair.Create(q.Key, v))));
            }
            foreach (var value in values)
            {
                if (!string.IsNullOrEmpty(value) && !CanRead(value, Nullable.GetUnderlyingType(type) ?? type))
                {
                    return (name, value);
                }
            }
        }
        return null;
    }

    static bool CanRead(string value, Type type)
    {
        var invariant = CultureInfo.InvariantCulture;
        return type switch
        {
            _ when type == typeof(int) => int.TryParse(value, NumberStyles.Integer, invariant, out _),
            _ when type == typeof(long) => long.TryParse(value, NumberStyles.Integer, invariant, out _),
            _ when type == typeof(bool) => bool.TryParse(value, out _),
            _ when type == typeof(Guid) => Guid.TryParse(value, out _),
            _ when type == typeof(decimal) => decimal.TryParse(value, NumberStyles.Number, invariant, out _),
            _ when type == typeof(double) => double.TryParse(value, NumberStyles.Float, invariant, out _),
            _ when type == typeof(DateTime) => DateTime.TryParse(value, invariant, DateTimeStyles.None, out _),
            _ when type == typeof(DateOnly) => DateOnly.TryParse(value, invariant, DateTimeStyles.None, out _),
            _ => true,
        };
    }

    /// <summary>A value in a JSON body that breaks a rule; the handler (Problems.cs) shows its message under the field's name.</summary>
    public sealed class InputException(string key, object? argument = null) : JsonException(key)
    {
        public string Key { get; } = key;

        public object? Argument { get; } = argument;
    }

    sealed class CheckedString : JsonConverter<string>
    {
        public override bool HandleNull => false;

        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                throw new JsonException();
            }
            var value = reader.GetString();
            if (HasControl(value))
            {
                throw new InputException("Validation.Control");
            }
            // Only zero-width spaces and the like reads as empty, so every "required" check refuses it.
            return value is { Length: > 0 } && IsInvisible(value) ? "" : value;
        }

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
    }

    static readonly Regex Offset = new(@"(Z|[+-]\d{2}(:?\d{2})?)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    sealed class CheckedDateTimeOffset : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var raw = reader.TokenType == JsonTokenType.String ? reader.GetString() ?? "" : throw new JsonException();
            // A time without its offset would be read in the server's zone, which is nobody's intention.
            if (!raw.Contains('T') || !Offset.IsMatch(raw))
            {
                throw new InputException("Validation.Offset");
            }
            if (!reader.TryGetDateTimeOffset(out var value))
            {
                throw new InputException("Validation.DateTimeFormat");
            }
            return InRange(value) ? value : throw new InputException("Validation.DateRange", Bounds);
        }

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) => writer.WriteStringValue(value);
    }

    sealed class CheckedDateOnly : JsonConverter<DateOnly>
    {
        public override DateOnly Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var raw = reader.TokenType == JsonTokenType.String ? reader.GetString() ?? "" : throw new JsonException();
            if (!DateOnly.TryParseExact(raw, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            {
                throw new InputException("Validation.DateFormat");
            }
            return InRange(day) ? day : throw new InputException("Validation.DateRange", Bounds);
        }

        public override void Write(Utf8JsonWriter writer, DateOnly value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
    }

    sealed class CheckedDouble : JsonConverter<double>
    {
        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            double value;
            if (reader.TokenType == JsonTokenType.Number)
            {
                value = reader.GetDouble();
            }
            else if (reader.TokenType == JsonTokenType.String
                     && double.TryParse(reader.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed))
            {
                value = parsed;
            }
            else
            {
                throw new JsonException();
            }
            return double.IsFinite(value) ? value : throw new InputException("Validation.Finite");
        }

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
    }
}
