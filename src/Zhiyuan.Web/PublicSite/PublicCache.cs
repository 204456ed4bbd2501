using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Localization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Zhiyuan.Web.PublicSite;

/// <summary>
/// The answers many anonymous people read at once, kept in memory: the public home, the activity list
/// and pages, the service menu, the campaign dashboards, the honour rolls and their public API
/// answers (the route table <see cref="Routes"/>), served by <see cref="PublicCacheMiddleware"/>. Rules:
/// <list type="bullet">
/// <item>Only anonymous GET/HEAD requests are looked up or stored: a request with an
/// Authorization header, the sign-in cookie or a signed-in user is rendered for that person and
/// never cached.</item>
/// <item>Only a 200 answer without Set-Cookie and without "no-store"/"private" is stored; a page
/// that renders an antiforgery token is marked no-store by ASP.NET Core, so pages with forms are never
/// stored.</item>
/// <item>Entries vary by the host (and forwarded scheme and host), by the language inputs (culture cookie
/// and Accept-Language as sent), by the whole query string, by Blazor's enhanced navigation, by the generation of each tag the page depends on, and
/// by the freshness window of the platform's clock.</item>
/// <item>At most 4,096 answers and 128 MB are kept; an answer over 2 MB is not.</item>
/// <item>Every write through EF Core to a table a public page reads bumps the generations of its tags
/// and drops their answers (<see cref="WriteWatcher"/>), after the commit: a render that began before the
/// change was stored under the old generation, which no later request asks for. Another node's cache
/// does not hear of it: there an answer lives at most <c>PublicCache:Seconds</c> (10 s by default,
/// never more).</item>
/// </list>
/// </summary>
public sealed class PublicCache(TimeProvider time, IConfiguration configuration)
{
    public const string Activities = "activities";
    public const string Figures = "figures";
    public const string Services = "services";
    public const string Honour = "honour";
    public const string Campaigns = "campaigns";
    public const int MaxSeconds = 10;

    /// <summary>The sign-in cookie's name (Accounts/AccountsSetup.cs).</summary>
    const string SignInCookie = "zhiyuan.auth";

    static readonly string[] AllTags = [Activities, Figures, Services, Honour, Campaigns];

    /// <summary>The cached routes (endpoint route patterns as mapped) and the tags each depends on.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Routes = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase)
    {
        ["/"] = AllTags,
        ["/activities"] = [Activities],
        ["/activities/{Id:guid}"] = [Activities],
        ["/services"] = [Services],
        ["/honour"] = [Honour],
        ["/honours"] = [Honour],
        ["/campaigns/{Id:guid}/dashboard"] = [Campaigns],
        ["/api/public/figures"] = [Figures, Activities],
        ["/api/public/recruiting"] = [Activities],
        ["/api/public/honour-roll"] = [Honour],
        ["/api/public/campaigns"] = [Campaigns],
        ["/api/activities/"] = [Activities],
        ["/api/activities/{id:guid}"] = [Activities],
        ["/api/activities/{id:guid}/outcome"] = [Activities],
        ["/api/service-menus/"] = [Services],
        ["/api/service-menus/{id:guid}"] = [Services],
        ["/api/service-posts/"] = [Services],
        ["/api/honours"] = [Honour],
        ["/api/campaigns/"] = [Campaigns],
        ["/api/campaigns/{id:guid}"] = [Campaigns],
        ["/api/campaigns/{id:guid}/dashboard"] = [Campaigns],
    };

