using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Activities;
using Zhiyuan.Web.Audit;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Infrastructure;
using Zhiyuan.Web.Messages;
using Zhiyuan.Web.Organizations;

namespace Zhiyuan.Web.Hours;

public sealed record ConfirmationView(Guid SessionId, int Confirmed, int Minutes, int NothingToCredit);

/// <summary>The attendances (sign-up ids of the session) to confirm; without the list, every attendance not yet confirmed and not marked absent.</summary>
public sealed record ConfirmRequest(Guid[]? SignUpIds);

public sealed record CorrectionRequestBody(string? Message);

/// <summary>A correction by the organisation: new times, or none to cancel the entry altogether; always with a reason.</summary>
public sealed record CorrectLedgerRequest(DateTimeOffset? StartAt, DateTimeOffset? EndAt, string? Reason, Guid? CorrectionRequestId = null);

public sealed record LedgerEntryView(Guid Id, string VolunteerNumber, string VolunteerName, DateTime StartUtc, DateTime EndUtc, int Minutes,
    LedgerEntryKind Kind, Guid? ReversesEntryId, DateTime RecordedAtUtc, string RecordedBy, string Reason, bool CheckOutMissing, bool IsBackEntry = false);

/// <summary>A session whose hours wait for the organisation, and when they are due.</summary>
public sealed record PendingConfirmation(Guid ActivityId, string ActivityTitle, string OrganizationName, Guid SessionId, DateTime EndsAtUtc,
    int Attended, DateOnly DueDate, bool Overdue);

public sealed record OpenCorrectionRequest(Guid Id, Guid ActivityId, string ActivityTitle, Guid SessionId, string VolunteerNumber, string VolunteerName,
    string Message, DateTime RequestedAtUtc);

/// <summary>One line of a volunteer's service record (志愿服务记录).</summary>
/// <param name="Trace">Where the hours come from: every ledger entry of this session for the volunteer, in the order recorded — the confirmation
/// (who, when), and any reversal and correction with its reason.</param>
public sealed record ServiceRecordLine(Guid EntryId, Guid SessionId, string Activity, DateTime StartUtc, DateTime EndUtc, string Place, string Content,
    int Minutes, string OrganizingUnit, string ResponsiblePerson, bool Training, bool Corrected, bool IsBackEntry = false, bool WalkIn = false,
    DateTime? SessionStartUtc = null, DateTime? SessionEndUtc = null, IReadOnlyList<HourTrace>? Trace = null);

/// <summary>One ledger entry as the volunteer sees it: what it credited or took back, who recorded it, when and why.</summary>
public sealed record HourTrace(Guid EntryId, LedgerEntryKind Kind, int Minutes, DateTime StartUtc, DateTime EndUtc, DateTime RecordedAtUtc, string RecordedBy, string Reason);

/// <summary>A session once confirmed and then reversed without a correction: it counts nothing now, and says why.</summary>
public sealed record WithdrawnService(Guid SessionId, string Activity, DateTime SessionStartUtc, IReadOnlyList<HourTrace> Trace);

/// <param name="Withdrawn">Sessions whose hours were confirmed and later reversed altogether (no hours now), with their ledger entries.</param>
public sealed record ServiceRecord(string VolunteerNumber, string Name, int TotalMinutes, List<ServiceRecordLine> Lines,
    List<ServiceRecordLine> Trainings, List<MyCorrectionRequest> CorrectionRequests, List<WithdrawnService>? Withdrawn = null);

public sealed record MyCorrectionRequest(string Activity, DateTime StartsAtUtc, string Message, CorrectionStatus Status, string? Response);

