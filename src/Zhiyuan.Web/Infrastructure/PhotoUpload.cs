using SkiaSharp;

namespace Zhiyuan.Web.Infrastructure;

/// <summary>A photo ready to store: re-encoded, so nothing of the uploaded file but its pixels survives.</summary>
public sealed record CleanPhoto(string ContentType, byte[] Content, int Width, int Height);

/// <summary>
/// Accepts JPEG, PNG and WebP photos, judged by their content and not by their name, and re-encodes
/// them: that drops EXIF, XMP and every other metadata (a phone photo's GPS position among them) and
/// anything hidden after the image data. The EXIF orientation is applied first so the photo stays upright.
/// A decoded photo takes four bytes a pixel whatever its file size (a 113 KB PNG of 6,300 × 6,300 is
/// 159 MB decoded), so the dimensions are read from the header and checked before decoding, and at
/// most <see cref="MaxConcurrentDecodes"/> decodes run at once in the whole process.
/// </summary>
public static class PhotoUpload
{
    public const int MaxBytes = 10 * 1024 * 1024;

    /// <summary>24 megapixels: a phone's full-size photo (6,000 × 4,000), at most 96 MB decoded.</summary>
    public const int MaxPixels = 24_000_000;

    /// <summary>Two decodes at once bound the memory photos take to about 200 MB however many arrive together.</summary>
    public const int MaxConcurrentDecodes = 2;

    /// <summary>How long an upload waits for a decode slot before it is refused (a decode takes a second or two).</summary>
    public static readonly TimeSpan DecodeWait = TimeSpan.FromSeconds(20);

    /// <summary>Shared by every upload in the process; internal so a test can occupy it.</summary>
    internal static readonly SemaphoreSlim Decodes = new(MaxConcurrentDecodes, MaxConcurrentDecodes);

    /// <summary>The photo, or the resource key of the reason it was refused.</summary>
    public static Task<(CleanPhoto? Photo, string? ErrorKey)> CleanAsync(byte[] bytes, CancellationToken cancellationToken = default) =>
        CleanAsync(bytes, DecodeWait, cancellationToken);

    internal static async Task<(CleanPhoto? Photo, string? ErrorKey)> CleanAsync(byte[] bytes, TimeSpan wait, CancellationToken cancellationToken)
    {
        if (bytes.Length == 0)
        {
            return (null, "Photos.Error.Empty");
        }
        if (bytes.Length > MaxBytes)
        {
            return (null, "Photos.Error.TooLarge");
        }
        var format = Sniff(bytes);
        if (format is null)
        {
            return (null, "Photos.Error.NotImage");
        }
        using var data = SKData.CreateCopy(bytes);
        // Creating a codec reads the header only: the size is known before a pixel is decoded.
        using var codec = SKCodec.Create(data);
        if (codec is null || codec.EncodedFormat != format)
        {
            return (null, "Photos.Error.NotImage");
        }
        if ((long)codec.Info.Width * codec.Info.Height > MaxPixels)
        {
            return (null, "Photos.Error.TooManyPixels");
        }
        if (!await Decodes.WaitAsync(wait, cancellationToken))
        {
            return (null, "Photos.Error.Busy");
        }
        try
        {
            return Decode(codec, format.Value);
        }
        finally
        {
            Decodes.Release();
        }
    }

    static (CleanPhoto? Photo, string? ErrorKey) Decode(SKCodec codec, SKEncodedImageFormat format)
    {
        using var decoded = SKBitmap.Decode(codec);
        if (decoded is null)
        {
            return (null, "Photos.Error.NotImage");
        }
        // An upright photo is encoded as decoded: a rotated copy would double the memory for nothing.
        using var rotated = Orient(decoded, codec.EncodedOrigin);
        var upright = rotated ?? decoded;
        var (encoding, contentType, quality) = format switch
        {
            SKEncodedImageFormat.Png => (SKEncodedImageFormat.Png, "image/png", 100),
            SKEncodedImageFormat.Webp => (SKEncodedImageFormat.Webp, "image/webp", 85),
            _ => (SKEncodedImageFormat.Jpeg, "image/jpeg", 85),
        };
        using var encoded = upright.Encode(encoding, quality);
        return encoded is null ? (null, "Photos.Error.NotImage") : (new CleanPhoto(contentType, encoded.ToArray(), upright.Width, upright.Height), null);
    }

    /// <summary>The format the file's first bytes announce: JPEG FF D8 FF, PNG's eight-byte signature, or RIFF….WEBP.</summary>
    internal static SKEncodedImageFormat? Sniff(byte[] b) =>
        b.Length >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF ? SKEncodedImageFormat.Jpeg
        : b.Length >= 8 && b.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }) ? SKEncodedImageFormat.Png
        : b.Length >= 12 && b.AsSpan(0, 4).SequenceEqual("RIFF"u8) && b.AsSpan(8, 4).SequenceEqual("WEBP"u8) ? SKEncodedImageFormat.Webp
        : null;

    /// <summary>A rotated copy, or null when the photo is already upright.</summary>
    static SKBitmap? Orient(SKBitmap source, SKEncodedOrigin origin)
    {
        var (degrees, swap) = origin switch
        {
            SKEncodedOrigin.BottomRight => (180, false),
            SKEncodedOrigin.RightTop => (90, true),
            SKEncodedOrigin.LeftBottom => (270, true),
            _ => (0, false),
        };
        if (degrees == 0)
        {
            return null;
        }
        var result = new SKBitmap(swap ? source.Height : source.Width, swap ? source.Width : source.Height);
        using var canvas = new SKCanvas(result);
        canvas.Translate(result.Width / 2f, result.Height / 2f);
        canvas.RotateDegrees(degrees);
        canvas.Translate(-source.Width / 2f, -source.Height / 2f);
        canvas.DrawBitmap(source, 0, 0);
        return result;
    }
}
