using System.Security.Cryptography;
using System.Text;

namespace Zhiyuan.Web.Activities;

/// <summary>
/// The rotating check-in code the session leader shows as a QR: the current minute, signed with the
/// session's secret. A code is accepted during its own minute and the next one, and each sign-up
/// remembers the newest minute it used, so a code that was photographed, forwarded or already used
/// is refused.
/// </summary>
public static class CheckInCode
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    public static long WindowOf(DateTimeOffset now) => now.ToUnixTimeSeconds() / (long)Window.TotalSeconds;

    public static string For(ActivitySession session, long window) => window + "-" + Signature(session, window);

    /// <summary>The window the code belongs to, or null when it was not made with this session's secret.</summary>
    public static long? Verify(ActivitySession session, string? code)
    {
        var parts = (code ?? "").Split('-', 2);
        if (parts.Length != 2 || !long.TryParse(parts[0], out var window))
        {
            return null;
        }
        var expected = Encoding.ASCII.GetBytes(Signature(session, window));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(parts[1])) ? window : null;
    }

    static string Signature(ActivitySession session, long window)
    {
        var message = Encoding.ASCII.GetBytes(session.Id.ToString("N") + ":" + window);
        return Convert.ToBase64String(HMACSHA256.HashData(session.CheckInSecret, message), 0, 12).Replace('+', '-').Replace('/', '_');
    }

    /// <summary>Great-circle distance in metres (haversine), enough for a geofence of tens of metres and more.</summary>
    public static double DistanceMeters(double latitude1, double longitude1, double latitude2, double longitude2)
    {
        const double earthRadius = 6_371_000;
        static double Radians(double degrees) => degrees * Math.PI / 180;
        var dLat = Radians(latitude2 - latitude1);
        var dLon = Radians(longitude2 - longitude1);
        var a = Math.Sin(dLat / 2) * Math.Sin(dLat / 2) + Math.Cos(Radians(latitude1)) * Math.Cos(Radians(latitude2)) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2);
        return 2 * earthRadius * Math.Asin(Math.Sqrt(a));
    }
}
