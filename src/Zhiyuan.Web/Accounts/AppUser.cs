using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Zhiyuan.Web.Units;

namespace Zhiyuan.Web.Accounts;

public sealed class AppUser : IdentityUser
{
    public const int UserNameMaxLength = 50;
    public const int DisplayNameMaxLength = 50;

    public string DisplayName { get; set; } = "";

    /// <summary>
    /// The unit an administrator answers for; they reach this unit and its whole subtree.
    /// The city administrator is bound to the root.
    /// </summary>
    public Guid? UnitId { get; set; }

    public Unit? Unit { get; set; }

    /// <summary>
    /// Keyed hash of the mobile number, for signing in with it; the number itself is kept only
    /// encrypted on the volunteer record (Identity's own PhoneNumber column stays empty).
    /// </summary>
    public byte[]? PhoneHash { get; set; }

    /// <summary>
    /// Volunteers are never locked out (anyone could lock anyone by guessing): after repeated wrong
    /// passwords each further attempt must wait until this time instead, the wait doubling each time.
    /// </summary>
    public DateTime? SignInDelayUntilUtc { get; set; }
}

/// <summary>The roles of PRODUCT.md C1.</summary>
public static class Roles
{
    public const string CityAdmin = "CityAdmin";
    public const string UnitAdmin = "UnitAdmin";
    public const string OrganizationAdmin = "OrganizationAdmin";
    public const string Volunteer = "Volunteer";
    public const string DepartmentLiaison = "DepartmentLiaison";

    public static readonly string[] All = [CityAdmin, UnitAdmin, OrganizationAdmin, Volunteer, DepartmentLiaison];

    /// <summary>Roles whose holder administers a unit subtree.</summary>
    public static readonly string[] UnitAdministrators = [CityAdmin, UnitAdmin];
}

sealed class AppUserConfiguration : IEntityTypeConfiguration<AppUser>
{
    public void Configure(EntityTypeBuilder<AppUser> user)
    {
        user.Property(u => u.DisplayName).HasMaxLength(AppUser.DisplayNameMaxLength);
        user.HasOne(u => u.Unit).WithMany().HasForeignKey(u => u.UnitId).OnDelete(DeleteBehavior.Restrict);
        user.HasIndex(u => u.PhoneHash).IsUnique();
    }
}