    /// <summary>Which tags a write to a table makes stale (tables no public page reads are absent).</summary>
    public static readonly IReadOnlyDictionary<string, string[]> TablesToTags = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase)
    {
        ["Activities"] = [Activities, Figures, Campaigns, Honour],
        ["ActivityCoOrganizers"] = [Activities, Campaigns],
        ["ActivitySessions"] = [Activities, Figures, Campaigns],
        ["SignUps"] = [Activities, Figures],
        ["ActivityCovers"] = [Activities],
        ["ActivityPhotos"] = [Activities],
        ["ActivityOutcomes"] = [Activities, Campaigns],
        ["PopulationServed"] = [Activities, Campaigns],
        ["MediaLinks"] = [Activities, Campaigns],
        ["LedgerEntries"] = [Figures, Honour, Campaigns],
        ["Volunteers"] = [Figures, Honour],
        // Every new volunteer takes a number here, also the bulk import whose rows go in by COPY, which EF Core does not see.
        ["NumberCounters"] = [Figures],
        ["Organizations"] = AllTags,
        ["Units"] = AllTags,
        ["StarAwards"] = [Honour],
        ["CommendationRounds"] = [Honour],
        ["Nominations"] = [Honour],
        ["StoryPhotos"] = [Honour],
        ["ServicePosts"] = [Services],
        ["ServiceMenus"] = [Services],
        ["ServiceSlots"] = [Services],
        ["CitizenOrders"] = [Services],
        ["Campaigns"] = [Campaigns],
        ["CampaignPeriods"] = [Campaigns],
        ["CampaignUnits"] = [Campaigns],
        ["CampaignReports"] = [Campaigns],
        ["TypedInRows"] = [Campaigns],
    };

    readonly ConcurrentDictionary<string, long> generations = new(StringComparer.Ordinal);

    /// <summary>How long an answer may be served (0 turns caching off); at most <see cref="MaxSeconds"/>.</summary>
    public int Seconds { get; } = Math.Clamp(configuration.GetValue("PublicCache:Seconds", MaxSeconds), 0, MaxSeconds);

    public bool Enabled => Seconds > 0;

    /// <summary>An answer as it was sent: its headers and body, when it was stored, and the tags it depends on.</summary>
    internal sealed record Entry(byte[] Body, KeyValuePair<string, StringValues>[] Headers, DateTimeOffset StoredAt, string[] Tags);

    /// <summary>Answers kept at most at once, and their bytes; past either, old windows are dropped first and new answers are not kept.</summary>
    const int MaxEntries = 4096;
    const long MaxBytes = 128L * 1024 * 1024;

    readonly ConcurrentDictionary<string, Entry> entries = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, TaskCompletionSource<Entry?>> renders = new(StringComparer.Ordinal);
    long bytes;

    /// <summary>Marks the tags stale: later requests use new keys, and the old entries are dropped.</summary>
    public void Invalidate(IEnumerable<string> tags)
    {
        var stale = tags.ToArray();
        foreach (var tag in stale)
        {
            generations.AddOrUpdate(tag, 1, (_, g) => g + 1);
        }
        Drop(e => e.Tags.Intersect(stale).Any());
    }

    internal Entry? Find(string key) =>
        entries.TryGetValue(key, out var entry) && AgeOf(entry) < Seconds ? entry : null;

    internal long AgeOf(Entry entry) => (long)(time.GetUtcNow() - entry.StoredAt).TotalSeconds;

    /// <summary>The render of a key already under way, or a new one the caller makes (mine) and ends with <see cref="EndRender"/>.</summary>
    internal (TaskCompletionSource<Entry?> Render, bool Mine) BeginRender(string key)
    {
        var render = new TaskCompletionSource<Entry?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var current = renders.GetOrAdd(key, render);
        return (current, current == render);
    }

    /// <summary>Keeps the answer (if any) and hands it to the callers who waited for it.</summary>
    internal void EndRender(string key, TaskCompletionSource<Entry?> render, Entry? stored)
    {
        if (stored is not null)
        {
            entries.AddOrUpdate(key, stored, (_, old) =>
            {
                Interlocked.Add(ref bytes, -old.Body.Length);
                return stored;
            });
        }
        renders.TryRemove(KeyValuePair.Create(key, render));
        render.TrySetResult(stored);
    }

    /// <summary>An answer to keep, or null when the cache is full even after dropping the old windows' answers.</summary>
    internal Entry? Keep(byte[] body, KeyValuePair<string, StringValues>[] headers, string[] tags)
    {
        if (entries.Count >= MaxEntries || Interlocked.Read(ref bytes) + body.Length > MaxBytes)
        {
            Drop(e => AgeOf(e) >= Seconds);
            if (entries.Count >= MaxEntries || Interlocked.Read(ref bytes) + body.Length > MaxBytes)
            {
                return null;
            }
        }
        Interlocked.Add(ref bytes, body.Length);
        return new Entry(body, headers, time.GetUtcNow(), tags);
    }

    void Drop(Func<Entry, bool> which)
    {
        foreach (var (key, entry) in entries)
        {
            if (which(entry) && entries.TryRemove(KeyValuePair.Create(key, entry)))
            {
                Interlocked.Add(ref bytes, -entry.Body.Length);
            }
        }
    }

    internal string GenerationsOf(string[] tags) =>
        tags.Length == 1 ? generations.GetValueOrDefault(tags[0]).ToString(CultureInfo.InvariantCulture)
            : string.Join('.', tags.Select(t => generations.GetValueOrDefault(t).ToString(CultureInfo.InvariantCulture)));

    /// <summary>The current freshness window by the platform's clock: an entry is not served after its window ends.</summary>
    internal string Window() => (time.GetUtcNow().ToUnixTimeSeconds() / Seconds).ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Nobody signed in, no bearer token, no sign-in cookie (even an expired one: such a request is
    /// simply not cached).
    /// </summary>
    public static bool IsAnonymous(HttpContext http) =>
        http.User.Identity?.IsAuthenticated != true
        && !http.Request.Headers.ContainsKey(HeaderNames.Authorization)
        && !http.Request.Cookies.ContainsKey(SignInCookie);
}

