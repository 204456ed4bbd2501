using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using Zhiyuan.Web.Audit;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Infrastructure;

namespace Zhiyuan.Web.Accounts;

public enum RecoveryChannel
{
    TextMessage,
    Email,
}

/// <summary>
/// One request to recover an account's password: a six-digit code sent to a volunteer's registered
/// mobile, or a long token in a link mailed to an administrator. Only a keyed hash of the secret is
/// stored; it is used once, dies after <see cref="PasswordRecoveryUseCases.MaxAttempts"/> wrong guesses
/// and after <see cref="PasswordRecoveryUseCases.ValidFor"/>.
/// </summary>
public sealed class PasswordRecovery
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public required string UserId { get; set; }

    public RecoveryChannel Channel { get; set; }

    public required byte[] SecretHash { get; set; }

    public DateTime CreatedAtUtc { get; set; }

    public DateTime ExpiresAtUtc { get; set; }

    public int FailedAttempts { get; set; }

    public DateTime? UsedAtUtc { get; set; }
}

sealed class PasswordRecoveryConfiguration : IEntityTypeConfiguration<PasswordRecovery>
{
    public void Configure(EntityTypeBuilder<PasswordRecovery> recovery)
    {
        recovery.Property(r => r.SecretHash).HasMaxLength(32);
        recovery.HasOne<AppUser>().WithMany().HasForeignKey(r => r.UserId).OnDelete(DeleteBehavior.Cascade);
        recovery.HasIndex(r => new { r.UserId, r.CreatedAtUtc });
    }
}

public sealed record StartRecoveryRequest(string? UserName);

/// <summary>The same answer whether or not the account exists; it depends only on what this platform has configured.</summary>
public sealed record RecoveryStartedView(string Message, bool TextMessagesConfigured, bool MailConfigured, int ValidMinutes);

public sealed record CompleteRecoveryRequest(string? UserName, string? Code, string? NewPassword);

