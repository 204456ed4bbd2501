namespace Zhiyuan.Web.Infrastructure;

public static class SecurityHeaders
{
    /// <summary>
    /// Headers every response carries: no MIME sniffing, no framing by other sites (clickjacking on
    /// the administration forms), and no full URLs (which may hold codes) sent to other sites.
    /// </summary>
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use((http, next) =>
    {
        var headers = http.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "strict-origin-when-cross-origin";
        return next(http);
    });
}
