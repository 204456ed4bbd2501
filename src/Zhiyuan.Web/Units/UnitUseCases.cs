using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Audit;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Infrastructure;

namespace Zhiyuan.Web.Units;

public sealed record UnitView(Guid Id, string Code, string Name, UnitType Type, string? ParentCode, int Depth, bool IsActive);

public sealed record CreateUnitRequest(string? Code, string? Name, string? Type);

public sealed record UpdateUnitRequest(string? Name, string? Type);

public sealed record MoveUnitRequest(string? ParentCode);

/// <summary>
/// Everything an administrator can do to the unit tree. Pages and the API both call these, and
/// every query goes through the caller's <see cref="UnitScope"/>: a unit outside it is "not found".
/// </summary>
public sealed partial class UnitUseCases(AppDbContext db, AuditLog audit, IStringLocalizer<SharedResource> text)
{
    /// <summary>
    /// The caller's units in tree order. <paramref name="search"/> keeps units whose name or code
    /// contains it; <paramref name="levels"/> keeps the caller's unit and that many levels below it.
    /// </summary>
    public async Task<List<UnitView>> ListAsync(UnitScope scope, bool includeInactive, string? search = null, int? levels = null, CancellationToken cancellationToken = default)
    {
        var units = scope.Filter(db.Units.AsNoTracking());
        if (!includeInactive)
        {
            units = units.Where(u => u.IsActive);
        }
        if (!string.IsNullOrWhiteSpace(search))
        {
            var term = search.Trim();
            units = units.Where(u => u.Name.Contains(term) || u.Code.Contains(term));
        }
        if (levels is { } below)
        {
            var deepest = scope.RootDepth + Math.Max(0, below);
            units = units.Where(u => u.Depth <= deepest);
        }
        var list = await Project(units).ToListAsync(cancellationToken);
        return InTreeOrder(list);
    }

    public async Task<Outcome<UnitView>> GetAsync(UnitScope scope, string code, CancellationToken cancellationToken = default)
    {
        var view = await Project(scope.Filter(db.Units.AsNoTracking()).Where(u => u.Code == code)).SingleOrDefaultAsync(cancellationToken);
        return view is null ? Outcome<UnitView>.NotFound() : Outcome<UnitView>.Ok(view);
    }

    public Task<Outcome<UnitView>> CreateChildAsync(UnitScope scope, string parentCode, CreateUnitRequest request, CancellationToken cancellationToken = default) =>
        ChangeTreeAsync(async () =>
    {
        var parent = await FindInScopeAsync(scope, parentCode, cancellationToken);
        if (parent is null)
        {
            return Outcome<UnitView>.NotFound();
        }

        var errors = new FieldErrors();
        var code = CheckCode(request.Code, errors);
        var name = CheckName(request.Name, errors);
        var type = CheckType(request.Type, errors);
        if (!parent.IsActive)
        {
            errors.Add("parentCode", text["Units.Error.ParentInactive", parent.Name]);
        }
        if (parent.Depth + 1 > Unit.MaxDepth)
        {
            errors.Add("parentCode", text["Units.Error.TooDeep", Unit.MaxDepth]);
        }
        if (code is not null && await db.Units.AnyAsync(u => u.Code == code, cancellationToken))
        {
            errors.Add("code", text["Units.Error.CodeTaken", code]);
        }
        if (errors.Any)
        {
            return Outcome<UnitView>.Invalid(errors);
        }

        var unit = new Unit { Code = code!, Name = name!, Type = type!.Value, ParentId = parent.Id, Depth = parent.Depth + 1 };
        unit.Path = Unit.PathOf(parent, unit.Id);
        unit.SortOrder = await db.Units.CountAsync(u => u.ParentId == parent.Id, cancellationToken) + 1;
        db.Units.Add(unit);
        audit.Add("unit.create", unit.Id, unit.Code, $"{unit.Name} ({unit.Type}) under {parent.Code}");
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<UnitView>.Ok(new UnitView(unit.Id, unit.Code, unit.Name, unit.Type, parent.Code, unit.Depth, unit.IsActive));
    }, cancellationToken);

