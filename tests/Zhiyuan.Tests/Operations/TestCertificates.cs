using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Zhiyuan.Tests.Operations;

/// <summary>
/// Self-signed RSA certificates as PFX files, as an operator would give DataProtection:CertificatePath:
/// one per name, made once per test run in a folder of this process (parallel runs never share one).
/// </summary>
public static class TestCertificates
{
    public const string Password = "Pfx-pass-2019";

    static readonly string Folder = Path.Combine(Path.GetTempPath(), "zhiyuan-tests", $"certificates-{System.Environment.ProcessId}");
    static readonly ConcurrentDictionary<string, Lazy<string>> Made = new();

    static TestCertificates() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // Left for the next clean of the temporary folder.
        }
    };

    /// <summary>The PFX file of the certificate with this name (CN=Zhiyuan test NAME).</summary>
    public static string Pfx(string name) => Made.GetOrAdd(name, n => new Lazy<string>(() =>
    {
        Directory.CreateDirectory(Folder);
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest($"CN=Zhiyuan test {n}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(10));
        var path = Path.Combine(Folder, n + ".pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, Password));
        return path;
    })).Value;

    /// <summary>The environment of a node whose key ring is under the named certificate, with earlier ones still able to unprotect.</summary>
    public static Dictionary<string, string?> Environment(string current, params string[] previous)
    {
        var environment = new Dictionary<string, string?>
        {
            ["DataProtection__CertificatePath"] = Pfx(current),
            ["DataProtection__CertificatePassword"] = Password,
        };
        for (var i = 0; i < previous.Length; i++)
        {
            environment[$"DataProtection__PreviousCertificatePaths__{i}"] = Pfx(previous[i]);
            environment[$"DataProtection__PreviousCertificatePasswords__{i}"] = Password;
        }
        return environment;
    }
}
