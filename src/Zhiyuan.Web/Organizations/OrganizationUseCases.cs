using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Audit;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Infrastructure;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Web.Organizations;

public sealed record RegisterOrganizationRequest(string? Name, string? Description, string? UnitCode);

public sealed record ReviewRequest(bool Approve, string? Reason);

public sealed record AddOrganizationAdminRequest(string? VolunteerNumber);

/// <summary>
/// The organisation's own profile, as it should be (PUT), with the <c>version</c> read from GET: an edit
/// from an older version is refused (409). Its unit and approval are not the organisation's to change.
/// </summary>
public sealed record UpdateOrganizationRequest(int? Version, string? Name, string? Description, string? ContactName, string? ContactPhone, string? Address,
    ServiceLines[]? ServiceLines);

public sealed record OrganizationView(
    Guid Id,
    string Name,
    string Description,
    string UnitCode,
    string UnitName,
    OrganizationStatus Status,
    DateTime RegisteredAtUtc,
    string? ReviewReason,
    int MemberCount,
    string ContactName = "",
    string ContactPhone = "",
    string Address = "",
    ServiceLines ServiceLines = ServiceLines.None,
    int Version = 0);

/// <summary>A member or applicant as the organisation's administrators see them: phone masked.</summary>
public sealed record MemberView(string VolunteerNumber, string Name, string Mobile, MembershipStatus Status, DateTime AppliedAtUtc, string? Reason, bool IsAdmin);

/// <summary>A volunteer's own memberships.</summary>
public sealed record MyMembershipView(Guid OrganizationId, string OrganizationName, MembershipStatus Status, string? Reason, bool IsAdmin);

