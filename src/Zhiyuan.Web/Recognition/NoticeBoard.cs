using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Infrastructure;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Web.Recognition;

/// <param name="Kind">"star" or "nomination".</param>
public sealed record NoticeItem(string Kind, Guid Id, string Title, string Subject, string UnitName, string Detail, DateTime EndsAtUtc);

public sealed record ObjectionRequest(string? Text, string? Contact);

/// <summary>
/// The public notice (公示): stars and commendations waiting out their notice, open to everyone, and
/// objections to them. An objection is rate-limited per sender address across all nodes (counted in
/// the database), and answered by the unit before anything on notice can be awarded.
/// </summary>
public sealed class NoticeBoard(AppDbContext db, PersonalData personalData, IOptions<RecognitionOptions> options, IStringLocalizer<SharedResource> text, TimeProvider time)
{
    public async Task<List<NoticeItem>> ListAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var stars = await db.StarAwards.AsNoTracking().Where(a => a.Status == RecognitionStatus.OnNotice && a.NoticeEndsAtUtc > now)
            .OrderBy(a => a.NoticeEndsAtUtc)
            .Select(a => new { a.Id, a.Level, a.MinutesAtReview, a.Volunteer!.Name, a.Volunteer.Number, UnitName = a.Volunteer.Unit!.Name, a.NoticeEndsAtUtc })
            .ToListAsync(cancellationToken);
        var nominations = await db.Nominations.AsNoTracking().Where(n => n.Status == RecognitionStatus.OnNotice && n.NoticeEndsAtUtc > now)
            .OrderBy(n => n.NoticeEndsAtUtc)
            .Select(n => new { n.Id, RoundName = n.Round!.Name, n.SubjectName, UnitName = db.Units.Where(u => u.Id == n.UnitId).Select(u => u.Name).First(), n.Reason, n.NoticeEndsAtUtc })
            .ToListAsync(cancellationToken);
        return stars.Select(s => new NoticeItem("star", s.Id, text["Stars.NoticeTitle", s.Level], $"{Certificates.MaskName(s.Name)}（{s.Number}）", s.UnitName,
                text["Stars.NoticeDetail", Hours.HourUseCases.FormatHours(s.MinutesAtReview)], s.NoticeEndsAtUtc))
            .Concat(nominations.Select(n => new NoticeItem("nomination", n.Id, n.RoundName, n.SubjectName, n.UnitName, n.Reason, n.NoticeEndsAtUtc!.Value)))
            .ToList();
    }

    /// <summary>Anyone may object to an item while its notice runs; nothing about the objector is shown publicly.</summary>
    public async Task<Outcome<bool>> ObjectAsync(string kind, Guid id, ObjectionRequest request, string source, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var open = kind switch
        {
            "star" => await db.StarAwards.AnyAsync(a => a.Id == id && a.Status == RecognitionStatus.OnNotice && a.NoticeEndsAtUtc > now, cancellationToken),
            "nomination" => await db.Nominations.AnyAsync(n => n.Id == id && n.Status == RecognitionStatus.OnNotice && n.NoticeEndsAtUtc > now, cancellationToken),
            _ => false,
        };
        if (!open)
        {
            return Outcome<bool>.NotFound();
        }
        var objectionText = (request.Text ?? "").Trim();
        var contact = (request.Contact ?? "").Trim();
        var errors = new FieldErrors();
        if (objectionText.Length is < 5 or > Objection.TextMaxLength)
        {
            errors.Add("text", text["Objections.Error.Text", Objection.TextMaxLength]);
        }
        if (contact.Length > 100)
        {
            errors.Add("contact", text["Validation.TooLong", text["Objections.Field.Contact"], 100]);
        }
        if (errors.Any)
        {
            return Outcome<bool>.Invalid(errors);
        }
        var sourceHash = personalData.Hash("objection-source", source);
        // The sender's place is taken in the same transaction as the objection, in one statement:
        // forty simultaneous objections from one address still store at most the limit.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (!await CountedLimits.TryTakeAsync(db, "objection:" + Convert.ToHexString(sourceHash), TimeSpan.FromHours(1), options.Value.ObjectionsPerHour, now, cancellationToken))
        {
            return Outcome<bool>.Invalid("text", text["Objections.Error.TooMany", options.Value.ObjectionsPerHour]);
        }
        db.Objections.Add(new Objection
        {
            StarAwardId = kind == "star" ? id : null, NominationId = kind == "nomination" ? id : null, Text = objectionText, Contact = contact,
            SubmittedAtUtc = now, SourceHash = sourceHash, Status = ObjectionStatus.Open,
        });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<bool>.Ok(true);
    }
}
