namespace Zhiyuan.Web.Infrastructure;

public static class SecurityHeaders
{
    /// <summary>
    /// No script but the platform's own files: an injected &lt;script&gt; or onclick attribute does not run.
    /// Styles keep 'unsafe-inline' (ECharts and a few style attributes set them); images may be data: URIs
    /// (the certificate's QR code) and blob: (photo previews).
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self'; " +
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>The attendance page uses the camera (scanning the leader's code) and the position (geofence); nothing else is wanted.</summary>
    public const string PermissionsPolicy =
        "camera=(self), geolocation=(self), microphone=(), payment=(), usb=()";

    /// <summary>
    /// Headers every response carries: no MIME sniffing, no framing by other sites (clickjacking on
    /// the administration forms), no full URLs (which may hold codes) sent to other sites, the CSP and
    /// the Permissions-Policy above.
    /// </summary>
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use((http, next) =>
    {
        var headers = http.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "strict-origin-when-cross-origin";
        headers["Permissions-Policy"] = PermissionsPolicy;
        // The API reference page (Scalar) is built from an inline script and its own CDN; it holds no data and no form.
        if (!http.Request.Path.StartsWithSegments("/api/reference"))
        {
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
        }
        return next(http);
    });
}
