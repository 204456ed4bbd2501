using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using Zhiyuan.Web.Accounts;
using Zhiyuan.Web.Activities;
using Zhiyuan.Web.Audit;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Hours;
using Zhiyuan.Web.Infrastructure;
using Zhiyuan.Web.Organizations;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Web.BackEntries;

/// <summary>A session that already happened; times carry their offset, e.g. 2019-03-05T09:00:00+08:00.</summary>
public sealed record BackEntrySessionRequest(DateTimeOffset? StartsAt, DateTimeOffset? EndsAt, bool IsTraining = false);

/// <summary>
/// One volunteer in one session: <c>volunteer</c> is the volunteer number or the registered mobile;
/// <c>session</c> the position (from 0) in <c>sessions</c>, which may be left out when there is one;
/// then check-in and check-out times, or <c>hours</c> (from the session's start), or neither for the whole session.
/// </summary>
public sealed record BackEntryAttendanceRequest(string? Volunteer, int? Session = null, DateTimeOffset? CheckedInAt = null, DateTimeOffset? CheckedOutAt = null,
    decimal? Hours = null);

/// <summary>
/// An activity that already happened, its sessions and attendance. <c>submit</c> (the default) sends it
/// for review at once; false keeps it as a draft. <c>version</c>, when given, must be the one last read.
/// </summary>
public sealed record BackEntryRequest(
    Guid? HostOrganizationId,
    string? Title,
    string? Description,
    Guid[]? CoOrganizerIds,
    ServiceLines? ServiceLine,
    PopulationTypes[]? PopulationTypes,
    string? OtherPopulation,
    string? Address,
    string? ResponsiblePerson,
    BackEntrySessionRequest[]? Sessions,
    BackEntryAttendanceRequest[]? Attendance,
    bool Submit = true,
    int? Version = null);

/// <summary>Submit, approve or return: <c>reason</c> is required to return; <c>version</c>, when given, must be the one last read.</summary>
public sealed record BackEntryDecisionRequest(string? Reason = null, int? Version = null);

public sealed record BackEntryAttendanceView(int Position, string VolunteerNumber, string VolunteerName, DateTime StartUtc, DateTime EndUtc, int Minutes);

public sealed record BackEntrySessionView(Guid Id, DateTime StartsAtUtc, DateTime EndsAtUtc, bool IsTraining, List<BackEntryAttendanceView> Attendance);

public sealed record BackEntryView(
    Guid Id, Guid ActivityId, BackEntryStatus Status, int Version, string Title, string Description, Guid HostOrganizationId, string HostName, string UnitName,
    Guid[] CoOrganizerIds, string[] CoOrganizers, ServiceLines ServiceLine, PopulationTypes[] PopulationTypes, string? OtherPopulation, string Address,
    string ResponsiblePerson, List<BackEntrySessionView> Sessions, int PersonTimes, int Minutes, DateTime CreatedAtUtc, string CreatedBy,
    DateTime? SubmittedAtUtc, string? SubmittedBy, DateTime? DecidedAtUtc, string? DecidedBy, string? ReturnReason, bool CanEdit, bool CanReview);

public sealed record BackEntrySummary(Guid Id, Guid ActivityId, string Title, string HostName, string UnitName, BackEntryStatus Status, int Version,
    DateTime? FirstStartUtc, DateTime? LastEndUtc, int PersonTimes, int Minutes, DateTime CreatedAtUtc, DateTime? SubmittedAtUtc, string? SubmittedBy,
    string? ReturnReason);

/// <summary>What an approval credited: attendances and minutes, and attendances whose time another credit already held.</summary>
public sealed record BackEntryApproval(int Credited, int Minutes, int NothingToCredit, BackEntryView BackEntry);

/// <summary>A roster import: the back-entry as it now is, or why not — a reason for the whole file, or every row's errors (and then nothing was saved).</summary>
public sealed record RosterImportResult(BackEntryView? BackEntry, string? FileError, List<ImportError> Errors, bool NotFound = false)
{
    public bool Succeeded => BackEntry is not null && FileError is null && Errors.Count == 0;
}

