using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Zhiyuan.Web.Organizations;
using Zhiyuan.Web.Units;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Web.Activities;

/// <summary>A volunteer activity (志愿服务活动) run by a host organisation, in one or more sessions.</summary>
public sealed class Activity
{
    public const int TitleMaxLength = 100;
    public const int TextMaxLength = 2000;
    public const int ShortTextMaxLength = 200;

    public Guid Id { get; set; } = Guid.CreateVersion7();

    public required string Title { get; set; }

    /// <summary>What volunteers will do; the "content" of every service record.</summary>
    public string Description { get; set; } = "";

    public Guid HostOrganizationId { get; set; }

    public Organization? HostOrganization { get; set; }

    /// <summary>The host organisation's unit when the activity was created: the subtree that sees and reports it.</summary>
    public Guid UnitId { get; set; }

    public Unit? Unit { get; set; }

    public List<ActivityCoOrganizer> CoOrganizers { get; set; } = [];

    /// <summary>Exactly one of the six lines.</summary>
    public ServiceLines ServiceLine { get; set; }

    /// <summary>Optional programme (朝阳行动, 金晖助老, 河小青 …).</summary>
    public string? ProgrammeTag { get; set; }

    public PopulationTypes PopulationTypes { get; set; }

    /// <summary>Explains "other" when it is chosen.</summary>
    public string? OtherPopulation { get; set; }

    public required string Address { get; set; }

    public double? Latitude { get; set; }

    public double? Longitude { get; set; }

    /// <summary>When set (and coordinates are), a QR check-in must come from within this many metres.</summary>
    public int? GeofenceMeters { get; set; }

    public DateTime SignUpOpensAtUtc { get; set; }

    public DateTime SignUpClosesAtUtc { get; set; }

    /// <summary>Cancellations up to this many hours before a session starts free the place for the waitlist.</summary>
    public int CancelHoursBefore { get; set; } = 24;

    public int? MinAge { get; set; }

    public int? MaxAge { get; set; }

    /// <summary>Skills every volunteer must have listed, separated by 、 or commas.</summary>
    public string RequiredSkills { get; set; } = "";

    /// <summary>Only approved members of the host or a co-organiser may sign up.</summary>
    public bool MembersOnly { get; set; }

    /// <summary>Sign-ups wait for the organisation's decision instead of being accepted at once.</summary>
    public bool ReviewSignUps { get; set; }

    public string RiskNotice { get; set; } = "";

    public bool Insured { get; set; }

    /// <summary>The person responsible, shown on every service record.</summary>
    public required string ResponsiblePerson { get; set; }

    public ActivityStatus Status { get; set; }

    public DateTime CreatedAtUtc { get; set; }

    public string? CreatedByUserId { get; set; }

    public DateTime? PublishedAtUtc { get; set; }

    /// <summary>
    /// Private work: an accepted citizen order (it happens at someone's home) or an undercover patrol
    /// round. Never listed or shown to the public or to volunteers outside the assignment; it still
    /// counts in reports and hours like any activity.
    /// </summary>
    public bool IsPrivate { get; set; }

    /// <summary>
    /// Recorded after it happened (补录): its sessions and attendance were entered by the organisation and
    /// its hours reach the ledger only when the unit above approves (see <c>BackEntries/</c>). Marked 补录 everywhere.
    /// </summary>
    public bool IsBackEntry { get; set; }

    /// <summary>
    /// Raised by every edit and cancellation: an edit names the version it started from, and one that
    /// started from an older version is refused (409), so two organisers editing at once never
    /// overwrite each other unseen (ADR 0015).
    /// </summary>
    public int Version { get; set; }

    /// <summary>When the activity was called off (status <see cref="ActivityStatus.Cancelled"/>), and why — shown publicly.</summary>
    public DateTime? CancelledAtUtc { get; set; }

    public string? CancellationReason { get; set; }

    public List<ActivitySession> Sessions { get; set; } = [];
}

public enum ActivityStatus
{
    /// <summary>Being prepared; only the organisation sees it.</summary>
    Draft,

    /// <summary>Public and taking sign-ups within its window.</summary>
    Published,

    /// <summary>Public, no more sign-ups; attendance and hours go on.</summary>
    Closed,

    /// <summary>Over; the outcome is recorded.</summary>
    Finished,

    /// <summary>Called off before it began, with a reason; its sign-ups were cancelled and their volunteers told.</summary>
    Cancelled,
}

/// <summary>The population types of the statistics table (覆盖人群), plus "other" explained in text.</summary>
[Flags]
public enum PopulationTypes
{
    None = 0,
    Disabled = 1,
    MigrantWorkersChildren = 2,
    EmptyNestElderly = 4,
    IdleYouth = 8,
    YouthWithBadBehaviour = 16,
    LeftBehindChildren = 32,
    HomelessMinors = 64,
    PrisonersMinorChildren = 128,
    Other = 256,
}

