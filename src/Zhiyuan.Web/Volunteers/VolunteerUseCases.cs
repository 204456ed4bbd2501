using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Audit;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Infrastructure;

namespace Zhiyuan.Web.Volunteers;

public sealed record RegisterVolunteerRequest(
    string? Name,
    string? DocumentType,
    string? DocumentNumber,
    string? Gender,
    string? BirthDate,
    string? Mobile,
    string? UnitCode,
    string? Skills,
    string[]? ServiceLines,
    string? GuardianName,
    bool GuardianConsent,
    string? Password,
    string? Code = null)
{
    public VolunteerInput ToInput() => new(Name, DocumentType, DocumentNumber, Gender, BirthDate, Mobile, Skills, ServiceLines, GuardianName, GuardianConsent);
}

/// <param name="Code">The code sent to <paramref name="Mobile"/>: verifies it (a mobile changed without one is unverified).</param>
public sealed record UpdateContactRequest(string? Mobile, string? Skills, string[]? ServiceLines, string? Code = null);

public sealed record SendMobileCodeRequest(string? Mobile);

public sealed record RevealRequest(string? Reason);

public sealed record RevokeRequest(string? Reason);

/// <summary>A volunteer as every page and API response shows them: ID and phone masked.</summary>
public sealed record VolunteerView(
    string Number,
    string Name,
    DocumentType DocumentType,
    string DocumentNumber,
    Gender Gender,
    DateOnly BirthDate,
    string Mobile,
    string UnitCode,
    string UnitName,
    string Skills,
    ServiceLines ServiceLines,
    string? GuardianName,
    DateTime RegisteredAtUtc,
    int StarLevel,
    bool CertificateRevoked,
    string? CertificateRevokedReason,
    bool HasAccount,
    bool MobileVerified,
    DateTime? MobileVerifiedAtUtc)
{
    /// <summary>Confirmed hours and star progress: on the volunteer's own view and an administrator's detail view; null in lists.</summary>
    public HoursSummary? Hours { get; init; }

    /// <summary>An administrator's detail view only: the latest ledger lines (reversals included).</summary>
    public List<Zhiyuan.Web.Hours.RecentLedgerLine>? RecentService { get; init; }

    /// <summary>An administrator's detail view only: the organisations the volunteer is an approved member of.</summary>
    public List<VolunteerOrganization>? Organizations { get; init; }
}

/// <summary>The full numbers, for an administrator who gave a reason; every such view is audited.</summary>
public sealed record PersonalDataView(string Number, string Name, DocumentType DocumentType, string DocumentNumber, string Mobile, bool MobileVerified);

public sealed record VolunteerPage(int Total, int Page, int PageSize, List<VolunteerView> Items);

