using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Zhiyuan.Web.Activities;
using Zhiyuan.Web.Organizations;
using Zhiyuan.Web.Units;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Web.ServicePosts;

/// <summary>A 学雷锋志愿服务岗: a desk at a window or agency, run by an organisation.</summary>
public sealed class ServicePost
{
    public const int NameMaxLength = 100;
    public const int TextMaxLength = 200;

    public Guid Id { get; set; } = Guid.CreateVersion7();

    public required string Name { get; set; }

    public required string Place { get; set; }

    /// <summary>As people write it: "周一至周五 9:00–17:00".</summary>
    public required string OpeningHours { get; set; }

    public Guid HostOrganizationId { get; set; }

    public Organization? HostOrganization { get; set; }

    /// <summary>The host's unit: the subtree that manages it and dispatches its orders.</summary>
    public Guid UnitId { get; set; }

    public DateTime CreatedAtUtc { get; set; }
}

public enum ServiceMode
{
    /// <summary>上门: volunteers come to the citizen's address.</summary>
    DoorToDoor,

    /// <summary>预约: the citizen comes at a booked time.</summary>
    Appointment,

    /// <summary>在线: by phone or video.</summary>
    Online,
}

/// <summary>One line of a 志愿服务清单: a service the public may order.</summary>
public sealed class ServiceMenu
{
    public const int TitleMaxLength = 100;
    public const int TextMaxLength = 1000;

    public Guid Id { get; set; } = Guid.CreateVersion7();

    public required string Title { get; set; }

    public string Description { get; set; } = "";

    public Guid HostOrganizationId { get; set; }

    public Organization? HostOrganization { get; set; }

    public Guid? PostId { get; set; }

    public ServicePost? Post { get; set; }

    public Guid UnitId { get; set; }

    public Unit? Unit { get; set; }

    public ServiceLines ServiceLine { get; set; }

    public ServiceMode Mode { get; set; }

    /// <summary>The unit (a district or county) whose area the service covers; orders from elsewhere are refused.</summary>
    public Guid AreaUnitId { get; set; }

    public Unit? AreaUnit { get; set; }

    public bool IsPublished { get; set; }

    public DateTime CreatedAtUtc { get; set; }

    public List<ServiceSlot> Slots { get; set; } = [];
}

/// <summary>A time slot of a menu with a number of orders it can take.</summary>
public sealed class ServiceSlot
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid MenuId { get; set; }

    public DateTime StartsAtUtc { get; set; }

    public DateTime EndsAtUtc { get; set; }

    public int Capacity { get; set; }

    /// <summary>Orders holding this slot; changed only by a conditional update, so it never passes <see cref="Capacity"/>.</summary>
    public int Booked { get; set; }
}

/// <summary>The four stages of a citizen order (点单 → 派单 → 接单 → 评单) and the ways out of them.</summary>
public enum OrderStatus
{
    /// <summary>点单: waiting for the centre or unit to dispatch it.</summary>
    Ordered,

    /// <summary>派单: sent to an organisation, waiting for its answer.</summary>
    Dispatched,

    /// <summary>The organisation turned it down (with a reason); waiting to be dispatched again.</summary>
    Rejected,

    /// <summary>接单: accepted, volunteers assigned.</summary>
    Accepted,

    /// <summary>Done; hours are in the ledger; waiting for the citizen's rating.</summary>
    Completed,

    /// <summary>评单: rated by the citizen.</summary>
    Rated,

    Cancelled,
}

/// <summary>A citizen's order of a service. The phone number is personal data: kept encrypted, shown masked.</summary>
public sealed class CitizenOrder
{
    public const int TextMaxLength = 200;

    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid MenuId { get; set; }

    public ServiceMenu? Menu { get; set; }

    public Guid? SlotId { get; set; }

    /// <summary>The menu's unit: its administrators (and those above) dispatch the order.</summary>
    public Guid UnitId { get; set; }

    public Unit? Unit { get; set; }

    public required string CitizenName { get; set; }

    public required byte[] PhoneCipher { get; set; }

    public required byte[] PhoneHash { get; set; }

