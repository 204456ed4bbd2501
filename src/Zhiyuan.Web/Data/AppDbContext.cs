using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Activities;
using Zhiyuan.Web.Audit;
using Zhiyuan.Web.BackEntries;
using Zhiyuan.Web.Campaigns;
using Zhiyuan.Web.Hours;
using Zhiyuan.Web.Infrastructure;
using Zhiyuan.Web.Messages;
using Zhiyuan.Web.Organizations;
using Zhiyuan.Web.Recognition;
using Zhiyuan.Web.Patrols;
using Zhiyuan.Web.ServicePosts;
using Zhiyuan.Web.Units;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Web.Data;

/// <summary>The one database context of the platform, used directly by every feature.</summary>
/// <remarks>
/// Each provider has its own migrations set, so the provider-specific subclasses below exist only
/// to give EF Core a type to hang each set on. Features always ask for <see cref="AppDbContext"/>.
/// </remarks>
public class AppDbContext(DbContextOptions options) : IdentityDbContext<AppUser>(options), IDataProtectionKeyContext
{
    public DbSet<Unit> Units => Set<Unit>();

    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();

    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    public DbSet<ProtectedSecret> ProtectedSecrets => Set<ProtectedSecret>();

    public DbSet<Volunteer> Volunteers => Set<Volunteer>();

    public DbSet<NumberCounter> NumberCounters => Set<NumberCounter>();

    public DbSet<Organization> Organizations => Set<Organization>();

    public DbSet<OrganizationAdmin> OrganizationAdmins => Set<OrganizationAdmin>();

    public DbSet<Membership> Memberships => Set<Membership>();

    public DbSet<Activity> Activities => Set<Activity>();

    public DbSet<ActivityCoOrganizer> ActivityCoOrganizers => Set<ActivityCoOrganizer>();

    public DbSet<ActivitySession> ActivitySessions => Set<ActivitySession>();

    public DbSet<SignUp> SignUps => Set<SignUp>();

    public DbSet<ActivityOutcome> ActivityOutcomes => Set<ActivityOutcome>();

    public DbSet<PopulationServed> PopulationServed => Set<PopulationServed>();

    public DbSet<MediaLink> MediaLinks => Set<MediaLink>();

    public DbSet<ActivityPhoto> ActivityPhotos => Set<ActivityPhoto>();

    public DbSet<ActivityCover> ActivityCovers => Set<ActivityCover>();

    public DbSet<LedgerEntry> LedgerEntries => Set<LedgerEntry>();

    public DbSet<EffectiveCredit> EffectiveCredits => Set<EffectiveCredit>();

    public DbSet<ConfirmedTotal> ConfirmedTotals => Set<ConfirmedTotal>();

    public DbSet<ConfirmedYearTotal> ConfirmedYearTotals => Set<ConfirmedYearTotal>();

    public DbSet<SessionTotal> SessionTotals => Set<SessionTotal>();

    public DbSet<LimitCounter> LimitCounters => Set<LimitCounter>();

    public DbSet<RefreshToken> RefreshTokens => Set<RefreshToken>();

    public DbSet<CorrectionRequest> CorrectionRequests => Set<CorrectionRequest>();

    public DbSet<BackEntry> BackEntries => Set<BackEntry>();

    public DbSet<BackEntryAttendance> BackEntryAttendances => Set<BackEntryAttendance>();

    public DbSet<Campaign> Campaigns => Set<Campaign>();

    public DbSet<CampaignPeriod> CampaignPeriods => Set<CampaignPeriod>();

    public DbSet<CampaignUnit> CampaignUnits => Set<CampaignUnit>();

    public DbSet<CampaignReport> CampaignReports => Set<CampaignReport>();

    public DbSet<TypedInRow> TypedInRows => Set<TypedInRow>();

    public DbSet<SummaryScreenshot> SummaryScreenshots => Set<SummaryScreenshot>();

    public DbSet<CampaignNotice> CampaignNotices => Set<CampaignNotice>();

    public DbSet<CampaignPackage> CampaignPackages => Set<CampaignPackage>();

    public DbSet<StarAward> StarAwards => Set<StarAward>();

    public DbSet<CommendationRound> CommendationRounds => Set<CommendationRound>();

    public DbSet<Nomination> Nominations => Set<Nomination>();

    public DbSet<StoryPhoto> StoryPhotos => Set<StoryPhoto>();

    public DbSet<Objection> Objections => Set<Objection>();

    public DbSet<IncentivePartner> IncentivePartners => Set<IncentivePartner>();

    public DbSet<PartnerBenefit> PartnerBenefits => Set<PartnerBenefit>();

    public DbSet<ServiceCertificate> ServiceCertificates => Set<ServiceCertificate>();
    public DbSet<ServicePost> ServicePosts => Set<ServicePost>();

    public DbSet<ServiceMenu> ServiceMenus => Set<ServiceMenu>();

    public DbSet<ServiceSlot> ServiceSlots => Set<ServiceSlot>();

    public DbSet<CitizenOrder> CitizenOrders => Set<CitizenOrder>();

    public DbSet<OrderEvent> OrderEvents => Set<OrderEvent>();

    public DbSet<PhoneVerification> PhoneVerifications => Set<PhoneVerification>();

    public DbSet<PasswordRecovery> PasswordRecoveries => Set<PasswordRecovery>();

    public DbSet<Department> Departments => Set<Department>();

    public DbSet<DepartmentLiaison> DepartmentLiaisons => Set<DepartmentLiaison>();

    public DbSet<PatrolTeam> PatrolTeams => Set<PatrolTeam>();

    public DbSet<PatrolTeamMember> PatrolTeamMembers => Set<PatrolTeamMember>();

    public DbSet<PatrolRound> PatrolRounds => Set<PatrolRound>();

    public DbSet<Finding> Findings => Set<Finding>();

    public DbSet<FindingPhoto> FindingPhotos => Set<FindingPhoto>();

    public DbSet<Message> Messages => Set<Message>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(AppDbContext).Assembly);
        // Every change of a record's status is a conditional update: EF Core adds
        // "AND "Status" = @the-status-read" to the UPDATE and, when another request changed it first
        // (a double click, a second node), no row matches and the whole save is refused (409) —
        // so the second of two identical requests changes nothing. See ADR 0011.
        foreach (var entity in builder.Model.GetEntityTypes())
        {
            if (entity.FindProperty("Status") is { } status)
            {
                status.IsConcurrencyToken = true;
            }
        }
    }
}

public sealed class SqliteAppDbContext(DbContextOptions<SqliteAppDbContext> options) : AppDbContext(options)
{
    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        // SQLite's LIKE ignores case, so it can use an index only if the index ignores case too;
        // paths are lower-case hex, so NOCASE loses nothing and makes subtree reads index range scans.
        builder.Entity<Unit>().Property(u => u.Path).UseCollation("NOCASE");
        // SQLite adds a check constraint by rebuilding the table, outside any transaction; this rule is
        // held by two triggers instead (migration WalkInsAndAbsences), which add in one transaction.
        builder.Entity<Activities.SignUp>().Metadata.RemoveCheckConstraint("CK_SignUps_AbsentNotCredited");
    }
}

public sealed class PostgresAppDbContext(DbContextOptions<PostgresAppDbContext> options) : AppDbContext(options);