/// <summary>
/// The first middleware of the pipeline: answers a request for a cached public address from memory
/// before anything else runs (forwarded headers, security headers, localization, authentication: their
/// work is in the stored headers and body), and otherwise stores what the rest of the pipeline answers.
/// The key is made of what the answer depends on: the host and forwarded scheme/host, the path and
/// query, the language inputs (culture cookie and Accept-Language as sent, which decide the language),
/// enhanced navigation, the generation of each tag and the freshness window. One render per key at a
/// time: callers who miss while it renders wait for it and share its answer.
/// </summary>
sealed class PublicCacheMiddleware(RequestDelegate next, PublicCache cache)
{
    /// <summary>
    /// Headers of the connection and the moment rather than of the answer: the server writes them for each
    /// response (Kestrel puts Transfer-Encoding: chunked among the response headers of an answer sent without a
    /// length; replayed with the length, a client would read the body as chunks).
    /// </summary>
    static readonly HashSet<string> NotReplayed = new(StringComparer.OrdinalIgnoreCase)
    {
        HeaderNames.TransferEncoding, HeaderNames.ContentLength, HeaderNames.Connection, HeaderNames.KeepAlive, HeaderNames.Date,
        HeaderNames.Server, HeaderNames.Age, HeaderNames.SetCookie, HeaderNames.Trailer, HeaderNames.Upgrade,
    };

    /// <summary>Answers larger than this are sent but not kept.</summary>
    const int MaxBodyBytes = 2 * 1024 * 1024;

    public async Task InvokeAsync(HttpContext http)
    {
        var request = http.Request;
        var pattern = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
        if (!cache.Enabled || pattern is null || !PublicCache.Routes.TryGetValue(pattern, out var tags)
            || !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)) || !PublicCache.IsAnonymous(http))
        {
            await next(http);
            return;
        }
        var key = string.Join('\n', request.Host.Value, request.Headers["X-Forwarded-Proto"].ToString(), request.Headers["X-Forwarded-Host"].ToString(),
            request.Path.Value, request.QueryString.Value, request.Cookies[CookieRequestCultureProvider.DefaultCookieName], request.Headers.AcceptLanguage.ToString(),
            request.Headers.Accept.ToString().Contains("blazor-enhanced-nav", StringComparison.OrdinalIgnoreCase) ? "enhanced" : "full",
            cache.GenerationsOf(tags), cache.Window());
        if (cache.Find(key) is { } hit)
        {
            await ServeAsync(http, hit);
            return;
        }
        var (render, mine) = cache.BeginRender(key);
        if (!mine)
        {
            if (await render.Task.WaitAsync(http.RequestAborted) is { } shared)
            {
                await ServeAsync(http, shared);
            }
            else
            {
                await next(http);
            }
            return;
        }
        PublicCache.Entry? stored = null;
        try
        {
            stored = await RenderAndKeepAsync(http, tags);
        }
        finally
        {
            cache.EndRender(key, render, stored);
        }
    }

    /// <summary>Runs the pipeline, copying the body aside, and keeps the answer if it may be shared.</summary>
    async Task<PublicCache.Entry?> RenderAndKeepAsync(HttpContext http, string[] tags)
    {
        var response = http.Response;
        var original = http.Features.GetRequiredFeature<IHttpResponseBodyFeature>();
        await using var copy = new CopyingStream(original.Stream, MaxBodyBytes);
        http.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(copy, original));
        try
        {
            await next(http);
        }
        finally
        {
            http.Features.Set(original);
        }
        var cacheControl = response.Headers.CacheControl.ToString();
        if (response.StatusCode != StatusCodes.Status200OK || copy.Overflowed || http.RequestAborted.IsCancellationRequested
            || response.Headers.ContainsKey(HeaderNames.SetCookie)
            || cacheControl.Contains("no-store", StringComparison.OrdinalIgnoreCase) || cacheControl.Contains("private", StringComparison.OrdinalIgnoreCase)
            || !PublicCache.IsAnonymous(http) || HttpMethods.IsHead(http.Request.Method))
        {
            return null;
        }
        var headers = response.Headers.Where(h => !NotReplayed.Contains(h.Key)).Select(h => KeyValuePair.Create(h.Key, h.Value)).ToArray();
        return cache.Keep(copy.Copied(), headers, tags);
    }

    async Task ServeAsync(HttpContext http, PublicCache.Entry entry)
    {
        var response = http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        foreach (var (name, value) in entry.Headers)
        {
            response.Headers[name] = value;
        }
        response.Headers.Age = cache.AgeOf(entry).ToString(CultureInfo.InvariantCulture);
        response.ContentLength = entry.Body.Length;
        if (!HttpMethods.IsHead(http.Request.Method))
        {
            await response.Body.WriteAsync(entry.Body, http.RequestAborted);
        }
    }

    /// <summary>Passes every write on and keeps a copy, up to a limit.</summary>
    sealed class CopyingStream(Stream inner, int limit) : Stream
    {
        readonly MemoryStream copy = new();

        public bool Overflowed { get; private set; }

        public byte[] Copied() => copy.ToArray();

        void Keep(ReadOnlySpan<byte> buffer)
        {
            if (Overflowed || copy.Length + buffer.Length > limit)
            {
                Overflowed = true;
                return;
            }
            copy.Write(buffer);
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            Keep(buffer.AsSpan(offset, count));
            inner.Write(buffer, offset, count);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Keep(buffer.Span);
            await inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            copy.Dispose();
            base.Dispose(disposing);
        }
    }
}

