using Microsoft.EntityFrameworkCore;
using Zhiyuan.Web.Data;

namespace Zhiyuan.Web.Units;

/// <summary>The Zhaoqing unit tree that a new installation starts with (DOMAIN.md, "Reference facts").</summary>
public static class ZhaoqingUnits
{
    public const string CityCode = "441200";

    static readonly (string Code, string Name, UnitType Type)[] UnderTheCity =
    [
        ("441202", "端州区", UnitType.District),
        ("441203", "鼎湖区", UnitType.District),
        ("441204", "高要区", UnitType.District),
        ("441223", "广宁县", UnitType.County),
        ("441224", "怀集县", UnitType.County),
        ("441225", "封开县", UnitType.County),
        ("441226", "德庆县", UnitType.County),
        ("441284", "四会市", UnitType.CountyLevelCity),
        ("ZQXQ", "肇庆新区", UnitType.FunctionalZone),
        ("ZQGXQ", "肇庆高新区", UnitType.FunctionalZone),
        ("ZQU", "肇庆学院", UnitType.College),
        ("GDIT", "广东理工学院", UnitType.College),
        ("ZQMC", "肇庆医学院", UnitType.College),
        ("ZQBTC", "肇庆工商职业技术学院", UnitType.College),
        ("SZTW", "市直团委", UnitType.CityOrgansLeague),
    ];

    // Member units of the federation named by the notice's co-issuers; the city adds its own.
    static readonly (string Code, string Name)[] MemberUnits =
    [
        ("HY-WMB", "肇庆市文明办志愿服务队"),
        ("HY-MZJ", "肇庆市民政局志愿服务队"),
        ("HY-SGW", "少先队肇庆市工作委员会"),
    ];

    /// <summary>Adds the tree when the database has no units yet; returns how many were added.</summary>
    public static async Task<int> SeedAsync(IServiceProvider services, CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        return await SeedAsync(scope.ServiceProvider.GetRequiredService<AppDbContext>(), cancellationToken);
    }

    public static async Task<int> SeedAsync(AppDbContext db, CancellationToken cancellationToken = default)
    {
        if (await db.Units.AnyAsync(cancellationToken))
        {
            return 0;
        }

        var city = New(null, CityCode, "肇庆市志愿者联合会", UnitType.CityFederation, 0);
        var units = new List<Unit> { city };
        units.AddRange(UnderTheCity.Select((u, i) => New(city, u.Code, u.Name, u.Type, i + 1)));
        units.AddRange(MemberUnits.Select((u, i) => New(city, u.Code, u.Name, UnitType.MemberUnit, UnderTheCity.Length + i + 1)));

        db.Units.AddRange(units);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another node started at the same moment and seeded first.
            db.ChangeTracker.Clear();
            if (await db.Units.AnyAsync(u => u.Code == CityCode, cancellationToken))
            {
                return 0;
            }
            throw;
        }
        return units.Count;
    }

    static Unit New(Unit? parent, string code, string name, UnitType type, int sortOrder)
    {
        var unit = new Unit { Code = code, Name = name, Type = type, ParentId = parent?.Id, SortOrder = sortOrder };
        unit.Path = Unit.PathOf(parent, unit.Id);
        unit.Depth = parent is null ? 0 : parent.Depth + 1;
        return unit;
    }
}