public static class PopulationTypeList
{
    public static readonly PopulationTypes[] All =
    [
        PopulationTypes.Disabled, PopulationTypes.MigrantWorkersChildren, PopulationTypes.EmptyNestElderly, PopulationTypes.IdleYouth,
        PopulationTypes.YouthWithBadBehaviour, PopulationTypes.LeftBehindChildren, PopulationTypes.HomelessMinors,
        PopulationTypes.PrisonersMinorChildren, PopulationTypes.Other,
    ];

    public static IEnumerable<PopulationTypes> Split(PopulationTypes types) => All.Where(t => types.HasFlag(t));
}

public sealed class ActivityCoOrganizer
{
    public Guid ActivityId { get; set; }

    public Guid OrganizationId { get; set; }

    public Organization? Organization { get; set; }
}

/// <summary>One session (时段) of an activity: a time window with a number of places.</summary>
public sealed class ActivitySession
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid ActivityId { get; set; }

    public Activity? Activity { get; set; }

    public DateTime StartsAtUtc { get; set; }

    public DateTime EndsAtUtc { get; set; }

    public int Capacity { get; set; }

    /// <summary>Places taken by accepted sign-ups; changed only by a conditional update, so it never passes <see cref="Capacity"/> (a check constraint holds it too).</summary>
    public int Accepted { get; set; }

    /// <summary>Sign-ups on the waitlist now; kept with <see cref="Accepted"/> in the same statements, so the position told to a volunteer is theirs alone.</summary>
    public int Waitlisted { get; set; }

    /// <summary>Waitlist tickets handed out so far; a waitlisted sign-up's <see cref="SignUp.WaitlistTicket"/> orders the queue.</summary>
    public int WaitlistIssued { get; set; }

    /// <summary>A training session: completing it is kept in the volunteer's record.</summary>
    public bool IsTraining { get; set; }

    /// <summary>Signs the rotating check-in codes; never leaves the server.</summary>
    public required byte[] CheckInSecret { get; set; }

    /// <summary>When the organisation confirmed the hours of this session.</summary>
    public DateTime? HoursConfirmedAtUtc { get; set; }

    /// <summary>When this session was called off (before it began), and why; it then takes no sign-ups and holds none.</summary>
    public DateTime? CancelledAtUtc { get; set; }

    public string? CancellationReason { get; set; }
}

/// <summary>A volunteer's sign-up for a session, and then their attendance.</summary>
public sealed class SignUp
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public Guid SessionId { get; set; }

    public ActivitySession? Session { get; set; }

    public Guid VolunteerId { get; set; }

    public Volunteer? Volunteer { get; set; }

    public SignUpStatus Status { get; set; }

    /// <summary>Order on the waitlist: first come, first served.</summary>
    public DateTime RequestedAtUtc { get; set; }

    public DateTime? DecidedAtUtc { get; set; }

    public string? Reason { get; set; }

    public DateTime? CheckedInAtUtc { get; set; }

    public DateTime? CheckedOutAtUtc { get; set; }

    /// <summary>The volunteer did not check out; the check-out was set to the session's end.</summary>
    public bool CheckOutMissing { get; set; }

    /// <summary>The newest check-in code this sign-up used, so that a code cannot be used twice.</summary>
    public long LastCodeWindow { get; set; }

    /// <summary>Set when the hours were written to the ledger.</summary>
    public Guid? LedgerEntryId { get; set; }

    /// <summary>Place in the queue while waitlisted: the lowest ticket is promoted first.</summary>
    public int? WaitlistTicket { get; set; }

    /// <summary>
    /// Added on site by the session's leader (现场加入) rather than signed up: accepted and checked in at
    /// once, outside the capacity — it holds no place, so <see cref="ActivitySession.Accepted"/> and the
    /// waitlist never count it (ADR 0011).
    /// </summary>
    public bool WalkIn { get; set; }

    /// <summary>Set when the organisation marked the volunteer absent (缺席): the attendance is left out of the ledger.</summary>
    public string? AbsenceReason { get; set; }

    public DateTime? AbsenceMarkedAtUtc { get; set; }
}

public enum SignUpStatus
{
    /// <summary>Waiting for the organisation's decision.</summary>
    Pending,
    Accepted,
    Waitlisted,
    Cancelled,
    Rejected,
}

