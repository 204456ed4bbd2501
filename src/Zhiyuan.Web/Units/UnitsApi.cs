using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Localization;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Infrastructure;

namespace Zhiyuan.Web.Units;

public static class UnitsApi
{
    public static IServiceCollection AddUnits(this IServiceCollection services) => services.AddScoped<UnitUseCases>();

    public static IEndpointRouteBuilder MapUnitsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/units")
            .WithTags("Units")
            .RequireAuthorization(Policies.UnitAdministration)
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/", ListUnits);
        group.MapGet("/{code}", GetUnit);
        group.MapPost("/{code}/children", CreateChildUnit);
        group.MapPut("/{code}", UpdateUnit);
        group.MapPost("/{code}/move", MoveUnit);
        group.MapPost("/{code}/deactivate", DeactivateUnit);
        group.MapPost("/{code}/reactivate", ReactivateUnit);
        return app;
    }

    /// <summary>
    /// The units the caller administers, depth-first; inactive ones only when asked. <c>q</c> keeps
    /// units whose name or code contains it; <c>levels</c> stops that many levels below the caller's unit.
    /// </summary>
    static async Task<Ok<List<UnitView>>> ListUnits(UnitScope scope, UnitUseCases units, bool? includeInactive, string? q, int? levels, CancellationToken cancellationToken) =>
        TypedResults.Ok(await units.ListAsync(scope, includeInactive ?? false, q, levels, cancellationToken));

    static async Task<Results<Ok<UnitView>, ProblemHttpResult, ValidationProblem>> GetUnit(
        string code, UnitScope scope, UnitUseCases units, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await units.GetAsync(scope, code, cancellationToken)).ToHttpResult(text);

    static async Task<Results<Ok<UnitView>, ProblemHttpResult, ValidationProblem>> CreateChildUnit(
        string code, CreateUnitRequest request, UnitScope scope, UnitUseCases units, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await units.CreateChildAsync(scope, code, request, cancellationToken)).ToHttpResult(text);

    /// <summary>Renames a unit or changes its type tag.</summary>
    static async Task<Results<Ok<UnitView>, ProblemHttpResult, ValidationProblem>> UpdateUnit(
        string code, UpdateUnitRequest request, UnitScope scope, UnitUseCases units, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await units.UpdateAsync(scope, code, request, cancellationToken)).ToHttpResult(text);

    /// <summary>Moves a unit, with its subtree, under another unit; never under its own descendant.</summary>
    static async Task<Results<Ok<UnitView>, ProblemHttpResult, ValidationProblem>> MoveUnit(
        string code, MoveUnitRequest request, UnitScope scope, UnitUseCases units, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await units.MoveAsync(scope, code, request, cancellationToken)).ToHttpResult(text);

    static async Task<Results<Ok<UnitView>, ProblemHttpResult, ValidationProblem>> DeactivateUnit(
        string code, UnitScope scope, UnitUseCases units, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await units.SetActiveAsync(scope, code, active: false, cancellationToken)).ToHttpResult(text);

    static async Task<Results<Ok<UnitView>, ProblemHttpResult, ValidationProblem>> ReactivateUnit(
        string code, UnitScope scope, UnitUseCases units, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await units.SetActiveAsync(scope, code, active: true, cancellationToken)).ToHttpResult(text);
}
