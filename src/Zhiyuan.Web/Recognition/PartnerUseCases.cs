using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Audit;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Infrastructure;

namespace Zhiyuan.Web.Recognition;

public sealed record BenefitItem(int MinStarLevel, string Description);

public sealed record PartnerRequest(string? Name, string? Kind, string? Address, DateOnly? ValidFrom, DateOnly? ValidTo, BenefitItem[]? Benefits);

public sealed record PartnerView(Guid Id, string Name, string Kind, string Address, string UnitName, DateOnly ValidFrom, DateOnly ValidTo, List<BenefitItem> Benefits);

/// <summary>A partner as its administrators see it, with the staff link to hand to the venue's staff.</summary>
public sealed record ManagedPartnerView(PartnerView Partner, string StaffPath);

/// <summary>All a partner's staff learn from a volunteer's certificate: its star level and which of their benefits apply today.</summary>
public sealed record PartnerCheckView(string PartnerName, bool CertificateValid, int StarLevel, List<string> Benefits);

/// <summary>Incentive partners (守信联合激励): venues and merchants with benefits by star level, valid between two dates.</summary>
public sealed class PartnerUseCases(AppDbContext db, AuditLog audit, IStringLocalizer<SharedResource> text, TimeProvider time)
{
    public const string StaffPathPrefix = "/partners/staff/";
    public const string StaffCookie = "zhiyuan-partner";

    public async Task<Outcome<ManagedPartnerView>> CreateAsync(ClaimsPrincipal principal, PartnerRequest request, CancellationToken cancellationToken = default)
    {
        var scope = await UnitScope.ForAsync(principal, db, cancellationToken);
        if (scope is null)
        {
            return Outcome<ManagedPartnerView>.NotFound();
        }
        var errors = new FieldErrors();
        var name = (request.Name ?? "").Trim();
        if (name.Length is 0 or > IncentivePartner.NameMaxLength)
        {
            errors.Add("name", name.Length == 0 ? text["Validation.Required", text["Partners.Field.Name"]] : text["Validation.TooLong", text["Partners.Field.Name"], IncentivePartner.NameMaxLength]);
        }
        var kind = (request.Kind ?? "").Trim();
        var address = (request.Address ?? "").Trim();
        if (kind.Length > 50 || address.Length > 200)
        {
            errors.Add("address", text["Validation.TooLong", text["Partners.Field.Address"], 200]);
        }
        if (request.ValidFrom is null || request.ValidTo is null || request.ValidTo < request.ValidFrom)
        {
            errors.Add("validTo", text["Partners.Error.Validity"]);
        }
        var benefits = (request.Benefits ?? []).Where(b => !string.IsNullOrWhiteSpace(b.Description)).ToList();
        if (benefits.Count == 0)
        {
            errors.Add("benefits", text["Partners.Error.NoBenefit"]);
        }
        foreach (var benefit in benefits.Where(b => b.MinStarLevel is < 1 or > 5 || b.Description.Trim().Length > 200))
        {
            errors.Add("benefits", text["Partners.Error.Benefit", benefit.Description.Trim()]);
        }
        if (errors.Any)
        {
            return Outcome<ManagedPartnerView>.Invalid(errors);
        }
        var partner = new IncentivePartner
        {
            Name = name, Kind = kind, Address = address, UnitId = scope.RootId, ValidFrom = request.ValidFrom!.Value, ValidTo = request.ValidTo!.Value,
            StaffKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)), CreatedAtUtc = time.GetUtcNow().UtcDateTime,
            Benefits = benefits.Select(b => new PartnerBenefit { MinStarLevel = b.MinStarLevel, Description = b.Description.Trim() }).ToList(),
        };
        db.IncentivePartners.Add(partner);
        audit.Add("partner.create", scope.RootId, name, string.Join("; ", partner.Benefits.Select(b => $"★{b.MinStarLevel}+ {b.Description}")));
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<ManagedPartnerView>.Ok((await ManagedAsync(principal, cancellationToken)).Single(p => p.Partner.Id == partner.Id));
    }

    /// <summary>Partners valid today, for everyone.</summary>
    public Task<List<PartnerView>> PublicAsync(CancellationToken cancellationToken = default)
    {
        var today = ChinaTime.Today(time);
        return Views(db.IncentivePartners.Where(p => p.ValidFrom <= today && p.ValidTo >= today)).ToListAsync(cancellationToken);
    }

    public async Task<List<ManagedPartnerView>> ManagedAsync(ClaimsPrincipal principal, CancellationToken cancellationToken = default)
    {
        var scope = await UnitScope.ForAsync(principal, db, cancellationToken);
        if (scope is null)
        {
            return [];
        }
        var partners = db.IncentivePartners.Where(p => db.Units.Any(u => u.Id == p.UnitId && u.Path.StartsWith(scope.RootPath)));
        // The views first, then the keys: a partner added in between (by someone else) is in the keys too, so every view finds its key.
        var views = await Views(partners).ToListAsync(cancellationToken);
        var keys = await partners.ToDictionaryAsync(p => p.Id, p => p.StaffKey, cancellationToken);
        return views.Select(p => new ManagedPartnerView(p, StaffPathPrefix + keys[p.Id])).ToList();
    }

    public Task<string?> StaffPartnerNameAsync(string? staffKey, CancellationToken cancellationToken = default) =>
        string.IsNullOrEmpty(staffKey) ? Task.FromResult<string?>(null)
            : db.IncentivePartners.Where(p => p.StaffKey == staffKey).Select(p => p.Name).SingleOrDefaultAsync(cancellationToken);

    /// <summary>The partner's staff check a certificate code; null when the staff key or the code is unknown (the same answer either way).</summary>
    public async Task<PartnerCheckView?> CheckAsync(string? staffKey, string certificateCode, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(staffKey))
        {
            return null;
        }
        var partner = await db.IncentivePartners.AsNoTracking().Include(p => p.Benefits).SingleOrDefaultAsync(p => p.StaffKey == staffKey, cancellationToken);
        var holder = partner is null ? null : await db.Volunteers.AsNoTracking().Where(v => v.CertificateCode == certificateCode)
            .Select(v => new { v.StarLevel, Revoked = v.CertificateRevokedAtUtc != null }).SingleOrDefaultAsync(cancellationToken);
        if (holder is null)
        {
            return null;
        }
        var today = ChinaTime.Today(time);
        var inForce = partner!.ValidFrom <= today && partner.ValidTo >= today && !holder.Revoked;
        var benefits = inForce ? partner.Benefits.Where(b => b.MinStarLevel <= holder.StarLevel).OrderBy(b => b.MinStarLevel).Select(b => b.Description).ToList() : [];
        return new PartnerCheckView(partner.Name, !holder.Revoked, holder.StarLevel, benefits);
    }

    IQueryable<PartnerView> Views(IQueryable<IncentivePartner> partners) => partners.AsNoTracking().OrderBy(p => p.Name)
        .Select(p => new PartnerView(p.Id, p.Name, p.Kind, p.Address, db.Units.Where(u => u.Id == p.UnitId).Select(u => u.Name).First(), p.ValidFrom, p.ValidTo,
            p.Benefits.OrderBy(b => b.MinStarLevel).Select(b => new BenefitItem(b.MinStarLevel, b.Description)).ToList()));
}
