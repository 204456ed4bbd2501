using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Data;

namespace Zhiyuan.Web.Audit;

public sealed record AuditEntryView(DateTimeOffset At, string ActorName, string Action, string? UnitCode, string? UnitName, string Subject, string Details);

public static class AuditApi
{
    public const int PageSize = 100;

    public static IServiceCollection AddAudit(this IServiceCollection services) =>
        services.AddHttpContextAccessor().AddScoped<AuditLog>();

    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/audit", ListAuditEntries).WithTags("Audit").RequireAuthorization(Policies.UnitAdministration);
        return app;
    }

    /// <summary>
    /// The newest changes to units and accounts in the caller's subtree, 100 at a time;
    /// <c>before</c> (an ISO 8601 time) pages further back.
    /// </summary>
    static async Task<Ok<List<AuditEntryView>>> ListAuditEntries(UnitScope scope, AppDbContext db, DateTimeOffset? before, CancellationToken cancellationToken) =>
        TypedResults.Ok(await ReadAsync(db, scope, before, cancellationToken));

    public static async Task<List<AuditEntryView>> ReadAsync(AppDbContext db, UnitScope scope, DateTimeOffset? before, CancellationToken cancellationToken = default)
    {
        var entries = from entry in db.AuditEntries.AsNoTracking()
                      join unit in scope.Filter(db.Units) on entry.UnitId equals unit.Id
                      select new { entry, unit.Code, unit.Name };
        if (before is { } until)
        {
            var untilUtc = until.UtcDateTime;
            entries = entries.Where(e => e.entry.AtUtc < untilUtc);
        }
        var rows = await entries.OrderByDescending(e => e.entry.AtUtc).ThenByDescending(e => e.entry.Id).Take(PageSize).ToListAsync(cancellationToken);
        return rows.Select(r => new AuditEntryView(
            new DateTimeOffset(DateTime.SpecifyKind(r.entry.AtUtc, DateTimeKind.Utc)), r.entry.ActorName, r.entry.Action, r.Code, r.Name, r.entry.Subject, r.entry.Details)).ToList();
    }
}
