using System.Text.RegularExpressions;
using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using Zhiyuan.Web.Audit;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Infrastructure;

namespace Zhiyuan.Web.Accounts;

public sealed record SignInRequest(string? UserName, string? Password);

/// <param name="Email">Where report reminders and receipts go (optional).</param>
public sealed record CreateAccountRequest(string? UserName, string? DisplayName, string? Password, string? Role, string? UnitCode, string? Email = null);

public sealed record ChangePasswordRequest(string? CurrentPassword, string? NewPassword);

public sealed record AccountView(string Id, string UserName, string DisplayName, string[] Roles, string? UnitCode, string? UnitName, bool IsLockedOut);

public enum SignInResultKind
{
    SignedIn,
    Failed,
    LockedOut,

    /// <summary>A volunteer's account asks for a pause after repeated wrong passwords; the password was not checked.</summary>
    Delayed,

    /// <summary>Too many failed sign-ins from the caller's address this minute; nothing was checked.</summary>
    TooManyFromAddress,
}

/// <summary>A temporary password set by an administrator, shown this once.</summary>
public sealed record TemporaryPasswordView(string Number, string UserName, string Password);

public sealed record VolunteerAccountView(string Number, string UserName);

public sealed partial class AccountUseCases(
    AppDbContext db,
    AuditLog audit,
    UserManager<AppUser> users,
    SignInManager<AppUser> signIn,
    IStringLocalizer<SharedResource> text,
    PersonalData personalData,
    RefreshTokenStore refreshTokens,
    IOptions<SignInLimitOptions> signInOptions,
    TimeProvider time)
{
    /// <summary>Wrong passwords a volunteer may give before each further attempt has to wait.</summary>
    public const int FreeVolunteerFailures = 5;

    public static readonly TimeSpan MaxVolunteerDelay = TimeSpan.FromMinutes(15);

    static readonly TimeSpan AddressWindow = TimeSpan.FromMinutes(1);

    /// <summary>The wait after <paramref name="failures"/> wrong passwords in a row: 2, 4, 8 … seconds after the fifth, at most 15 minutes.</summary>
    public static TimeSpan VolunteerDelay(int failures) =>
        failures < FreeVolunteerFailures ? TimeSpan.Zero
        : TimeSpan.FromSeconds(Math.Min(Math.Pow(2, failures - FreeVolunteerFailures + 1), MaxVolunteerDelay.TotalSeconds));

    /// <summary>
    /// Signs in with a user name or a mobile number. The message never says whether the account exists.
    /// Failures are counted per client address (shared by all nodes through the database); an address
    /// over the limit is refused before any password is checked. Administrators are locked out after
    /// five wrong passwords; volunteers are never locked, but wait longer and longer between attempts.
    /// </summary>
    public async Task<(SignInResultKind Kind, string? Message)> SignInAsync(SignInRequest request, bool bearer, bool persistent,
        System.Net.IPAddress? address = null, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var addressKey = ClientAddress.FailureKey(personalData, address);
        var limit = signInOptions.Value.FailuresPerAddressPerMinute;
        if (await CountedLimits.UsedAsync(db, addressKey, AddressWindow, now, cancellationToken) >= limit)
        {
            return (SignInResultKind.TooManyFromAddress, text["SignIn.Error.TooManyFromAddress"]);
        }
        var result = await CheckAndSignInAsync(request, bearer, persistent, now, cancellationToken);
        if (result.Kind != SignInResultKind.SignedIn)
        {
            // Refused attempts count too, so waiting out a volunteer's delay by hammering it still uses up the address's allowance.
            await CountedLimits.TryTakeAsync(db, addressKey, AddressWindow, limit, now, cancellationToken);
        }
        return result;
    }

    async Task<(SignInResultKind Kind, string? Message)> CheckAndSignInAsync(SignInRequest request, bool bearer, bool persistent, DateTime now, CancellationToken cancellationToken)
    {
        var name = request.UserName?.Trim() ?? "";
        var phoneHash = Volunteers.IdentityDocument.MobilePattern().IsMatch(name) ? personalData.Hash(Volunteers.VolunteerUseCases.PhoneHashKind, name) : null;
        var user = await users.FindByNameAsync(name)
                   ?? (phoneHash is null ? null : await users.Users.FirstOrDefaultAsync(u => u.PhoneHash == phoneHash, cancellationToken));
        if (user is null || string.IsNullOrEmpty(request.Password))
        {
            // Spend the time a password check takes, so the answer's speed does not tell who has an account.
            users.PasswordHasher.VerifyHashedPassword(new AppUser(), TimingDecoyHash, request.Password ?? "");
            return (SignInResultKind.Failed, text["SignIn.Error.Wrong"]);
        }
        if (await users.IsLockedOutAsync(user))
        {
            return LockedOut(await users.GetLockoutEndDateAsync(user));
        }
        // Administrators answer for a unit; volunteers have none.
        if (user.UnitId is not null)
        {
            var checkedAdmin = await signIn.CheckPasswordSignInAsync(user, request.Password, lockoutOnFailure: true);
            if (checkedAdmin.IsLockedOut)
            {
                return LockedOut(await users.GetLockoutEndDateAsync(user));
            }
            if (!checkedAdmin.Succeeded)
            {
                return (SignInResultKind.Failed, text["SignIn.Error.Wrong"]);
            }
        }
        else if (user.SignInDelayUntilUtc is { } until && until > now)
        {
            return (SignInResultKind.Delayed, text["SignIn.Error.Wait", Math.Max(1, (int)Math.Ceiling((until - now).TotalSeconds))]);
        }
        else if (!await users.CheckPasswordAsync(user, request.Password))
        {
            // One statement, so simultaneous guesses all count; the delay follows from the count it left.
            await db.Users.Where(u => u.Id == user.Id).ExecuteUpdateAsync(s => s.SetProperty(u => u.AccessFailedCount, u => u.AccessFailedCount + 1), cancellationToken);
            var failures = await db.Users.Where(u => u.Id == user.Id).Select(u => u.AccessFailedCount).SingleAsync(cancellationToken);
            var delay = VolunteerDelay(failures);
            if (delay > TimeSpan.Zero)
            {
                await db.Users.Where(u => u.Id == user.Id).ExecuteUpdateAsync(s => s.SetProperty(u => u.SignInDelayUntilUtc, now + delay), cancellationToken);
                return (SignInResultKind.Failed, text["SignIn.Error.WrongWait", (int)delay.TotalSeconds]);
            }
            return (SignInResultKind.Failed, text["SignIn.Error.Wrong"]);
        }
        else if (user.AccessFailedCount != 0 || user.SignInDelayUntilUtc is not null)
        {
            await db.Users.Where(u => u.Id == user.Id).ExecuteUpdateAsync(s => s
                .SetProperty(u => u.AccessFailedCount, 0).SetProperty(u => u.SignInDelayUntilUtc, (DateTime?)null), cancellationToken);
        }

        if (bearer)
        {
            // The refresh token in the answer names a row of its own, so that it can be used only once.
            signIn.AuthenticationScheme = IdentityConstants.BearerScheme;
            var claims = await refreshTokens.IssueAsync(user, chainId: null, cancellationToken);
            await signIn.SignInWithClaimsAsync(user, isPersistent: false, [.. claims, new Claim("amr", "pwd")]);
        }
        else
        {
            await signIn.SignInWithClaimsAsync(user, persistent, [new Claim("amr", "pwd")]);
        }
        return (SignInResultKind.SignedIn, null);
    }

    (SignInResultKind, string?) LockedOut(DateTimeOffset? until)
    {
        var minutes = until is null ? (int)AccountsSetup.LockoutDuration.TotalMinutes
            : Math.Max(1, (int)Math.Ceiling((until.Value - time.GetUtcNow()).TotalMinutes));
        return (SignInResultKind.LockedOut, text["SignIn.Error.LockedOut", minutes]);
    }

    static readonly string TimingDecoyHash = new PasswordHasher<AppUser>().HashPassword(new AppUser(), "timing-decoy");

    public Task<List<AccountView>> ListAsync(UnitScope scope, CancellationToken cancellationToken = default) =>
        QueryAsync(scope, userId: null, cancellationToken);

    async Task<List<AccountView>> QueryAsync(UnitScope scope, string? userId, CancellationToken cancellationToken)
    {
        var rows = await db.Users.AsNoTracking()
            .Where(u => u.Unit != null && u.Unit.Path.StartsWith(scope.RootPath))
            .Where(u => userId == null || u.Id == userId)
            .OrderBy(u => u.UserName)
            .Select(u => new { u.Id, u.UserName, u.DisplayName, UnitCode = u.Unit!.Code, UnitName = u.Unit.Name, u.LockoutEnd })
            .ToListAsync(cancellationToken);
        var ids = rows.Select(r => r.Id).ToList();
        var roleNames = await (from ur in db.UserRoles
                               join r in db.Roles on ur.RoleId equals r.Id
                               where ids.Contains(ur.UserId)
                               select new { ur.UserId, r.Name }).ToListAsync(cancellationToken);
        var rolesByUser = roleNames.ToLookup(r => r.UserId, r => r.Name!);
        var now = time.GetUtcNow();
        return rows.Select(r => new AccountView(r.Id, r.UserName!, r.DisplayName, rolesByUser[r.Id].ToArray(), r.UnitCode, r.UnitName,
            r.LockoutEnd is { } end && end > now)).ToList();
    }

    /// <summary>
    /// An administrator creates an administrator account for a unit in their own subtree.
    /// Only the city administrator may create another city administrator.
    /// </summary>
    public async Task<Outcome<AccountView>> CreateAsync(UnitScope scope, bool callerIsCityAdmin, CreateAccountRequest request, CancellationToken cancellationToken = default)
    {
        var errors = new FieldErrors();
        var userName = request.UserName?.Trim();
        if (string.IsNullOrEmpty(userName))
        {
            errors.Add("userName", text["Validation.Required", text["Accounts.Field.UserName"]]);
        }
        else if (userName.Length > AppUser.UserNameMaxLength || !UserNamePattern().IsMatch(userName))
        {
            errors.Add("userName", text["Accounts.Error.UserNameFormat", AppUser.UserNameMaxLength]);
        }
        else if (await users.FindByNameAsync(userName) is not null)
        {
            errors.Add("userName", text["Accounts.Error.UserNameTaken", userName]);
        }

        var displayName = request.DisplayName?.Trim() ?? "";
        if (displayName.Length > AppUser.DisplayNameMaxLength)
        {
            errors.Add("displayName", text["Validation.TooLong", text["Accounts.Field.DisplayName"], AppUser.DisplayNameMaxLength]);
        }

        var creatable = CreatableRoles(callerIsCityAdmin);
        var role = creatable.FirstOrDefault(r => string.Equals(r, request.Role?.Trim(), StringComparison.OrdinalIgnoreCase));
        if (role is null)
        {
            errors.Add("role", text["Accounts.Error.UnknownRole", request.Role ?? "", string.Join(", ", creatable)]);
        }

        var unitCode = request.UnitCode?.Trim();
        var unit = string.IsNullOrEmpty(unitCode) ? null : await scope.Filter(db.Units).SingleOrDefaultAsync(u => u.Code == unitCode, cancellationToken);
        if (unit is null)
        {
            errors.Add("unitCode", string.IsNullOrEmpty(unitCode)
                ? text["Validation.Required", text["Units.Field.Unit"]]
                : text["Units.Error.UnknownCode", unitCode]);
        }
        if (string.IsNullOrEmpty(request.Password))
        {
            errors.Add("password", text["Validation.Required", text["Accounts.Field.Password"]]);
        }
        var email = string.IsNullOrWhiteSpace(request.Email) ? null : request.Email.Trim();
        if (email is not null && (email.Length > 254 || !System.Net.Mail.MailAddress.TryCreate(email, out var parsed) || parsed.Address != email))
        {
            errors.Add("email", text["Accounts.Error.Email", email]);
        }
        if (errors.Any)
        {
            return Outcome<AccountView>.Invalid(errors);
        }

        // Identity saves the user and the role separately: one transaction keeps them together.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var user = new AppUser { UserName = userName, DisplayName = displayName, UnitId = unit!.Id, Email = email };
        var created = await users.CreateAsync(user, request.Password!);
        if (!created.Succeeded)
        {
            // Identity's own rules, already in the caller's language (LocalizedIdentityErrors).
            foreach (var error in created.Errors)
            {
                errors.Add(error.Code.Contains("UserName") ? "userName" : "password", error.Description);
            }
            return Outcome<AccountView>.Invalid(errors);
        }
        await users.AddToRoleAsync(user, role!);
        audit.Add("account.create", unit.Id, user.UserName!, $"{role} {displayName}");
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<AccountView>.Ok(new AccountView(user.Id, user.UserName!, user.DisplayName, [role!], unit.Code, unit.Name, false));
    }

    /// <summary>Ends a lock-out early, for an account whose unit lies in the administrator's subtree.</summary>
    public async Task<Outcome<AccountView>> UnlockAsync(UnitScope scope, string userName, CancellationToken cancellationToken = default)
    {
        var user = await users.FindByNameAsync(userName);
        var inScope = user?.UnitId is { } unitId && await scope.Filter(db.Units).AnyAsync(u => u.Id == unitId, cancellationToken);
        if (!inScope)
        {
            return Outcome<AccountView>.NotFound();
        }
        await users.SetLockoutEndDateAsync(user!, null);
        await users.ResetAccessFailedCountAsync(user!);
        audit.Add("account.unlock", user!.UnitId, user.UserName!);
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<AccountView>.Ok((await QueryAsync(scope, user!.Id, cancellationToken)).Single());
    }

    /// <summary>The account of a volunteer registered in the administrator's subtree; null outside it (or when imported and not yet claimed).</summary>
    async Task<(string UserId, string UserName, Guid UnitId)?> VolunteerAccountAsync(UnitScope scope, string number, CancellationToken cancellationToken)
    {
        var found = await db.Volunteers.AsNoTracking()
            .Where(v => v.Number == number && v.UserId != null && v.Unit!.Path.StartsWith(scope.RootPath))
            .Select(v => new { v.UserId, v.User!.UserName, v.UnitId })
            .FirstOrDefaultAsync(cancellationToken);
        return found is null ? null : (found.UserId!, found.UserName ?? number, found.UnitId);
    }

    /// <summary>Ends a volunteer's sign-in delay (and any lock-out) early. Idempotent: one statement, no concurrency stamp to lose.</summary>
    public async Task<Outcome<VolunteerAccountView>> UnlockVolunteerAsync(UnitScope scope, string number, CancellationToken cancellationToken = default)
    {
        if (await VolunteerAccountAsync(scope, number, cancellationToken) is not { } account)
        {
            return Outcome<VolunteerAccountView>.NotFound();
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Users.Where(u => u.Id == account.UserId).ExecuteUpdateAsync(s => s
            .SetProperty(u => u.LockoutEnd, (DateTimeOffset?)null)
            .SetProperty(u => u.AccessFailedCount, 0)
            .SetProperty(u => u.SignInDelayUntilUtc, (DateTime?)null), cancellationToken);
        audit.Add("volunteer.unlock", account.UnitId, number);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<VolunteerAccountView>.Ok(new VolunteerAccountView(number, account.UserName));
    }

    /// <summary>
    /// Gives a volunteer who lost their password a generated one, shown to the administrator this once
    /// (only its hash is kept) and handed over in person; the volunteer can change it on the password page.
    /// The new security stamp ends every token and cookie of the old password; the delay ends too.
    /// Two simultaneous resets both answer, and the later one's password is the one that works.
    /// </summary>
    public async Task<Outcome<TemporaryPasswordView>> ResetVolunteerPasswordAsync(UnitScope scope, string number, CancellationToken cancellationToken = default)
    {
        if (await VolunteerAccountAsync(scope, number, cancellationToken) is not { } account)
        {
            return Outcome<TemporaryPasswordView>.NotFound();
        }
        var password = AdminSeed.GeneratePassword();
        var hash = users.PasswordHasher.HashPassword(new AppUser(), password);
        var stamp = Guid.NewGuid().ToString("N").ToUpperInvariant();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Users.Where(u => u.Id == account.UserId).ExecuteUpdateAsync(s => s
            .SetProperty(u => u.PasswordHash, hash)
            .SetProperty(u => u.SecurityStamp, stamp)
            .SetProperty(u => u.ConcurrencyStamp, Guid.NewGuid().ToString())
            .SetProperty(u => u.LockoutEnd, (DateTimeOffset?)null)
            .SetProperty(u => u.AccessFailedCount, 0)
            .SetProperty(u => u.SignInDelayUntilUtc, (DateTime?)null), cancellationToken);
        audit.Add("volunteer.password-reset", account.UnitId, number);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<TemporaryPasswordView>.Ok(new TemporaryPasswordView(number, account.UserName, password));
    }

    /// <summary>The signed-in user changes their own password; the old one must be given.</summary>
    public async Task<Outcome<bool>> ChangePasswordAsync(System.Security.Claims.ClaimsPrincipal principal, ChangePasswordRequest request, bool refreshCookie)
    {
        var user = await users.GetUserAsync(principal);
        if (user is null)
        {
            return Outcome<bool>.NotFound();
        }
        var errors = new FieldErrors();
        if (string.IsNullOrEmpty(request.CurrentPassword))
        {
            errors.Add("currentPassword", text["Validation.Required", text["Accounts.Field.CurrentPassword"]]);
        }
        if (string.IsNullOrEmpty(request.NewPassword))
        {
            errors.Add("newPassword", text["Validation.Required", text["Accounts.Field.NewPassword"]]);
        }
        if (errors.Any)
        {
            return Outcome<bool>.Invalid(errors);
        }
        if (await users.IsLockedOutAsync(user))
        {
            return Outcome<bool>.Invalid("currentPassword", text["SignIn.Error.LockedOut", (int)AccountsSetup.LockoutDuration.TotalMinutes]);
        }
        var changed = await users.ChangePasswordAsync(user, request.CurrentPassword!, request.NewPassword!);
        if (!changed.Succeeded)
        {
            foreach (var error in changed.Errors)
            {
                var wrongCurrent = error.Code == nameof(IdentityErrorDescriber.PasswordMismatch);
                if (wrongCurrent)
                {
                    // Guessing the current password counts towards the lock-out like a failed sign-in.
                    await users.AccessFailedAsync(user);
                }
                errors.Add(wrongCurrent ? "currentPassword" : "newPassword", error.Description);
            }
            return Outcome<bool>.Invalid(errors);
        }
        audit.Add("account.password", user.UnitId, user.UserName!);
        await db.SaveChangesAsync();
        if (refreshCookie)
        {
            // The security stamp changed: keep this browser signed in with a fresh cookie.
            await signIn.RefreshSignInAsync(user);
        }
        return Outcome<bool>.Ok(true);
    }

    /// <summary>The roles an administrator may give; the city administrator may also make another.</summary>
    public static string[] CreatableRoles(bool callerIsCityAdmin) => callerIsCityAdmin ? [.. AdministeredRoles, Roles.CityAdmin] : AdministeredRoles;

    static readonly string[] AdministeredRoles = [Roles.UnitAdmin, Roles.OrganizationAdmin, Roles.DepartmentLiaison];

    [GeneratedRegex("^[A-Za-z0-9._@-]+$")]
    private static partial Regex UserNamePattern();
}
