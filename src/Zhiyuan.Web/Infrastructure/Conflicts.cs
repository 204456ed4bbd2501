using System.Net;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Npgsql;

namespace Zhiyuan.Web.Infrastructure;

/// <summary>
/// The database refused a write because another request got there first: a conditional update that
/// matched no row (the status had already changed), a unique index or exclusion constraint, a check
/// constraint, or a PostgreSQL deadlock or serialization failure. Nothing was written; the person is
/// told so in their language (409), never shown a server error.
/// </summary>
public static class Conflicts
{
    public static bool IsConflict(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case DbUpdateConcurrencyException:
                case PostgresException { SqlState: PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.ExclusionViolation or PostgresErrorCodes.CheckViolation
                    or PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.LockNotAvailable }:
                // 19 = a constraint (or a trigger's RAISE(ABORT)); 5 and 6 = the database stayed busy or locked past the timeout.
                case SqliteException { SqliteErrorCode: 19 or 5 or 6 }:
                    return true;
            }
        }
        return false;
    }

    public static IServiceCollection AddConflictAnswers(this IServiceCollection services) => services.AddExceptionHandler<ConflictHandler>();

    sealed class ConflictHandler(IProblemDetailsService problems, IStringLocalizer<SharedResource> text, ILogger<ConflictHandler> log) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken cancellationToken)
        {
            if (!IsConflict(exception) || http.Response.HasStarted)
            {
                return false;
            }
            log.LogInformation("A write was refused by the database as a conflict: {Type} on {Method} {Path}", exception.GetBaseException().GetType().Name,
                http.Request.Method, http.Request.Path);
            http.Response.StatusCode = StatusCodes.Status409Conflict;
            if (http.Request.Path.StartsWithSegments("/api"))
            {
                return await problems.TryWriteAsync(new ProblemDetailsContext
                {
                    HttpContext = http,
                    Exception = exception,
                    ProblemDetails = new() { Status = StatusCodes.Status409Conflict, Title = text["Problem.Conflict"], Detail = text["Problem.ConflictDetail"] },
                });
            }
            // A page form: a small page in the person's language with the way back to where they were.
            var back = http.Request.Headers.Referer.ToString() is { Length: > 0 } referer && Uri.TryCreate(referer, UriKind.Absolute, out var uri)
                       && uri.Host == http.Request.Host.Host ? uri.PathAndQuery : "/";
            http.Response.ContentType = "text/html; charset=utf-8";
            await http.Response.WriteAsync($"""
                <!DOCTYPE html><html lang="{WebUtility.HtmlEncode(Thread.CurrentThread.CurrentUICulture.Name)}"><head><meta charset="utf-8">
                <meta name="viewport" content="width=device-width, initial-scale=1"><title>{WebUtility.HtmlEncode(text["Problem.Conflict"])}</title>
                <link rel="stylesheet" href="/app.css"></head><body><main class="page"><h1>{WebUtility.HtmlEncode(text["Problem.Conflict"])}</h1>
                <p>{WebUtility.HtmlEncode(text["Problem.ConflictDetail"])}</p><p><a href="{WebUtility.HtmlEncode(back)}">{WebUtility.HtmlEncode(text["Problem.Back"])}</a></p></main></body></html>
                """, cancellationToken);
            return true;
        }
    }
}
