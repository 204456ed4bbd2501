using Microsoft.AspNetCore.Antiforgery;

namespace Zhiyuan.Web.Infrastructure;

/// <summary>
/// A page form posted again after it has done its work — a double click, or Back and submit — names
/// a form the page no longer shows (the sign-up button became "cancel", the decision was made), and
/// Blazor answers such a post with a bare 400: a blank page. This turns that answer into a redirect
/// to the page itself, which then shows where things stand now and says that the form was already
/// handled. Nothing is changed by the repeated post either way.
/// </summary>
public static class RepeatedForms
{
    /// <summary>The query parameter the page's layout looks for to say "already handled".</summary>
    public const string Marker = "resubmitted";

    public static IApplicationBuilder UseRepeatedFormAnswers(this IApplicationBuilder app) => app.UseWhen(IsPageFormPost, page => page.Use(async (http, next) =>
    {
        var original = http.Response.Body;
        await using var buffer = new MemoryStream();
        http.Response.Body = buffer;
        try
        {
            await next(http);
        }
        finally
        {
            http.Response.Body = original;
        }
        // Blazor's refusal is plain text (empty outside Development); the pages' own answers are HTML.
        // A post without a valid form token stays refused as it is: it came from no page of ours.
        if (http.Response.StatusCode == StatusCodes.Status400BadRequest && !http.Response.HasStarted
            && http.Features.Get<IAntiforgeryValidationFeature>() is not { IsValid: false }
            && (buffer.Length == 0 || http.Response.ContentType?.StartsWith("text/plain", StringComparison.Ordinal) == true))
        {
            var query = QueryString.FromUriComponent(http.Request.QueryString.Value ?? "");
            if (!http.Request.Query.ContainsKey(Marker))
            {
                query = query.Add(Marker, "1");
            }
            http.Response.Clear();
            http.Response.StatusCode = StatusCodes.Status303SeeOther;
            http.Response.Headers.Location = http.Request.PathBase + http.Request.Path + query;
            return;
        }
        buffer.Position = 0;
        await buffer.CopyToAsync(original, http.RequestAborted);
    }));

    static bool IsPageFormPost(HttpContext http) =>
        HttpMethods.IsPost(http.Request.Method) && !http.Request.Path.StartsWithSegments("/api") && http.Request.HasFormContentType;
}
