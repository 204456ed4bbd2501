using System.Net;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.ServicePosts;

namespace Zhiyuan.Web.Infrastructure;

/// <param name="Delivery">TextMessage, or DevelopmentLog on a developer's machine (the code is in the log, not on a phone).</param>
public sealed record CodeSentView(string PhoneMasked, DateTime ExpiresAtUtc, SmsDelivery Delivery);

/// <summary>
/// What one kind of code is for. The two keyed-hash kinds keep its codes apart from every other kind's
/// (an order code never verifies a registration); the limit prefix names its per-number counter.
/// </summary>
public sealed record PhoneCodeKind(SmsPurpose Purpose, string PhoneHashKind, string CodeHashKind, string LimitPrefix, int PerPhonePerHour, int ValidMinutes);

/// <summary>
/// One-time codes sent to a mobile number (citizen orders, volunteer registration and a change of
/// mobile): stored as keyed hashes in <see cref="PhoneVerification"/>, each paying the number's hourly
/// limit and <see cref="SmsLimits"/> (client address and whole platform), used once, dead after
/// <see cref="MaxAttempts"/> comparisons and after its minutes.
/// </summary>
public sealed class PhoneCodes(AppDbContext db, PersonalData personalData, ISmsSender sms, IOptions<SmsOptions> smsOptions, IStringLocalizer<SharedResource> text, TimeProvider time)
{
    public const int MaxAttempts = 5;

    public SmsDelivery Delivery => sms.Delivery;

    /// <summary>
    /// Sends a code to a number the caller has checked. The number's place, the address's and the
    /// platform's are taken in one transaction with the code they pay for: a refusal by any of them gives
    /// the others back, and simultaneous requests still send at most each limit in an hour.
    /// </summary>
    public async Task<Outcome<CodeSentView>> SendAsync(PhoneCodeKind kind, string field, string phone, IPAddress? address, CancellationToken cancellationToken = default)
    {
        if (sms.Delivery == SmsDelivery.None)
        {
            return Outcome<CodeSentView>.Invalid(field, text["Sms.NotConfigured"]);
        }
        var now = time.GetUtcNow().UtcDateTime;
        var hash = personalData.Hash(kind.PhoneHashKind, phone);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (!await CountedLimits.TryTakeAsync(db, kind.LimitPrefix + Convert.ToHexString(hash), TimeSpan.FromHours(1), kind.PerPhonePerHour, now, cancellationToken))
        {
            return Outcome<CodeSentView>.Invalid(field, text["Sms.Error.TooManyCodes", kind.PerPhonePerHour]);
        }
        if (!await SmsLimits.TryTakeAsync(db, personalData, smsOptions.Value, address, now, cancellationToken))
        {
            return Outcome<CodeSentView>.Invalid(field, text["Sms.Error.TooMany"]);
        }
        var code = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6");
        var verification = new PhoneVerification
        {
            PhoneHash = hash, CodeHash = personalData.Hash(kind.CodeHashKind, phone + ":" + code), CreatedAtUtc = now, ExpiresAtUtc = now.AddMinutes(kind.ValidMinutes),
        };
        db.PhoneVerifications.Add(verification);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        // Sent after the commit: a gateway call never holds the limit counters' row locks. A failed send
        // keeps its place in the limits (they are a brake on floods, and a failing gateway must not be hammered).
        try
        {
            await sms.SendCodeAsync(phone, code, kind.ValidMinutes, kind.Purpose, cancellationToken);
        }
        catch (SmsException)
        {
            return Outcome<CodeSentView>.Invalid(field, text["Sms.Error.SendFailed"]);
        }
        return Outcome<CodeSentView>.Ok(new CodeSentView(PersonalData.MaskPhone(phone), verification.ExpiresAtUtc, sms.Delivery));
    }

    /// <summary>
    /// Compares the code typed with the newest live code sent to the number for this kind. Each
    /// comparison first takes one of the code's attempts by a conditional update, so hundreds of
    /// simultaneous guesses still compare at most <see cref="MaxAttempts"/>. Returns the code to
    /// <see cref="UseAsync"/> in the caller's transaction, or null with the reason added to the errors.
    /// </summary>
    public async Task<Guid?> CheckAsync(PhoneCodeKind kind, string phone, string? code, string field, FieldErrors errors, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var phoneHash = personalData.Hash(kind.PhoneHashKind, phone);
        var verification = await db.PhoneVerifications.AsNoTracking().Where(v => v.PhoneHash == phoneHash && v.UsedAtUtc == null && v.ExpiresAtUtc > now)
            .OrderByDescending(v => v.CreatedAtUtc).FirstOrDefaultAsync(cancellationToken);
        if (verification is null || await db.PhoneVerifications.Where(v => v.Id == verification.Id && v.FailedAttempts < MaxAttempts)
                .ExecuteUpdateAsync(v => v.SetProperty(x => x.FailedAttempts, x => x.FailedAttempts + 1), cancellationToken) == 0)
        {
            errors.Add(field, NoCode(kind));
            return null;
        }
        if (!CryptographicOperations.FixedTimeEquals(verification.CodeHash, personalData.Hash(kind.CodeHashKind, phone + ":" + (code ?? "").Trim())))
        {
            errors.Add(field, text["Sms.Error.WrongCode"]);
            return null;
        }
        return verification.Id;
    }

    /// <summary>Uses a checked code, by one conditional statement: of simultaneous uses one wins. Call inside the transaction of what it proves.</summary>
    public async Task<bool> UseAsync(Guid verificationId, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return await db.PhoneVerifications.Where(v => v.Id == verificationId && v.UsedAtUtc == null)
            .ExecuteUpdateAsync(v => v.SetProperty(x => x.UsedAtUtc, now), cancellationToken) == 1;
    }

    /// <summary>No live code: never asked for, expired, used, or out of attempts.</summary>
    public string NoCode(PhoneCodeKind kind) => text["Sms.Error.NoCode", kind.ValidMinutes, MaxAttempts];
}