    public required string PhoneMasked { get; set; }

    public string? CitizenUserId { get; set; }

    public required string Address { get; set; }

    public DateTime PreferredStartUtc { get; set; }

    public DateTime PreferredEndUtc { get; set; }

    public string Notes { get; set; } = "";

    public OrderStatus Status { get; set; }

    /// <summary>Hash of the secret in the citizen's tracking link: whoever holds the link may follow, cancel and rate.</summary>
    public required byte[] TrackingHash { get; set; }

    public DateTime CreatedAtUtc { get; set; }

    public Guid? OrganizationId { get; set; }

    public Organization? Organization { get; set; }

    public DateTime? FirstDispatchedAtUtc { get; set; }

    public DateTime? DispatchedAtUtc { get; set; }

    public DateTime? RejectedAtUtc { get; set; }

    public string? RejectReason { get; set; }

    public DateTime? AcceptedAtUtc { get; set; }

    public DateTime? CompletedAtUtc { get; set; }

    public DateTime? CancelledAtUtc { get; set; }

    public string? CancelReason { get; set; }

    public int? Rating { get; set; }

    public string? RatingComment { get; set; }

    public DateTime? RatedAtUtc { get; set; }

    /// <summary>The activity made when the order was accepted: its session carries the assigned volunteers' hours.</summary>
    public Guid? ActivityId { get; set; }

    public Guid? SessionId { get; set; }

    public List<OrderEvent> Events { get; set; } = [];
}

/// <summary>One step in an order's history: who did what, when, and why.</summary>
public sealed class OrderEvent
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid OrderId { get; set; }

    public DateTime AtUtc { get; set; }

    public OrderStatus Status { get; set; }

    public required string Actor { get; set; }

    public string? OrganizationName { get; set; }

    public string? Reason { get; set; }
}

/// <summary>
/// A one-time code sent to a phone number before an anonymous order is taken; also the counter
/// the per-number rate limit reads, so that every node sees the same count.
/// </summary>
public sealed class PhoneVerification
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public required byte[] PhoneHash { get; set; }

    public required byte[] CodeHash { get; set; }

    public DateTime CreatedAtUtc { get; set; }

    public DateTime ExpiresAtUtc { get; set; }

    public int FailedAttempts { get; set; }

    public DateTime? UsedAtUtc { get; set; }
}

sealed class ServicePostConfiguration : IEntityTypeConfiguration<ServicePost>
{
    public void Configure(EntityTypeBuilder<ServicePost> post)
    {
        post.Property(p => p.Name).HasMaxLength(ServicePost.NameMaxLength);
        post.Property(p => p.Place).HasMaxLength(ServicePost.TextMaxLength);
        post.Property(p => p.OpeningHours).HasMaxLength(ServicePost.TextMaxLength);
        post.HasOne(p => p.HostOrganization).WithMany().HasForeignKey(p => p.HostOrganizationId).OnDelete(DeleteBehavior.Restrict);
        post.HasOne<Unit>().WithMany().HasForeignKey(p => p.UnitId).OnDelete(DeleteBehavior.Restrict);
        post.HasIndex(p => p.UnitId);
    }
}

sealed class ServiceMenuConfiguration : IEntityTypeConfiguration<ServiceMenu>
{
    public void Configure(EntityTypeBuilder<ServiceMenu> menu)
    {
        menu.Property(m => m.Title).HasMaxLength(ServiceMenu.TitleMaxLength);
        menu.Property(m => m.Description).HasMaxLength(ServiceMenu.TextMaxLength);
        menu.Property(m => m.Mode).HasConversion<string>().HasMaxLength(16);
        menu.HasOne(m => m.HostOrganization).WithMany().HasForeignKey(m => m.HostOrganizationId).OnDelete(DeleteBehavior.Restrict);
        menu.HasOne(m => m.Post).WithMany().HasForeignKey(m => m.PostId).OnDelete(DeleteBehavior.Restrict);
        menu.HasOne(m => m.Unit).WithMany().HasForeignKey(m => m.UnitId).OnDelete(DeleteBehavior.Restrict);
        menu.HasOne(m => m.AreaUnit).WithMany().HasForeignKey(m => m.AreaUnitId).OnDelete(DeleteBehavior.Restrict);
        menu.HasMany(m => m.Slots).WithOne().HasForeignKey(s => s.MenuId);
        menu.HasIndex(m => new { m.IsPublished, m.Mode });
        menu.HasIndex(m => m.UnitId);
    }
}

