using System.Security.Claims;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Zhiyuan.Web.Audit;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Infrastructure;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Web.Activities;

/// <summary>
/// Who is being added on site: a volunteer number (ZY…), the mobile number they registered with, or
/// what their certificate's QR code says (the verification link, or its code alone).
/// </summary>
public sealed record WalkInRequest(string? Volunteer);

/// <summary>A person registered by the session's leader on the spot (the registration rules, without an account) and added at once.</summary>
public sealed record OnSiteRegistrationRequest(string? Name, string? DocumentType, string? DocumentNumber, string? Gender, string? BirthDate, string? Mobile,
    string? UnitCode, string? GuardianName, bool GuardianConsent);

/// <summary>The volunteer's line of the roster after the walk-in, and a sentence saying what happened.</summary>
public sealed record WalkInView(RosterEntry Volunteer, string Message);

/// <summary>
/// Walk-ins (现场加入): a registered volunteer who turns up without having signed up is added by the
/// session's leader (whoever runs the activity), on the day. The sign-up is marked as a walk-in,
/// accepted and checked in at once, and holds no place: it is outside the capacity, so the session's
/// counters and its waitlist never change (ADR 0011). Someone already signed up is simply checked in.
/// Its hours then go through the ordinary confirmation.
/// </summary>
public sealed partial class WalkInUseCases(
    AppDbContext db,
    AuditLog audit,
    ActivityUseCases activities,
    AttendanceUseCases attendance,
    VolunteerUseCases volunteers,
    VolunteerRules rules,
    PersonalData personalData,
    IStringLocalizer<SharedResource> text,
    TimeProvider time)
{
    public const int InputMaxLength = 300;

    /// <summary>Whether walk-ins are taken for the session now: it starts today (China time) or has started, and has not ended.</summary>
    public static bool IsOpen(DateTime startsAtUtc, DateTime endsAtUtc, DateTime nowUtc) =>
        nowUtc < endsAtUtc && DateOnly.FromDateTime(ChinaTime.ToChina(startsAtUtc)) <= DateOnly.FromDateTime(ChinaTime.ToChina(nowUtc));

    /// <summary>Adds a registered volunteer, found by number, mobile number or certificate QR.</summary>
    public async Task<Outcome<WalkInView>> AddAsync(ClaimsPrincipal principal, Guid sessionId, WalkInRequest request, CancellationToken cancellationToken = default)
    {
        var (session, refusal) = await SessionAsync(principal, sessionId, cancellationToken);
        if (session is null)
        {
            return refusal!;
        }
        var (volunteer, problem) = await FindAsync(request.Volunteer, cancellationToken);
        if (volunteer is null)
        {
            return Outcome<WalkInView>.Invalid("volunteer", problem!);
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var outcome = await AddAsync(session, volunteer, cancellationToken);
        if (outcome.Succeeded)
        {
            await transaction.CommitAsync(cancellationToken);
        }
        return outcome;
    }

    /// <summary>Adds the volunteer whose certificate QR is in the photo.</summary>
    public async Task<Outcome<WalkInView>> AddFromPhotoAsync(ClaimsPrincipal principal, Guid sessionId, byte[] photo, CancellationToken cancellationToken = default)
    {
        // Who may add is checked before the photo is decoded: nobody else gets the server to read images.
        var (session, refusal) = await SessionAsync(principal, sessionId, cancellationToken);
        if (session is null)
        {
            return refusal!;
        }
        var (qr, errorKey) = await QrPhoto.ReadAsync(photo, cancellationToken);
        if (qr is null)
        {
            return Outcome<WalkInView>.Invalid("photo", errorKey == "Photos.Error.TooLarge" ? text[errorKey, PhotoUpload.MaxBytes / 1024 / 1024] : text[errorKey!]);
        }
        if (CertificateCode(qr) is null)
        {
            return Outcome<WalkInView>.Invalid("photo", text["WalkIn.Error.NotACertificate"]);
        }
        return await AddAsync(principal, sessionId, new WalkInRequest(qr), cancellationToken);
    }

    /// <summary>
    /// Registers a person on the spot with the registration rules (name, ID document, mobile; a
    /// guardian for 14–17-year-olds), without an account — they claim the record later by registering
    /// themselves with the same document and mobile number, as an imported volunteer does — and adds
    /// them as a walk-in. Someone already registered with this document and mobile number is just added.
    /// </summary>
    public async Task<Outcome<WalkInView>> RegisterAsync(ClaimsPrincipal principal, Guid sessionId, OnSiteRegistrationRequest request, CancellationToken cancellationToken = default)
    {
        var (session, refusal) = await SessionAsync(principal, sessionId, cancellationToken);
        if (session is null)
        {
            return refusal!;
        }
        var errors = new FieldErrors();
        var valid = rules.Check(new VolunteerInput(request.Name, request.DocumentType, request.DocumentNumber, request.Gender, request.BirthDate, request.Mobile,
            null, null, request.GuardianName, request.GuardianConsent), ChinaTime.Today(time), errors);
        var unitCode = (request.UnitCode ?? "").Trim();
        var unitId = unitCode.Length == 0 ? session.Activity!.UnitId
            : await db.Units.Where(u => u.Code == unitCode && u.IsActive).Select(u => (Guid?)u.Id).SingleOrDefaultAsync(cancellationToken);
        if (unitId is null)
        {
            errors.Add("unitCode", text["Units.Error.UnknownCode", unitCode]);
        }
        if (errors.Any)
        {
            return Outcome<WalkInView>.Invalid(errors);
        }
        var documentHash = personalData.Hash(VolunteerUseCases.DocumentHashKind, valid!.Document.Type + ":" + valid.Document.Number);
        var phoneHash = personalData.Hash(VolunteerUseCases.PhoneHashKind, valid.Mobile);

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Registrations of one person wait for each other here, on the row that hands out volunteer
        // numbers (self-registration and import take it too), and then see what the first one wrote:
        // a double click registers once and adds once. SQLite serialises write transactions already.
        if (db.Database.IsNpgsql())
        {
            await db.Database.ExecuteSqlAsync($"""SELECT 1 FROM "NumberCounters" WHERE "Name" = {NumberCounter.Volunteers} FOR UPDATE""", cancellationToken);
        }
        var existing = await db.Volunteers.AsNoTracking().Where(v => v.DocumentHash == documentHash)
            .Select(v => new Found(v.Id, v.Number, v.Name, v.BirthDate, v.PhoneHash)).SingleOrDefaultAsync(cancellationToken);
        Found volunteer;
        var registered = false;
        if (existing is not null)
        {
            if (!existing.PhoneHash.AsSpan().SequenceEqual(phoneHash))
            {
                return Outcome<WalkInView>.Invalid("documentNumber", text["WalkIn.Error.DocumentRegistered"]);
            }
            volunteer = existing;
        }
        else
        {
            if (await db.Volunteers.AnyAsync(v => v.PhoneHash == phoneHash, cancellationToken))
            {
                return Outcome<WalkInView>.Invalid("mobile", text["WalkIn.Error.MobileTaken"]);
            }
            var created = volunteers.NewVolunteer(valid, documentHash, phoneHash, unitId!.Value, await VolunteerUseCases.ReserveNumbersAsync(db, 1, cancellationToken));
            db.Volunteers.Add(created);
            audit.Add("volunteer.register.onsite", unitId, created.Number, session.Activity!.Title);
            await db.SaveChangesAsync(cancellationToken);
            volunteer = new Found(created.Id, created.Number, created.Name, created.BirthDate, phoneHash);
            registered = true;
        }
        var outcome = await AddAsync(session, volunteer, cancellationToken);
        if (!outcome.Succeeded)
        {
            // Nothing is kept: the person is not registered either (an age limit, another session at the same time).
            return outcome;
        }
        await transaction.CommitAsync(cancellationToken);
        return registered
            ? Outcome<WalkInView>.Ok(outcome.Value! with { Message = text["WalkIn.Registered", volunteer.Name, volunteer.Number] })
            : outcome;
    }

    sealed record Found(Guid Id, string Number, string Name, DateOnly BirthDate, byte[] PhoneHash);

    /// <summary>
    /// Adds the volunteer inside the caller's transaction, with the volunteer and then the session
    /// locked (the one lock order of ADR 0011): two leaders adding the same person at once, or a
    /// double click, find the first one's sign-up and change nothing more.
    /// </summary>
    async Task<Outcome<WalkInView>> AddAsync(ActivitySession session, Found volunteer, CancellationToken cancellationToken)
    {
        var activity = session.Activity!;
        var age = IdentityDocument.AgeOn(volunteer.BirthDate, DateOnly.FromDateTime(ChinaTime.ToChina(session.StartsAtUtc)));
        if (activity.MinAge is { } min && age < min || activity.MaxAge is { } max && age > max)
        {
            return Outcome<WalkInView>.Invalid("volunteer", text["WalkIn.Error.Age", volunteer.Name, age, AgeRange(activity.MinAge, activity.MaxAge)]);
        }
        await db.LockVolunteersAsync([volunteer.Id], cancellationToken);
        await db.LockSessionAsync(session.Id, cancellationToken);
        var now = time.GetUtcNow().UtcDateTime;
        // This session's sign-up (if any) and any other live one at the same time: a volunteer is never
        // accepted in two overlapping sessions, a walk-in included.
        var clashes = await db.SignUps.AsNoTracking()
            .Where(s => s.VolunteerId == volunteer.Id && (s.SessionId == session.Id
                || ((s.Status == SignUpStatus.Accepted || s.Status == SignUpStatus.Waitlisted || s.Status == SignUpStatus.Pending)
                    && s.Session!.StartsAtUtc < session.EndsAtUtc && s.Session.EndsAtUtc > session.StartsAtUtc)))
            .Select(s => new { s.Id, s.SessionId, s.Status, s.CheckedInAtUtc, s.LedgerEntryId, s.Session!.Activity!.Title, s.Session.StartsAtUtc, s.Session.EndsAtUtc })
            .ToListAsync(cancellationToken);
        var existing = clashes.FirstOrDefault(c => c.SessionId == session.Id);
        string message;
        if (existing is { Status: SignUpStatus.Accepted })
        {
            // Signed up (or added a moment ago): checked in, and no longer counted absent — they are here.
            if (existing.LedgerEntryId is not null)
            {
                message = text["WalkIn.AlreadyConfirmed", volunteer.Name];
            }
            else if (existing.CheckedInAtUtc is { } checkedIn)
            {
                await db.SignUps.Where(s => s.Id == existing.Id && s.LedgerEntryId == null)
                    .ExecuteUpdateAsync(u => u.SetProperty(s => s.AbsenceReason, (string?)null).SetProperty(s => s.AbsenceMarkedAtUtc, (DateTime?)null), cancellationToken);
                message = text["WalkIn.AlreadyCheckedIn", volunteer.Name, ChinaTime.ToChina(checkedIn).ToString("HH:mm")];
            }
            else
            {
                await db.SignUps.Where(s => s.Id == existing.Id && s.CheckedInAtUtc == null && s.LedgerEntryId == null)
                    .ExecuteUpdateAsync(u => u.SetProperty(s => s.CheckedInAtUtc, now)
                        .SetProperty(s => s.AbsenceReason, (string?)null).SetProperty(s => s.AbsenceMarkedAtUtc, (DateTime?)null), cancellationToken);
                message = text["WalkIn.CheckedIn", volunteer.Name, ChinaTime.ToChina(now).ToString("HH:mm")];
            }
            return Outcome<WalkInView>.Ok(new WalkInView(await EntryAsync(session.Id, volunteer.Id, cancellationToken), message));
        }
        if (clashes.FirstOrDefault(c => c.SessionId != session.Id) is { } overlapping)
        {
            return Outcome<WalkInView>.Invalid("volunteer", text["WalkIn.Error.Overlap", volunteer.Name, overlapping.Title,
                ChinaTime.Format(overlapping.StartsAtUtc) + "–" + ChinaTime.ToChina(overlapping.EndsAtUtc).ToString("HH:mm")]);
        }
        if (existing is not null)
        {
            // Waiting for review, on the waitlist, cancelled or refused before: the same row becomes the walk-in.
            // A waitlist place is given up (its counter goes down with it); no place is taken.
            var was = existing.Status;
            if (await db.SignUps.Where(s => s.Id == existing.Id && s.Status == was)
                    .ExecuteUpdateAsync(u => u.SetProperty(s => s.Status, SignUpStatus.Accepted).SetProperty(s => s.WalkIn, true)
                        .SetProperty(s => s.WaitlistTicket, (int?)null).SetProperty(s => s.DecidedAtUtc, now).SetProperty(s => s.Reason, (string?)null)
                        .SetProperty(s => s.CheckedInAtUtc, now).SetProperty(s => s.CheckedOutAtUtc, (DateTime?)null).SetProperty(s => s.CheckOutMissing, false)
                        .SetProperty(s => s.AbsenceReason, (string?)null).SetProperty(s => s.AbsenceMarkedAtUtc, (DateTime?)null), cancellationToken) != 1)
            {
                // Cannot happen while the session is locked; if it ever does, nothing was changed.
                return Outcome<WalkInView>.Invalid("volunteer", text["Problem.Conflict"]);
            }
            if (was == SignUpStatus.Waitlisted)
            {
                await db.ActivitySessions.Where(s => s.Id == session.Id).ExecuteUpdateAsync(u => u.SetProperty(s => s.Waitlisted, s => s.Waitlisted - 1), cancellationToken);
            }
        }
        else
        {
            db.SignUps.Add(new SignUp
            {
                SessionId = session.Id, VolunteerId = volunteer.Id, Status = SignUpStatus.Accepted, WalkIn = true,
                RequestedAtUtc = now, DecidedAtUtc = now, CheckedInAtUtc = now,
            });
        }
        audit.Add("signup.walkin", activity.UnitId, volunteer.Number, $"{activity.Title} · {ChinaTime.Format(session.StartsAtUtc)}");
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<WalkInView>.Ok(new WalkInView(await EntryAsync(session.Id, volunteer.Id, cancellationToken),
            text["WalkIn.Added", volunteer.Name, ChinaTime.ToChina(now).ToString("HH:mm")]));
    }

    async Task<RosterEntry> EntryAsync(Guid sessionId, Guid volunteerId, CancellationToken cancellationToken) =>
        (await attendance.RosterQuery(db.SignUps.Where(s => s.SessionId == sessionId && s.VolunteerId == volunteerId)).ToListAsync(cancellationToken)).Single();

    /// <summary>The session, if the caller runs its activity and walk-ins are taken now; otherwise the refusal.</summary>
    async Task<(ActivitySession? Session, Outcome<WalkInView>? Refusal)> SessionAsync(ClaimsPrincipal principal, Guid sessionId, CancellationToken cancellationToken)
    {
        var session = await db.ActivitySessions.AsNoTracking().Include(s => s.Activity).SingleOrDefaultAsync(s => s.Id == sessionId, cancellationToken);
        if (session is null || !await activities.CanManageAsync(principal, session.ActivityId, cancellationToken))
        {
            return (null, Outcome<WalkInView>.NotFound());
        }
        var now = time.GetUtcNow().UtcDateTime;
        if (session.Activity!.Status is not (ActivityStatus.Published or ActivityStatus.Closed))
        {
            return (null, Outcome<WalkInView>.Invalid("session", text["WalkIn.Error.NotRunning"]));
        }
        if (session.CancelledAtUtc is not null)
        {
            return (null, Outcome<WalkInView>.Invalid("session", text["WalkIn.Error.SessionCancelled"]));
        }
        if (now >= session.EndsAtUtc)
        {
            return (null, Outcome<WalkInView>.Invalid("session", text["WalkIn.Error.Over", ChinaTime.Format(session.EndsAtUtc)]));
        }
        if (!IsOpen(session.StartsAtUtc, session.EndsAtUtc, now))
        {
            return (null, Outcome<WalkInView>.Invalid("session", text["WalkIn.Error.NotToday", ChinaTime.Format(session.StartsAtUtc)]));
        }
        return (session, null);
    }

    /// <summary>The volunteer the leader means, or a sentence saying why none was found.</summary>
    async Task<(Found? Volunteer, string? Problem)> FindAsync(string? input, CancellationToken cancellationToken)
    {
        var value = (input ?? "").Trim();
        if (value.Length == 0 || InputRules.IsInvisible(value))
        {
            return (null, text["WalkIn.Error.Empty"]);
        }
        if (value.Length > InputMaxLength)
        {
            return (null, text["WalkIn.Error.Unrecognised"]);
        }
        IQueryable<Volunteer> query;
        string notFound;
        var byCertificate = false;
        if (NumberPattern().IsMatch(value))
        {
            var number = value.ToUpperInvariant();
            query = db.Volunteers.Where(v => v.Number == number);
            notFound = text["WalkIn.Error.NoNumber", number];
        }
        else if (Mobile(value) is { } mobile)
        {
            var hash = personalData.Hash(VolunteerUseCases.PhoneHashKind, mobile);
            query = db.Volunteers.Where(v => v.PhoneHash == hash);
            notFound = text["WalkIn.Error.NoMobile"];
        }
        else if (CertificateCode(value) is { } code)
        {
            query = db.Volunteers.Where(v => v.CertificateCode == code);
            notFound = text["WalkIn.Error.NoCertificate"];
            byCertificate = true;
        }
        else
        {
            return (null, text["WalkIn.Error.Unrecognised"]);
        }
        var found = await query.AsNoTracking().Select(v => new { Volunteer = new Found(v.Id, v.Number, v.Name, v.BirthDate, v.PhoneHash), v.CertificateRevokedAtUtc })
            .SingleOrDefaultAsync(cancellationToken);
        if (found is null)
        {
            return (null, notFound);
        }
        // A revoked certificate proves nothing; the leader who knows the person may still add them by number.
        return byCertificate && found.CertificateRevokedAtUtc is not null ? (null, text["WalkIn.Error.Revoked"]) : (found.Volunteer, null);
    }

    /// <summary>An 11-digit mainland mobile number, written with spaces, dashes or +86 as people do; null otherwise.</summary>
    static string? Mobile(string value)
    {
        var digits = value.Replace(" ", "").Replace("-", "");
        if (digits.StartsWith("+86", StringComparison.Ordinal))
        {
            digits = digits[3..];
        }
        return IdentityDocument.MobilePattern().IsMatch(digits) ? digits : null;
    }

    /// <summary>
    /// The certificate code in what the QR says: a link ending in /verify/{code} (from this site or
    /// another address of it), or the code alone; null when it is neither.
    /// </summary>
    public static string? CertificateCode(string value)
    {
        var candidate = value.Trim();
        var at = candidate.LastIndexOf(Certificates.VerifyPathPrefix, StringComparison.OrdinalIgnoreCase);
        if (at >= 0)
        {
            candidate = candidate[(at + Certificates.VerifyPathPrefix.Length)..];
            var end = candidate.IndexOfAny(['?', '#', '/']);
            if (end >= 0)
            {
                candidate = candidate[..end];
            }
        }
        return CodePattern().IsMatch(candidate) ? candidate : null;
    }

    static string AgeRange(int? minAge, int? maxAge) => (minAge, maxAge) switch
    {
        ({ } min, { } max) => $"{min}–{max}",
        ({ } min, null) => $"{min}+",
        (null, { } max) => $"≤{max}",
        _ => "",
    };

    [GeneratedRegex("^ZY[0-9]{8}$", RegexOptions.IgnoreCase)]
    private static partial Regex NumberPattern();

    /// <summary>What <see cref="VolunteerUseCases.NewCertificateCode"/> makes: 128 bits, URL-safe base64 (16–32 characters allowed, as verification does).</summary>
    [GeneratedRegex("^[A-Za-z0-9_-]{16,32}$")]
    private static partial Regex CodePattern();
}