sealed class ActivityConfiguration : IEntityTypeConfiguration<Activity>
{
    public void Configure(EntityTypeBuilder<Activity> activity)
    {
        activity.Property(a => a.Title).HasMaxLength(Activity.TitleMaxLength);
        activity.HasIndex(a => a.Title);
        activity.Property(a => a.Description).HasMaxLength(Activity.TextMaxLength);
        activity.HasOne(a => a.HostOrganization).WithMany().HasForeignKey(a => a.HostOrganizationId).OnDelete(DeleteBehavior.Restrict);
        activity.HasOne(a => a.Unit).WithMany().HasForeignKey(a => a.UnitId).OnDelete(DeleteBehavior.Restrict);
        activity.HasMany(a => a.CoOrganizers).WithOne().HasForeignKey(c => c.ActivityId);
        activity.HasMany(a => a.Sessions).WithOne(s => s.Activity).HasForeignKey(s => s.ActivityId);
        activity.Property(a => a.ProgrammeTag).HasMaxLength(50);
        activity.Property(a => a.OtherPopulation).HasMaxLength(Activity.ShortTextMaxLength);
        activity.Property(a => a.Address).HasMaxLength(Activity.ShortTextMaxLength);
        activity.Property(a => a.RequiredSkills).HasMaxLength(Activity.ShortTextMaxLength);
        activity.Property(a => a.RiskNotice).HasMaxLength(Activity.TextMaxLength);
        activity.Property(a => a.ResponsiblePerson).HasMaxLength(50);
        activity.Property(a => a.Status).HasConversion<string>().HasMaxLength(16);
        activity.Property(a => a.CreatedByUserId).HasMaxLength(64);
        activity.Property(a => a.Version).IsConcurrencyToken();
        activity.Property(a => a.CancellationReason).HasMaxLength(Activity.ShortTextMaxLength);
        activity.HasIndex(a => new { a.Status, a.SignUpClosesAtUtc });
        activity.HasIndex(a => a.HostOrganizationId);
        activity.HasIndex(a => a.UnitId);
    }
}

sealed class ActivityCoOrganizerConfiguration : IEntityTypeConfiguration<ActivityCoOrganizer>
{
    public void Configure(EntityTypeBuilder<ActivityCoOrganizer> coOrganizer)
    {
        coOrganizer.HasKey(c => new { c.ActivityId, c.OrganizationId });
        coOrganizer.HasOne(c => c.Organization).WithMany().HasForeignKey(c => c.OrganizationId).OnDelete(DeleteBehavior.Restrict);
        coOrganizer.HasIndex(c => c.OrganizationId);
    }
}

sealed class ActivitySessionConfiguration : IEntityTypeConfiguration<ActivitySession>
{
    public void Configure(EntityTypeBuilder<ActivitySession> session)
    {
        session.HasIndex(s => new { s.ActivityId, s.StartsAtUtc });
        // A week's sessions with their activity, read from the index alone: the statistics table starts from them (docs/performance.md, "Campaign reports").
        session.HasIndex(s => new { s.StartsAtUtc, s.ActivityId, s.Id });
        session.Property(s => s.CheckInSecret).HasMaxLength(32);
        session.Property(s => s.CancellationReason).HasMaxLength(Activity.ShortTextMaxLength);
        session.ToTable(t =>
        {
            t.HasCheckConstraint("CK_ActivitySessions_Accepted", "\"Accepted\" >= 0 AND \"Accepted\" <= \"Capacity\"");
            t.HasCheckConstraint("CK_ActivitySessions_Waitlisted", "\"Waitlisted\" >= 0 AND \"WaitlistIssued\" >= \"Waitlisted\"");
        });
    }
}

sealed class SignUpConfiguration : IEntityTypeConfiguration<SignUp>
{
    public void Configure(EntityTypeBuilder<SignUp> signUp)
    {
        // One sign-up per volunteer and session: a second attempt (even a simultaneous one) fails here.
        signUp.HasIndex(s => new { s.SessionId, s.VolunteerId }).IsUnique();
        signUp.HasIndex(s => new { s.VolunteerId, s.Status });
        signUp.HasIndex(s => new { s.SessionId, s.Status, s.RequestedAtUtc });
        signUp.HasIndex(s => new { s.SessionId, s.WaitlistTicket }).IsUnique();
        // Hours are written for an attendance only while none are: "… AND "LedgerEntryId" IS NULL" (ADR 0011).
        signUp.Property(s => s.LedgerEntryId).IsConcurrencyToken();
        signUp.HasOne(s => s.Session).WithMany().HasForeignKey(s => s.SessionId);
        signUp.HasOne(s => s.Volunteer).WithMany().HasForeignKey(s => s.VolunteerId).OnDelete(DeleteBehavior.Restrict);
        signUp.Property(s => s.Status).HasConversion<string>().HasMaxLength(16);
        signUp.Property(s => s.Reason).HasMaxLength(Activity.ShortTextMaxLength);
        signUp.Property(s => s.AbsenceReason).HasMaxLength(Activity.ShortTextMaxLength);
        // An attendance marked absent is never credited, whichever of the two writes comes second.
        signUp.ToTable(t => t.HasCheckConstraint("CK_SignUps_AbsentNotCredited", "\"AbsenceReason\" IS NULL OR \"LedgerEntryId\" IS NULL"));
    }
}