/// <summary>
/// Watches every command EF Core sends: one that writes (INSERT, UPDATE, DELETE, also inside a CTE) to a
/// table of <see cref="PublicCache.TablesToTags"/> makes those tags stale — at once without a
/// transaction, or when the transaction commits (a rollback changes nothing).
/// </summary>
sealed partial class WriteWatcher(PublicCache cache) : IDbCommandInterceptor, IDbTransactionInterceptor
{
    readonly ConditionalWeakTable<DbTransaction, HashSet<string>> pending = new();

    [GeneratedRegex("""(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(?:ONLY\s+)?"?(\w+)"?""", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex WrittenTable();

    /// <summary>The tags a command makes stale (empty for reads).</summary>
    public static HashSet<string> TagsOf(string sql)
    {
        var tags = new HashSet<string>(StringComparer.Ordinal);
        var text = sql.AsSpan().TrimStart();
        if (text.StartsWith("SELECT", StringComparison.OrdinalIgnoreCase))
        {
            // A sign-up on PostgreSQL is one call of a server-side function that writes the sign-up and the session's places.
            if (sql.Contains("sign_up_for_session(", StringComparison.OrdinalIgnoreCase))
            {
                tags.UnionWith(PublicCache.TablesToTags["SignUps"]);
            }
            return tags;
        }
        foreach (Match match in WrittenTable().Matches(sql))
        {
            if (PublicCache.TablesToTags.TryGetValue(match.Groups[1].Value, out var stale))
            {
                tags.UnionWith(stale);
            }
        }
        return tags;
    }

    void Note(DbCommand command)
    {
        var tags = TagsOf(command.CommandText);
        if (tags.Count == 0)
        {
            return;
        }
        if (command.Transaction is { } transaction)
        {
            var set = pending.GetValue(transaction, _ => new HashSet<string>(StringComparer.Ordinal));
            lock (set)
            {
                set.UnionWith(tags);
            }
            return;
        }
        cache.Invalidate(tags);
    }

    void Committed(DbTransaction transaction)
    {
        if (pending.TryGetValue(transaction, out var set))
        {
            pending.Remove(transaction);
            string[] tags;
            lock (set)
            {
                tags = [.. set];
            }
            cache.Invalidate(tags);
        }
    }

    // An UPDATE or DELETE that found no row (a periodic job with nothing to do) changed nothing.
    public int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        if (result != 0)
        {
            Note(command);
        }
        return result;
    }

    public ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(NonQueryExecuted(command, eventData, result));

    public DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result)
    {
        Note(command);
        return result;
    }

    public ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(ReaderExecuted(command, eventData, result));

    public object? ScalarExecuted(DbCommand command, CommandExecutedEventData eventData, object? result)
    {
        Note(command);
        return result;
    }

    public ValueTask<object?> ScalarExecutedAsync(DbCommand command, CommandExecutedEventData eventData, object? result, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(ScalarExecuted(command, eventData, result));

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Committed(transaction);

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Committed(transaction);
        return Task.CompletedTask;
    }

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => pending.Remove(transaction);

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        pending.Remove(transaction);
        return Task.CompletedTask;
    }
}

public static class PublicCacheSetup
{
    public static IServiceCollection AddPublicCache(this IServiceCollection services)
    {
        services.AddSingleton<PublicCache>();
        services.AddSingleton<WriteWatcher>();
        return services;
    }

    /// <summary>First in the pipeline (see <see cref="PublicCacheMiddleware"/>); routing has already chosen the endpoint.</summary>
    public static IApplicationBuilder UsePublicCache(this IApplicationBuilder app) => app.UseMiddleware<PublicCacheMiddleware>();

    /// <summary>Adds the watcher that keeps the public cache fresh to a DbContext's options.</summary>
    public static DbContextOptionsBuilder WatchPublicWrites(this DbContextOptionsBuilder db, IServiceProvider services) =>
        services.GetService<WriteWatcher>() is { } watcher ? db.AddInterceptors(watcher) : db;
}