/// <summary>
/// Confirmed hours: written to the append-only ledger when the organisation confirms a session,
/// corrected only by reversal plus new entry, and read back as the volunteer's service record.
/// </summary>
public sealed class HourUseCases(
    AppDbContext db,
    AuditLog audit,
    ActivityUseCases activities,
    AttendanceUseCases attendance,
    UserManager<AppUser> users,
    IStringLocalizer<SharedResource> text,
    TimeProvider time)
{
    /// <summary>
    /// The organisation confirms a finished session: every attendance not yet in the ledger (or only
    /// the chosen ones) becomes an entry of the minutes served inside the session window, minus any
    /// time already credited to the same volunteer elsewhere. Attendances marked absent are left out;
    /// the rest can be confirmed later, each at most once.
    /// </summary>
    public Task<Outcome<ConfirmationView>> ConfirmAsync(ClaimsPrincipal principal, Guid sessionId, CancellationToken cancellationToken = default) =>
        ConfirmAsync(principal, sessionId, null, cancellationToken);

    /// <param name="signUpIds">The chosen attendances, or null for every one not yet confirmed.</param>
    public async Task<Outcome<ConfirmationView>> ConfirmAsync(ClaimsPrincipal principal, Guid sessionId, IReadOnlyCollection<Guid>? signUpIds,
        CancellationToken cancellationToken = default)
    {
        var session = await db.ActivitySessions.Include(s => s.Activity).SingleOrDefaultAsync(s => s.Id == sessionId, cancellationToken);
        if (session is null || !await activities.CanManageAsync(principal, session.ActivityId, cancellationToken))
        {
            return Outcome<ConfirmationView>.NotFound();
        }
        var now = time.GetUtcNow().UtcDateTime;
        if (session.EndsAtUtc > now)
        {
            return Outcome<ConfirmationView>.Invalid("session", text["Hours.Error.NotOver", ChinaTime.Format(session.EndsAtUtc)]);
        }
        List<Guid>? chosen = null;
        if (signUpIds is not null)
        {
            var errors = new FieldErrors();
            chosen = attendance.ChosenIds(errors, signUpIds);
            var rows = await db.SignUps.AsNoTracking().Where(s => s.SessionId == sessionId && chosen.Contains(s.Id))
                .Select(s => new { s.Status, s.CheckedInAtUtc, s.AbsenceReason, s.Volunteer!.Name }).ToListAsync(cancellationToken);
            if (rows.Count != chosen.Count || rows.Any(r => r.Status != SignUpStatus.Accepted))
            {
                errors.Add("signUpIds", text["Attendance.Error.UnknownSignUp"]);
            }
            foreach (var row in rows.Where(r => r.Status == SignUpStatus.Accepted))
            {
                if (row.AbsenceReason is not null)
                {
                    errors.Add("signUpIds", text["Hours.Error.Absent", row.Name]);
                }
                else if (row.CheckedInAtUtc is null)
                {
                    errors.Add("signUpIds", text["Hours.Error.NotAttended", row.Name]);
                }
            }
            if (errors.Any)
            {
                return Outcome<ConfirmationView>.Invalid(errors);
            }
        }
        // Confirming closes every forgotten check-out of ended sessions at once: the credit stops at the end anyway.
        await attendance.CloseForgottenCheckOutsAsync(TimeSpan.Zero, sessionId, cancellationToken);
        // One transaction per confirmation. The attendances are read inside it, the volunteers locked
        // (PostgreSQL), and only then is time already credited read: a double click, a second node or
        // another organisation confirming an overlapping session at the same moment waits here and
        // then credits only what is left. Behind that, the database refuses a second credit of the
        // same attendance (a sign-up's LedgerEntryId is written only while still empty) and any
        // overlap of credited time (EffectiveCredits) — see ADR 0011. A caller that completes more
        // than the hours (a patrol round, an order) may hold the transaction already.
        // The attendances are read again once their volunteers are locked, so one marked absent (or
        // credited) meanwhile is left out.
        await using var transaction = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
        var waiting = db.SignUps.Where(s => s.SessionId == sessionId && s.Status == SignUpStatus.Accepted && s.CheckedInAtUtc != null && s.CheckedOutAtUtc != null
            && s.LedgerEntryId == null && s.AbsenceReason == null && (chosen == null || chosen.Contains(s.Id)));
        await db.LockVolunteersAsync(await waiting.Select(s => s.VolunteerId).ToListAsync(cancellationToken), cancellationToken);
        var attended = await waiting.Include(s => s.Volunteer).ToListAsync(cancellationToken);
        var volunteerIds = attended.Select(s => s.VolunteerId).ToList();
        var credited = (await CreditedAsync(volunteerIds, session.StartsAtUtc, session.EndsAtUtc, null, cancellationToken)).ToLookup(c => c.VolunteerId, c => (c.StartUtc, c.EndUtc));
        int confirmed = 0, minutes = 0, nothing = 0;
        foreach (var signUp in attended)
        {
            var credit = ServiceTime.Compute(signUp.CheckedInAtUtc!.Value, signUp.CheckedOutAtUtc!.Value, session.StartsAtUtc, session.EndsAtUtc, credited[signUp.VolunteerId]);
            if (credit is null)
            {
                nothing++;
                continue;
            }
            var entry = NewEntry(signUp.VolunteerId, signUp.Volunteer!.UnitId, session.Activity!.HostOrganizationId, session, credit.Value, LedgerEntryKind.Confirmed, "", now);
            entry.CheckOutMissing = signUp.CheckOutMissing;
            AddCredit(entry, credited[signUp.VolunteerId]);
            signUp.LedgerEntryId = entry.Id;
            confirmed++;
            minutes += credit.Value.Minutes;
            EventMessages.HoursConfirmed(db, signUp.Volunteer.UserId, session.Activity.Title, session.StartsAtUtc, credit.Value.Minutes, now);
        }
        session.HoursConfirmedAtUtc = now;
        audit.Add("hours.confirm", session.Activity!.UnitId, session.Activity.Title, $"{ChinaTime.Format(session.StartsAtUtc)} · {confirmed} · {minutes} min"
            + (chosen is null ? "" : " · " + string.Join("、", attended.Select(a => a.Volunteer!.Number))));
        await db.SaveChangesAsync(cancellationToken);
        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken);
        }
        // Counted once the confirmation is the caller's own transaction's (a patrol round or an order may still roll it back).
        if (transaction is not null)
        {
            PlatformMetrics.Confirmations.Add(confirmed);
        }
        return Outcome<ConfirmationView>.Ok(new ConfirmationView(sessionId, confirmed, minutes, nothing));
    }

    /// <summary>The ledger entries of a session, reversals and corrections included, for those who manage it.</summary>
    public async Task<List<LedgerEntryView>?> SessionLedgerAsync(ClaimsPrincipal principal, Guid sessionId, CancellationToken cancellationToken = default)
    {
        var activityId = await db.ActivitySessions.Where(s => s.Id == sessionId).Select(s => (Guid?)s.ActivityId).SingleOrDefaultAsync(cancellationToken);
        if (activityId is null || !await activities.CanManageAsync(principal, activityId.Value, cancellationToken))
        {
            return null;
        }
        // A reversal and its correction are recorded at the same instant: the reversal comes first.
        return await db.LedgerEntries.AsNoTracking().Where(e => e.SessionId == sessionId).OrderBy(e => e.Volunteer!.Number).ThenBy(e => e.RecordedAtUtc)
            .ThenBy(e => e.Kind == LedgerEntryKind.Correction)
            .Select(e => new LedgerEntryView(e.Id, e.Volunteer!.Number, e.Volunteer.Name, e.StartUtc, e.EndUtc, e.Minutes, e.Kind, e.ReversesEntryId,
                e.RecordedAtUtc, e.RecordedBy, e.Reason, e.CheckOutMissing, e.IsBackEntry))
            .ToListAsync(cancellationToken);
    }

    /// <summary>A correction: the entry is reversed, and (unless only a cancellation is wanted) a new entry with the corrected times is written.</summary>
    public async Task<Outcome<List<LedgerEntryView>>> CorrectAsync(ClaimsPrincipal principal, Guid entryId, CorrectLedgerRequest request, CancellationToken cancellationToken = default)
    {
        var entry = await db.LedgerEntries.AsNoTracking().Include(e => e.Session).SingleOrDefaultAsync(e => e.Id == entryId, cancellationToken);
        if (entry is null || !await activities.CanManageAsync(principal, entry.ActivityId, cancellationToken))
        {
            return Outcome<List<LedgerEntryView>>.NotFound();
        }
        var session = entry.Session!;
        var errors = new FieldErrors();
        if (entry.Kind == LedgerEntryKind.Reversal || await db.LedgerEntries.AnyAsync(e => e.ReversesEntryId == entryId, cancellationToken))
        {
            errors.Add("entry", text["Hours.Error.AlreadyReversed"]);
        }
        var reason = (request.Reason ?? "").Trim();
        if (reason.Length == 0 || reason.Length > LedgerEntry.ReasonMaxLength)
        {
            errors.Add("reason", text["Organizations.Error.Reason", LedgerEntry.ReasonMaxLength]);
        }
        Credit? credit = null;
        if (request.StartAt is not null || request.EndAt is not null)
        {
            var start = request.StartAt?.UtcDateTime;
            var end = request.EndAt?.UtcDateTime;
            if (start is null || end is null)
            {
                errors.Add(start is null ? "startAt" : "endAt", text["Validation.Required", text[start is null ? "Attendance.Field.CheckedIn" : "Attendance.Field.CheckedOut"]]);
            }
            else if (end <= start)
            {
                errors.Add("endAt", text["Attendance.Error.OutBeforeIn"]);
            }
            else if (start < session.StartsAtUtc || end > session.EndsAtUtc)
            {
                errors.Add("endAt", text["Hours.Error.BeyondSession", ChinaTime.Format(session.StartsAtUtc) + "–" + ChinaTime.ToChina(session.EndsAtUtc).ToString("HH:mm")]);
            }
            else if (entry.IsBackEntry && (start < entry.StartUtc || end > entry.EndUtc))
            {
                // Back-entered hours were approved by the unit above; the organisation may shorten them, not add to them.
                errors.Add("endAt", text["Hours.Error.BeyondBackEntry", ChinaTime.Format(entry.StartUtc) + "–" + ChinaTime.ToChina(entry.EndUtc).ToString("HH:mm")]);
            }
            else
            {
                var others = await CreditedAsync([entry.VolunteerId], start.Value, end.Value, entryId, cancellationToken);
                credit = ServiceTime.Compute(start.Value, end.Value, session.StartsAtUtc, session.EndsAtUtc, others.Select(o => (o.StartUtc, o.EndUtc)));
                if (credit is null)
                {
                    errors.Add("startAt", text["Hours.Error.NothingLeft"]);
                }
            }
        }
        CorrectionRequest? correctionRequest = null;
        if (request.CorrectionRequestId is { } requestId)
        {
            correctionRequest = await db.CorrectionRequests.SingleOrDefaultAsync(r => r.Id == requestId && r.SessionId == entry.SessionId
                && r.VolunteerId == entry.VolunteerId && r.Status == CorrectionStatus.Open, cancellationToken);
            if (correctionRequest is null)
            {
                errors.Add("correctionRequestId", text["Hours.Error.NoRequest"]);
            }
        }
        if (errors.Any)
        {
            return Outcome<List<LedgerEntryView>>.Invalid(errors);
        }
        var now = time.GetUtcNow().UtcDateTime;
        var activity = await db.Activities.AsNoTracking().SingleAsync(a => a.Id == entry.ActivityId, cancellationToken);
        var number = await db.Volunteers.Where(v => v.Id == entry.VolunteerId).Select(v => v.Number).SingleAsync(cancellationToken);
        // The reversal first (its trigger takes the entry's stretches out), then the corrected entry
        // with the stretches it really credits, read again under the volunteer's lock: the new times
        // can never overlap time credited meanwhile by someone else.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.LockVolunteersAsync([entry.VolunteerId], cancellationToken);
        var reversal = NewEntry(entry.VolunteerId, entry.VolunteerUnitId, entry.OrganizationId, session, new Credit(entry.StartUtc, entry.EndUtc, -entry.Minutes), LedgerEntryKind.Reversal, reason, now);
        reversal.ReversesEntryId = entry.Id;
        reversal.IsBackEntry = entry.IsBackEntry;
        db.LedgerEntries.Add(reversal);
        if (correctionRequest is not null)
        {
            Decide(correctionRequest, CorrectionStatus.Corrected, reason, now);
            await EventMessages.CorrectionAnsweredAsync(db, correctionRequest, now, cancellationToken);
        }
        audit.Add("hours.correct", activity.UnitId, number, $"{activity.Title}：{entry.Minutes} → {credit?.Minutes ?? 0} min；{reason}");
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            if (credit is { } corrected)
            {
                var elsewhere = await CreditedAsync([entry.VolunteerId], corrected.StartUtc, corrected.EndUtc, null, cancellationToken);
                var recomputed = ServiceTime.Compute(corrected.StartUtc, corrected.EndUtc, session.StartsAtUtc, session.EndsAtUtc, elsewhere.Select(o => (o.StartUtc, o.EndUtc)));
                if (recomputed is null)
                {
                    return Outcome<List<LedgerEntryView>>.Invalid("startAt", text["Hours.Error.NothingLeft"]);
                }
                var correction = NewEntry(entry.VolunteerId, entry.VolunteerUnitId, entry.OrganizationId, session, recomputed.Value, LedgerEntryKind.Correction, reason, now);
                correction.IsBackEntry = entry.IsBackEntry;
                AddCredit(correction, elsewhere.Select(o => (o.StartUtc, o.EndUtc)));
                await db.SaveChangesAsync(cancellationToken);
            }
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException reversedTwice) when (reversedTwice.GetBaseException().Message.Contains("ReversesEntryId"))
        {
            // Someone reversed the same entry at the same moment; the unique index on ReversesEntryId kept it to one.
            return Outcome<List<LedgerEntryView>>.Invalid("entry", text["Hours.Error.AlreadyReversed"]);
        }
        return Outcome<List<LedgerEntryView>>.Ok((await SessionLedgerAsync(principal, entry.SessionId, cancellationToken))!.Where(e => e.VolunteerNumber == number).ToList());
    }

    /// <summary>A volunteer asks the organisation to correct (or add) their hours for a session they signed up for.</summary>
    public async Task<Outcome<MyCorrectionRequest>> RequestCorrectionAsync(ClaimsPrincipal principal, Guid sessionId, CorrectionRequestBody body, CancellationToken cancellationToken = default)
    {
        var userId = users.GetUserId(principal);
        var signUp = await db.SignUps.AsNoTracking().Include(s => s.Session).ThenInclude(s => s!.Activity)
            .SingleOrDefaultAsync(s => s.SessionId == sessionId && s.Volunteer!.UserId == userId && s.Status == SignUpStatus.Accepted, cancellationToken);
        if (signUp is null)
        {
            return Outcome<MyCorrectionRequest>.NotFound();
        }
        var message = (body.Message ?? "").Trim();
        if (message.Length == 0 || message.Length > LedgerEntry.ReasonMaxLength)
        {
            return Outcome<MyCorrectionRequest>.Invalid("message", text["Hours.Error.Message", LedgerEntry.ReasonMaxLength]);
        }
        // One open request per session and volunteer, checked under the volunteer's lock: a double click asks once.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.LockVolunteersAsync([signUp.VolunteerId], cancellationToken);
        if (await db.CorrectionRequests.AnyAsync(r => r.SessionId == sessionId && r.VolunteerId == signUp.VolunteerId && r.Status == CorrectionStatus.Open, cancellationToken))
        {
            return Outcome<MyCorrectionRequest>.Invalid("message", text["Hours.Error.RequestOpen"]);
        }
        var request = new CorrectionRequest
        {
            VolunteerId = signUp.VolunteerId, SessionId = sessionId, Message = message, RequestedAtUtc = time.GetUtcNow().UtcDateTime, Status = CorrectionStatus.Open,
        };
        db.CorrectionRequests.Add(request);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<MyCorrectionRequest>.Ok(new MyCorrectionRequest(signUp.Session!.Activity!.Title, signUp.Session.StartsAtUtc, message, CorrectionStatus.Open, null));
    }

    /// <summary>The organisation declines a correction request, saying why.</summary>
    public async Task<Outcome<OpenCorrectionRequest>> DeclineCorrectionAsync(ClaimsPrincipal principal, Guid requestId, ReviewRequest body, CancellationToken cancellationToken = default)
    {
        var request = await db.CorrectionRequests.Include(r => r.Session).SingleOrDefaultAsync(r => r.Id == requestId && r.Status == CorrectionStatus.Open, cancellationToken);
        if (request is null || !await activities.CanManageAsync(principal, request.Session!.ActivityId, cancellationToken))
        {
            return Outcome<OpenCorrectionRequest>.NotFound();
        }
        var reason = (body.Reason ?? "").Trim();
        if (reason.Length == 0 || reason.Length > LedgerEntry.ReasonMaxLength)
        {
            return Outcome<OpenCorrectionRequest>.Invalid("reason", text["Organizations.Error.Reason", LedgerEntry.ReasonMaxLength]);
        }
        Decide(request, CorrectionStatus.Declined, reason, time.GetUtcNow().UtcDateTime);
        await EventMessages.CorrectionAnsweredAsync(db, request, request.DecidedAtUtc!.Value, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<OpenCorrectionRequest>.Ok(await OpenRequests(db.CorrectionRequests.Where(r => r.Id == requestId)).SingleAsync(cancellationToken));
    }

    /// <summary>
    /// Sessions whose attendance waits for confirmation, with the due date (10 working days after the
    /// service) and whether it has passed; and open correction requests. For the organisations the
    /// caller administers and the unit subtree they administer.
    /// </summary>
    public async Task<(List<PendingConfirmation> Sessions, List<OpenCorrectionRequest> Requests)> PendingAsync(ClaimsPrincipal principal, CancellationToken cancellationToken = default)
    {
        var rows = await (await AwaitingConfirmationAsync(principal, cancellationToken)).AsNoTracking()
            .OrderBy(s => s.EndsAtUtc).Take(MaxPending)
            .Select(s => new
            {
                s.ActivityId, s.Activity!.Title, Organization = s.Activity.HostOrganization!.Name, s.Id, s.EndsAtUtc,
                Attended = db.SignUps.Count(u => u.SessionId == s.Id && u.Status == SignUpStatus.Accepted && u.CheckedInAtUtc != null && u.LedgerEntryId == null && u.AbsenceReason == null),
            })
            .ToListAsync(cancellationToken);
        var sessions = rows.Select(r =>
        {
            var (due, overdue) = ConfirmationDue(r.EndsAtUtc);
            return new PendingConfirmation(r.ActivityId, r.Title, r.Organization, r.Id, r.EndsAtUtc, r.Attended, due, overdue);
        }).OrderByDescending(p => p.Overdue).ThenBy(p => p.DueDate).ToList();
        var requests = await OpenRequests(await OpenCorrectionRequestsAsync(principal, cancellationToken))
            .Take(MaxPending).ToListAsync(cancellationToken);
        return (sessions, requests);
    }

    /// <summary>The most sessions (and correction requests) the pending page lists.</summary>
    public const int MaxPending = 500;

    /// <summary>
    /// Ended sessions of the activities the caller runs with attendance still to confirm: the one
    /// definition behind the pending page and the workbench's count.
    /// </summary>
    internal async Task<IQueryable<ActivitySession>> AwaitingConfirmationAsync(ClaimsPrincipal principal, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var visible = (await activities.ManagedQueryAsync(principal, cancellationToken)).Select(a => a.Id);
        return db.ActivitySessions.Where(s => visible.Contains(s.ActivityId) && s.EndsAtUtc < now
            && db.SignUps.Any(u => u.SessionId == s.Id && u.Status == SignUpStatus.Accepted && u.CheckedInAtUtc != null && u.LedgerEntryId == null && u.AbsenceReason == null));
    }

    /// <summary>Open correction requests on the activities the caller runs (the pending page's second list).</summary>
    internal async Task<IQueryable<CorrectionRequest>> OpenCorrectionRequestsAsync(ClaimsPrincipal principal, CancellationToken cancellationToken)
    {
        var visible = (await activities.ManagedQueryAsync(principal, cancellationToken)).Select(a => a.Id);
        return db.CorrectionRequests.Where(r => r.Status == CorrectionStatus.Open && visible.Contains(r.Session!.ActivityId));
    }

    /// <summary>When a session's hours are due to be confirmed, and whether that day has passed.</summary>
    public (DateOnly Due, bool Overdue) ConfirmationDue(DateTime endsAtUtc)
    {
        var due = ServiceTime.ConfirmationDue(DateOnly.FromDateTime(ChinaTime.ToChina(endsAtUtc)));
        return (due, ChinaTime.Today(time) > due);
    }

    /// <summary>The volunteer's own service record: confirmed hours after corrections, and the training completed.</summary>
    public async Task<ServiceRecord?> RecordAsync(ClaimsPrincipal principal, CancellationToken cancellationToken = default)
    {
        var userId = users.GetUserId(principal);
        var volunteer = await db.Volunteers.AsNoTracking().Where(v => v.UserId == userId).Select(v => new { v.Id, v.Number, v.Name }).SingleOrDefaultAsync(cancellationToken);
        if (volunteer is null)
        {
            return null;
        }
        var lines = await ActiveEntries().Where(e => e.VolunteerId == volunteer.Id).OrderByDescending(e => e.StartUtc)
            .Select(e => new ServiceRecordLine(e.Id, e.SessionId, e.Activity!.Title, e.StartUtc, e.EndUtc, e.Activity.Address, e.Activity.Description, e.Minutes,
                e.Organization!.Name + "（" + e.Activity.Unit!.Name + "）", e.Activity.ResponsiblePerson, e.Session!.IsTraining, e.Kind == LedgerEntryKind.Correction,
                e.IsBackEntry, db.SignUps.Any(s => s.SessionId == e.SessionId && s.VolunteerId == e.VolunteerId && s.WalkIn)))
            .ToListAsync(cancellationToken);
        var requests = await db.CorrectionRequests.AsNoTracking().Where(r => r.VolunteerId == volunteer.Id).OrderByDescending(r => r.RequestedAtUtc)
            .Select(r => new MyCorrectionRequest(r.Session!.Activity!.Title, r.Session.StartsAtUtc, r.Message, r.Status, r.Response))
            .ToListAsync(cancellationToken);
        // Every hour traced: each session's ledger entries (confirmation, reversal, correction), who recorded them and when.
        var entries = await db.LedgerEntries.AsNoTracking().Where(e => e.VolunteerId == volunteer.Id)
            .Select(e => new { e.Id, e.SessionId, e.Kind, e.Minutes, e.StartUtc, e.EndUtc, e.RecordedAtUtc, e.RecordedBy, e.Reason,
                e.Session!.StartsAtUtc, e.Session.EndsAtUtc, e.Activity!.Title })
            .ToListAsync(cancellationToken);
        var bySession = entries.GroupBy(e => e.SessionId).ToDictionary(g => g.Key, g => (
            First: g.First(),
            Trace: (IReadOnlyList<HourTrace>)g.OrderBy(e => e.RecordedAtUtc).ThenBy(e => e.Kind switch { LedgerEntryKind.Confirmed => 0, LedgerEntryKind.Reversal => 1, _ => 2 })
                .ThenBy(e => e.Id).Select(e => new HourTrace(e.Id, e.Kind, e.Minutes, e.StartUtc, e.EndUtc, e.RecordedAtUtc, e.RecordedBy, e.Reason)).ToList()));
        lines = lines.Select(l => bySession.TryGetValue(l.SessionId, out var s)
            ? l with { SessionStartUtc = s.First.StartsAtUtc, SessionEndUtc = s.First.EndsAtUtc, Trace = s.Trace } : l).ToList();
        var counted = lines.Select(l => l.SessionId).ToHashSet();
        var withdrawn = bySession.Where(s => !counted.Contains(s.Key)).OrderByDescending(s => s.Value.First.StartsAtUtc)
            .Select(s => new WithdrawnService(s.Key, s.Value.First.Title, s.Value.First.StartsAtUtc, s.Value.Trace)).ToList();
        return new ServiceRecord(volunteer.Number, volunteer.Name, lines.Sum(l => l.Minutes), lines, lines.Where(l => l.Training).ToList(), requests, withdrawn);
    }

    /// <summary>The service record as CSV (UTF-8 with BOM so that Excel shows the Chinese).</summary>
    public string RecordCsv(ServiceRecord record)
    {
        var csv = new StringBuilder("\uFEFF");
        csv.AppendLine(string.Join(',', new[] { "Hours.Record.Activity", "Hours.Record.Date", "Hours.Record.Time", "Hours.Record.Place", "Hours.Record.Content",
            "Hours.Record.Hours", "Hours.Record.Unit", "Hours.Record.Responsible" }.Select(k => CsvCell.Quote(text[k]))));
        foreach (var line in record.Lines)
        {
            csv.AppendLine(string.Join(',', new[]
            {
                line.IsBackEntry ? line.Activity + BackEntryMark : line.Activity, ChinaTime.ToChina(line.StartUtc).ToString("yyyy-MM-dd"),
                ChinaTime.ToChina(line.StartUtc).ToString("HH:mm") + "–" + ChinaTime.ToChina(line.EndUtc).ToString("HH:mm"),
                line.Place, line.Content, FormatHours(line.Minutes), line.OrganizingUnit, line.ResponsiblePerson,
            }.Select(CsvCell.Quote)));
        }
        csv.AppendLine(string.Join(',', CsvCell.Quote(text["Hours.Record.Total"]), "", "", "", "", FormatHours(record.TotalMinutes), "", ""));
        return csv.ToString();
    }

    /// <summary>Hours as every page, CSV and certificate shows them: always two decimals ("21.40", "0.50"); the API sends <see cref="HourTotals.ToHours"/>, the .xlsx the number format "0.00".</summary>
    public static string FormatHours(long minutes) => HourTotals.ToHours(minutes).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Hours already in hours (a decimal from the API's records), shown with two decimals.</summary>
    public static string FormatHours(decimal hours) => decimal.Round(hours, 2, MidpointRounding.AwayFromZero).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Added to the activity of back-entered hours wherever a line is written out as text (the record's CSV, the official form).</summary>
    public const string BackEntryMark = "（补录）";

    /// <summary>The stretches of time already credited to these volunteers that touch the window (optionally leaving one entry out).</summary>
    internal async Task<List<EffectiveCredit>> CreditedAsync(IReadOnlyCollection<Guid> volunteerIds, DateTime startUtc, DateTime endUtc, Guid? exceptEntryId, CancellationToken cancellationToken) =>
        await db.EffectiveCredits.AsNoTracking()
            .Where(c => volunteerIds.Contains(c.VolunteerId) && c.StartUtc < endUtc && c.EndUtc > startUtc && c.EntryId != exceptEntryId)
            .ToListAsync(cancellationToken);

    /// <summary>Adds a credit to the ledger with the stretches it really credits (its window less time credited elsewhere).</summary>
    internal void AddCredit(LedgerEntry entry, IEnumerable<(DateTime StartUtc, DateTime EndUtc)> creditedElsewhere)
    {
        db.LedgerEntries.Add(entry);
        foreach (var (start, end) in ServiceTime.FreeStretches(entry.StartUtc, entry.EndUtc, creditedElsewhere))
        {
            db.EffectiveCredits.Add(new EffectiveCredit { EntryId = entry.Id, VolunteerId = entry.VolunteerId, SessionId = entry.SessionId, StartUtc = start, EndUtc = end });
        }
    }

    /// <summary>Entries that count: confirmations and corrections not later reversed.</summary>
    IQueryable<LedgerEntry> ActiveEntries() => HourTotals.ActiveEntries(db);

    IQueryable<OpenCorrectionRequest> OpenRequests(IQueryable<CorrectionRequest> requests) => requests.AsNoTracking().OrderBy(r => r.RequestedAtUtc)
        .Select(r => new OpenCorrectionRequest(r.Id, r.Session!.ActivityId, r.Session.Activity!.Title, r.SessionId, r.Volunteer!.Number, r.Volunteer.Name, r.Message, r.RequestedAtUtc));

    void Decide(CorrectionRequest request, CorrectionStatus status, string response, DateTime now)
    {
        request.Status = status;
        request.Response = response;
        request.DecidedAtUtc = now;
        request.DecidedBy = audit.ActorName;
    }

    internal LedgerEntry NewEntry(Guid volunteerId, Guid volunteerUnitId, Guid organizationId, ActivitySession session, Credit credit, LedgerEntryKind kind, string reason, DateTime now) => new()
    {
        VolunteerId = volunteerId,
        VolunteerUnitId = volunteerUnitId,
        SessionId = session.Id,
        ActivityId = session.ActivityId,
        OrganizationId = organizationId,
        StartUtc = credit.StartUtc,
        EndUtc = credit.EndUtc,
        Minutes = credit.Minutes,
        Kind = kind,
        Reason = reason,
        RecordedAtUtc = now,
        RecordedBy = audit.ActorName,
    };
}