/// <summary>
/// Back-entry (补录) of activities run without the platform: the organisation records the sessions
/// (within <see cref="BackEntryOptions.BackEntryDays"/> days, all in the past) and who attended; an
/// administrator of the organisation's unit or a unit above approves, and only then are the hours
/// credited to the ledger, marked 补录, by the same rules as confirmed attendance (ADR 0007, 0011).
/// </summary>
public sealed class BackEntryUseCases(
    AppDbContext db,
    AuditLog audit,
    ActivityUseCases activities,
    OrganizationUseCases organizations,
    HourUseCases hours,
    PersonalData personalData,
    UserManager<AppUser> users,
    IOptions<BackEntryOptions> options,
    IStringLocalizer<SharedResource> text,
    TimeProvider time)
{
    public const int MaxAttendance = BackEntryRoster.MaxRows;
    public const int MaxCoOrganizers = 20;
    const int MaxVolunteerLength = 32;

    int Days => options.Value.BackEntryDays;

    DateTime Now => time.GetUtcNow().UtcDateTime;

    /// <summary>Creates a back-entry (a draft activity marked 补录, its sessions and attendance), submitted for review unless <c>submit</c> is false.</summary>
    public Task<Outcome<BackEntryView>> CreateAsync(ClaimsPrincipal principal, BackEntryRequest request, CancellationToken cancellationToken = default) =>
        SaveAsync(principal, null, request, null, cancellationToken);

    /// <summary>Replaces a draft's or a returned back-entry's details, sessions and attendance (and submits it, unless <c>submit</c> is false).</summary>
    public Task<Outcome<BackEntryView>> UpdateAsync(ClaimsPrincipal principal, Guid id, BackEntryRequest request, CancellationToken cancellationToken = default) =>
        SaveAsync(principal, id, request, null, cancellationToken);

    /// <summary>The page's form: the attendance comes as roster lines, and their errors name the line.</summary>
    public Task<Outcome<BackEntryView>> SaveFormAsync(ClaimsPrincipal principal, Guid? id, BackEntryRequest request, IReadOnlyList<RosterLine> lines,
        CancellationToken cancellationToken = default) =>
        SaveAsync(principal, id, request, lines, cancellationToken);

    async Task<Outcome<BackEntryView>> SaveAsync(ClaimsPrincipal principal, Guid? id, BackEntryRequest request, IReadOnlyList<RosterLine>? lines, CancellationToken cancellationToken)
    {
        Access? access = null;
        if (id is { } existingId)
        {
            access = await AccessAsync(principal, existingId, cancellationToken);
            if (access is not { Manages: true })
            {
                return Outcome<BackEntryView>.NotFound();
            }
            if (Refusal(access.Entry, request.Version) is { } refused)
            {
                return Outcome<BackEntryView>.Invalid(refused.Field, refused.Message);
            }
        }
        var now = Now;
        var errors = new FieldErrors();
        var details = await CheckDetailsAsync(principal, request, errors, cancellationToken);
        var sessions = CheckSessions(errors, request.Sessions, now, access?.Entry.FirstSubmittedAtUtc ?? now);
        var windows = sessions.Select((s, i) => s is null ? null : new RosterSession(i, s.StartsAtUtc, s.EndsAtUtc)).ToList();
        var attendance = lines is null
            ? await CheckAttendanceAsync(request.Attendance ?? [], windows, now, (i, field, message) => errors.Add($"attendance[{i}].{field}", message),
                i => $"attendance[{i}]", cancellationToken)
            : await CheckLinesAsync(lines, windows, now, (row, _, message) => errors.Add("attendance", text["BackEntries.RowError", row, message]), cancellationToken);
        if ((request.Attendance?.Length ?? lines?.Count ?? 0) > MaxAttendance)
        {
            errors.Add("attendance", text["BackEntries.Error.TooMany", MaxAttendance]);
        }
        if (request.Submit && attendance.Count == 0 && !errors.Any)
        {
            errors.Add("attendance", text["BackEntries.Error.NoAttendance"]);
        }
        if (errors.Any || details is null)
        {
            return Outcome<BackEntryView>.Invalid(errors);
        }

        var userId = users.GetUserId(principal);
        var status = request.Submit ? BackEntryStatus.Submitted : access?.Entry.Status ?? BackEntryStatus.Draft;
        var kept = sessions.Select(s => s!).ToList();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        BackEntry entry;
        Activity activity;
        if (access is null)
        {
            activity = new Activity
            {
                Title = details.Title, Address = details.Address, ResponsiblePerson = details.ResponsiblePerson, IsBackEntry = true,
                Status = ActivityStatus.Draft, CreatedAtUtc = now, CreatedByUserId = userId,
            };
            db.Activities.Add(activity);
            entry = new BackEntry { ActivityId = activity.Id, Status = status, Version = 1, CreatedAtUtc = now, CreatedBy = audit.ActorName };
            db.BackEntries.Add(entry);
        }
        else
        {
            // The version first: a second change built on the same reading (a double click, another
            // administrator) finds it moved on and changes nothing; on PostgreSQL it waits here for the first.
            var read = access.Entry;
            if (await db.BackEntries.Where(b => b.Id == read.Id && b.Version == read.Version && b.Status == read.Status)
                    .ExecuteUpdateAsync(u => u.SetProperty(b => b.Version, read.Version + 1), cancellationToken) == 0)
            {
                return Outcome<BackEntryView>.Invalid("version", text["BackEntries.Error.Stale"]);
            }
            entry = await db.BackEntries.SingleAsync(b => b.Id == read.Id, cancellationToken);
            entry.Status = status;
            await db.BackEntryAttendances.Where(a => a.BackEntryId == read.Id).ExecuteDeleteAsync(cancellationToken);
            await db.ActivitySessions.Where(s => s.ActivityId == read.ActivityId).ExecuteDeleteAsync(cancellationToken);
            await db.ActivityCoOrganizers.Where(c => c.ActivityId == read.ActivityId).ExecuteDeleteAsync(cancellationToken);
            activity = await db.Activities.SingleAsync(a => a.Id == read.ActivityId, cancellationToken);
        }
        activity.Title = details.Title;
        activity.Description = details.Description;
        activity.HostOrganizationId = details.Host.Id;
        activity.UnitId = details.Host.UnitId;
        activity.ServiceLine = details.ServiceLine;
        activity.PopulationTypes = details.Population;
        activity.OtherPopulation = details.OtherPopulation;
        activity.Address = details.Address;
        activity.ResponsiblePerson = details.ResponsiblePerson;
        // Nobody signs up for what is over: the sign-up window is closed from the first session's start.
        activity.SignUpOpensAtUtc = activity.SignUpClosesAtUtc = kept.Min(s => s.StartsAtUtc);
        foreach (var organizationId in details.CoOrganizerIds)
        {
            db.ActivityCoOrganizers.Add(new ActivityCoOrganizer { ActivityId = activity.Id, OrganizationId = organizationId });
        }
        foreach (var (session, index) in kept.Select((s, i) => (s, i)))
        {
            session.ActivityId = activity.Id;
            session.Capacity = Math.Max(1, attendance.Count(a => a.SessionIndex == index));
            db.ActivitySessions.Add(session);
        }
        foreach (var (a, position) in attendance.Select((a, i) => (a, i)))
        {
            db.BackEntryAttendances.Add(new BackEntryAttendance
            {
                BackEntryId = entry.Id, SessionId = kept[a.SessionIndex].Id, VolunteerId = a.VolunteerId, StartUtc = a.StartUtc, EndUtc = a.EndUtc,
                Minutes = a.Minutes, Position = position + 1,
            });
        }
        if (request.Submit)
        {
            MarkSubmitted(entry, now, userId);
        }
        audit.Add(request.Submit ? "back-entry.submit" : "back-entry.save", details.Host.UnitId, Subject(details.Title),
            Summary(details.Host.Name, kept.Count, attendance.Count, attendance.Sum(a => a.Minutes)));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<BackEntryView>.Ok(await ViewAsync(principal, entry.Id, cancellationToken));
    }

    /// <summary>
    /// Replaces a draft's or a returned back-entry's attendance with the roster in a spreadsheet (.xlsx or .csv).
    /// All or nothing: with any wrong row, every row's errors come back and nothing is saved.
    /// </summary>
    public async Task<RosterImportResult> ImportRosterAsync(ClaimsPrincipal principal, Guid id, Stream file, string fileName, CancellationToken cancellationToken = default)
    {
        var access = await AccessAsync(principal, id, cancellationToken);
        if (access is not { Manages: true })
        {
            return new RosterImportResult(null, null, [], NotFound: true);
        }
        if (Refusal(access.Entry, null) is { } refused)
        {
            return new RosterImportResult(null, refused.Message, []);
        }
        var errors = new List<ImportError>();
        List<RosterLine> lines;
        // One of few spreadsheet reads at a time in the process, so many hostile files at once stay bounded too.
        using (var turn = await SpreadsheetReader.TakeTurnAsync(cancellationToken))
        {
            if (turn is null)
            {
                return new RosterImportResult(null, text["Import.Error.Busy"], []);
            }
            try
            {
                lines = BackEntryRoster.Read(SpreadsheetReader.Read(file, fileName, MaxAttendance + 1), (row, column, message) => errors.Add(new ImportError(row, column, message)),
                    (key, arguments) => text[key, arguments]);
            }
            catch (SpreadsheetException refusedFile)
            {
                return new RosterImportResult(null, text[refusedFile.ReasonKey, refusedFile.Arguments], []);
            }
        }
        if (lines.Count == 0 && errors.Count == 0)
        {
            return new RosterImportResult(null, text["BackEntries.Error.NoRows"], []);
        }
        if (lines.Count > MaxAttendance)
        {
            return new RosterImportResult(null, text["BackEntries.Error.TooMany", MaxAttendance], []);
        }
        var now = Now;
        var sessions = await db.ActivitySessions.AsNoTracking().Where(s => s.ActivityId == access.Entry.ActivityId).OrderBy(s => s.StartsAtUtc).ThenBy(s => s.Id)
            .ToListAsync(cancellationToken);
        var windows = sessions.Select((s, i) => (RosterSession?)new RosterSession(i, s.StartsAtUtc, s.EndsAtUtc)).ToList();
        var attendance = await CheckLinesAsync(lines, windows, now, (row, column, message) => errors.Add(new ImportError(row, column, message)), cancellationToken);
        if (errors.Count > 0)
        {
            errors.Sort((a, b) => a.Row.CompareTo(b.Row));
            return new RosterImportResult(null, null, errors);
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var read = access.Entry;
        if (await db.BackEntries.Where(b => b.Id == read.Id && b.Version == read.Version && b.Status == read.Status)
                .ExecuteUpdateAsync(u => u.SetProperty(b => b.Version, read.Version + 1), cancellationToken) == 0)
        {
            return new RosterImportResult(null, text["BackEntries.Error.Stale"], []);
        }
        await db.BackEntryAttendances.Where(a => a.BackEntryId == read.Id).ExecuteDeleteAsync(cancellationToken);
        foreach (var (session, index) in sessions.Select((s, i) => (s, i)))
        {
            var count = Math.Max(1, attendance.Count(a => a.SessionIndex == index));
            await db.ActivitySessions.Where(s => s.Id == session.Id).ExecuteUpdateAsync(u => u.SetProperty(s => s.Capacity, count), cancellationToken);
        }
        foreach (var (a, position) in attendance.Select((a, i) => (a, i)))
        {
            db.BackEntryAttendances.Add(new BackEntryAttendance
            {
                BackEntryId = read.Id, SessionId = sessions[a.SessionIndex].Id, VolunteerId = a.VolunteerId, StartUtc = a.StartUtc, EndUtc = a.EndUtc,
                Minutes = a.Minutes, Position = position + 1,
            });
        }
        audit.Add("back-entry.roster", access.Activity.UnitId, Subject(access.Activity.Title),
            text["BackEntries.AuditRoster", attendance.Count, Path.GetFileName(fileName)]);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new RosterImportResult(await ViewAsync(principal, read.Id, cancellationToken), null, []);
    }

    /// <summary>Sends a draft or a returned back-entry for review, checking again what time may have changed (the window, time credited meanwhile).</summary>
    public async Task<Outcome<BackEntryView>> SubmitAsync(ClaimsPrincipal principal, Guid id, BackEntryDecisionRequest? request, CancellationToken cancellationToken = default)
    {
        var access = await AccessAsync(principal, id, cancellationToken);
        if (access is not { Manages: true })
        {
            return Outcome<BackEntryView>.NotFound();
        }
        if (Refusal(access.Entry, request?.Version) is { } refused)
        {
            return Outcome<BackEntryView>.Invalid(refused.Field, refused.Message);
        }
        var now = Now;
        var read = access.Entry;
        var errors = new FieldErrors();
        var sessions = await db.ActivitySessions.AsNoTracking().Where(s => s.ActivityId == read.ActivityId).ToListAsync(cancellationToken);
        var earliest = Earliest(read.FirstSubmittedAtUtc ?? now);
        if (sessions.Any(s => DateOnly.FromDateTime(ChinaTime.ToChina(s.StartsAtUtc)) < earliest))
        {
            errors.Add("sessions", text["BackEntries.Error.Window", Days, earliest.ToString("yyyy-MM-dd")]);
        }
        var attendance = await db.BackEntryAttendances.AsNoTracking().Where(a => a.BackEntryId == id)
            .Select(a => new { a.VolunteerId, a.Volunteer!.Number, a.StartUtc, a.EndUtc, a.Minutes }).ToListAsync(cancellationToken);
        if (attendance.Count == 0)
        {
            errors.Add("attendance", text["BackEntries.Error.NoAttendance"]);
        }
        else
        {
            var credited = await hours.CreditedAsync(attendance.Select(a => a.VolunteerId).Distinct().ToList(), attendance.Min(a => a.StartUtc), attendance.Max(a => a.EndUtc), null,
                cancellationToken);
            foreach (var a in attendance)
            {
                if (credited.FirstOrDefault(c => c.VolunteerId == a.VolunteerId && c.StartUtc < a.EndUtc && c.EndUtc > a.StartUtc) is { } taken)
                {
                    errors.Add("attendance", text["BackEntries.Error.AlreadyCredited", a.Number, Span(taken.StartUtc, taken.EndUtc)]);
                }
            }
        }
        if (errors.Any)
        {
            return Outcome<BackEntryView>.Invalid(errors);
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var userId = users.GetUserId(principal);
        var actor = audit.ActorName;
        if (await db.BackEntries.Where(b => b.Id == id && b.Version == read.Version && b.Status == read.Status)
                .ExecuteUpdateAsync(u => u
                    .SetProperty(b => b.Status, BackEntryStatus.Submitted)
                    .SetProperty(b => b.Version, read.Version + 1)
                    .SetProperty(b => b.SubmittedAtUtc, now)
                    .SetProperty(b => b.SubmittedBy, actor)
                    .SetProperty(b => b.SubmittedByUserId, userId)
                    .SetProperty(b => b.FirstSubmittedAtUtc, b => b.FirstSubmittedAtUtc ?? now), cancellationToken) == 0)
        {
            return Outcome<BackEntryView>.Invalid("status", text["BackEntries.Error.Changed"]);
        }
        audit.Add("back-entry.submit", access.Activity.UnitId, Subject(access.Activity.Title),
            Summary(await HostNameAsync(access.Activity.HostOrganizationId, cancellationToken), sessions.Count, attendance.Count, attendance.Sum(a => a.Minutes)));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<BackEntryView>.Ok(await ViewAsync(principal, id, cancellationToken));
    }

    /// <summary>
    /// The unit approves: in one transaction the back-entry becomes approved (only from submitted, once),
    /// the activity finished, and every attendance a sign-up with its ledger entry marked 补录 — the time
    /// already credited to a volunteer elsewhere left out, as in any confirmation.
    /// </summary>
    public async Task<Outcome<BackEntryApproval>> ApproveAsync(ClaimsPrincipal principal, Guid id, BackEntryDecisionRequest? request, CancellationToken cancellationToken = default)
    {
        var access = await AccessAsync(principal, id, cancellationToken);
        if (access is null)
        {
            return Outcome<BackEntryApproval>.NotFound();
        }
        if (ReviewRefusal(access, request?.Version) is { } refused)
        {
            return Outcome<BackEntryApproval>.Invalid(refused.Field, refused.Message);
        }
        var now = Now;
        var read = access.Entry;
        var actor = audit.ActorName;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Approved only from the status and version read, once: of twenty identical approvals one
        // changes the row and credits; the others change nothing (ADR 0011).
        if (await db.BackEntries.Where(b => b.Id == id && b.Status == BackEntryStatus.Submitted && b.Version == read.Version)
                .ExecuteUpdateAsync(u => u
                    .SetProperty(b => b.Status, BackEntryStatus.Approved)
                    .SetProperty(b => b.Version, read.Version + 1)
                    .SetProperty(b => b.DecidedAtUtc, now)
                    .SetProperty(b => b.DecidedBy, actor), cancellationToken) == 0)
        {
            return Outcome<BackEntryApproval>.Invalid("status", text["BackEntries.Error.Changed"]);
        }
        var activity = await db.Activities.SingleAsync(a => a.Id == read.ActivityId, cancellationToken);
        activity.Status = ActivityStatus.Finished;
        activity.PublishedAtUtc ??= now;
        var sessions = await db.ActivitySessions.Where(s => s.ActivityId == activity.Id).OrderBy(s => s.StartsAtUtc).ThenBy(s => s.Id).ToListAsync(cancellationToken);
        var attendance = await db.BackEntryAttendances.AsNoTracking().Where(a => a.BackEntryId == id).OrderBy(a => a.Position)
            .Select(a => new { a.SessionId, a.VolunteerId, a.Volunteer!.UnitId, a.StartUtc, a.EndUtc }).ToListAsync(cancellationToken);
        var volunteerIds = attendance.Select(a => a.VolunteerId).Distinct().ToList();
        // Volunteers locked (PostgreSQL) before the time already credited to them is read: a confirmation
        // of another activity at the same moment waits, and the database refuses any overlap behind that.
        await db.LockVolunteersAsync(volunteerIds, cancellationToken);
        var taken = volunteerIds.ToDictionary(v => v, _ => new List<(DateTime StartUtc, DateTime EndUtc)>());
        if (attendance.Count > 0)
        {
            foreach (var credit in await hours.CreditedAsync(volunteerIds, attendance.Min(a => a.StartUtc), attendance.Max(a => a.EndUtc), null, cancellationToken))
            {
                taken[credit.VolunteerId].Add((credit.StartUtc, credit.EndUtc));
            }
        }
        int credited = 0, minutes = 0, nothing = 0;
        foreach (var session in sessions)
        {
            var accepted = 0;
            foreach (var a in attendance.Where(a => a.SessionId == session.Id))
            {
                var elsewhere = taken[a.VolunteerId];
                if (ServiceTime.Compute(a.StartUtc, a.EndUtc, session.StartsAtUtc, session.EndsAtUtc, elsewhere) is not { } credit)
                {
                    // Credited meanwhile by another activity (submission refused that, so only just now): nothing to add, and no
                    // sign-up either, which would wait for a confirmation that can never credit anything.
                    nothing++;
                    continue;
                }
                // The attendance as a sign-up with its times and its credit, as a confirmed session leaves it: the
                // volunteer sees it among their sign-ups and may ask for a correction like any other.
                var signUp = new SignUp
                {
                    SessionId = session.Id, VolunteerId = a.VolunteerId, Status = SignUpStatus.Accepted, RequestedAtUtc = now, DecidedAtUtc = now,
                    CheckedInAtUtc = a.StartUtc, CheckedOutAtUtc = a.EndUtc,
                };
                db.SignUps.Add(signUp);
                accepted++;
                var entry = hours.NewEntry(a.VolunteerId, a.UnitId, activity.HostOrganizationId, session, credit, LedgerEntryKind.Confirmed, "", now);
                entry.IsBackEntry = true;
                var stretches = ServiceTime.FreeStretches(credit.StartUtc, credit.EndUtc, elsewhere);
                hours.AddCredit(entry, elsewhere);
                elsewhere.AddRange(stretches);
                signUp.LedgerEntryId = entry.Id;
                credited++;
                minutes += credit.Minutes;
            }
            session.Capacity = Math.Max(session.Capacity, accepted);
            session.Accepted = accepted;
            session.HoursConfirmedAtUtc = now;
        }
        audit.Add("back-entry.approve", activity.UnitId, Subject(activity.Title),
            text["BackEntries.AuditApproved", await HostNameAsync(activity.HostOrganizationId, cancellationToken), credited, HourUseCases.FormatHours(minutes), nothing]);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        // Attendances credited by an approved back-entry are confirmations like those of a session confirmed in time.
        PlatformMetrics.Confirmations.Add(credited);
        return Outcome<BackEntryApproval>.Ok(new BackEntryApproval(credited, minutes, nothing, await ViewAsync(principal, id, cancellationToken)));
    }

    /// <summary>The unit returns a submitted back-entry with the reason; the organisation corrects it and submits again.</summary>
    public async Task<Outcome<BackEntryView>> ReturnAsync(ClaimsPrincipal principal, Guid id, BackEntryDecisionRequest? request, CancellationToken cancellationToken = default)
    {
        var access = await AccessAsync(principal, id, cancellationToken);
        if (access is null)
        {
            return Outcome<BackEntryView>.NotFound();
        }
        if (ReviewRefusal(access, request?.Version) is { } refused)
        {
            return Outcome<BackEntryView>.Invalid(refused.Field, refused.Message);
        }
        var reason = (request?.Reason ?? "").Trim();
        if (reason.Length == 0 || reason.Length > BackEntry.ReasonMaxLength)
        {
            return Outcome<BackEntryView>.Invalid("reason", text["Organizations.Error.Reason", BackEntry.ReasonMaxLength]);
        }
        var now = Now;
        var read = access.Entry;
        var actor = audit.ActorName;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await db.BackEntries.Where(b => b.Id == id && b.Status == BackEntryStatus.Submitted && b.Version == read.Version)
                .ExecuteUpdateAsync(u => u
                    .SetProperty(b => b.Status, BackEntryStatus.Returned)
                    .SetProperty(b => b.Version, read.Version + 1)
                    .SetProperty(b => b.DecidedAtUtc, now)
                    .SetProperty(b => b.DecidedBy, actor)
                    .SetProperty(b => b.ReturnReason, reason), cancellationToken) == 0)
        {
            return Outcome<BackEntryView>.Invalid("status", text["BackEntries.Error.Changed"]);
        }
        audit.Add("back-entry.return", access.Activity.UnitId, Subject(access.Activity.Title), reason);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<BackEntryView>.Ok(await ViewAsync(principal, id, cancellationToken));
    }

    /// <summary>A back-entry as its organisation or its reviewers see it.</summary>
    public async Task<BackEntryView?> GetAsync(ClaimsPrincipal principal, Guid id, CancellationToken cancellationToken = default) =>
        await AccessAsync(principal, id, cancellationToken) is null ? null : await ViewAsync(principal, id, cancellationToken);

    /// <summary>The back-entry of an activity, for marking it on the activity's pages; null for an ordinary activity.</summary>
    public async Task<(Guid Id, BackEntryStatus Status)?> OfActivityAsync(Guid activityId, CancellationToken cancellationToken = default)
    {
        var found = await db.BackEntries.AsNoTracking().Where(b => b.ActivityId == activityId).Select(b => new { b.Id, b.Status }).SingleOrDefaultAsync(cancellationToken);
        return found is null ? null : (found.Id, found.Status);
    }

    /// <summary>The back-entries of the activities the caller runs, newest first.</summary>
    public async Task<List<BackEntrySummary>> MineAsync(ClaimsPrincipal principal, CancellationToken cancellationToken = default)
    {
        var managed = (await activities.ManagedQueryAsync(principal, cancellationToken)).Where(a => a.IsBackEntry).Select(a => a.Id);
        return await Summaries(db.BackEntries.Where(b => managed.Contains(b.ActivityId)).OrderByDescending(b => b.CreatedAtUtc)).Take(200).ToListAsync(cancellationToken);
    }

    /// <summary>What waits for the caller's review: submitted back-entries of their unit subtree (not their own), oldest first.</summary>
    public async Task<List<BackEntrySummary>> ReviewQueueAsync(ClaimsPrincipal principal, CancellationToken cancellationToken = default)
    {
        var queue = await ReviewQueueQueryAsync(principal, cancellationToken);
        return queue is null ? [] : await Summaries(queue.OrderBy(b => b.SubmittedAtUtc)).Take(MaxListed).ToListAsync(cancellationToken);
    }

    /// <summary>The most back-entries a list shows.</summary>
    public const int MaxListed = 200;

    /// <summary>The review queue as a query (null for anyone who administers no unit): the one definition behind the review page and the workbench's count.</summary>
    internal async Task<IQueryable<BackEntry>?> ReviewQueueQueryAsync(ClaimsPrincipal principal, CancellationToken cancellationToken)
    {
        var scope = await UnitScope.ForAsync(principal, db, cancellationToken);
        if (scope is null)
        {
            return null;
        }
        var userId = users.GetUserId(principal);
        return db.BackEntries.Where(b => b.Status == BackEntryStatus.Submitted && b.Activity!.Unit!.Path.StartsWith(scope.RootPath)
            && (b.SubmittedByUserId == null || b.SubmittedByUserId != userId));
    }

    /// <summary>The sessions of a back-entry the roster refers to (by date), in time order.</summary>
    public async Task<List<RosterSession>> RosterSessionsAsync(Guid id, CancellationToken cancellationToken = default)
    {
        var sessions = await db.ActivitySessions.AsNoTracking().Where(s => db.BackEntries.Any(b => b.Id == id && b.ActivityId == s.ActivityId))
            .OrderBy(s => s.StartsAtUtc).ThenBy(s => s.Id).Select(s => new { s.StartsAtUtc, s.EndsAtUtc }).ToListAsync(cancellationToken);
        return sessions.Select((s, i) => new RosterSession(i, s.StartsAtUtc, s.EndsAtUtc)).ToList();
    }

    static IQueryable<BackEntrySummary> Summaries(IQueryable<BackEntry> entries) => entries.AsNoTracking().Select(b => new BackEntrySummary(
        b.Id, b.ActivityId, b.Activity!.Title, b.Activity.HostOrganization!.Name, b.Activity.Unit!.Name, b.Status, b.Version,
        b.Activity.Sessions.Min(s => (DateTime?)s.StartsAtUtc), b.Activity.Sessions.Max(s => (DateTime?)s.EndsAtUtc),
        b.Attendance.Count, b.Attendance.Sum(a => a.Minutes), b.CreatedAtUtc, b.SubmittedAtUtc, b.SubmittedBy, b.ReturnReason));

    sealed record Access(BackEntry Entry, Activity Activity, bool Manages, bool InReviewScope, string? UserId);

    /// <summary>
    /// Who may see a back-entry: those who run its activity (its organisation's administrators and the
    /// administrators of the units above it) and its reviewers; anyone else is told it does not exist.
    /// </summary>
    async Task<Access?> AccessAsync(ClaimsPrincipal principal, Guid id, CancellationToken cancellationToken)
    {
        var entry = await db.BackEntries.AsNoTracking().SingleOrDefaultAsync(b => b.Id == id, cancellationToken);
        if (entry is null)
        {
            return null;
        }
        var activity = await db.Activities.AsNoTracking().Include(a => a.Unit).SingleAsync(a => a.Id == entry.ActivityId, cancellationToken);
        var manages = await activities.CanManageAsync(principal, activity.Id, cancellationToken);
        var scope = await UnitScope.ForAsync(principal, db, cancellationToken);
        var reviews = scope is not null && activity.Unit!.Path.StartsWith(scope.RootPath, StringComparison.OrdinalIgnoreCase);
        return manages || reviews ? new Access(entry, activity, manages, reviews, users.GetUserId(principal)) : null;
    }

    /// <summary>Why the organisation may not change the back-entry now, or null.</summary>
    (string Field, string Message)? Refusal(BackEntry entry, int? version)
    {
        if (entry.Status is not (BackEntryStatus.Draft or BackEntryStatus.Returned))
        {
            return ("status", text["BackEntries.Error.NotEditable", text["BackEntryStatus." + entry.Status]]);
        }
        return version is { } v && v != entry.Version ? ("version", text["BackEntries.Error.Stale"]) : null;
    }

    /// <summary>Why the caller may not decide on the back-entry now, or null.</summary>
    (string Field, string Message)? ReviewRefusal(Access access, int? version)
    {
        if (!access.InReviewScope)
        {
            return ("status", text["BackEntries.Error.NotReviewer"]);
        }
        if (access.Entry.Status != BackEntryStatus.Submitted)
        {
            return ("status", text["BackEntries.Error.NotSubmitted", text["BackEntryStatus." + access.Entry.Status]]);
        }
        if (access.Entry.SubmittedByUserId is { } submitter && submitter == access.UserId)
        {
            return ("status", text["BackEntries.Error.OwnSubmission"]);
        }
        return version is { } v && v != access.Entry.Version ? ("version", text["BackEntries.Error.Stale"]) : null;
    }

    static bool CanReview(Access access) =>
        access.InReviewScope && access.Entry.Status == BackEntryStatus.Submitted && access.Entry.SubmittedByUserId != access.UserId;

    void MarkSubmitted(BackEntry entry, DateTime now, string? userId)
    {
        entry.SubmittedAtUtc = now;
        entry.SubmittedBy = audit.ActorName;
        entry.SubmittedByUserId = userId;
        entry.FirstSubmittedAtUtc ??= now;
    }

    async Task<BackEntryView> ViewAsync(ClaimsPrincipal principal, Guid id, CancellationToken cancellationToken)
    {
        var access = (await AccessAsync(principal, id, cancellationToken))!;
        var entry = access.Entry;
        var a = await db.Activities.AsNoTracking().Include(a => a.HostOrganization).Include(a => a.Unit).Include(a => a.CoOrganizers).ThenInclude(c => c.Organization)
            .AsSplitQuery().SingleAsync(a => a.Id == entry.ActivityId, cancellationToken);
        var sessions = await db.ActivitySessions.AsNoTracking().Where(s => s.ActivityId == a.Id).OrderBy(s => s.StartsAtUtc).ThenBy(s => s.Id).ToListAsync(cancellationToken);
        var attendance = (await db.BackEntryAttendances.AsNoTracking().Where(x => x.BackEntryId == id).OrderBy(x => x.Position)
                .Select(x => new { x.SessionId, View = new BackEntryAttendanceView(x.Position, x.Volunteer!.Number, x.Volunteer.Name, x.StartUtc, x.EndUtc, x.Minutes) })
                .ToListAsync(cancellationToken))
            .ToLookup(x => x.SessionId, x => x.View);
        var coOrganizers = a.CoOrganizers.OrderBy(c => c.Organization!.Name, StringComparer.Ordinal).ToList();
        return new BackEntryView(entry.Id, a.Id, entry.Status, entry.Version, a.Title, a.Description, a.HostOrganizationId, a.HostOrganization!.Name, a.Unit!.Name,
            coOrganizers.Select(c => c.OrganizationId).ToArray(), coOrganizers.Select(c => c.Organization!.Name).ToArray(), a.ServiceLine,
            PopulationTypeList.Split(a.PopulationTypes).ToArray(), a.OtherPopulation, a.Address, a.ResponsiblePerson,
            sessions.Select(s => new BackEntrySessionView(s.Id, s.StartsAtUtc, s.EndsAtUtc, s.IsTraining, attendance[s.Id].ToList())).ToList(),
            attendance.Sum(g => g.Count()), attendance.Sum(g => g.Sum(x => x.Minutes)), entry.CreatedAtUtc, entry.CreatedBy, entry.SubmittedAtUtc, entry.SubmittedBy,
            entry.DecidedAtUtc, await Signatures.OfAsync(db, entry.DecidedBy, cancellationToken), entry.ReturnReason,
            access.Manages && entry.Status is BackEntryStatus.Draft or BackEntryStatus.Returned, CanReview(access));
    }

    sealed record Details(Organization Host, string Title, string Description, List<Guid> CoOrganizerIds, ServiceLines ServiceLine, PopulationTypes Population,
        string? OtherPopulation, string Address, string ResponsiblePerson);

    /// <summary>The activity's own fields, by the rules of creating an activity (a host the caller runs, the form's population types, a responsible person).</summary>
    async Task<Details?> CheckDetailsAsync(ClaimsPrincipal principal, BackEntryRequest request, FieldErrors errors, CancellationToken cancellationToken)
    {
        var host = request.HostOrganizationId is { } hostId
            ? await (await organizations.ManagedQueryAsync(principal, cancellationToken)).AsNoTracking().SingleOrDefaultAsync(o => o.Id == hostId, cancellationToken)
            : null;
        if (host is null)
        {
            errors.Add("hostOrganizationId", text["Activities.Error.Host"]);
        }
        var title = Text(errors, "title", request.Title, "Activities.Field.Title", Activity.TitleMaxLength, required: true);
        var description = Text(errors, "description", request.Description, "Activities.Field.Description", Activity.TextMaxLength, required: false);
        var coOrganizerIds = (request.CoOrganizerIds ?? []).Distinct().Where(o => o != request.HostOrganizationId).ToList();
        if (coOrganizerIds.Count > MaxCoOrganizers
            || (coOrganizerIds.Count > 0 && await db.Organizations.CountAsync(o => coOrganizerIds.Contains(o.Id) && o.Status == OrganizationStatus.Approved, cancellationToken) != coOrganizerIds.Count))
        {
            errors.Add("coOrganizerIds", text["Activities.Error.CoOrganizer"]);
        }
        if (request.ServiceLine is not { } line || !ServiceLineList.All.Contains(line))
        {
            errors.Add("serviceLine", text["Activities.Error.ServiceLine"]);
        }
        var population = (request.PopulationTypes ?? []).Aggregate(PopulationTypes.None, (all, t) => all | t);
        if (population == PopulationTypes.None || (request.PopulationTypes ?? []).Any(t => !PopulationTypeList.All.Contains(t)))
        {
            errors.Add("populationTypes", text["Activities.Error.Population"]);
        }
        var other = Text(errors, "otherPopulation", request.OtherPopulation, "Activities.Field.OtherPopulation", Activity.ShortTextMaxLength, required: false);
        if (population.HasFlag(PopulationTypes.Other) && other.Length == 0)
        {
            errors.Add("otherPopulation", text["Validation.Required", text["Activities.Field.OtherPopulation"]]);
        }
        var address = Text(errors, "address", request.Address, "Activities.Field.Address", Activity.ShortTextMaxLength, required: true);
        var responsible = Text(errors, "responsiblePerson", request.ResponsiblePerson, "Activities.Field.ResponsiblePerson", 50, required: true);
        return host is null ? null : new Details(host, title, description, coOrganizerIds, request.ServiceLine ?? ServiceLines.None, population,
            population.HasFlag(PopulationTypes.Other) ? other : null, address, responsible);
    }

    string Text(FieldErrors errors, string field, string? value, string label, int maxLength, bool required)
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

    DateOnly Earliest(DateTime anchorUtc) => DateOnly.FromDateTime(ChinaTime.ToChina(anchorUtc)).AddDays(-Days);

    /// <summary>
    /// Sessions that happened: each over by now and started within the window (counted back from the
    /// first submission); at most 24 hours long. The list keeps the request's positions, null where a
    /// session is wrong, so attendance can still refer to the others.
    /// </summary>
    List<ActivitySession?> CheckSessions(FieldErrors errors, BackEntrySessionRequest?[]? requests, DateTime now, DateTime anchor)
    {
        if (requests is not { Length: > 0 })
        {
            errors.Add("sessions", text["Activities.Error.NoSessions"]);
            return [];
        }
        if (requests.Length > ActivityUseCases.MaxSessions)
        {
            errors.Add("sessions", text["Activities.Error.TooManySessions", ActivityUseCases.MaxSessions]);
            return [];
        }
        var earliest = Earliest(anchor);
        var sessions = new List<ActivitySession?>();
        for (var i = 0; i < requests.Length; i++)
        {
            var prefix = $"sessions[{i}].";
            var request = requests[i];
            var problems = new FieldErrors();
            var start = request?.StartsAt?.UtcDateTime;
            var end = request?.EndsAt?.UtcDateTime;
            if (start is null)
            {
                problems.Add(prefix + "startsAt", text["Validation.Required", text["Activities.Field.StartsAt"]]);
            }
            if (end is null)
            {
                problems.Add(prefix + "endsAt", text["Validation.Required", text["Activities.Field.EndsAt"]]);
            }
            if (start is { } s && end is { } e)
            {
                if (e <= s)
                {
                    problems.Add(prefix + "endsAt", text["Activities.Error.EndBeforeStart"]);
                }
                else if (e - s > TimeSpan.FromHours(24))
                {
                    problems.Add(prefix + "endsAt", text["Activities.Error.SessionTooLong"]);
                }
                if (e > now)
                {
                    problems.Add(prefix + "endsAt", text["BackEntries.Error.Future", ChinaTime.Format(now)]);
                }
                if (DateOnly.FromDateTime(ChinaTime.ToChina(s)) < earliest)
                {
                    problems.Add(prefix + "startsAt", text["BackEntries.Error.Window", Days, earliest.ToString("yyyy-MM-dd")]);
                }
            }
            foreach (var (field, messages) in problems.ToDictionary())
            {
                foreach (var message in messages)
                {
                    errors.Add(field, message);
                }
            }
            sessions.Add(problems.Any || start is null || end is null ? null : new ActivitySession
            {
                StartsAtUtc = start.Value, EndsAtUtc = end.Value, Capacity = 1, IsTraining = request!.IsTraining, CheckInSecret = RandomNumberGenerator.GetBytes(32),
            });
        }
        return sessions;
    }

    /// <summary>An attendance that passed every check.</summary>
    sealed record CheckedAttendance(int Index, int SessionIndex, Guid VolunteerId, string Shown, DateTime StartUtc, DateTime EndUtc)
    {
        public int Minutes => (int)Math.Floor((EndUtc - StartUtc).TotalMinutes);
    }

    /// <summary>Roster lines: each read and placed in its session, then checked as attendance; every error names the line.</summary>
    async Task<List<CheckedAttendance>> CheckLinesAsync(IReadOnlyList<RosterLine> lines, IReadOnlyList<RosterSession?> sessions, DateTime now,
        Action<int, string, string> error, CancellationToken cancellationToken)
    {
        var known = sessions.OfType<RosterSession>().ToList();
        var requests = new List<BackEntryAttendanceRequest?>();
        var rows = new List<int>();
        foreach (var line in lines.Take(MaxAttendance))
        {
            if (BackEntryRoster.ToRequest(line, known, (field, message) => error(line.Row, BackEntryRoster.HeaderOf(field), message), (key, arguments) => text[key, arguments]) is { } request)
            {
                requests.Add(request);
                rows.Add(line.Row);
            }
        }
        return await CheckAttendanceAsync(requests, sessions, now, (i, field, message) => error(rows[i], BackEntryRoster.HeaderOf(field), message),
            i => text["BackEntries.Row", rows[i]], cancellationToken);
    }

    /// <summary>
    /// Each attendance: a registered volunteer (by number or mobile), a session of this back-entry, times
    /// inside it and not in the future (or hours that fit it), each volunteer once per session and never in
    /// two places at once, and no time already credited to the volunteer elsewhere.
    /// </summary>
    async Task<List<CheckedAttendance>> CheckAttendanceAsync(IReadOnlyList<BackEntryAttendanceRequest?> requests, IReadOnlyList<RosterSession?> sessions, DateTime now,
        Action<int, string, string> error, Func<int, string> describe, CancellationToken cancellationToken)
    {
        if (requests.Count > MaxAttendance)
        {
            return [];
        }
        var keys = new (string? Number, string? PhoneHash, string Shown)[requests.Count];
        for (var i = 0; i < requests.Count; i++)
        {
            var raw = (requests[i]?.Volunteer ?? "").Replace(" ", "").Replace("-", "").Trim();
            if (raw.Length == 0)
            {
                error(i, "volunteer", text["Validation.Required", text["BackEntries.Field.Volunteer"]]);
            }
            else if (raw.Length > MaxVolunteerLength)
            {
                error(i, "volunteer", text["BackEntries.Error.VolunteerFormat"]);
            }
            else if (IdentityDocument.MobilePattern().IsMatch(raw))
            {
                keys[i] = (null, Convert.ToHexString(personalData.Hash(VolunteerUseCases.PhoneHashKind, raw)), PersonalData.MaskPhone(raw));
            }
            else
            {
                keys[i] = (raw.ToUpperInvariant(), null, raw.ToUpperInvariant());
            }
        }
        var numbers = keys.Where(k => k.Number is not null).Select(k => k.Number!).Distinct().ToList();
        var byNumber = numbers.Count == 0 ? [] : await db.Volunteers.AsNoTracking().Where(v => numbers.Contains(v.Number))
            .Select(v => new { v.Id, v.Number }).ToDictionaryAsync(v => v.Number, v => v.Id, cancellationToken);
        var hashes = keys.Where(k => k.PhoneHash is not null).Select(k => Convert.FromHexString(k.PhoneHash!)).ToList();
        var byPhone = new Dictionary<string, (Guid Id, string Number)>();
        if (hashes.Count > 0)
        {
            foreach (var v in await db.Volunteers.AsNoTracking().Where(v => hashes.Contains(v.PhoneHash)).Select(v => new { v.Id, v.Number, v.PhoneHash }).ToListAsync(cancellationToken))
            {
                byPhone[Convert.ToHexString(v.PhoneHash)] = (v.Id, v.Number);
            }
        }

        var result = new List<CheckedAttendance>();
        var seen = new Dictionary<(int, Guid), int>();
        for (var i = 0; i < requests.Count; i++)
        {
            var request = requests[i];
            var key = keys[i];
            if (request is null || (key.Number is null && key.PhoneHash is null))
            {
                continue;
            }
            Guid volunteerId;
            string shown;
            if (key.Number is not null)
            {
                if (!byNumber.TryGetValue(key.Number, out volunteerId))
                {
                    error(i, "volunteer", text["BackEntries.Error.UnknownNumber", key.Shown]);
                    continue;
                }
                shown = key.Number;
            }
            else if (byPhone.TryGetValue(key.PhoneHash!, out var found))
            {
                (volunteerId, shown) = found;
            }
            else
            {
                error(i, "volunteer", text["BackEntries.Error.UnknownMobile", key.Shown]);
                continue;
            }
            int? index = request.Session ?? (sessions.Count == 1 ? 0 : null);
            if (index is null)
            {
                error(i, "session", text["BackEntries.Error.WhichSession", sessions.Count]);
                continue;
            }
            if (index < 0 || index >= sessions.Count)
            {
                error(i, "session", text["BackEntries.Error.NoSuchSession", index.Value, sessions.Count]);
                continue;
            }
            if (sessions[index.Value] is not { } session)
            {
                // The session itself is wrong, and says so.
                continue;
            }
            var window = ChinaTime.Format(session.StartsAtUtc) + "–" + ChinaTime.ToChina(session.EndsAtUtc).ToString("HH:mm");
            DateTime start, end;
            if (request.CheckedInAt is not null || request.CheckedOutAt is not null)
            {
                if (request.Hours is not null)
                {
                    error(i, "hours", text["BackEntries.Error.TimesOrHours"]);
                    continue;
                }
                if (request.CheckedInAt is not { } checkedIn || request.CheckedOutAt is not { } checkedOut)
                {
                    var missing = request.CheckedInAt is null ? "checkedInAt" : "checkedOutAt";
                    error(i, missing, text["Validation.Required", text[missing == "checkedInAt" ? "Attendance.Field.CheckedIn" : "Attendance.Field.CheckedOut"]]);
                    continue;
                }
                (start, end) = (checkedIn.UtcDateTime, checkedOut.UtcDateTime);
                if (start > now || end > now)
                {
                    error(i, end > now ? "checkedOutAt" : "checkedInAt", text["BackEntries.Error.Future", ChinaTime.Format(now)]);
                    continue;
                }
                if (end <= start)
                {
                    error(i, "checkedOutAt", text["Attendance.Error.OutBeforeIn"]);
                    continue;
                }
                if (start < session.StartsAtUtc || end > session.EndsAtUtc)
                {
                    error(i, "checkedInAt", text["Attendance.Error.OutsideSession", window]);
                    continue;
                }
            }
            else if (request.Hours is { } given)
            {
                var length = (session.EndsAtUtc - session.StartsAtUtc).TotalMinutes;
                if (given <= 0 || given > 24 || given * 100 != decimal.Truncate(given * 100) || (double)(given * 60) > length)
                {
                    error(i, "hours", text["BackEntries.Error.Hours", HourUseCases.FormatHours((long)length), window]);
                    continue;
                }
                start = session.StartsAtUtc;
                end = start.AddMinutes((double)decimal.Round(given * 60, MidpointRounding.AwayFromZero));
            }
            else
            {
                (start, end) = (session.StartsAtUtc, session.EndsAtUtc);
            }
            if ((end - start).TotalMinutes < 1)
            {
                error(i, "checkedOutAt", text["BackEntries.Error.TooShort"]);
                continue;
            }
            if (seen.TryGetValue((index.Value, volunteerId), out var earlier))
            {
                error(i, "volunteer", text["BackEntries.Error.Duplicate", shown, describe(earlier)]);
                continue;
            }
            if (result.FirstOrDefault(r => r.VolunteerId == volunteerId && r.StartUtc < end && r.EndUtc > start) is { } overlapping)
            {
                error(i, "checkedInAt", text["BackEntries.Error.Overlap", shown, describe(overlapping.Index)]);
                continue;
            }
            seen[(index.Value, volunteerId)] = i;
            result.Add(new CheckedAttendance(i, index.Value, volunteerId, shown, start, end));
        }
        if (result.Count > 0)
        {
            // Time already in the ledger is refused here rather than quietly left out at approval: the organisation sees which.
            var credited = await hours.CreditedAsync(result.Select(r => r.VolunteerId).Distinct().ToList(), result.Min(r => r.StartUtc), result.Max(r => r.EndUtc), null,
                cancellationToken);
            foreach (var r in result.ToList())
            {
                if (credited.FirstOrDefault(c => c.VolunteerId == r.VolunteerId && c.StartUtc < r.EndUtc && c.EndUtc > r.StartUtc) is { } taken)
                {
                    error(r.Index, "checkedInAt", text["BackEntries.Error.AlreadyCredited", r.Shown, Span(taken.StartUtc, taken.EndUtc)]);
                    result.Remove(r);
                }
            }
        }
        return result;
    }

    static string Span(DateTime startUtc, DateTime endUtc) => ChinaTime.Format(startUtc) + "–" + ChinaTime.ToChina(endUtc).ToString("HH:mm");

    static string Subject(string title) => title.Length > 100 ? title[..100] : title;

    string Summary(string host, int sessions, int personTimes, int minutes) => text["BackEntries.AuditSummary", host, sessions, personTimes, HourUseCases.FormatHours(minutes)];

    async Task<string> HostNameAsync(Guid organizationId, CancellationToken cancellationToken) =>
        await db.Organizations.Where(o => o.Id == organizationId).Select(o => o.Name).SingleAsync(cancellationToken);
}