/// <summary>
/// 忘记密码: volunteers by a code to their registered mobile, administrators by a link to their account's
/// email. The account is named as when signing in: user name (a volunteer's number) or registered mobile.
/// </summary>
public sealed class PasswordRecoveryUseCases(
    AppDbContext db,
    UserManager<AppUser> users,
    PersonalData personalData,
    ISmsSender sms,
    IOptions<SmsOptions> smsOptions,
    MailSender mail,
    AuditLog audit,
    IStringLocalizer<SharedResource> text,
    TimeProvider time,
    ILogger<PasswordRecoveryUseCases> log)
{
    public static readonly TimeSpan ValidFor = TimeSpan.FromMinutes(15);
    public const int MaxAttempts = 5;
    public const int PerAccountPerHour = 3;
    const string SecretKind = "password-recovery";

    public bool TextMessagesConfigured => sms.Delivery != SmsDelivery.None;

    public bool MailConfigured => mail.Options.IsConfigured;

    /// <summary>
    /// Sends a code or a link when the account exists and a channel is configured. Every request, for an
    /// existing account or not, pays the same limits (per name typed, per address, platform-wide) and gets
    /// the same answer, so neither reveals which accounts exist.
    /// </summary>
    public async Task<Outcome<RecoveryStartedView>> StartAsync(StartRecoveryRequest request, IPAddress? address, CancellationToken cancellationToken = default)
    {
        var name = (request.UserName ?? "").Trim();
        if (name.Length == 0 || name.Length > AppUser.UserNameMaxLength)
        {
            return Outcome<RecoveryStartedView>.Invalid("userName", text["Validation.Required", text["SignIn.UserName"]]);
        }
        var now = time.GetUtcNow().UtcDateTime;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var nameKey = "recovery:" + Convert.ToHexString(personalData.Hash("recovery-name", name.ToUpperInvariant()));
        if (!await CountedLimits.TryTakeAsync(db, nameKey, TimeSpan.FromHours(1), PerAccountPerHour, now, cancellationToken)
            || !await SmsLimits.TryTakeAsync(db, personalData, smsOptions.Value, address, now, cancellationToken))
        {
            return Outcome<RecoveryStartedView>.Invalid("userName", text["Recovery.Error.TooMany"]);
        }
        var user = await FindAsync(name, cancellationToken);
        (RecoveryChannel Channel, string Secret, string To)? send = null;
        if (user is not null)
        {
            var phoneCipher = await db.Volunteers.Where(v => v.UserId == user.Id).Select(v => v.PhoneCipher).FirstOrDefaultAsync(cancellationToken);
            if (phoneCipher is not null && TextMessagesConfigured)
            {
                send = (RecoveryChannel.TextMessage, RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6"), personalData.Decrypt(phoneCipher));
            }
            else if (phoneCipher is null && !string.IsNullOrEmpty(user.Email) && MailConfigured)
            {
                send = (RecoveryChannel.Email, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20)), user.Email);
            }
            if (send is { } s)
            {
                db.PasswordRecoveries.Add(new PasswordRecovery
                {
                    UserId = user.Id, Channel = s.Channel, SecretHash = SecretHash(user.Id, s.Secret), CreatedAtUtc = now, ExpiresAtUtc = now + ValidFor,
                });
                await db.SaveChangesAsync(cancellationToken);
            }
        }
        await transaction.CommitAsync(cancellationToken);
        if (send is { } message)
        {
            // Sent after the commit, as order codes are; a failure is logged without the secret or the address,
            // and the answer stays the same (it must not differ from an unknown account's).
            try
            {
                if (message.Channel == RecoveryChannel.TextMessage)
                {
                    await sms.SendCodeAsync(message.To, message.Secret, (int)ValidFor.TotalMinutes, SmsPurpose.PasswordRecovery, cancellationToken);
                }
                else
                {
                    var link = $"{mail.Options.PublicUrl.TrimEnd('/')}/account/recover/complete?user={Uri.EscapeDataString(user!.UserName!)}&code={message.Secret}";
                    await mail.SendAsync([message.To], text["Recovery.Mail.Subject"], text["Recovery.Mail.Body", user.DisplayName, link, (int)ValidFor.TotalMinutes], cancellationToken);
                }
            }
            catch (Exception e) when (e is SmsException or MailKit.Net.Smtp.SmtpCommandException or MailKit.Net.Smtp.SmtpProtocolException or IOException
                                        or System.Net.Sockets.SocketException or MailKit.Security.AuthenticationException)
            {
                log.LogWarning("A password recovery {Channel} could not be sent: {Error}", message.Channel, e.GetType().Name);
            }
        }
        return Outcome<RecoveryStartedView>.Ok(Answer());
    }

    /// <summary>The answer to every request: what was done if the account exists, and which channel is not configured.</summary>
    public RecoveryStartedView Answer()
    {
        var parts = new List<string> { text["Recovery.Started", (int)ValidFor.TotalMinutes] };
        if (!TextMessagesConfigured)
        {
            parts.Add(text["Recovery.SmsNotConfigured"]);
        }
        if (!MailConfigured)
        {
            parts.Add(text["Recovery.MailNotConfigured"]);
        }
        return new RecoveryStartedView(string.Join(" ", parts), TextMessagesConfigured, MailConfigured, (int)ValidFor.TotalMinutes);
    }

    /// <summary>Sets a new password with the code or link token; the secret works once. Wrong, used, expired and unknown all get one answer.</summary>
    public async Task<Outcome<bool>> CompleteAsync(CompleteRecoveryRequest request, CancellationToken cancellationToken = default)
    {
        var errors = new FieldErrors();
        var name = (request.UserName ?? "").Trim();
        var secret = (request.Code ?? "").Trim();
        if (name.Length == 0)
        {
            errors.Add("userName", text["Validation.Required", text["SignIn.UserName"]]);
        }
        if (secret.Length == 0)
        {
            errors.Add("code", text["Validation.Required", text["Recovery.Field.Code"]]);
        }
        if (string.IsNullOrEmpty(request.NewPassword))
        {
            errors.Add("newPassword", text["Validation.Required", text["Accounts.Field.NewPassword"]]);
        }
        if (errors.Any)
        {
            return Outcome<bool>.Invalid(errors);
        }
        var user = await FindAsync(name, cancellationToken);
        // The password rules are checked before the secret (and for unknown accounts alike), so a weak
        // password costs no attempt and says nothing about the account.
        foreach (var validator in users.PasswordValidators)
        {
            var result = await validator.ValidateAsync(users, user ?? new AppUser(), request.NewPassword!);
            foreach (var error in result.Errors)
            {
                errors.Add("newPassword", error.Description);
            }
        }
        if (errors.Any)
        {
            return Outcome<bool>.Invalid(errors);
        }
        var now = time.GetUtcNow().UtcDateTime;
        var recovery = user is null ? null : await db.PasswordRecoveries.AsNoTracking()
            .Where(r => r.UserId == user.Id && r.UsedAtUtc == null && r.ExpiresAtUtc > now).OrderByDescending(r => r.CreatedAtUtc).FirstOrDefaultAsync(cancellationToken);
        // Each comparison first takes one of the secret's attempts by a conditional update, so many
        // simultaneous guesses still compare at most MaxAttempts.
        if (recovery is null
            || await db.PasswordRecoveries.Where(r => r.Id == recovery.Id && r.FailedAttempts < MaxAttempts)
                .ExecuteUpdateAsync(r => r.SetProperty(x => x.FailedAttempts, x => x.FailedAttempts + 1), cancellationToken) == 0
            || !CryptographicOperations.FixedTimeEquals(recovery.SecretHash, SecretHash(user!.Id, secret)))
        {
            return Outcome<bool>.Invalid("code", text["Recovery.Error.Code"]);
        }
        var account = user!;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Used once: of simultaneous right answers, one takes it.
        if (await db.PasswordRecoveries.Where(r => r.Id == recovery.Id && r.UsedAtUtc == null)
                .ExecuteUpdateAsync(r => r.SetProperty(x => x.UsedAtUtc, now), cancellationToken) == 0)
        {
            return Outcome<bool>.Invalid("code", text["Recovery.Error.Code"]);
        }
        // Identity's own reset token does the change, so the security stamp moves on and every earlier
        // sign-in and refresh token of the account stops working.
        var token = await users.GeneratePasswordResetTokenAsync(account);
        var reset = await users.ResetPasswordAsync(account, token, request.NewPassword!);
        if (!reset.Succeeded)
        {
            return Outcome<bool>.Invalid("newPassword", string.Join(" ", reset.Errors.Select(e => e.Description)));
        }
        audit.Add("account.password-recovered", account.UnitId, account.UserName!, recovery.Channel.ToString());
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<bool>.Ok(true);
    }

    /// <summary>The account named, as signing in finds it: by user name, or a volunteer's by the registered mobile.</summary>
    async Task<AppUser?> FindAsync(string name, CancellationToken cancellationToken)
    {
        var user = await users.FindByNameAsync(name);
        if (user is null && Volunteers.IdentityDocument.MobilePattern().IsMatch(name))
        {
            var phoneHash = personalData.Hash(Volunteers.VolunteerUseCases.PhoneHashKind, name);
            user = await users.Users.FirstOrDefaultAsync(u => u.PhoneHash == phoneHash, cancellationToken);
        }
        return user;
    }

    byte[] SecretHash(string userId, string secret) => personalData.Hash(SecretKind, userId + ":" + secret);
}

