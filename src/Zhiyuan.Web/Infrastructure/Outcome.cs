namespace Zhiyuan.Web.Infrastructure;

/// <summary>
/// What a use case returns: a value, field errors a person can fix, or "not found" (which is also
/// the answer for anything outside the caller's subtree, so its existence is not revealed).
/// Pages show it; the API turns it into a response or an RFC 9457 problem.
/// </summary>
public sealed class Outcome<T>
{
    Outcome(T? value, IReadOnlyDictionary<string, string[]>? errors, bool notFound, bool conflict = false)
    {
        Value = value;
        Errors = errors;
        IsNotFound = notFound;
        IsConflict = conflict;
    }

    public T? Value { get; }

    public IReadOnlyDictionary<string, string[]>? Errors { get; }

    public bool IsNotFound { get; }

    /// <summary>Someone else changed the record since the caller read it: nothing was saved (the API answers 409; a page shows <see cref="Errors"/>).</summary>
    public bool IsConflict { get; }

    public bool Succeeded => Errors is null && !IsNotFound;

    /// <summary>What a page shows above its form: the field errors, or "not found" as an error of the given field.</summary>
    public IReadOnlyDictionary<string, string[]>? ErrorsFor(string field, string notFoundMessage) =>
        IsNotFound ? new Dictionary<string, string[]> { [field] = [notFoundMessage] } : Errors;

    public static Outcome<T> Ok(T value) => new(value, null, false);

    /// <summary>The same refusal (errors, not found or conflict) as an outcome of another type.</summary>
    public Outcome<TOther> Refusal<TOther>() => Succeeded ? throw new InvalidOperationException("Not a refusal.") : new(default, Errors, IsNotFound, IsConflict);

    public static Outcome<T> NotFound() => new(default, null, true);

    public static Outcome<T> Invalid(FieldErrors errors) => new(default, errors.ToDictionary(), false);

    public static Outcome<T> Invalid(string field, string message) => Invalid(new FieldErrors().Add(field, message));

    /// <summary>Refused because the record changed since the caller read it; the message says what to do.</summary>
    public static Outcome<T> Conflict(string field, string message) => new(default, new FieldErrors().Add(field, message).ToDictionary(), false, conflict: true);
}

/// <summary>Collects validation messages per field, in the caller's language.</summary>
public sealed class FieldErrors
{
    readonly Dictionary<string, List<string>> errors = new(StringComparer.OrdinalIgnoreCase);

    public bool Any => errors.Count > 0;

    public FieldErrors Add(string field, string message)
    {
        if (!errors.TryGetValue(field, out var list))
        {
            errors[field] = list = [];
        }
        list.Add(message);
        return this;
    }

    public IReadOnlyDictionary<string, string[]> ToDictionary() => errors.ToDictionary(e => e.Key, e => e.Value.ToArray());
}
