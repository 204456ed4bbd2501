using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Zhiyuan.Web.Campaigns;

namespace Zhiyuan.Web.Workbench;

public static class WorkbenchApi
{
    public static IServiceCollection AddWorkbench(this IServiceCollection services) =>
        services.AddScoped<ReportQueue>().AddScoped<WorkbenchUseCases>();

    public static IEndpointRouteBuilder MapWorkbenchApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/workbench").WithTags("Workbench").RequireAuthorization().MapGet("/", Get);
        return app;
    }

    /// <summary>
    /// The caller's workbench, as the page after sign-in shows it: for each queue their roles have
    /// (reports due, overdue, returned and to review; hours to confirm; sign-ups, back-entries,
    /// orders, patrol findings, stars and membership applications waiting) how many wait and the
    /// page listing exactly those; the campaign-report tasks themselves; unread messages; and for a
    /// volunteer their hours, star progress and next sessions. Read-only.
    /// </summary>
    static async Task<Ok<WorkbenchView>> Get(ClaimsPrincipal user, WorkbenchUseCases workbench, CancellationToken cancellationToken) =>
        TypedResults.Ok(await workbench.GetAsync(user, cancellationToken));
}