    public async Task<Outcome<UnitView>> UpdateAsync(UnitScope scope, string code, UpdateUnitRequest request, CancellationToken cancellationToken = default)
    {
        var unit = await FindInScopeAsync(scope, code, cancellationToken);
        if (unit is null)
        {
            return Outcome<UnitView>.NotFound();
        }
        var errors = new FieldErrors();
        var name = CheckName(request.Name, errors);
        var type = request.Type is null ? unit.Type : CheckType(request.Type, errors, allowCity: unit.ParentId is null);
        if (errors.Any)
        {
            return Outcome<UnitView>.Invalid(errors);
        }
        audit.Add("unit.update", unit.Id, unit.Code, $"{unit.Name} ({unit.Type}) → {name} ({type})");
        unit.Name = name!;
        unit.Type = type!.Value;
        await db.SaveChangesAsync(cancellationToken);
        return await GetAsync(scope, code, cancellationToken);
    }

    public Task<Outcome<UnitView>> MoveAsync(UnitScope scope, string code, MoveUnitRequest request, CancellationToken cancellationToken = default) =>
        ChangeTreeAsync(async () =>
    {
        var unit = await FindInScopeAsync(scope, code, cancellationToken);
        if (unit is null)
        {
            return Outcome<UnitView>.NotFound();
        }
        if (unit.Id == scope.RootId)
        {
            return Outcome<UnitView>.Invalid("code", text["Units.Error.CannotMoveOwnUnit"]);
        }
        if (string.IsNullOrWhiteSpace(request.ParentCode))
        {
            return Outcome<UnitView>.Invalid("parentCode", text["Validation.Required", text["Units.Field.Parent"]]);
        }
        var newParent = await FindInScopeAsync(scope, request.ParentCode.Trim(), cancellationToken);
        if (newParent is null)
        {
            return Outcome<UnitView>.Invalid("parentCode", text["Units.Error.UnknownCode", request.ParentCode.Trim()]);
        }
        if (newParent.Path.StartsWith(unit.Path, StringComparison.Ordinal))
        {
            return Outcome<UnitView>.Invalid("parentCode", text["Units.Error.Cycle", unit.Name, newParent.Name]);
        }
        if (!newParent.IsActive)
        {
            return Outcome<UnitView>.Invalid("parentCode", text["Units.Error.ParentInactive", newParent.Name]);
        }
        if (newParent.Id == unit.ParentId)
        {
            return await GetAsync(scope, code, cancellationToken);
        }
        var oldPath = unit.Path;
        var depthChange = newParent.Depth + 1 - unit.Depth;
        var deepest = await db.Units.Where(u => u.Path.StartsWith(oldPath)).MaxAsync(u => u.Depth, cancellationToken);
        if (deepest + depthChange > Unit.MaxDepth)
        {
            return Outcome<UnitView>.Invalid("parentCode", text["Units.Error.TooDeep", Unit.MaxDepth]);
        }

        var oldParentCode = await db.Units.Where(u => u.Id == unit.ParentId).Select(u => u.Code).SingleAsync(cancellationToken);

        // The unit and its whole subtree get the new path prefix in two set-based statements.
        var newPath = Unit.PathOf(newParent, unit.Id);
        await db.Units.Where(u => u.Path.StartsWith(oldPath)).ExecuteUpdateAsync(set => set
            .SetProperty(u => u.Path, u => newPath + u.Path.Substring(oldPath.Length))
            .SetProperty(u => u.Depth, u => u.Depth + depthChange), cancellationToken);
        await db.Units.Where(u => u.Id == unit.Id).ExecuteUpdateAsync(set => set.SetProperty(u => u.ParentId, newParent.Id), cancellationToken);
        audit.Add("unit.move", unit.Id, unit.Code, $"{oldParentCode} → {newParent.Code}");
        await db.SaveChangesAsync(cancellationToken);
        return await GetAsync(scope, code, cancellationToken);
    }, cancellationToken);

    public Task<Outcome<UnitView>> SetActiveAsync(UnitScope scope, string code, bool active, CancellationToken cancellationToken = default) =>
        ChangeTreeAsync(async () =>
    {
        var unit = await FindInScopeAsync(scope, code, cancellationToken);
        if (unit is null)
        {
            return Outcome<UnitView>.NotFound();
        }
        if (unit.Id == scope.RootId)
        {
            return Outcome<UnitView>.Invalid("code", text["Units.Error.CannotDeactivateOwnUnit"]);
        }
        if (!active && await db.Units.AnyAsync(u => u.ParentId == unit.Id && u.IsActive, cancellationToken))
        {
            return Outcome<UnitView>.Invalid("code", text["Units.Error.HasActiveChildren", unit.Name]);
        }
        if (active && await db.Units.AnyAsync(u => u.Id == unit.ParentId && !u.IsActive, cancellationToken))
        {
            return Outcome<UnitView>.Invalid("code", text["Units.Error.ParentInactiveReactivate"]);
        }
        if (unit.IsActive != active)
        {
            unit.IsActive = active;
            audit.Add(active ? "unit.reactivate" : "unit.deactivate", unit.Id, unit.Code, unit.Name);
            await db.SaveChangesAsync(cancellationToken);
        }
        return await GetAsync(scope, code, cancellationToken);
    }, cancellationToken);

