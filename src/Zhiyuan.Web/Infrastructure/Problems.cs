using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Localization;

namespace Zhiyuan.Web.Infrastructure;

/// <summary>RFC 9457 problem details for every API error, with messages in the caller's language.</summary>
public static class Problems
{
    public static IServiceCollection AddAppProblemDetails(this IServiceCollection services)
    {
        services.AddProblemDetails();
        services.AddExceptionHandler<BadRequestBodyHandler>();
        // Outside Development, minimal APIs answer a malformed body with a bare 400; throwing lets
        // the handler below say which field is wrong.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        return services;
    }

    public static Results<Ok<T>, ProblemHttpResult, ValidationProblem> ToHttpResult<T>(this Outcome<T> outcome, IStringLocalizer text)
    {
        if (outcome.IsNotFound)
        {
            return NotFound(text);
        }
        if (outcome.IsConflict)
        {
            // 409 with the sentence that says what changed and what to do, and the field it concerns.
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: text["Problem.Conflict"],
                detail: string.Join(" ", outcome.Errors!.Values.SelectMany(m => m)),
                extensions: new Dictionary<string, object?> { ["errors"] = outcome.Errors });
        }
        if (outcome.Errors is not null)
        {
            return Invalid(outcome.Errors, text);
        }
        return TypedResults.Ok(outcome.Value!);
    }

    public static ProblemHttpResult NotFound(IStringLocalizer text) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: text["Problem.NotFound"]);

    public static ValidationProblem Invalid(IReadOnlyDictionary<string, string[]> errors, IStringLocalizer text) =>
        TypedResults.ValidationProblem(errors, title: text["Problem.Validation"]);

    /// <summary>Turns an unreadable request body into a 400 that names the field where reading stopped.</summary>
    sealed class BadRequestBodyHandler(IProblemDetailsService problems, IStringLocalizer<SharedResource> text) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken cancellationToken)
        {
            if (exception is not BadHttpRequestException bad)
            {
                return false;
            }
            var json = bad.InnerException as JsonException;
            var field = json?.Path?.TrimStart('$', '.') is { Length: > 0 } path ? path : "body";
            // A value that broke one of the input rules says which rule; anything else unreadable names the field.
            var message = json is InputRules.InputException rule ? text[rule.Key, rule.Argument ?? ""]
                : json is not null ? text["Problem.BadJson", field]
                : bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? text["Problem.TooLarge"]
                : text["Problem.NoBody"];
            http.Response.StatusCode = bad.StatusCode;
            return await problems.TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                Exception = exception,
                ProblemDetails = new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [message] })
                {
                    Status = bad.StatusCode,
                    Title = text["Problem.Validation"],
                },
            });
        }
    }
}
