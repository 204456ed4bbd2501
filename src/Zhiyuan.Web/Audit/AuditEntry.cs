using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Zhiyuan.Web.Data;

namespace Zhiyuan.Web.Audit;

/// <summary>
/// One administrative change: who did what to which unit or account, when. Entries are only ever
/// added, in the same transaction as the change they describe; nothing updates or deletes them.
/// </summary>
public sealed class AuditEntry
{
    public const int DetailsMaxLength = 2000;

    public Guid Id { get; set; } = Guid.CreateVersion7();

    public DateTime AtUtc { get; set; }

    public string? ActorId { get; set; }

    public required string ActorName { get; set; }

    /// <summary>What happened, as a stable key such as <c>unit.move</c>.</summary>
    public required string Action { get; set; }

    /// <summary>The unit the change concerns; who may read the entry follows from it.</summary>
    public Guid? UnitId { get; set; }

    /// <summary>The unit code or user name changed.</summary>
    public required string Subject { get; set; }

    public string Details { get; set; } = "";
}

sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> entry)
    {
        entry.Property(e => e.ActorId).HasMaxLength(64);
        entry.Property(e => e.ActorName).HasMaxLength(100);
        entry.Property(e => e.Action).HasMaxLength(50);
        entry.Property(e => e.Subject).HasMaxLength(100);
        entry.Property(e => e.Details).HasMaxLength(AuditEntry.DetailsMaxLength);
        entry.HasIndex(e => e.AtUtc);
        entry.HasIndex(e => e.UnitId);
    }
}

/// <summary>Adds entries for the signed-in user of the current request; the caller's SaveChanges writes them.</summary>
public sealed class AuditLog(AppDbContext db, IHttpContextAccessor http, TimeProvider time)
{
    /// <summary>Who is acting: the signed-in user's name, or "system".</summary>
    public string ActorName => http.HttpContext?.User.Identity?.Name ?? "system";

    public void Add(string action, Guid? unitId, string subject, string details = "")
    {
        var user = http.HttpContext?.User;
        db.Add(new AuditEntry
        {
            AtUtc = time.GetUtcNow().UtcDateTime,
            ActorId = user?.FindFirstValue(ClaimTypes.NameIdentifier),
            ActorName = ActorName,
            Action = action,
            UnitId = unitId,
            Subject = subject,
            Details = details.Length > AuditEntry.DetailsMaxLength ? details[..AuditEntry.DetailsMaxLength] : details,
        });
    }
}
