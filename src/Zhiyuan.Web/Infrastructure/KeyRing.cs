using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Web.Data;

namespace Zhiyuan.Web.Infrastructure;

/// <summary>
/// The <c>DataProtection</c> settings: the certificate (a PFX file) that encrypts the data-protection
/// key ring, and the certificates it replaced. The ring protects sign-in cookies, bearer tokens, form
/// tokens and the personal-data keys (<see cref="PersonalData"/>); it lies in the database so that every
/// node shares it, so without a certificate kept outside the database a copy of the database opens
/// everything. See docs/decisions/0012-keys-outside-the-database.md.
/// </summary>
public sealed class KeyRingProtection
{
    public const string Section = "DataProtection";

    /// <summary>Encrypts new keys and decrypts keys made under it; null only in Development (keys in the clear).</summary>
    public X509Certificate2? Certificate { get; private init; }

    /// <summary>Certificates of earlier rotations: they only decrypt keys made under them.</summary>
    public IReadOnlyList<X509Certificate2> Previous { get; private init; } = [];

    /// <summary>One sentence that stops start-up: a certificate missing outside Development, or one that cannot be used.</summary>
    public string? Error { get; private init; }

    /// <summary>
    /// Reads and loads the certificates. Paths are taken from the content root when relative. Passwords
    /// pair with paths by position: <c>PreviousCertificatePasswords:0</c> opens <c>PreviousCertificatePaths:0</c>.
    /// </summary>
    public static KeyRingProtection Read(IConfiguration configuration, IHostEnvironment environment)
    {
        var section = configuration.GetSection(Section);
        var path = section["CertificatePath"];
        if (string.IsNullOrWhiteSpace(path))
        {
            return environment.IsDevelopment()
                ? new KeyRingProtection()
                : new KeyRingProtection
                {
                    Error = "DataProtection:CertificatePath is not set: outside Development the keys that protect sign-ins and the ID and mobile numbers must be encrypted with a certificate, a PFX file given by DataProtection:CertificatePath (its password in DataProtection:CertificatePassword) and kept outside the database. (未配置 DataProtection:CertificatePath：生产环境必须用数据库之外保存的证书（PFX 文件）加密保护登录凭据以及证件号、手机号的密钥)",
                };
        }
        var (current, error) = Load("DataProtection:CertificatePath", path, section["CertificatePassword"], environment.ContentRootPath);
        if (current is null)
        {
            return new KeyRingProtection { Error = error };
        }
        var previous = new List<X509Certificate2>();
        var paths = section.GetSection("PreviousCertificatePaths").GetChildren().ToList();
        var passwords = section.GetSection("PreviousCertificatePasswords");
        foreach (var entry in paths.Where(p => !string.IsNullOrWhiteSpace(p.Value)))
        {
            var (certificate, problem) = Load($"DataProtection:PreviousCertificatePaths:{entry.Key}", entry.Value!, passwords[entry.Key], environment.ContentRootPath);
            if (certificate is null)
            {
                return new KeyRingProtection { Error = problem };
            }
            previous.Add(certificate);
        }
        return new KeyRingProtection { Certificate = current, Previous = previous };
    }

    static (X509Certificate2? Certificate, string? Error) Load(string setting, string path, string? password, string contentRoot)
    {
        var full = Path.IsPathRooted(path) ? path : Path.Combine(contentRoot, path);
        if (!File.Exists(full))
        {
            return (null, $"{setting}: the certificate {full} does not exist. (证书文件不存在)");
        }
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(full, password);
        }
        catch (CryptographicException ex)
        {
            return (null, $"{setting}: the certificate {full} cannot be opened ({ex.Message.TrimEnd('.')}); check its password setting. (证书无法打开，请检查证书文件和密码)");
        }
        // Key ring encryption (XML encryption with key transport) works with RSA keys only.
        if (certificate.GetRSAPrivateKey() is null)
        {
            return (null, $"{setting}: the certificate {full} must hold an RSA private key. (证书须包含 RSA 私钥)");
        }
        return (certificate, null);
    }
}