public sealed class VolunteerUseCases(
    AppDbContext db,
    AuditLog audit,
    PersonalData personalData,
    VolunteerRules rules,
    UserManager<AppUser> users,
    PhoneCodes phoneCodes,
    IStringLocalizer<SharedResource> text,
    TimeProvider time)
{
    public const int PageSize = 20;
    public const int ReasonMaxLength = 200;

    public const string DocumentHashKind = "document";
    public const string PhoneHashKind = "mobile";

    /// <summary>Codes verifying a volunteer's mobile: hash kinds of their own, so an order or recovery code never verifies one.</summary>
    public static readonly PhoneCodeKind MobileCodes = new(SmsPurpose.MobileVerification, "mobile-code-phone", "mobile-code", "mobile-codes:", PerPhonePerHour: 5, ValidMinutes: 10);

    /// <summary>
    /// Whether registration (and a change of mobile) takes a code: only when a gateway sends text
    /// messages. A code in a developer's log proves nothing about a mobile, so there, as without any
    /// provider, registration needs none and the mobile is stored unverified.
    /// </summary>
    public bool MobileCodesRequired => phoneCodes.Delivery == SmsDelivery.TextMessage;

    /// <summary>
    /// 获取验证码 for registration or a change of mobile: a code to the number typed, unless it is already
    /// another account's (a record imported and not yet claimed may still be claimed). The number's
    /// limit (5 an hour), the client address's and the platform's are paid as for every code.
    /// </summary>
    public async Task<Outcome<CodeSentView>> SendMobileCodeAsync(ClaimsPrincipal principal, SendMobileCodeRequest request, System.Net.IPAddress? address,
        CancellationToken cancellationToken = default)
    {
        if (!MobileCodesRequired)
        {
            return Outcome<CodeSentView>.Invalid("mobile", text["Volunteers.Error.NoMobileCodes"]);
        }
        var errors = new FieldErrors();
        var mobile = rules.CheckMobile(request.Mobile, errors);
        if (errors.Any)
        {
            return Outcome<CodeSentView>.Invalid(errors);
        }
        var phoneHash = personalData.Hash(PhoneHashKind, mobile);
        var userId = users.GetUserId(principal);
        if (await db.Volunteers.AnyAsync(v => v.PhoneHash == phoneHash && v.UserId != null && v.UserId != userId, cancellationToken))
        {
            return Outcome<CodeSentView>.Invalid("mobile", text["Volunteers.Error.MobileTaken"]);
        }
        return await phoneCodes.SendAsync(MobileCodes, "mobile", mobile, address, cancellationToken);
    }

    /// <summary>
    /// Real-name self-registration: checks every field, refuses a document or mobile number already
    /// registered (without saying by whom), gives a volunteer number, and opens the volunteer's own
    /// account (user name = volunteer number; signing in with the mobile number works too).
    /// Someone an organisation imported claims their record by registering with the same document
    /// and mobile number.
    /// </summary>
    public async Task<Outcome<VolunteerView>> RegisterAsync(RegisterVolunteerRequest request, CancellationToken cancellationToken = default)
    {
        var errors = new FieldErrors();
        var valid = rules.Check(request.ToInput(), ChinaTime.Today(time), errors);
        var unitCode = request.UnitCode?.Trim();
        var unit = string.IsNullOrEmpty(unitCode) ? null
            : await db.Units.AsNoTracking().SingleOrDefaultAsync(u => u.Code == unitCode && u.IsActive, cancellationToken);
        if (unit is null)
        {
            errors.Add("unitCode", string.IsNullOrEmpty(unitCode) ? text["Validation.Required", text["Volunteers.Field.Unit"]] : text["Units.Error.UnknownCode", unitCode]);
        }
        if (MobileCodesRequired && string.IsNullOrWhiteSpace(request.Code))
        {
            errors.Add("code", text["Volunteers.Error.CodeRequired"]);
        }
        if (string.IsNullOrEmpty(request.Password))
        {
            errors.Add("password", text["Validation.Required", text["Accounts.Field.Password"]]);
        }
        else
        {
            // Checked with the other fields, so one submission shows every problem at once.
            foreach (var validator in users.PasswordValidators)
            {
                var result = await validator.ValidateAsync(users, new AppUser(), request.Password);
                foreach (var error in result.Errors)
                {
                    errors.Add("password", error.Description);
                }
            }
        }
        if (errors.Any)
        {
            return Outcome<VolunteerView>.Invalid(errors);
        }

        var documentHash = personalData.Hash(DocumentHashKind, valid!.Document.Type + ":" + valid.Document.Number);
        var phoneHash = personalData.Hash(PhoneHashKind, valid.Mobile);
        var existing = await db.Volunteers.SingleOrDefaultAsync(v => v.DocumentHash == documentHash, cancellationToken);
        var claiming = existing is { UserId: null } && existing.PhoneHash.AsSpan().SequenceEqual(phoneHash);
        if (existing is not null && !claiming)
        {
            errors.Add("documentNumber", text["Volunteers.Error.AlreadyRegistered"]);
        }
        if (!claiming && await db.Volunteers.AnyAsync(v => v.PhoneHash == phoneHash, cancellationToken))
        {
            errors.Add("mobile", text["Volunteers.Error.MobileTaken"]);
        }
        // The code is compared last, so a registration refused for anything else costs none of its attempts.
        var verification = MobileCodesRequired && !errors.Any ? await phoneCodes.CheckAsync(MobileCodes, valid.Mobile, request.Code, "code", errors, cancellationToken) : null;
        if (errors.Any)
        {
            return Outcome<VolunteerView>.Invalid(errors);
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Used once, inside the registration's transaction: of simultaneous registrations with one code one
        // takes it, and a registration refused below gives it back.
        if (verification is { } code && !await phoneCodes.UseAsync(code, cancellationToken))
        {
            return Outcome<VolunteerView>.Invalid("code", phoneCodes.NoCode(MobileCodes));
        }
        var volunteer = existing ?? NewVolunteer(valid, documentHash, phoneHash, unit!.Id, await ReserveNumbersAsync(db, 1, cancellationToken));
        volunteer.MobileVerifiedAtUtc = verification is null ? null : time.GetUtcNow().UtcDateTime;
        var user = new AppUser { UserName = volunteer.Number, DisplayName = volunteer.Name, PhoneHash = phoneHash };
        var created = await users.CreateAsync(user, request.Password!);
        if (!created.Succeeded)
        {
            foreach (var error in created.Errors)
            {
                errors.Add("password", error.Description);
            }
            return Outcome<VolunteerView>.Invalid(errors);
        }
        await users.AddToRoleAsync(user, Roles.Volunteer);
        volunteer.UserId = user.Id;
        if (existing is null)
        {
            db.Volunteers.Add(volunteer);
        }
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Someone registered the same document or mobile number a moment ago.
            return Outcome<VolunteerView>.Invalid("documentNumber", text["Volunteers.Error.AlreadyRegistered"]);
        }
        await transaction.CommitAsync(cancellationToken);
        PlatformMetrics.Registrations.Add(1);
        return Outcome<VolunteerView>.Ok((await QueryViews(db.Volunteers.Where(v => v.Id == volunteer.Id)).SingleAsync(cancellationToken)));
    }

    /// <summary>A new volunteer from checked data; the caller adds it and saves.</summary>
    public Volunteer NewVolunteer(CheckedVolunteer valid, byte[] documentHash, byte[] phoneHash, Guid unitId, long number) => new()
    {
        Number = NumberCounter.FormatVolunteerNumber(number),
        Name = valid.Name,
        DocumentType = valid.Document.Type,
        DocumentCipher = personalData.Encrypt(valid.Document.Number),
        DocumentHash = documentHash,
        DocumentMasked = PersonalData.MaskDocument(valid.Document.Number),
        Gender = valid.Gender,
        BirthDate = valid.BirthDate,
        PhoneCipher = personalData.Encrypt(valid.Mobile),
        PhoneHash = phoneHash,
        PhoneMasked = PersonalData.MaskPhone(valid.Mobile),
        PhoneLast4 = valid.Mobile[^4..],
        UnitId = unitId,
        Skills = valid.Skills,
        ServiceLines = valid.ServiceLines,
        GuardianName = valid.GuardianName,
        // Consent is recorded with the registration (in an import, on the organisation's word).
        GuardianConsentAtUtc = valid.GuardianName is null ? null : time.GetUtcNow().UtcDateTime,
        RegisteredAtUtc = time.GetUtcNow().UtcDateTime,
        CertificateCode = NewCertificateCode(),
    };

    /// <summary>128 random bits, URL-safe: a certificate link cannot be guessed or counted through.</summary>
    public static string NewCertificateCode()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomPool.Fill(bytes);
        return Base64UrlEncode(bytes);
    }

    static string Base64UrlEncode(ReadOnlySpan<byte> bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>
    /// Takes a block of volunteer numbers in one statement. The row lock (PostgreSQL) or write lock
    /// (SQLite) held until the caller's transaction ends keeps two registrations from sharing a number.
    /// Returns the first number of the block.
    /// </summary>
    public static async Task<long> ReserveNumbersAsync(AppDbContext db, int count, CancellationToken cancellationToken = default)
    {
        var last = (await db.Database.SqlQuery<long>(
            $"""UPDATE "NumberCounters" SET "Last" = "Last" + {count} WHERE "Name" = {NumberCounter.Volunteers} RETURNING "Last" AS "Value" """)
            .ToListAsync(cancellationToken)).Single();
        return last - count + 1;
    }

    public Task<VolunteerView?> GetOwnAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default)
    {
        var userId = users.GetUserId(user);
        return QueryViews(db.Volunteers.Where(v => v.UserId == userId)).SingleOrDefaultAsync(cancellationToken);
    }

    /// <summary>
    /// The volunteer changes their own mobile number (optional), skills and preferred service lines. A new
    /// mobile is verified when the code sent to it is given, and unverified otherwise; giving the current
    /// mobile with its code verifies it.
    /// </summary>
    public async Task<Outcome<VolunteerView>> UpdateContactAsync(ClaimsPrincipal principal, UpdateContactRequest request, CancellationToken cancellationToken = default)
    {
        var userId = users.GetUserId(principal);
        var volunteer = await db.Volunteers.Include(v => v.User).SingleOrDefaultAsync(v => v.UserId == userId, cancellationToken);
        if (volunteer is null)
        {
            return Outcome<VolunteerView>.NotFound();
        }
        var errors = new FieldErrors();
        var mobile = rules.CheckMobile(request.Mobile, errors, required: false);
        var code = (request.Code ?? "").Trim();
        byte[]? phoneHash = null;
        if (mobile.Length > 0 && !errors.Any)
        {
            phoneHash = personalData.Hash(PhoneHashKind, mobile);
            if (await db.Volunteers.AnyAsync(v => v.PhoneHash == phoneHash && v.Id != volunteer.Id, cancellationToken))
            {
                errors.Add("mobile", text["Volunteers.Error.MobileTaken"]);
            }
        }
        if (code.Length > 0 && !MobileCodesRequired)
        {
            errors.Add("code", text["Volunteers.Error.NoMobileCodes"]);
        }
        else if (code.Length > 0 && mobile.Length == 0)
        {
            errors.Add("mobile", text["Volunteers.Error.CodeNeedsMobile"]);
        }
        var skills = rules.CheckSkills(request.Skills, errors);
        var lines = rules.CheckServiceLines(request.ServiceLines, errors);
        var verification = code.Length > 0 && !errors.Any ? await phoneCodes.CheckAsync(MobileCodes, mobile, code, "code", errors, cancellationToken) : null;
        if (errors.Any)
        {
            return Outcome<VolunteerView>.Invalid(errors);
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (verification is { } used && !await phoneCodes.UseAsync(used, cancellationToken))
        {
            return Outcome<VolunteerView>.Invalid("code", phoneCodes.NoCode(MobileCodes));
        }
        var now = time.GetUtcNow().UtcDateTime;
        if (phoneHash is not null && !phoneHash.AsSpan().SequenceEqual(volunteer.PhoneHash))
        {
            volunteer.PhoneCipher = personalData.Encrypt(mobile);
            volunteer.PhoneHash = phoneHash;
            volunteer.PhoneMasked = PersonalData.MaskPhone(mobile);
            volunteer.PhoneLast4 = mobile[^4..];
            volunteer.User!.PhoneHash = phoneHash;
            // A new number is the volunteer's word only, until a code sent to it comes back.
            volunteer.MobileVerifiedAtUtc = verification is null ? null : now;
        }
        else if (verification is not null)
        {
            volunteer.MobileVerifiedAtUtc = now;
        }
        volunteer.Skills = skills;
        volunteer.ServiceLines = lines;
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<VolunteerView>.Ok(await QueryViews(db.Volunteers.Where(v => v.Id == volunteer.Id)).SingleAsync(cancellationToken));
    }

    /// <summary>
    /// Administrators' search within their subtree: a volunteer number (ZY…), the last four digits of
    /// a mobile number, or part of a name. Newest registrations first.
    /// </summary>
    public async Task<VolunteerPage> SearchAsync(UnitScope scope, string? query, int page, CancellationToken cancellationToken = default)
    {
        var volunteers = Search(scope, query);
        // Bounded above too: a huge page number would overflow the offset.
        page = Math.Clamp(page, 1, 1_000_000);
        var total = await volunteers.CountAsync(cancellationToken);
        var items = await QueryViews(volunteers.OrderByDescending(v => v.RegisteredAtUtc).ThenByDescending(v => v.Number)
            .Skip((page - 1) * PageSize).Take(PageSize)).ToListAsync(cancellationToken);
        return new VolunteerPage(total, page, PageSize, items);
    }

    IQueryable<Volunteer> Search(UnitScope scope, string? query)
    {
        var volunteers = InScope(scope);
        var q = (query ?? "").Trim();
        if (q.Length == 4 && q.All(char.IsAsciiDigit))
        {
            volunteers = volunteers.Where(v => v.PhoneLast4 == q);
        }
        else if (q.StartsWith("ZY", StringComparison.OrdinalIgnoreCase) && q.Length > 2 && q[2..].All(char.IsAsciiDigit))
        {
            var number = q.ToUpperInvariant();
            volunteers = volunteers.Where(v => v.Number.StartsWith(number));
        }
        else if (q.Length > 0)
        {
            volunteers = volunteers.Where(v => v.Name.Contains(q));
        }
        return volunteers;
    }

    public const int ExportMaxRows = 100_000;

    /// <summary>
    /// The volunteers a search finds (all of the subtree without one), as a CSV Excel opens, numbers
    /// masked as everywhere else; each export is written to the audit log with what was searched.
    /// </summary>
    public async Task<byte[]> ExportAsync(UnitScope scope, string? query, CancellationToken cancellationToken = default)
    {
        var found = await QueryViews(Search(scope, query).OrderBy(v => v.Number).Take(ExportMaxRows)).ToListAsync(cancellationToken);
        var csv = new System.Text.StringBuilder("\uFEFF");
        string[] headers = ["Number", "Name", "Gender", "BirthDate", "DocumentType", "DocumentNumber", "Mobile", "Unit", "Skills", "ServiceLines", "RegisteredOn"];
        csv.AppendJoin(',', headers.Select(h => CsvCell.Quote(text["Volunteers.Field." + h]))).Append(',').Append(CsvCell.Quote(text["Certificate.Title"])).Append("\r\n");
        foreach (var v in found)
        {
            string[] cells =
            [
                v.Number, v.Name, text["Gender." + v.Gender], v.BirthDate.ToString("yyyy-MM-dd"), text["DocumentType." + v.DocumentType], v.DocumentNumber, v.Mobile,
                v.UnitName, v.Skills, string.Join("、", ServiceLineList.Split(v.ServiceLines).Select(l => text["ServiceLine." + l].Value)),
                ChinaTime.Format(v.RegisteredAtUtc), v.CertificateRevoked ? text["Certificate.Revoked"] : text["Certificate.Valid"],
            ];
            csv.AppendJoin(',', cells.Select(CsvCell.Quote)).Append("\r\n");
        }
        audit.Add("volunteer.export", scope.RootId, (query ?? "").Trim().Length == 0 ? "*" : query!.Trim(), text["Volunteers.ExportAuditDetails", found.Count]);
        await db.SaveChangesAsync(cancellationToken);
        return System.Text.Encoding.UTF8.GetBytes(csv.ToString());
    }

    public Task<VolunteerView?> GetAsync(UnitScope scope, string number, CancellationToken cancellationToken = default) =>
        QueryViews(InScope(scope).Where(v => v.Number == number)).SingleOrDefaultAsync(cancellationToken);

    /// <summary>The full ID and mobile number, for an administrator of the volunteer's subtree who says why; audited.</summary>
    public async Task<Outcome<PersonalDataView>> RevealAsync(UnitScope scope, string number, RevealRequest request, CancellationToken cancellationToken = default)
    {
        var volunteer = await InScope(scope).AsNoTracking().SingleOrDefaultAsync(v => v.Number == number, cancellationToken);
        if (volunteer is null)
        {
            return Outcome<PersonalDataView>.NotFound();
        }
        var reason = (request.Reason ?? "").Trim();
        if (reason.Length < 2 || reason.Length > ReasonMaxLength)
        {
            return Outcome<PersonalDataView>.Invalid("reason", text["Volunteers.Error.RevealReason", ReasonMaxLength]);
        }
        audit.Add("volunteer.reveal", volunteer.UnitId, volunteer.Number, reason);
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<PersonalDataView>.Ok(new PersonalDataView(volunteer.Number, volunteer.Name, volunteer.DocumentType,
            personalData.Decrypt(volunteer.DocumentCipher), personalData.Decrypt(volunteer.PhoneCipher), volunteer.MobileVerifiedAtUtc is not null));
    }

    /// <summary>Revokes the registered-volunteer certificate (verification then says "revoked"), or restores it.</summary>
    public async Task<Outcome<VolunteerView>> SetCertificateRevokedAsync(UnitScope scope, string number, bool revoke, string? reason, CancellationToken cancellationToken = default)
    {
        var volunteer = await InScope(scope).SingleOrDefaultAsync(v => v.Number == number, cancellationToken);
        if (volunteer is null)
        {
            return Outcome<VolunteerView>.NotFound();
        }
        reason = (reason ?? "").Trim();
        if (revoke && (reason.Length == 0 || reason.Length > ReasonMaxLength))
        {
            return Outcome<VolunteerView>.Invalid("reason", text["Volunteers.Error.RevokeReason", ReasonMaxLength]);
        }
        if (revoke == volunteer.CertificateRevokedAtUtc is not null)
        {
            // Already so (a double click, or someone else a moment ago): nothing changes, nothing is audited.
            return Outcome<VolunteerView>.Invalid("certificate", text[revoke ? "Volunteers.Error.AlreadyRevoked" : "Volunteers.Error.NotRevoked"]);
        }
        // CertificateRevokedAtUtc is a concurrency token: of two simultaneous revocations one saves, the other is refused (409).
        volunteer.CertificateRevokedAtUtc = revoke ? time.GetUtcNow().UtcDateTime : null;
        volunteer.CertificateRevokedReason = revoke ? reason : null;
        audit.Add(revoke ? "volunteer.revoke" : "volunteer.restore", volunteer.UnitId, volunteer.Number, reason);
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<VolunteerView>.Ok((await GetAsync(scope, number, cancellationToken))!);
    }

    IQueryable<Volunteer> InScope(UnitScope scope) => db.Volunteers.Where(v => v.Unit!.Path.StartsWith(scope.RootPath));

    public static IQueryable<VolunteerView> QueryViews(IQueryable<Volunteer> volunteers) => volunteers.AsNoTracking()
        .Select(v => new VolunteerView(v.Number, v.Name, v.DocumentType, v.DocumentMasked, v.Gender, v.BirthDate, v.PhoneMasked, v.Unit!.Code, v.Unit.Name,
            v.Skills, v.ServiceLines, v.GuardianName, v.RegisteredAtUtc, v.StarLevel, v.CertificateRevokedAtUtc != null, v.CertificateRevokedReason, v.UserId != null,
            v.MobileVerifiedAtUtc != null, v.MobileVerifiedAtUtc));
}
