using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.OutputCaching;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Net.Http.Headers;

namespace Zhiyuan.Web.PublicSite;

/// <summary>
/// Output caching of what many anonymous people read at once: the public home, the activity list
/// and pages, the service menu, the campaign dashboards, the honour rolls and their public API
/// answers (the route table <see cref="Routes"/>). Rules:
/// <list type="bullet">
/// <item>Only anonymous GET/HEAD requests are looked up or stored: a request with an
/// Authorization header, the sign-in cookie or a signed-in user is rendered for that person and
/// never cached.</item>
/// <item>Only a 200 answer without Set-Cookie and without "no-store"/"private" is stored; a page
/// that renders an antiforgery token is marked no-store by ASP.NET Core, so pages with forms are never
/// stored.</item>
/// <item>Entries vary by the resolved language (culture cookie, then Accept-Language), by the whole
/// query string, by Blazor's enhanced navigation, by the generation of each tag the page depends on, and
/// by the freshness window of the platform's clock.</item>
/// <item>Every write through EF Core to a table a public page reads bumps the generations of its tags
/// and evicts them (<see cref="WriteWatcher"/>), after the commit: a render that began before the
/// change was stored under the old generation, which no later request asks for. Another node's cache
/// does not hear of it: there an answer lives at most <c>PublicCache:Seconds</c> (10 s by default,
/// never more).</item>
/// </list>
/// </summary>
public sealed class PublicCache(IOutputCacheStore store, TimeProvider time, IConfiguration configuration)
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

    /// <summary>Marks the tags stale: later requests use new keys, and the old entries are dropped.</summary>
    public async ValueTask InvalidateAsync(IEnumerable<string> tags, CancellationToken cancellationToken = default)
    {
        foreach (var tag in tags)
        {
            generations.AddOrUpdate(tag, 1, (_, g) => g + 1);
            await store.EvictByTagAsync(tag, cancellationToken);
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

/// <summary>The one output-cache policy: decides per request from the endpoint's route pattern (<see cref="PublicCache.Routes"/>).</summary>
sealed class PublicPagePolicy : IOutputCachePolicy
{
    public ValueTask CacheRequestAsync(OutputCacheContext context, CancellationToken cancellation)
    {
        var http = context.HttpContext;
        var pattern = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
        var cache = http.RequestServices.GetRequiredService<PublicCache>();
        if (pattern is null || !PublicCache.Routes.TryGetValue(pattern, out var tags) || !cache.Enabled
            || !(HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method)) || !PublicCache.IsAnonymous(http))
        {
            context.EnableOutputCaching = false;
            context.AllowCacheLookup = false;
            context.AllowCacheStorage = false;
            return ValueTask.CompletedTask;
        }
        context.EnableOutputCaching = true;
        context.AllowCacheLookup = true;
        context.AllowCacheStorage = true;
        // One render per key at a time; the others wait for it and share the answer.
        context.AllowLocking = true;
        context.ResponseExpirationTimeSpan = TimeSpan.FromSeconds(cache.Seconds);
        foreach (var tag in tags)
        {
            context.Tags.Add(tag);
        }
        var vary = context.CacheVaryByRules;
        vary.QueryKeys = "*";
        vary.VaryByValues["lang"] = CultureInfo.CurrentUICulture.Name;
        vary.VaryByValues["nav"] = http.Request.Headers.Accept.ToString().Contains("blazor-enhanced-nav", StringComparison.OrdinalIgnoreCase) ? "enhanced" : "full";
        vary.VaryByValues["gen"] = cache.GenerationsOf(tags);
        vary.VaryByValues["window"] = cache.Window();
        return ValueTask.CompletedTask;
    }

    public ValueTask ServeFromCacheAsync(OutputCacheContext context, CancellationToken cancellation) => ValueTask.CompletedTask;

    public ValueTask ServeResponseAsync(OutputCacheContext context, CancellationToken cancellation)
    {
        var http = context.HttpContext;
        var response = http.Response;
        var cacheControl = response.Headers.CacheControl.ToString();
        if (response.StatusCode != StatusCodes.Status200OK
            || response.Headers.ContainsKey(HeaderNames.SetCookie)
            || cacheControl.Contains("no-store", StringComparison.OrdinalIgnoreCase)
            || cacheControl.Contains("private", StringComparison.OrdinalIgnoreCase)
            || !PublicCache.IsAnonymous(http))
        {
            context.AllowCacheStorage = false;
        }
        return ValueTask.CompletedTask;
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

    ValueTask NoteAsync(DbCommand command, CancellationToken cancellationToken)
    {
        var tags = TagsOf(command.CommandText);
        if (tags.Count == 0)
        {
            return ValueTask.CompletedTask;
        }
        if (command.Transaction is { } transaction)
        {
            var set = pending.GetValue(transaction, _ => new HashSet<string>(StringComparer.Ordinal));
            lock (set)
            {
                set.UnionWith(tags);
            }
            return ValueTask.CompletedTask;
        }
        return cache.InvalidateAsync(tags, cancellationToken);
    }

    async ValueTask CommittedAsync(DbTransaction transaction, CancellationToken cancellationToken)
    {
        if (pending.TryGetValue(transaction, out var set))
        {
            pending.Remove(transaction);
            string[] tags;
            lock (set)
            {
                tags = [.. set];
            }
            await cache.InvalidateAsync(tags, cancellationToken);
        }
    }

    // An UPDATE or DELETE that found no row (a periodic job with nothing to do) changed nothing.
    public int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        if (result != 0)
        {
            NoteAsync(command, default).AsTask().GetAwaiter().GetResult();
        }
        return result;
    }

    public async ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        if (result != 0)
        {
            await NoteAsync(command, cancellationToken);
        }
        return result;
    }

    public DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result)
    {
        NoteAsync(command, default).AsTask().GetAwaiter().GetResult();
        return result;
    }

    public async ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
    {
        await NoteAsync(command, cancellationToken);
        return result;
    }

    public object? ScalarExecuted(DbCommand command, CommandExecutedEventData eventData, object? result)
    {
        NoteAsync(command, default).AsTask().GetAwaiter().GetResult();
        return result;
    }

    public async ValueTask<object?> ScalarExecutedAsync(DbCommand command, CommandExecutedEventData eventData, object? result, CancellationToken cancellationToken = default)
    {
        await NoteAsync(command, cancellationToken);
        return result;
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) =>
        CommittedAsync(transaction, default).AsTask().GetAwaiter().GetResult();

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default) =>
        CommittedAsync(transaction, cancellationToken).AsTask();

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
        services.AddOutputCache(o => o.AddBasePolicy(new PublicPagePolicy()));
        services.AddSingleton<PublicCache>();
        services.AddSingleton<WriteWatcher>();
        return services;
    }

    /// <summary>Adds the watcher that keeps the public cache fresh to a DbContext's options.</summary>
    public static DbContextOptionsBuilder WatchPublicWrites(this DbContextOptionsBuilder db, IServiceProvider services) =>
        services.GetService<WriteWatcher>() is { } watcher ? db.AddInterceptors(watcher) : db;
}
