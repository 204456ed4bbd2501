using System.Collections;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Zhiyuan.Web.Infrastructure;

/// <summary>
/// Keeps secrets that travel in addresses out of every log, at every level and for every provider: a
/// citizen's order-tracking token (<c>?t=…</c>), codes and keys in query strings, and an incentive
/// partner's staff key (<c>/partners/staff/{key}</c>). ASP.NET Core writes request addresses at
/// Information ("Request starting …") and Debug (routing, static files), and our own messages may
/// carry a path; whoever reads the log must not be able to follow the link.
/// The logger factory itself is wrapped, so providers added later (a test's recorder, an operator's
/// sink) receive only redacted messages, structured values and scopes.
/// </summary>
public static partial class LogRedaction
{
    public const string Mask = "***";

    public static ILoggingBuilder RedactSecretsInAddresses(this ILoggingBuilder logging)
    {
        logging.Services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(services => new RedactingLoggerFactory(new LoggerFactory(
            services.GetServices<ILoggerProvider>(), services.GetRequiredService<IOptionsMonitor<LoggerFilterOptions>>(),
            services.GetService<IOptions<LoggerFactoryOptions>>(), services.GetService<IExternalScopeProvider>()))));
        return logging;
    }

    /// <summary>The text with the values of t, token, code and key in query strings, and staff keys in paths, replaced by <see cref="Mask"/>.</summary>
    public static string Redact(string text)
    {
        if (text.IndexOf('=') < 0 && text.IndexOf("staff/", StringComparison.OrdinalIgnoreCase) < 0)
        {
            return text;
        }
        return StaffKey().Replace(QuerySecret().Replace(text, Mask), Mask);
    }

    // A query parameter named exactly t, token, code or key (also URL-encoded as %3F / %26), up to the next separator.
    [GeneratedRegex(@"(?<=(?:[?&;]|%3F|%26)(?:t|token|code|key|access_token)=)[^&;#\s""'<>]+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex QuerySecret();

    // With or without the leading slash (routing logs the path relative to the root too); a route template's {Key} stays.
    [GeneratedRegex(@"(?<=partners/staff/)(?!\{)[^/?#\s""'<>]+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex StaffKey();

    static object? RedactValue(object? value)
    {
        if (value is null or ValueType and not PathString and not QueryString)
        {
            return value;
        }
        var text = value.ToString();
        if (text is null)
        {
            return value;
        }
        var redacted = Redact(text);
        return ReferenceEquals(redacted, text) || redacted == text ? value : redacted;
    }

    sealed class RedactingLoggerFactory(LoggerFactory inner) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) => new RedactingLogger(inner.CreateLogger(categoryName));

        public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

        public void Dispose() => inner.Dispose();
    }

    sealed class RedactingLogger(ILogger inner) : ILogger
    {
        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull =>
            state is IEnumerable<KeyValuePair<string, object?>> pairs ? inner.BeginScope(new RedactedScope(pairs)) : inner.BeginScope(new RedactedText(state));

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!inner.IsEnabled(logLevel))
            {
                return;
            }
            var message = Redact(formatter(state, exception));
            List<KeyValuePair<string, object?>> values = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? pairs.Select(p => new KeyValuePair<string, object?>(p.Key, RedactValue(p.Value))).ToList()
                : [];
            inner.Log(logLevel, eventId, new RedactedState(message, values), exception, static (s, _) => s.Message);
        }
    }

    /// <summary>A log entry's message and structured values after redaction; providers that read either see no secret.</summary>
    sealed class RedactedState(string message, List<KeyValuePair<string, object?>> values) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public string Message { get; } = message;

        public KeyValuePair<string, object?> this[int index] => values[index];

        public int Count => values.Count;

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => values.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => Message;
    }

    /// <summary>
    /// A scope (the hosting layer opens one per request with its path) redacted only when a provider
    /// reads it, since most never do.
    /// </summary>
    sealed class RedactedScope(IEnumerable<KeyValuePair<string, object?>> state) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        List<KeyValuePair<string, object?>>? values;

        List<KeyValuePair<string, object?>> Values => values ??= state.Select(p => new KeyValuePair<string, object?>(p.Key, RedactValue(p.Value))).ToList();

        public KeyValuePair<string, object?> this[int index] => Values[index];

        public int Count => Values.Count;

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => Values.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => Redact(state.ToString() ?? "");
    }

    /// <summary>A scope that is not a list of values (a plain string, say), redacted when written.</summary>
    sealed class RedactedText(object state)
    {
        public override string ToString() => Redact(state.ToString() ?? "");
    }
}