sealed class ServiceSlotConfiguration : IEntityTypeConfiguration<ServiceSlot>
{
    public void Configure(EntityTypeBuilder<ServiceSlot> slot)
    {
        slot.HasIndex(s => new { s.MenuId, s.StartsAtUtc });
        slot.ToTable(t => t.HasCheckConstraint("CK_ServiceSlots_Booked", "\"Booked\" >= 0 AND \"Booked\" <= \"Capacity\""));
    }
}

sealed class CitizenOrderConfiguration : IEntityTypeConfiguration<CitizenOrder>
{
    public void Configure(EntityTypeBuilder<CitizenOrder> order)
    {
        order.HasOne(o => o.Menu).WithMany().HasForeignKey(o => o.MenuId).OnDelete(DeleteBehavior.Restrict);
        order.HasOne(o => o.Unit).WithMany().HasForeignKey(o => o.UnitId).OnDelete(DeleteBehavior.Restrict);
        order.HasOne(o => o.Organization).WithMany().HasForeignKey(o => o.OrganizationId).OnDelete(DeleteBehavior.Restrict);
        order.HasOne<ServiceSlot>().WithMany().HasForeignKey(o => o.SlotId).OnDelete(DeleteBehavior.Restrict);
        order.HasOne<Activity>().WithMany().HasForeignKey(o => o.ActivityId).OnDelete(DeleteBehavior.SetNull);
        order.HasMany(o => o.Events).WithOne().HasForeignKey(e => e.OrderId);
        order.Property(o => o.CitizenName).HasMaxLength(50);
        order.Property(o => o.PhoneMasked).HasMaxLength(20);
        order.Property(o => o.PhoneHash).HasMaxLength(32);
        order.Property(o => o.TrackingHash).HasMaxLength(32);
        order.Property(o => o.CitizenUserId).HasMaxLength(64);
        order.Property(o => o.Address).HasMaxLength(CitizenOrder.TextMaxLength);
        order.Property(o => o.Notes).HasMaxLength(CitizenOrder.TextMaxLength);
        order.Property(o => o.RejectReason).HasMaxLength(CitizenOrder.TextMaxLength);
        order.Property(o => o.CancelReason).HasMaxLength(CitizenOrder.TextMaxLength);
        order.Property(o => o.RatingComment).HasMaxLength(CitizenOrder.TextMaxLength);
        order.Property(o => o.Status).HasConversion<string>().HasMaxLength(16);
        order.HasIndex(o => new { o.PhoneHash, o.CreatedAtUtc });
        order.HasIndex(o => new { o.UnitId, o.Status });
        order.HasIndex(o => new { o.OrganizationId, o.Status });
    }
}

sealed class OrderEventConfiguration : IEntityTypeConfiguration<OrderEvent>
{
    public void Configure(EntityTypeBuilder<OrderEvent> e)
    {
        e.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
        e.Property(x => x.Actor).HasMaxLength(100);
        e.Property(x => x.OrganizationName).HasMaxLength(Organization.NameMaxLength);
        e.Property(x => x.Reason).HasMaxLength(CitizenOrder.TextMaxLength);
        e.HasIndex(x => new { x.OrderId, x.AtUtc });
    }
}

sealed class PhoneVerificationConfiguration : IEntityTypeConfiguration<PhoneVerification>
{
    public void Configure(EntityTypeBuilder<PhoneVerification> v)
    {
        v.Property(x => x.PhoneHash).HasMaxLength(32);
        v.Property(x => x.CodeHash).HasMaxLength(32);
        v.HasIndex(x => new { x.PhoneHash, x.CreatedAtUtc });
    }
}