    /// <summary>
    /// Runs a change to the tree's shape (create, move, (de)activate) with its checks inside one
    /// transaction that holds the tree lock, so two administrators moving units at the same moment
    /// cannot make a cycle between them, and a child is never added under a parent mid-move.
    /// SQLite's transactions already take the write lock at BEGIN; PostgreSQL takes an advisory lock.
    /// </summary>
    async Task<Outcome<UnitView>> ChangeTreeAsync(Func<Task<Outcome<UnitView>>> change, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (db.Database.IsNpgsql())
        {
            await db.Database.ExecuteSqlRawAsync($"SELECT pg_advisory_xact_lock({TreeLockKey})", cancellationToken);
        }
        var outcome = await change();
        if (outcome.Succeeded)
        {
            await transaction.CommitAsync(cancellationToken);
        }
        return outcome;
    }

    const long TreeLockKey = 441200;

    Task<Unit?> FindInScopeAsync(UnitScope scope, string code, CancellationToken cancellationToken) =>
        scope.Filter(db.Units).SingleOrDefaultAsync(u => u.Code == code, cancellationToken);

    static IQueryable<UnitView> Project(IQueryable<Unit> units) =>
        units.OrderBy(u => u.SortOrder).ThenBy(u => u.Code).Select(u => new UnitView(u.Id, u.Code, u.Name, u.Type, u.Parent == null ? null : u.Parent.Code, u.Depth, u.IsActive));

    /// <summary>Depth-first, siblings in their set order, so a flat list reads as an indented tree.</summary>
    static List<UnitView> InTreeOrder(List<UnitView> units)
    {
        var byParent = units.ToLookup(u => u.ParentCode ?? "");
        var codes = units.Select(u => u.Code).ToHashSet();
        var ordered = new List<UnitView>(units.Count);
        void Walk(UnitView unit)
        {
            ordered.Add(unit);
            foreach (var child in byParent[unit.Code])
            {
                Walk(child);
            }
        }
        // The tops of the visible forest: units whose parent is outside the list.
        foreach (var top in units.Where(u => u.ParentCode is null || !codes.Contains(u.ParentCode)))
        {
            Walk(top);
        }
        return ordered;
    }

    string? CheckCode(string? code, FieldErrors errors)
    {
        code = code?.Trim();
        if (string.IsNullOrEmpty(code))
        {
            errors.Add("code", text["Validation.Required", text["Units.Field.Code"]]);
            return null;
        }
        if (code.Length > Unit.CodeMaxLength)
        {
            errors.Add("code", text["Validation.TooLong", text["Units.Field.Code"], Unit.CodeMaxLength]);
            return null;
        }
        if (!CodePattern().IsMatch(code))
        {
            errors.Add("code", text["Units.Error.CodeFormat"]);
            return null;
        }
        return code;
    }

    string? CheckName(string? name, FieldErrors errors)
    {
        name = name?.Trim();
        if (string.IsNullOrEmpty(name))
        {
            errors.Add("name", text["Validation.Required", text["Units.Field.Name"]]);
            return null;
        }
        if (name.Length > Unit.NameMaxLength)
        {
            errors.Add("name", text["Validation.TooLong", text["Units.Field.Name"], Unit.NameMaxLength]);
            return null;
        }
        return name;
    }

    UnitType? CheckType(string? type, FieldErrors errors, bool allowCity = false)
    {
        if (string.IsNullOrWhiteSpace(type))
        {
            errors.Add("type", text["Validation.Required", text["Units.Field.Type"]]);
            return null;
        }
        // Names only: Enum.TryParse would also take numbers and comma-joined lists of names.
        var name = Enum.GetNames<UnitType>().FirstOrDefault(n => n.Equals(type.Trim(), StringComparison.OrdinalIgnoreCase));
        if (name is not null && (name != nameof(UnitType.CityFederation) || allowCity))
        {
            return Enum.Parse<UnitType>(name);
        }
        var allowed = string.Join(", ", Enum.GetNames<UnitType>().Where(n => n != nameof(UnitType.CityFederation)));
        errors.Add("type", text["Units.Error.UnknownType", type, allowed]);
        return null;
    }

    [GeneratedRegex("^[A-Za-z0-9-]+$")]
    private static partial Regex CodePattern();
}
