using SkiaSharp;

namespace Zhiyuan.Web.Infrastructure;

/// <summary>A photo ready to store: re-encoded, so nothing of the uploaded file but its pixels survives.</summary>
public sealed record CleanPhoto(string ContentType, byte[] Content, int Width, int Height);

/// <summary>
/// Accepts JPEG, PNG and WebP photos, judged by their content and not by their name, and re-encodes
/// them: that drops EXIF, XMP and every other metadata (a phone photo's GPS position among them) and
/// anything hidden after the image data. The EXIF orientation is applied first so the photo stays upright.
/// </summary>
public static class PhotoUpload
{
    public const int MaxBytes = 10 * 1024 * 1024;
    public const int MaxPixels = 40_000_000;

    /// <summary>The photo, or the resource key of the reason it was refused.</summary>
    public static (CleanPhoto? Photo, string? ErrorKey) Clean(byte[] bytes)
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
        using var codec = SKCodec.Create(data);
        if (codec is null || codec.EncodedFormat != format || (long)codec.Info.Width * codec.Info.Height > MaxPixels)
        {
            return (null, codec is null || codec.EncodedFormat != format ? "Photos.Error.NotImage" : "Photos.Error.TooManyPixels");
        }
        using var decoded = SKBitmap.Decode(codec);
        if (decoded is null)
        {
            return (null, "Photos.Error.NotImage");
        }
        using var upright = Orient(decoded, codec.EncodedOrigin);
        using var image = SKImage.FromBitmap(upright);
        var (encoding, contentType, quality) = format switch
        {
            SKEncodedImageFormat.Png => (SKEncodedImageFormat.Png, "image/png", 100),
            SKEncodedImageFormat.Webp => (SKEncodedImageFormat.Webp, "image/webp", 85),
            _ => (SKEncodedImageFormat.Jpeg, "image/jpeg", 85),
        };
        using var encoded = image.Encode(encoding, quality);
        return (new CleanPhoto(contentType, encoded.ToArray(), upright.Width, upright.Height), null);
    }

    /// <summary>The format the file's first bytes announce: JPEG FF D8 FF, PNG's eight-byte signature, or RIFF….WEBP.</summary>
    static SKEncodedImageFormat? Sniff(byte[] b) =>
        b.Length >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF ? SKEncodedImageFormat.Jpeg
        : b.Length >= 8 && b.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }) ? SKEncodedImageFormat.Png
        : b.Length >= 12 && b.AsSpan(0, 4).SequenceEqual("RIFF"u8) && b.AsSpan(8, 4).SequenceEqual("WEBP"u8) ? SKEncodedImageFormat.Webp
        : null;

    static SKBitmap Orient(SKBitmap source, SKEncodedOrigin origin)
    {
        var (degrees, swap) = origin switch
        {
            SKEncodedOrigin.BottomRight => (180, false),
            SKEncodedOrigin.RightTop => (90, true),
            SKEncodedOrigin.LeftBottom => (270, true),
            _ => (0, false),
        };
        var result = new SKBitmap(swap ? source.Height : source.Width, swap ? source.Width : source.Height);
        using var canvas = new SKCanvas(result);
        canvas.Translate(result.Width / 2f, result.Height / 2f);
        canvas.RotateDegrees(degrees);
        canvas.Translate(-source.Width / 2f, -source.Height / 2f);
        canvas.DrawBitmap(source, 0, 0);
        return result;
    }
}
