using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Zhiyuan.Web.Data;

namespace Zhiyuan.Web.Infrastructure;

/// <summary>
/// Encrypts ID and phone numbers for storage, hashes them with a secret key for look-ups, and masks
/// them for display. The two keys are made at random on first start and kept in the database only
/// in the form protected by ASP.NET Core data protection, whose key ring is itself encrypted with a
/// certificate kept outside the database (<see cref="KeyRing"/>): no key is ever in the repository or the
/// configuration, every node of one database uses the same keys, and a copy of the database alone opens nothing.
/// </summary>
/// <remarks>
/// AES-GCM rather than data protection's own Protect for each value: an import of 100,000 volunteers
/// encrypts 200,000 values, and data protection derives a fresh key for every call.
/// </remarks>
public sealed class PersonalData
{
    const byte FormatVersion = 1;
    const int NonceSize = 12;
    const int TagSize = 16;

    // Setting up a cipher or an HMAC costs more than using it on a short value, and neither may be
    // shared between threads: one of each per thread (an import uses every core).
    readonly ThreadLocal<AesGcm> aes;
    readonly ThreadLocal<HMACSHA256> hmac;

    PersonalData(byte[] encryptionKey, byte[] hashKey)
    {
        aes = new ThreadLocal<AesGcm>(() => new AesGcm(encryptionKey, TagSize));
        hmac = new ThreadLocal<HMACSHA256>(() => new HMACSHA256(hashKey));
    }

    public byte[] Encrypt(string value)
    {
        var plain = Encoding.UTF8.GetBytes(value);
        var sealedValue = new byte[1 + NonceSize + plain.Length + TagSize];
        sealedValue[0] = FormatVersion;
        var nonce = sealedValue.AsSpan(1, NonceSize);
        RandomPool.Fill(nonce);
        aes.Value!.Encrypt(nonce, plain, sealedValue.AsSpan(1 + NonceSize, plain.Length), sealedValue.AsSpan(1 + NonceSize + plain.Length, TagSize));
        return sealedValue;
    }

    public string Decrypt(byte[] sealedValue)
    {
        if (sealedValue.Length < 1 + NonceSize + TagSize || sealedValue[0] != FormatVersion)
        {
            throw new CryptographicException("Unknown personal-data format.");
        }
        var length = sealedValue.Length - 1 - NonceSize - TagSize;
        var plain = new byte[length];
        aes.Value!.Decrypt(sealedValue.AsSpan(1, NonceSize), sealedValue.AsSpan(1 + NonceSize, length), sealedValue.AsSpan(1 + NonceSize + length, TagSize), plain);
        return Encoding.UTF8.GetString(plain);
    }

    /// <summary>The same value always gives the same hash, so a unique index finds duplicates; without the key nobody can test guesses.</summary>
    public byte[] Hash(string kind, string value) => hmac.Value!.ComputeHash(Encoding.UTF8.GetBytes(kind + ":" + value));

    /// <summary><c>4412**********1234</c>: the first and last four characters of an ID number; shorter documents keep less.</summary>
    public static string MaskDocument(string number)
    {
        var keep = number.Length >= 12 ? 4 : number.Length >= 8 ? 2 : 1;
        return number[..keep] + new string('*', number.Length - 2 * keep) + number[^keep..];
    }

    /// <summary><c>138****5678</c>.</summary>
    public static string MaskPhone(string phone) => phone.Length == 11 ? phone[..3] + "****" + phone[7..] : new string('*', phone.Length);

    /// <summary>Loads the keys, making and storing them on the very first start (both nodes racing is settled by the primary key).</summary>
    public static async Task<PersonalData> LoadAsync(IServiceProvider services)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var protector = scope.ServiceProvider.GetRequiredService<IDataProtectionProvider>().CreateProtector("Zhiyuan.PersonalData.Keys");
        var stored = await db.ProtectedSecrets.AsNoTracking().SingleOrDefaultAsync(s => s.Name == ProtectedSecret.PersonalDataKeys);
        if (stored is null)
        {
            db.ProtectedSecrets.Add(new ProtectedSecret
            {
                Name = ProtectedSecret.PersonalDataKeys,
                Value = Convert.ToBase64String(protector.Protect(RandomNumberGenerator.GetBytes(64))),
            });
            try
            {
                await db.SaveChangesAsync();
            }
            catch (DbUpdateException)
            {
                // Another node stored its keys first; use those.
            }
            stored = await db.ProtectedSecrets.AsNoTracking().SingleAsync(s => s.Name == ProtectedSecret.PersonalDataKeys);
        }
        byte[] keys;
        bool underAnOlderKey;
        try
        {
            keys = ((IPersistedDataProtector)protector).DangerousUnprotect(Convert.FromBase64String(stored.Value), ignoreRevocationErrors: false,
                out underAnOlderKey, out _);
        }
        catch (CryptographicException ex)
        {
            throw new KeyRingMismatchException(
                "The keys in the database cannot be unprotected with the configured certificate: it was protected with another one. Set DataProtection:CertificatePath to that certificate, or after a rotation list it in DataProtection:PreviousCertificatePaths. (数据库中的密钥无法用所配置的证书解密：请配置原证书，或在更换证书后将原证书列入 DataProtection:PreviousCertificatePaths)", ex);
        }
        if (underAnOlderKey)
        {
            // After a certificate rotation (KeyRing.RenewUnderCurrentCertificateAsync) the keys move under the
            // newest key, so the old certificate is not needed for them any more.
            var moved = Convert.ToBase64String(protector.Protect(keys));
            await db.ProtectedSecrets.Where(s => s.Name == ProtectedSecret.PersonalDataKeys).ExecuteUpdateAsync(u => u.SetProperty(s => s.Value, moved));
        }
        return new PersonalData(keys[..32], keys[32..]);
    }
}

/// <summary>
/// Cryptographically random bytes handed out from a per-thread pool refilled 4 KB at a time: one
/// system call per few hundred nonces instead of one each (an import needs 300,000). Every byte is
/// given out once and then wiped.
/// </summary>
public static class RandomPool
{
    [ThreadStatic] static byte[]? pool;
    [ThreadStatic] static int used;

    public static void Fill(Span<byte> destination)
    {
        if (pool is null || used + destination.Length > pool.Length)
        {
            pool ??= new byte[4096];
            RandomNumberGenerator.Fill(pool);
            used = 0;
        }
        var slice = pool.AsSpan(used, destination.Length);
        slice.CopyTo(destination);
        slice.Clear();
        used += destination.Length;
    }
}

/// <summary>A secret of the platform's own, stored only as data protection protected it.</summary>
public sealed class ProtectedSecret
{
    public const string PersonalDataKeys = "personal-data-keys";

    public required string Name { get; set; }

    public required string Value { get; set; }
}

sealed class ProtectedSecretConfiguration : IEntityTypeConfiguration<ProtectedSecret>
{
    public void Configure(EntityTypeBuilder<ProtectedSecret> secret)
    {
        secret.HasKey(s => s.Name);
        secret.Property(s => s.Name).HasMaxLength(50);
        secret.Property(s => s.Value).HasMaxLength(1000);
    }
}
