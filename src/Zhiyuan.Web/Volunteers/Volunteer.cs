using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Units;

namespace Zhiyuan.Web.Volunteers;

/// <summary>
/// A registered volunteer (注册志愿者). The ID and phone numbers are kept only encrypted, beside a
/// keyed hash for look-ups and the masked form every page shows; see <see cref="Infrastructure.PersonalData"/>.
/// </summary>
public sealed class Volunteer
{
    public const int NameMaxLength = 50;
    public const int SkillsMaxLength = 200;

    public Guid Id { get; set; } = Guid.CreateVersion7();

    /// <summary>The public volunteer number, from a counter, so it says nothing about the ID number.</summary>
    public required string Number { get; set; }

    public required string Name { get; set; }

    public DocumentType DocumentType { get; set; }

    public required byte[] DocumentCipher { get; set; }

    /// <summary>Unique: one person, one volunteer.</summary>
    public required byte[] DocumentHash { get; set; }

    public required string DocumentMasked { get; set; }

    public Gender Gender { get; set; }

    public DateOnly BirthDate { get; set; }

    public required byte[] PhoneCipher { get; set; }

    public required byte[] PhoneHash { get; set; }

    public required string PhoneMasked { get; set; }

    /// <summary>Kept apart so administrators can search by the last four digits.</summary>
    public required string PhoneLast4 { get; set; }

    /// <summary>
    /// When the volunteer proved the mobile is theirs with a code sent to it (at registration, or when
    /// changing it); empty when the platform sends no text messages, for imported records, and after a
    /// change made without a code.
    /// </summary>
    public DateTime? MobileVerifiedAtUtc { get; set; }

    public Guid UnitId { get; set; }

    public Unit? Unit { get; set; }

    public string Skills { get; set; } = "";

    public ServiceLines ServiceLines { get; set; }

    /// <summary>For volunteers aged 14–17: the guardian who consented, and when.</summary>
    public string? GuardianName { get; set; }

    public DateTime? GuardianConsentAtUtc { get; set; }

    /// <summary>The volunteer's own sign-in; empty for someone imported who has not yet claimed the record.</summary>
    public string? UserId { get; set; }

    public AppUser? User { get; set; }

    public DateTime RegisteredAtUtc { get; set; }

    /// <summary>The random part of the certificate's verification link: 128 bits, unrelated to the number.</summary>
    public required string CertificateCode { get; set; }

    public DateTime? CertificateRevokedAtUtc { get; set; }

    public string? CertificateRevokedReason { get; set; }

    /// <summary>0 until recognition awards stars.</summary>
    public int StarLevel { get; set; }
}

/// <summary>The six activity lines of the notice (活动内容); a volunteer may prefer several.</summary>
[Flags]
public enum ServiceLines
{
    None = 0,
    CivilisedCity = 1,
    PovertyRelief = 2,
    Ecology = 4,
    CivilisationPractice = 8,
    SocialGovernance = 16,
    VolunteerCulture = 32,
}

public static class ServiceLineList
{
    public static readonly ServiceLines[] All =
    [
        ServiceLines.CivilisedCity, ServiceLines.PovertyRelief, ServiceLines.Ecology,
        ServiceLines.CivilisationPractice, ServiceLines.SocialGovernance, ServiceLines.VolunteerCulture,
    ];

    public static IEnumerable<ServiceLines> Split(ServiceLines lines) => All.Where(l => lines.HasFlag(l));
}

sealed class VolunteerConfiguration : IEntityTypeConfiguration<Volunteer>
{
    public void Configure(EntityTypeBuilder<Volunteer> volunteer)
    {
        volunteer.Property(v => v.Number).HasMaxLength(16);
        volunteer.HasIndex(v => v.Number).IsUnique();
        volunteer.Property(v => v.CertificateRevokedAtUtc).IsConcurrencyToken();
        volunteer.Property(v => v.Name).HasMaxLength(Volunteer.NameMaxLength);
        volunteer.HasIndex(v => v.Name);
        // The stars page reads the volunteers who hold a star (few) without reading every volunteer.
        volunteer.HasIndex(v => v.StarLevel).HasFilter("\"StarLevel\" > 0");
        volunteer.Property(v => v.DocumentType).HasConversion<string>().HasMaxLength(24);
        volunteer.HasIndex(v => v.DocumentHash).IsUnique();
        volunteer.Property(v => v.DocumentMasked).HasMaxLength(40);
        volunteer.Property(v => v.Gender).HasConversion<string>().HasMaxLength(8);
        volunteer.HasIndex(v => v.PhoneHash).IsUnique();
        volunteer.Property(v => v.PhoneMasked).HasMaxLength(20);
        volunteer.Property(v => v.PhoneLast4).HasMaxLength(4);
        volunteer.HasIndex(v => v.PhoneLast4);
        volunteer.HasOne(v => v.Unit).WithMany().HasForeignKey(v => v.UnitId).OnDelete(DeleteBehavior.Restrict);
        volunteer.Property(v => v.Skills).HasMaxLength(Volunteer.SkillsMaxLength);
        volunteer.Property(v => v.GuardianName).HasMaxLength(Volunteer.NameMaxLength);
        volunteer.HasOne(v => v.User).WithOne().HasForeignKey<Volunteer>(v => v.UserId).OnDelete(DeleteBehavior.Restrict);
        volunteer.Property(v => v.CertificateCode).HasMaxLength(32);
        volunteer.HasIndex(v => v.CertificateCode).IsUnique();
        volunteer.Property(v => v.CertificateRevokedReason).HasMaxLength(200);
    }
}

/// <summary>Hands out volunteer numbers ZY00000001, ZY00000002, … in blocks, safely under concurrency on both databases.</summary>
public sealed class NumberCounter
{
    public const string Volunteers = "volunteers";

    /// <summary>Serials of service-record certificates.</summary>
    public const string ServiceCertificates = "service-certificates";

    public required string Name { get; set; }

    /// <summary>The last number handed out.</summary>
    public long Last { get; set; }

    public static string FormatVolunteerNumber(long value) => "ZY" + value.ToString("D8");
}

sealed class NumberCounterConfiguration : IEntityTypeConfiguration<NumberCounter>
{
    public void Configure(EntityTypeBuilder<NumberCounter> counter)
    {
        counter.HasKey(c => c.Name);
        counter.Property(c => c.Name).HasMaxLength(50);
        counter.HasData(new NumberCounter { Name = NumberCounter.Volunteers, Last = 0 }, new NumberCounter { Name = NumberCounter.ServiceCertificates, Last = 0 });
    }
}