public sealed class OrganizationUseCases(
    AppDbContext db,
    AuditLog audit,
    UserManager<AppUser> users,
    IStringLocalizer<SharedResource> text,
    TimeProvider time)
{
    /// <summary>
    /// Anyone signed in may register an organisation under a unit. An administrator of that unit's
    /// subtree registers it approved at once; anyone else's waits for that administrator, and the
    /// applicant becomes the organisation's administrator when it is approved.
    /// </summary>
    public async Task<Outcome<OrganizationView>> RegisterAsync(ClaimsPrincipal principal, RegisterOrganizationRequest request, CancellationToken cancellationToken = default)
    {
        var errors = new FieldErrors();
        var name = (request.Name ?? "").Trim();
        if (name.Length == 0)
        {
            errors.Add("name", text["Validation.Required", text["Organizations.Field.Name"]]);
        }
        else if (name.Length > Organization.NameMaxLength)
        {
            errors.Add("name", text["Validation.TooLong", text["Organizations.Field.Name"], Organization.NameMaxLength]);
        }
        else if (await db.Organizations.AnyAsync(o => o.Name == name, cancellationToken))
        {
            errors.Add("name", text["Organizations.Error.NameTaken", name]);
        }
        var description = (request.Description ?? "").Trim();
        if (description.Length > Organization.DescriptionMaxLength)
        {
            errors.Add("description", text["Validation.TooLong", text["Organizations.Field.Description"], Organization.DescriptionMaxLength]);
        }
        var unitCode = request.UnitCode?.Trim();
        var unit = string.IsNullOrEmpty(unitCode) ? null
            : await db.Units.AsNoTracking().SingleOrDefaultAsync(u => u.Code == unitCode && u.IsActive, cancellationToken);
        if (unit is null)
        {
            errors.Add("unitCode", string.IsNullOrEmpty(unitCode) ? text["Validation.Required", text["Units.Field.Unit"]] : text["Units.Error.UnknownCode", unitCode]);
        }
        if (errors.Any)
        {
            return Outcome<OrganizationView>.Invalid(errors);
        }
        var scope = await UnitScope.ForAsync(principal, db, cancellationToken);
        var byItsAdministrator = scope is not null && unit!.Path.StartsWith(scope.RootPath, StringComparison.Ordinal);
        var now = time.GetUtcNow().UtcDateTime;
        var organization = new Organization
        {
            Name = name,
            Description = description,
            UnitId = unit!.Id,
            Status = byItsAdministrator ? OrganizationStatus.Approved : OrganizationStatus.Pending,
            RegisteredAtUtc = now,
            RegisteredByUserId = users.GetUserId(principal),
            ReviewedAtUtc = byItsAdministrator ? now : null,
        };
        db.Organizations.Add(organization);
        audit.Add("organization.register", unit.Id, name, organization.Status.ToString());
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<OrganizationView>.Ok((await Views(db.Organizations.Where(o => o.Id == organization.Id)).SingleAsync(cancellationToken)));
    }

    /// <summary>Approved organisations anyone may apply to, and, for an administrator, every organisation of their subtree.</summary>
    public async Task<List<OrganizationView>> ListAsync(ClaimsPrincipal principal, string? search = null, CancellationToken cancellationToken = default)
    {
        var scope = await UnitScope.ForAsync(principal, db, cancellationToken);
        var userId = users.GetUserId(principal);
        var organizations = db.Organizations.Where(o => o.Status == OrganizationStatus.Approved
            || (scope != null && o.Unit!.Path.StartsWith(scope.RootPath))
            || o.Admins.Any(a => a.UserId == userId) || o.RegisteredByUserId == userId);
        var q = (search ?? "").Trim();
        if (q.Length > 0)
        {
            organizations = organizations.Where(o => o.Name.Contains(q));
        }
        // Registrations waiting for a decision first: they are what an administrator comes to act on.
        return await Views(organizations.OrderBy(o => o.Status == OrganizationStatus.Pending ? 0 : o.Status == OrganizationStatus.Approved ? 1 : 2)
            .ThenBy(o => o.Name)).Take(500).ToListAsync(cancellationToken);
    }

    /// <summary>The organisation, what the caller may do with it, and the caller's own membership if any.</summary>
    public async Task<(OrganizationView View, bool CanManage, bool CanReview, MembershipStatus? MyStatus)?> GetAsync(ClaimsPrincipal principal, Guid id, CancellationToken cancellationToken = default)
    {
        var access = await AccessAsync(principal, id, cancellationToken);
        if (access is null)
        {
            return null;
        }
        var view = await Views(db.Organizations.Where(o => o.Id == id)).SingleAsync(cancellationToken);
        var userId = users.GetUserId(principal);
        var myStatus = await db.Memberships.Where(m => m.OrganizationId == id && m.Volunteer!.UserId == userId)
            .Select(m => (MembershipStatus?)m.Status).SingleOrDefaultAsync(cancellationToken);
        return (view, access.Value.CanManage, access.Value.CanReview, myStatus);
    }

    /// <summary>The unit's administrator approves a registration, or refuses it with a reason.</summary>
    public async Task<Outcome<OrganizationView>> ReviewAsync(ClaimsPrincipal principal, Guid id, ReviewRequest request, CancellationToken cancellationToken = default)
    {
        var access = await AccessAsync(principal, id, cancellationToken);
        if (access is not { CanReview: true })
        {
            return Outcome<OrganizationView>.NotFound();
        }
        var organization = await db.Organizations.SingleAsync(o => o.Id == id, cancellationToken);
        if (organization.Status != OrganizationStatus.Pending)
        {
            return Outcome<OrganizationView>.Invalid("status", text["Organizations.Error.NotPending"]);
        }
        var reason = (request.Reason ?? "").Trim();
        if (!request.Approve && (reason.Length == 0 || reason.Length > Organization.ReasonMaxLength))
        {
            return Outcome<OrganizationView>.Invalid("reason", text["Organizations.Error.Reason", Organization.ReasonMaxLength]);
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        organization.Status = request.Approve ? OrganizationStatus.Approved : OrganizationStatus.Rejected;
        organization.ReviewedAtUtc = time.GetUtcNow().UtcDateTime;
        organization.ReviewReason = request.Approve ? null : reason;
        if (request.Approve && organization.RegisteredByUserId is { } applicantId && await users.FindByIdAsync(applicantId) is { } applicant)
        {
            await MakeAdminAsync(organization.Id, applicant);
        }
        audit.Add(request.Approve ? "organization.approve" : "organization.reject", organization.UnitId, organization.Name, reason);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<OrganizationView>.Ok(await Views(db.Organizations.Where(o => o.Id == id)).SingleAsync(cancellationToken));
    }

    /// <summary>A volunteer applies to join an approved organisation; one who was declined may apply again.</summary>
    public async Task<Outcome<MyMembershipView>> ApplyAsync(ClaimsPrincipal principal, Guid id, CancellationToken cancellationToken = default)
    {
        var userId = users.GetUserId(principal);
        var volunteer = await db.Volunteers.SingleOrDefaultAsync(v => v.UserId == userId, cancellationToken);
        var organization = await db.Organizations.AsNoTracking().SingleOrDefaultAsync(o => o.Id == id && o.Status == OrganizationStatus.Approved, cancellationToken);
        if (organization is null)
        {
            return Outcome<MyMembershipView>.NotFound();
        }
        if (volunteer is null)
        {
            return Outcome<MyMembershipView>.Invalid("volunteer", text["Organizations.Error.NotAVolunteer"]);
        }
        var membership = await db.Memberships.SingleOrDefaultAsync(m => m.OrganizationId == id && m.VolunteerId == volunteer.Id, cancellationToken);
        if (membership is { Status: MembershipStatus.Pending })
        {
            return Outcome<MyMembershipView>.Invalid("organization", text["Organizations.Error.AlreadyApplied"]);
        }
        if (membership is { Status: MembershipStatus.Approved })
        {
            return Outcome<MyMembershipView>.Invalid("organization", text["Organizations.Error.AlreadyMember"]);
        }
        if (membership is null)
        {
            db.Memberships.Add(membership = new Membership { OrganizationId = id, VolunteerId = volunteer.Id });
        }
        membership.Status = MembershipStatus.Pending;
        membership.AppliedAtUtc = time.GetUtcNow().UtcDateTime;
        membership.DecidedAtUtc = null;
        membership.DecidedBy = null;
        membership.Reason = null;
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            return Outcome<MyMembershipView>.Invalid("organization", text["Organizations.Error.AlreadyApplied"]);
        }
        return Outcome<MyMembershipView>.Ok(new MyMembershipView(id, organization.Name, MembershipStatus.Pending, null, false));
    }

    /// <summary>An organisation administrator (or the unit's) approves an application, or declines it with a reason.</summary>
    public async Task<Outcome<MemberView>> DecideAsync(ClaimsPrincipal principal, Guid id, string volunteerNumber, ReviewRequest request, CancellationToken cancellationToken = default)
    {
        var access = await AccessAsync(principal, id, cancellationToken);
        if (access is not { CanManage: true })
        {
            return Outcome<MemberView>.NotFound();
        }
        var membership = await db.Memberships.Include(m => m.Volunteer).Include(m => m.Organization)
            .SingleOrDefaultAsync(m => m.OrganizationId == id && m.Volunteer!.Number == volunteerNumber, cancellationToken);
        if (membership is null)
        {
            return Outcome<MemberView>.NotFound();
        }
        if (membership.Status != MembershipStatus.Pending)
        {
            return Outcome<MemberView>.Invalid("status", text["Organizations.Error.NotPendingApplication"]);
        }
        var reason = (request.Reason ?? "").Trim();
        if (!request.Approve && (reason.Length == 0 || reason.Length > Organization.ReasonMaxLength))
        {
            return Outcome<MemberView>.Invalid("reason", text["Organizations.Error.Reason", Organization.ReasonMaxLength]);
        }
        membership.Status = request.Approve ? MembershipStatus.Approved : MembershipStatus.Declined;
        membership.DecidedAtUtc = time.GetUtcNow().UtcDateTime;
        membership.DecidedBy = principal.Identity?.Name;
        membership.Reason = request.Approve ? null : reason;
        audit.Add(request.Approve ? "membership.approve" : "membership.decline", membership.Organization!.UnitId, membership.Volunteer!.Number,
            membership.Organization.Name + (reason.Length > 0 ? "：" + reason : ""));
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<MemberView>.Ok(await MembersQuery(id, volunteerNumber).SingleAsync(cancellationToken));
    }

    public Task<List<MemberView>?> MembersAsync(ClaimsPrincipal principal, Guid id, CancellationToken cancellationToken = default) =>
        MembersAsync(principal, id, null, null, cancellationToken);

    /// <summary>
    /// Members and applicants for the organisation's administrators and the unit's, optionally only those a
    /// search finds (name, volunteer number, or the last digits of the mobile) and of one status.
    /// </summary>
    public async Task<List<MemberView>?> MembersAsync(ClaimsPrincipal principal, Guid id, string? search, MembershipStatus? status, CancellationToken cancellationToken = default)
    {
        var access = await AccessAsync(principal, id, cancellationToken);
        if (access is not { CanManage: true })
        {
            return null;
        }
        var members = db.Memberships.Where(m => m.OrganizationId == id && (status == null || m.Status == status));
        if (!string.IsNullOrWhiteSpace(search))
        {
            var matching = MemberPicking.Matching(db.Volunteers, search).Select(v => v.Id);
            members = members.Where(m => matching.Contains(m.VolunteerId));
        }
        return (await MembersQuery(id, members: members).ToListAsync(cancellationToken)).OrderBy(m => m.Status).ThenBy(m => m.AppliedAtUtc).ToList();
    }

    /// <summary>
    /// The organisation's administrators (or the unit's) change its profile: name, introduction, contact,
    /// address, service lines — never its unit or approval. Audited with what changed.
    /// </summary>
    public async Task<Outcome<OrganizationView>> UpdateProfileAsync(ClaimsPrincipal principal, Guid id, UpdateOrganizationRequest request, CancellationToken cancellationToken = default)
    {
        var access = await AccessAsync(principal, id, cancellationToken);
        if (access is not { CanManage: true })
        {
            return Outcome<OrganizationView>.NotFound();
        }
        if (request.Version is not { } version)
        {
            return Outcome<OrganizationView>.Invalid("version", text["ActivityEdit.Error.Version"]);
        }
        var organization = await db.Organizations.SingleAsync(o => o.Id == id, cancellationToken);
        if (version != organization.Version)
        {
            return Outcome<OrganizationView>.Conflict("version", text["Organizations.Error.Stale", version, organization.Version]);
        }
        var errors = new FieldErrors();
        string Text(string field, string? value, string label, int maxLength, bool required = false)
        {
            var trimmed = (value ?? "").Trim();
            if (required && trimmed.Length == 0)
            {
                errors.Add(field, text["Validation.Required", text[label]]);
            }
            else if (trimmed.Length > maxLength)
            {
                errors.Add(field, text["Validation.TooLong", text[label], maxLength]);
            }
            return trimmed;
        }
        var name = Text("name", request.Name, "Organizations.Field.Name", Organization.NameMaxLength, required: true);
        if (name.Length > 0 && name != organization.Name && await db.Organizations.AnyAsync(o => o.Name == name && o.Id != id, cancellationToken))
        {
            errors.Add("name", text["Organizations.Error.NameTaken", name]);
        }
        var description = Text("description", request.Description, "Organizations.Field.Description", Organization.DescriptionMaxLength);
        var contactName = Text("contactName", request.ContactName, "Organizations.Field.ContactName", Organization.ContactNameMaxLength);
        var contactPhone = Text("contactPhone", request.ContactPhone, "Organizations.Field.ContactPhone", Organization.ContactPhoneMaxLength);
        if (contactPhone.Length > 0 && (contactPhone.Count(char.IsAsciiDigit) < 5 || !contactPhone.All(c => char.IsAsciiDigit(c) || c is '-' or '+' or ' ' or '(' or ')')))
        {
            errors.Add("contactPhone", text["Organizations.Error.ContactPhone"]);
        }
        var address = Text("address", request.Address, "Organizations.Field.Address", Organization.AddressMaxLength);
        var lines = (request.ServiceLines ?? []).Aggregate(ServiceLines.None, (all, l) => all | l);
        if ((request.ServiceLines ?? []).Any(l => !ServiceLineList.All.Contains(l)))
        {
            errors.Add("serviceLines", text["Activities.Error.ServiceLine"]);
        }
        if (errors.Any)
        {
            return Outcome<OrganizationView>.Invalid(errors);
        }
        string Lines(ServiceLines value) => string.Join("、", ServiceLineList.Split(value).Select(l => text["ServiceLine." + l].Value));
        var changes = new List<string>();
        void Compare(string label, string from, string to, bool copy = true)
        {
            if (from != to)
            {
                changes.Add(copy ? text["ActivityEdit.Audit.Changed", text[label], from, to] : text["ActivityEdit.Audit.TextChanged", text[label]]);
            }
        }
        Compare("Organizations.Field.Name", organization.Name, name);
        Compare("Organizations.Field.Description", organization.Description, description, copy: false);
        Compare("Organizations.Field.ContactName", organization.ContactName, contactName);
        Compare("Organizations.Field.ContactPhone", organization.ContactPhone, contactPhone);
        Compare("Organizations.Field.Address", organization.Address, address);
        Compare("Organizations.Field.ServiceLines", Lines(organization.ServiceLines), Lines(lines));
        if (changes.Count == 0)
        {
            return Outcome<OrganizationView>.Ok(await Views(db.Organizations.Where(o => o.Id == id)).SingleAsync(cancellationToken));
        }
        organization.Name = name;
        organization.Description = description;
        organization.ContactName = contactName;
        organization.ContactPhone = contactPhone;
        organization.Address = address;
        organization.ServiceLines = lines;
        // The version is a concurrency token: the UPDATE holds "AND Version = @read", so of two edits made
        // from one version the second matches no row and saves nothing.
        organization.Version = version + 1;
        audit.Add("organization.profile", organization.UnitId, name, string.Join("；", changes));
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            db.ChangeTracker.Clear();
            var current = await db.Organizations.Where(o => o.Id == id).Select(o => o.Version).SingleAsync(cancellationToken);
            return Outcome<OrganizationView>.Conflict("version", text["Organizations.Error.Stale", version, current]);
        }
        catch (DbUpdateException e) when (Conflicts.IsConflict(e))
        {
            // Another organisation took the same name a moment ago (the unique index).
            db.ChangeTracker.Clear();
            return Outcome<OrganizationView>.Invalid("name", text["Organizations.Error.NameTaken", name]);
        }
        return Outcome<OrganizationView>.Ok(await Views(db.Organizations.Where(o => o.Id == id)).SingleAsync(cancellationToken));
    }

    /// <summary>Makes an approved member an administrator of the organisation.</summary>
    public async Task<Outcome<MemberView>> AddAdminAsync(ClaimsPrincipal principal, Guid id, AddOrganizationAdminRequest request, CancellationToken cancellationToken = default)
    {
        var access = await AccessAsync(principal, id, cancellationToken);
        if (access is not { CanManage: true })
        {
            return Outcome<MemberView>.NotFound();
        }
        var number = (request.VolunteerNumber ?? "").Trim().ToUpperInvariant();
        var member = await db.Memberships.AsNoTracking().Include(m => m.Volunteer).Include(m => m.Organization)
            .SingleOrDefaultAsync(m => m.OrganizationId == id && m.Volunteer!.Number == number && m.Status == MembershipStatus.Approved, cancellationToken);
        if (member?.Volunteer?.UserId is not { } memberUserId)
        {
            return Outcome<MemberView>.Invalid("volunteerNumber", text["Organizations.Error.AdminMustBeMember", number]);
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (!await db.OrganizationAdmins.AnyAsync(a => a.OrganizationId == id && a.UserId == memberUserId, cancellationToken))
        {
            await MakeAdminAsync(id, (await users.FindByIdAsync(memberUserId))!);
        }
        audit.Add("organization.admin", member.Organization!.UnitId, number, member.Organization.Name);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<MemberView>.Ok(await MembersQuery(id, number).SingleAsync(cancellationToken));
    }

    /// <summary>Approved organisations the caller may manage: their own, and every one in their unit subtree.</summary>
    public async Task<List<OrganizationView>> ManagedAsync(ClaimsPrincipal principal, CancellationToken cancellationToken = default) =>
        await Views((await ManagedQueryAsync(principal, cancellationToken)).OrderBy(o => o.Name)).ToListAsync(cancellationToken);

    /// <summary>
    /// Membership applications waiting for a decision in the organisations the caller manages: what the
    /// organisation page lists under its applications, and what the workbench counts.
    /// </summary>
    internal async Task<IQueryable<Membership>> ApplicationsAsync(ClaimsPrincipal principal, CancellationToken cancellationToken)
    {
        var managed = await ManagedQueryAsync(principal, cancellationToken);
        return db.Memberships.Where(m => m.Status == MembershipStatus.Pending && managed.Any(o => o.Id == m.OrganizationId));
    }

    /// <summary>The same organisations as a query, for features that act on their behalf (hosting activities).</summary>
    internal async Task<IQueryable<Organization>> ManagedQueryAsync(ClaimsPrincipal principal, CancellationToken cancellationToken)
    {
        var scope = await UnitScope.ForAsync(principal, db, cancellationToken);
        var userId = users.GetUserId(principal);
        return db.Organizations.Where(o => o.Status == OrganizationStatus.Approved
            && ((scope != null && o.Unit!.Path.StartsWith(scope.RootPath)) || o.Admins.Any(a => a.UserId == userId)));
    }

    /// <summary>
    /// The units an import into this organisation may place volunteers in (the organisation's unit
    /// and below), or null when the caller does not manage the organisation or it is not approved.
    /// </summary>
    public async Task<UnitScope?> ImportScopeAsync(ClaimsPrincipal principal, Guid id, CancellationToken cancellationToken = default)
    {
        var access = await AccessAsync(principal, id, cancellationToken);
        if (access is not { CanManage: true })
        {
            return null;
        }
        return await db.Organizations.Where(o => o.Id == id && o.Status == OrganizationStatus.Approved)
            .Select(o => new UnitScope(o.UnitId, o.Unit!.Path)).SingleOrDefaultAsync(cancellationToken);
    }

    public Task<List<MyMembershipView>> MyMembershipsAsync(ClaimsPrincipal principal, CancellationToken cancellationToken = default)
    {
        var userId = users.GetUserId(principal);
        return db.Memberships.AsNoTracking().Where(m => m.Volunteer!.UserId == userId)
            .OrderBy(m => m.Organization!.Name)
            .Select(m => new MyMembershipView(m.OrganizationId, m.Organization!.Name, m.Status, m.Reason, m.Organization.Admins.Any(a => a.UserId == userId)))
            .ToListAsync(cancellationToken);
    }

    async Task MakeAdminAsync(Guid organizationId, AppUser user)
    {
        db.OrganizationAdmins.Add(new OrganizationAdmin { OrganizationId = organizationId, UserId = user.Id });
        if (!await users.IsInRoleAsync(user, Roles.OrganizationAdmin))
        {
            await users.AddToRoleAsync(user, Roles.OrganizationAdmin);
        }
    }

    /// <summary>Whether the caller manages the organisation's members (its administrators, and those of its unit subtree).</summary>
    public async Task<bool> CanManageAsync(ClaimsPrincipal principal, Guid id, CancellationToken cancellationToken = default) =>
        await AccessAsync(principal, id, cancellationToken) is { CanManage: true };

    /// <summary>
    /// Who may do what with an organisation: its own administrators manage members; administrators of
    /// the unit subtree it sits in manage members and review its registration. Null means the caller
    /// may not even see it (pending or refused organisations are private to those people and the applicant).
    /// </summary>
    async Task<(bool CanManage, bool CanReview)?> AccessAsync(ClaimsPrincipal principal, Guid id, CancellationToken cancellationToken)
    {
        var organization = await db.Organizations.AsNoTracking().Where(o => o.Id == id)
            .Select(o => new { o.Status, o.Unit!.Path, o.RegisteredByUserId }).SingleOrDefaultAsync(cancellationToken);
        if (organization is null)
        {
            return null;
        }
        var userId = users.GetUserId(principal);
        var scope = await UnitScope.ForAsync(principal, db, cancellationToken);
        var unitAdministrator = scope is not null && organization.Path.StartsWith(scope.RootPath, StringComparison.Ordinal);
        var ownAdministrator = userId is not null && await db.OrganizationAdmins.AnyAsync(a => a.OrganizationId == id && a.UserId == userId, cancellationToken);
        if (organization.Status != OrganizationStatus.Approved && !unitAdministrator && organization.RegisteredByUserId != userId)
        {
            return null;
        }
        return (unitAdministrator || (ownAdministrator && organization.Status == OrganizationStatus.Approved), unitAdministrator);
    }

    IQueryable<MemberView> MembersQuery(Guid id, string? volunteerNumber = null, IQueryable<Membership>? members = null) => (members ?? db.Memberships).AsNoTracking()
        .Where(m => m.OrganizationId == id && (volunteerNumber == null || m.Volunteer!.Number == volunteerNumber))
        .Select(m => new MemberView(m.Volunteer!.Number, m.Volunteer.Name, m.Volunteer.PhoneMasked, m.Status, m.AppliedAtUtc, m.Reason,
            m.Organization!.Admins.Any(a => a.UserId == m.Volunteer.UserId)));

    IQueryable<OrganizationView> Views(IQueryable<Organization> organizations) => organizations.AsNoTracking()
        .Select(o => new OrganizationView(o.Id, o.Name, o.Description, o.Unit!.Code, o.Unit.Name, o.Status, o.RegisteredAtUtc, o.ReviewReason,
            db.Memberships.Count(m => m.OrganizationId == o.Id && m.Status == MembershipStatus.Approved),
            o.ContactName, o.ContactPhone, o.Address, o.ServiceLines, o.Version));
}