public static class PasswordRecoveryApi
{
    public static IServiceCollection AddPasswordRecovery(this IServiceCollection services) => services.AddScoped<PasswordRecoveryUseCases>();

    public static IEndpointRouteBuilder MapPasswordRecoveryApi(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/api/auth").WithTags("Sign-in");
        auth.MapPost("/recovery", Start).AllowAnonymous();
        auth.MapPost("/recovery/complete", Complete).AllowAnonymous();
        return app;
    }

    /// <summary>
    /// 忘记密码: <c>{ "userName": "…" }</c>. A volunteer gets a code on the registered mobile, an administrator a
    /// link at the account's email, valid 15 minutes. The answer is the same whether or not the account exists.
    /// </summary>
    static async Task<Results<Ok<RecoveryStartedView>, ProblemHttpResult, ValidationProblem>> Start(StartRecoveryRequest request, HttpContext http,
        PasswordRecoveryUseCases recovery, IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await recovery.StartAsync(request, http.Connection.RemoteIpAddress, cancellationToken)).ToHttpResult(text);

    /// <summary>Sets a new password: <c>{ "userName": "…", "code": "…", "newPassword": "…" }</c> (the code from the text message or the link).</summary>
    static async Task<Results<NoContent, ProblemHttpResult, ValidationProblem>> Complete(CompleteRecoveryRequest request, PasswordRecoveryUseCases recovery,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken)
    {
        var outcome = await recovery.CompleteAsync(request, cancellationToken);
        return outcome.Errors is not null ? Problems.Invalid(outcome.Errors, text) : TypedResults.NoContent();
    }
}
