using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Units;

namespace Zhiyuan.Web.Accounts;

/// <summary>The <c>Admin</c> configuration section: the first city administrator.</summary>
public sealed class AdminOptions
{
    public const string Section = "Admin";

    [Required(ErrorMessage = "Admin:UserName must not be empty.")]
    [StringLength(AppUser.UserNameMaxLength, ErrorMessage = "Admin:UserName must be at most {1} characters.")]
    public string UserName { get; set; } = "admin";

    /// <summary>
    /// Set it through an environment variable or user secrets, never in appsettings.json. Empty means
    /// "generate one"; otherwise it must pass the same rules as every password (checked on first start).
    /// </summary>
    public string? Password { get; set; }
}

public static class AdminSeed
{
    /// <summary>
    /// Creates the roles and, on the first start, the city administrator. Without a configured
    /// password one is generated and written to the console this once; it is stored only hashed.
    /// Returns one sentence when the configured password is not accepted.
    /// </summary>
    public static async Task<string?> EnsureAsync(IServiceProvider services, TextWriter console)
    {
        await using var scope = services.CreateAsyncScope();
        var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>();
        foreach (var role in Roles.All)
        {
            if (!await roles.RoleExistsAsync(role))
            {
                await roles.CreateAsync(new IdentityRole(role));
            }
        }

        var options = scope.ServiceProvider.GetRequiredService<IOptions<AdminOptions>>().Value;
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        if (await users.FindByNameAsync(options.UserName) is not null)
        {
            return null;
        }

        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var city = await db.Units.SingleAsync(u => u.Code == ZhaoqingUnits.CityCode);
        var generated = string.IsNullOrEmpty(options.Password);
        var password = generated ? GeneratePassword() : options.Password!;
        var admin = new AppUser { UserName = options.UserName, DisplayName = "市志愿者联合会秘书处", UnitId = city.Id };
        var created = await users.CreateAsync(admin, password);
        if (!created.Succeeded)
        {
            return $"Admin:Password is not accepted: {string.Join(" ", created.Errors.Select(e => e.Description))} (管理员密码不符合要求)";
        }
        await users.AddToRoleAsync(admin, Roles.CityAdmin);

        if (generated)
        {
            console.WriteLine($"""
                ============================================================
                 管理员账户已创建 / Administrator account created
                   用户名 / user name: {options.UserName}
                   密码 / password:    {password}
                 此密码只显示这一次，请登录后妥善保管。
                 This password is shown only once.
                ============================================================
                """);
        }
        return null;
    }

    /// <summary>16 characters without look-alikes, always with a digit and a lower-case letter as the rules require.</summary>
    internal static string GeneratePassword()
    {
        while (true)
        {
            var password = RandomNumberGenerator.GetString("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", 16);
            if (password.Any(char.IsDigit) && password.Any(char.IsLower))
            {
                return password;
            }
        }
    }
}