public static class KeyRing
{
    /// <summary>
    /// Keys live in the database so that every node can read cookies, tokens and form tokens issued by
    /// any other node; they are encrypted with the configured certificate, which is not in the database.
    /// Read from the builder's configuration because data protection takes certificates, not settings.
    /// </summary>
    public static IServiceCollection AddKeyRing(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        var protection = KeyRingProtection.Read(configuration, environment);
        services.AddSingleton(protection);
        var dataProtection = services.AddDataProtection().SetApplicationName("Zhiyuan").PersistKeysToDbContext<AppDbContext>();
        if (protection.Certificate is { } current)
        {
            dataProtection.ProtectKeysWithCertificate(current);
            if (protection.Previous.Count > 0)
            {
                dataProtection.UnprotectKeysWithAnyCertificate([.. protection.Previous]);
            }
        }
        return services;
    }

    /// <summary>The sentence that stops start-up, or null; in Development without a certificate it warns instead.</summary>
    public static string? CheckProtection(IServiceProvider services)
    {
        var protection = services.GetRequiredService<KeyRingProtection>();
        if (protection.Error is null && protection.Certificate is null)
        {
            services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(KeyRing)).LogWarning(
                "The data-protection keys are stored in the database unprotected (Development): set DataProtection:CertificatePath to encrypt them with a certificate. (密钥未加密保存，仅限开发环境)");
        }
        return protection.Error;
    }

    /// <summary>
    /// When the certificate has just been turned on or rotated, the key in use is not encrypted to it: a
    /// new key is made now, so that from here on cookies, tokens and the personal-data keys are protected
    /// under the current certificate only (the old certificate is needed only until sessions made under
    /// it expire). Runs under the start-up lock, before the personal-data keys are loaded.
    /// </summary>
    public static async Task RenewUnderCurrentCertificateAsync(IServiceProvider services)
    {
        if (services.GetRequiredService<KeyRingProtection>().Certificate is not { } current)
        {
            return;
        }
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var keys = await StoredKeysAsync(services);
        if (!keys.Any(k => k.Thumbprint == current.Thumbprint && k.Expires > now.AddDays(2)))
        {
            // 90 days, as data protection's own keys; it renews them itself from then on.
            services.GetRequiredService<IKeyManager>().CreateNewKey(now, now.AddDays(90));
        }
    }

    /// <summary>
    /// Keys that were made before the certificate was turned on lie in the database in the clear; once
    /// the personal-data keys are protected under the current certificate they protect nothing that
    /// lasts, and are deleted, so that a copy of the database no longer opens anything (everyone signs in again once).
    /// </summary>
    public static async Task DropKeysKeptInTheClearAsync(IServiceProvider services)
    {
        if (services.GetRequiredService<KeyRingProtection>().Certificate is null)
        {
            return;
        }
        var clear = (await StoredKeysAsync(services)).Where(k => k.InTheClear).Select(k => k.RowId).ToList();
        if (clear.Count > 0)
        {
            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            await db.DataProtectionKeys.Where(k => clear.Contains(k.Id)).ExecuteDeleteAsync();
        }
    }

    sealed record StoredKey(int RowId, DateTimeOffset Expires, bool InTheClear, string? Thumbprint);

    /// <summary>The keys as stored (revocations skipped), with the certificate each is encrypted to, read from its XML.</summary>
    static async Task<List<StoredKey>> StoredKeysAsync(IServiceProvider services)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var rows = await db.DataProtectionKeys.AsNoTracking().Select(k => new { k.Id, k.Xml }).ToListAsync();
        var keys = new List<StoredKey>();
        foreach (var row in rows)
        {
            var element = XElement.Parse(row.Xml ?? "<none/>");
            if (element.Name.LocalName != "key")
            {
                continue;
            }
            var expires = DateTimeOffset.Parse(element.Elements().FirstOrDefault(e => e.Name.LocalName == "expirationDate")?.Value ?? "0001-01-01T00:00:00Z", CultureInfo.InvariantCulture);
            var encrypted = element.Descendants().FirstOrDefault(e => e.Name.LocalName == "encryptedSecret");
            var certificate = encrypted?.Descendants().FirstOrDefault(e => e.Name.LocalName == "X509Certificate")?.Value;
            keys.Add(new StoredKey(row.Id, expires, encrypted is null,
                certificate is null ? null : X509CertificateLoader.LoadCertificate(Convert.FromBase64String(certificate)).Thumbprint));
        }
        return keys;
    }
}

/// <summary>The personal-data keys in the database cannot be unprotected with the configured certificates.</summary>
public sealed class KeyRingMismatchException(string message, Exception inner) : Exception(message, inner);
