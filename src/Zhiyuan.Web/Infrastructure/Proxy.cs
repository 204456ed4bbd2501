using System.Net;
using Microsoft.AspNetCore.CookiePolicy;
using Microsoft.AspNetCore.HttpOverrides;

namespace Zhiyuan.Web.Infrastructure;

/// <summary>
/// Running behind a reverse proxy. X-Forwarded-For and X-Forwarded-Proto are believed only from the
/// proxies listed in ForwardedHeaders:KnownProxies (addresses) and ForwardedHeaders:KnownNetworks
/// (CIDR): anyone else could claim any address and so escape the rate limits. Nothing is trusted by
/// default — not even loopback, which ASP.NET Core would otherwise trust.
/// </summary>
public static class Proxy
{
    public static IServiceCollection AddProxySupport(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<ForwardedHeadersOptions>(o =>
        {
            // The Host header is left alone: links in mail come from Mail:PublicUrl, not from what a client claims.
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var proxy in Values(configuration, "KnownProxies"))
            {
                o.KnownProxies.Add(IPAddress.Parse(proxy));
            }
            foreach (var network in Values(configuration, "KnownNetworks"))
            {
                o.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }
        });
        // Every cookie (sign-in, antiforgery, language, partner staff) is Secure when the request came over HTTPS,
        // which behind a trusted proxy is what X-Forwarded-Proto says.
        services.Configure<CookiePolicyOptions>(o =>
        {
            o.Secure = CookieSecurePolicy.SameAsRequest;
            o.HttpOnly = HttpOnlyPolicy.None;
            o.MinimumSameSitePolicy = SameSiteMode.Lax;
        });
        services.AddHsts(o => o.MaxAge = TimeSpan.FromDays(365));
        return services;
    }

    /// <summary>A setting that is not an address or a network stops start-up with one sentence (Program.cs).</summary>
    public static string? Error(IConfiguration configuration)
    {
        foreach (var proxy in Values(configuration, "KnownProxies"))
        {
            if (!IPAddress.TryParse(proxy, out _))
            {
                return $"ForwardedHeaders:KnownProxies: \"{proxy}\" is not an IP address (不是 IP 地址).";
            }
        }
        foreach (var network in Values(configuration, "KnownNetworks"))
        {
            if (!System.Net.IPNetwork.TryParse(network, out _))
            {
                return $"ForwardedHeaders:KnownNetworks: \"{network}\" is not a network such as 10.0.0.0/8 (不是网段).";
            }
        }
        return null;
    }

    /// <summary>A list as KnownProxies:0, :1 … or one value separated by commas or semicolons (handy in one environment variable).</summary>
    static IEnumerable<string> Values(IConfiguration configuration, string name)
    {
        var section = configuration.GetSection("ForwardedHeaders").GetSection(name);
        IEnumerable<string> values = section.Value is { } single ? [single] : section.GetChildren().Select(c => c.Value ?? "");
        return values.SelectMany(v => v.Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    public static IApplicationBuilder UseProxySupport(this IApplicationBuilder app, IHostEnvironment environment)
    {
        app.UseForwardedHeaders();
        // HSTS only where HTTPS is certain to be set up; UseHsts itself skips plain-HTTP requests and localhost.
        if (environment.IsProduction())
        {
            app.UseHsts();
        }
        app.UseCookiePolicy();
        return app;
    }
}
