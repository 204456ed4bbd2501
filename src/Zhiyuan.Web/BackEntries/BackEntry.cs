using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Zhiyuan.Web.Activities;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Web.BackEntries;

/// <summary>
/// An activity recorded after it happened (补录): an organisation ran it without the platform and
/// enters its sessions and who attended. The activity stays a draft, and nothing reaches the hour
/// ledger, until an administrator of the organisation's unit or a unit above approves; a returned
/// back-entry is corrected and submitted again.
/// </summary>
public sealed class BackEntry
{
    public const int ReasonMaxLength = 200;

    public Guid Id { get; set; } = Guid.CreateVersion7();

    /// <summary>The activity it records (<see cref="Activity.IsBackEntry"/>), one back-entry each.</summary>
    public Guid ActivityId { get; set; }

    public Activity? Activity { get; set; }

    public BackEntryStatus Status { get; set; }

    /// <summary>Raised by every change, so a reviewer approves exactly what they read (a stale version is refused).</summary>
    public int Version { get; set; }

    public DateTime CreatedAtUtc { get; set; }

    public required string CreatedBy { get; set; }

    /// <summary>
    /// When it was first submitted: the window of <see cref="BackEntryOptions.BackEntryDays"/> is counted
    /// back from here, so a return and a correction a week later do not push the activity out of it.
    /// </summary>
    public DateTime? FirstSubmittedAtUtc { get; set; }

    public DateTime? SubmittedAtUtc { get; set; }

    public string? SubmittedBy { get; set; }

    /// <summary>Who submitted it last: they do not review their own submission.</summary>
    public string? SubmittedByUserId { get; set; }

    public DateTime? DecidedAtUtc { get; set; }

    public string? DecidedBy { get; set; }

    /// <summary>Why the reviewer returned it; kept after a resubmission until the next decision.</summary>
    public string? ReturnReason { get; set; }

    public List<BackEntryAttendance> Attendance { get; set; } = [];
}

public enum BackEntryStatus
{
    /// <summary>Being prepared by the organisation; nobody else sees it.</summary>
    Draft,

    /// <summary>Waiting for the unit's review; it cannot be changed meanwhile.</summary>
    Submitted,

    /// <summary>Sent back with a reason: corrected and submitted again.</summary>
    Returned,

    /// <summary>Approved: the hours are in the ledger, marked 补录; the activity is finished.</summary>
    Approved,
}

/// <summary>One volunteer's attendance in one session of a back-entered activity, as the organisation entered it.</summary>
public sealed class BackEntryAttendance
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid BackEntryId { get; set; }

    public Guid SessionId { get; set; }

    public ActivitySession? Session { get; set; }

    public Guid VolunteerId { get; set; }

    public Volunteer? Volunteer { get; set; }

    /// <summary>Check-in, or the session's start when the hours were given instead of times.</summary>
    public DateTime StartUtc { get; set; }

    /// <summary>Check-out, or the start plus the hours given.</summary>
    public DateTime EndUtc { get; set; }

    /// <summary>Whole minutes between start and end, as they will be credited unless time is credited elsewhere by then.</summary>
    public int Minutes { get; set; }

    /// <summary>The order it was entered in (a spreadsheet's row, a line of the form).</summary>
    public int Position { get; set; }
}

/// <summary>The <c>Hours</c> settings of back-entry.</summary>
public sealed class BackEntryOptions
{
    /// <summary><c>Hours:BackEntryDays</c>: how many days back a session may have started to be back-entered.</summary>
    public int BackEntryDays { get; set; } = 30;
}

sealed class BackEntryConfiguration : IEntityTypeConfiguration<BackEntry>
{
    public void Configure(EntityTypeBuilder<BackEntry> entry)
    {
        entry.HasOne(b => b.Activity).WithMany().HasForeignKey(b => b.ActivityId).OnDelete(DeleteBehavior.Restrict);
        // One back-entry per activity.
        entry.HasIndex(b => b.ActivityId).IsUnique();
        entry.HasIndex(b => new { b.Status, b.SubmittedAtUtc });
        entry.HasMany(b => b.Attendance).WithOne().HasForeignKey(a => a.BackEntryId);
        entry.Property(b => b.Status).HasConversion<string>().HasMaxLength(16);
        // Changes read-check-write the version: a second change built on the same version is refused.
        entry.Property(b => b.Version).IsConcurrencyToken();
        entry.Property(b => b.CreatedBy).HasMaxLength(100);
        entry.Property(b => b.SubmittedBy).HasMaxLength(100);
        entry.Property(b => b.SubmittedByUserId).HasMaxLength(64);
        entry.Property(b => b.DecidedBy).HasMaxLength(100);
        entry.Property(b => b.ReturnReason).HasMaxLength(BackEntry.ReasonMaxLength);
    }
}

sealed class BackEntryAttendanceConfiguration : IEntityTypeConfiguration<BackEntryAttendance>
{
    public void Configure(EntityTypeBuilder<BackEntryAttendance> attendance)
    {
        // Each volunteer at most once per session, even when two corrections arrive together.
        attendance.HasIndex(a => new { a.SessionId, a.VolunteerId }).IsUnique();
        attendance.HasIndex(a => new { a.BackEntryId, a.Position });
        attendance.HasIndex(a => a.VolunteerId);
        attendance.HasOne(a => a.Session).WithMany().HasForeignKey(a => a.SessionId).OnDelete(DeleteBehavior.Restrict);
        attendance.HasOne(a => a.Volunteer).WithMany().HasForeignKey(a => a.VolunteerId).OnDelete(DeleteBehavior.Restrict);
        attendance.ToTable(t => t.HasCheckConstraint("CK_BackEntryAttendances_Span", "\"EndUtc\" > \"StartUtc\""));
    }
}
