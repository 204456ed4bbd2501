using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Units;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Web.Organizations;

/// <summary>A volunteer organisation (志愿服务组织), registered under a unit and approved by that unit's administrator.</summary>
public sealed class Organization
{
    public const int NameMaxLength = 100;
    public const int DescriptionMaxLength = 1000;
    public const int ReasonMaxLength = 200;
    public const int ContactNameMaxLength = 50;
    public const int ContactPhoneMaxLength = 20;
    public const int AddressMaxLength = 200;

    public Guid Id { get; set; } = Guid.CreateVersion7();

    public required string Name { get; set; }

    public string Description { get; set; } = "";

    public Guid UnitId { get; set; }

    public Unit? Unit { get; set; }

    public OrganizationStatus Status { get; set; }

    public DateTime RegisteredAtUtc { get; set; }

    public string? RegisteredByUserId { get; set; }

    public DateTime? ReviewedAtUtc { get; set; }

    /// <summary>Why the registration was refused.</summary>
    public string? ReviewReason { get; set; }

    /// <summary>Whom volunteers and the public should ask, and how (an office number or a mobile the organisation publishes).</summary>
    public string ContactName { get; set; } = "";

    public string ContactPhone { get; set; } = "";

    /// <summary>Where the organisation is found.</summary>
    public string Address { get; set; } = "";

    /// <summary>The service lines the organisation works in (any of the six).</summary>
    public ServiceLines ServiceLines { get; set; }

    /// <summary>Raised by every profile edit: an edit that started from an older version is refused (409).</summary>
    public int Version { get; set; }

    public List<OrganizationAdmin> Admins { get; set; } = [];
}

public enum OrganizationStatus
{
    Pending,
    Approved,
    Rejected,
}

/// <summary>An account that administers an organisation: its members and, later, its activities.</summary>
public sealed class OrganizationAdmin
{
    public Guid OrganizationId { get; set; }

    public required string UserId { get; set; }

    public AppUser? User { get; set; }
}

/// <summary>A volunteer's membership of an organisation: applied, then approved or declined with a reason.</summary>
public sealed class Membership
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid OrganizationId { get; set; }

    public Organization? Organization { get; set; }

    public Guid VolunteerId { get; set; }

    public Volunteer? Volunteer { get; set; }

    public MembershipStatus Status { get; set; }

    public DateTime AppliedAtUtc { get; set; }

    public DateTime? DecidedAtUtc { get; set; }

    public string? DecidedBy { get; set; }

    public string? Reason { get; set; }
}

public enum MembershipStatus
{
    Pending,
    Approved,
    Declined,
}

sealed class OrganizationConfiguration : IEntityTypeConfiguration<Organization>
{
    public void Configure(EntityTypeBuilder<Organization> organization)
    {
        organization.Property(o => o.Name).HasMaxLength(Organization.NameMaxLength);
        organization.HasIndex(o => o.Name).IsUnique();
        organization.Property(o => o.Description).HasMaxLength(Organization.DescriptionMaxLength);
        organization.HasOne(o => o.Unit).WithMany().HasForeignKey(o => o.UnitId).OnDelete(DeleteBehavior.Restrict);
        organization.Property(o => o.Status).HasConversion<string>().HasMaxLength(16);
        organization.Property(o => o.RegisteredByUserId).HasMaxLength(64);
        organization.Property(o => o.ReviewReason).HasMaxLength(Organization.ReasonMaxLength);
        organization.HasMany(o => o.Admins).WithOne().HasForeignKey(a => a.OrganizationId);
        organization.Property(o => o.ContactName).HasMaxLength(Organization.ContactNameMaxLength);
        organization.Property(o => o.ContactPhone).HasMaxLength(Organization.ContactPhoneMaxLength);
        organization.Property(o => o.Address).HasMaxLength(Organization.AddressMaxLength);
        organization.Property(o => o.Version).IsConcurrencyToken();
    }
}

sealed class OrganizationAdminConfiguration : IEntityTypeConfiguration<OrganizationAdmin>
{
    public void Configure(EntityTypeBuilder<OrganizationAdmin> admin)
    {
        admin.HasKey(a => new { a.OrganizationId, a.UserId });
        admin.HasOne(a => a.User).WithMany().HasForeignKey(a => a.UserId);
        admin.HasIndex(a => a.UserId);
    }
}

sealed class MembershipConfiguration : IEntityTypeConfiguration<Membership>
{
    public void Configure(EntityTypeBuilder<Membership> membership)
    {
        membership.HasIndex(m => new { m.OrganizationId, m.VolunteerId }).IsUnique();
        membership.HasIndex(m => m.VolunteerId);
        membership.HasOne(m => m.Organization).WithMany().HasForeignKey(m => m.OrganizationId);
        membership.HasOne(m => m.Volunteer).WithMany().HasForeignKey(m => m.VolunteerId);
        membership.Property(m => m.Status).HasConversion<string>().HasMaxLength(16);
        membership.Property(m => m.DecidedBy).HasMaxLength(100);
        membership.Property(m => m.Reason).HasMaxLength(Organization.ReasonMaxLength);
    }
}
