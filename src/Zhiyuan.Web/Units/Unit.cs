using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Zhiyuan.Web.Units;

/// <summary>
/// A reporting unit in the tree: the city federation, a county or district, a college, a member
/// unit, or anything below them (towns, communities, college departments).
/// </summary>
public sealed class Unit
{
    public const int CodeMaxLength = 32;
    public const int NameMaxLength = 100;

    /// <summary>
    /// Levels below the root. Each level adds 33 characters to <see cref="Path"/>, whose index must
    /// stay within 1,024; real trees (city → county → town → community → grid) use five or six.
    /// </summary>
    public const int MaxDepth = 29;

    public Guid Id { get; set; } = Guid.CreateVersion7();

    /// <summary>Stable public key: the GB/T 2260 code where the unit has one, else a short code.</summary>
    public required string Code { get; set; }

    public required string Name { get; set; }

    /// <summary>A tag, not a tree level: a district can sit beside a college under the city.</summary>
    public UnitType Type { get; set; }

    public Guid? ParentId { get; set; }

    public Unit? Parent { get; set; }

    /// <summary>
    /// Materialised path of ids from the root, "/{root}/{…}/{this}/". A subtree is every unit whose
    /// path starts with the subtree root's path, one indexed LIKE on SQLite and PostgreSQL alike.
    /// </summary>
    public string Path { get; set; } = "";

    public int Depth { get; set; }

    public bool IsActive { get; set; } = true;

    public int SortOrder { get; set; }

    public static string PathOf(Unit? parent, Guid id) => (parent?.Path ?? "/") + id.ToString("N") + "/";
}

public enum UnitType
{
    CityFederation,
    District,
    County,
    CountyLevelCity,
    FunctionalZone,
    College,
    CityOrgansLeague,
    MemberUnit,
    Town,
    Community,
    CollegeDepartment,
    Department,
    Other,
}

sealed class UnitConfiguration : IEntityTypeConfiguration<Unit>
{
    public void Configure(EntityTypeBuilder<Unit> unit)
    {
        unit.Property(u => u.Code).HasMaxLength(Unit.CodeMaxLength);
        unit.HasIndex(u => u.Code).IsUnique();
        unit.Property(u => u.Name).HasMaxLength(Unit.NameMaxLength);
        unit.Property(u => u.Type).HasConversion<string>().HasMaxLength(32);
        unit.Property(u => u.Path).HasMaxLength(1024);
        // text_pattern_ops lets PostgreSQL answer "path LIKE prefix%" from the index whatever the collation.
        unit.HasIndex(u => u.Path).HasOperators("text_pattern_ops");
        unit.HasOne(u => u.Parent).WithMany().HasForeignKey(u => u.ParentId).OnDelete(DeleteBehavior.Restrict);
    }
}
