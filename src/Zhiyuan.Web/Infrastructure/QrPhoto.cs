using SkiaSharp;
using ZXing;
using ZXing.Common;
using ZXing.QrCode;

namespace Zhiyuan.Web.Infrastructure;

/// <summary>
/// Reads the QR code in a phone photo (a volunteer's certificate held up to the leader's camera), on
/// the server: the page needs no script, so it works under the site's content security policy on any
/// phone that can take a photo. The photo takes the bounds of <see cref="PhotoUpload"/> — JPEG, PNG or
/// WebP by content, at most 10 MB and 24 megapixels, and a turn among its two decodes at once — and is
/// never stored.
/// </summary>
public static class QrPhoto
{
    /// <summary>A QR code read at this many pixels on the long side; a larger photo is scaled down first (faster, and no less readable).</summary>
    const int FirstTry = 1_600;

    /// <summary>A small QR code in a large photo may need more pixels: a second try at this size.</summary>
    const int SecondTry = 3_200;

    /// <summary>The text of the QR code, or the resource key of the reason there is none.</summary>
    public static async Task<(string? Text, string? ErrorKey)> ReadAsync(byte[] bytes, CancellationToken cancellationToken = default)
    {
        if (bytes.Length == 0)
        {
            return (null, "Photos.Error.Empty");
        }
        if (bytes.Length > PhotoUpload.MaxBytes)
        {
            return (null, "Photos.Error.TooLarge");
        }
        var format = PhotoUpload.Sniff(bytes);
        if (format is null)
        {
            return (null, "Photos.Error.NotImage");
        }
        using var data = SKData.CreateCopy(bytes);
        // The header alone gives the size: a hostile image is refused before a pixel is decoded.
        using var codec = SKCodec.Create(data);
        if (codec is null || codec.EncodedFormat != format)
        {
            return (null, "Photos.Error.NotImage");
        }
        if ((long)codec.Info.Width * codec.Info.Height > PhotoUpload.MaxPixels)
        {
            return (null, "Photos.Error.TooManyPixels");
        }
        if (!await PhotoUpload.Decodes.WaitAsync(PhotoUpload.DecodeWait, cancellationToken))
        {
            return (null, "Photos.Error.Busy");
        }
        try
        {
            using var decoded = SKBitmap.Decode(codec);
            if (decoded is null)
            {
                return (null, "Photos.Error.NotImage");
            }
            var text = Read(decoded, FirstTry) ?? (Math.Max(decoded.Width, decoded.Height) > FirstTry ? Read(decoded, SecondTry) : null);
            return text is null ? (null, "WalkIn.Error.NoQr") : (text, null);
        }
        finally
        {
            PhotoUpload.Decodes.Release();
        }
    }

    /// <summary>The text of the QR code in an image the platform drew itself (trusted, small); null when none is read.</summary>
    public static string? ReadImage(byte[] png)
    {
        using var bitmap = SKBitmap.Decode(png);
        return bitmap is null ? null : Read(bitmap, FirstTry);
    }

    /// <summary>Decodes at most <paramref name="longSide"/> pixels on the long side; null when no QR code is found.</summary>
    static string? Read(SKBitmap photo, int longSide)
    {
        var scale = Math.Min(1.0, longSide / (double)Math.Max(photo.Width, photo.Height));
        var width = Math.Max(1, (int)(photo.Width * scale));
        var height = Math.Max(1, (int)(photo.Height * scale));
        using var scaled = scale < 1.0 ? photo.Resize(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul), new SKSamplingOptions(SKFilterMode.Linear)) : null;
        using var rgba = (scaled ?? photo).Copy(SKColorType.Rgba8888);
        if (rgba is null)
        {
            return null;
        }
        var pixels = rgba.GetPixelSpan();
        var luminance = new byte[rgba.Width * rgba.Height];
        for (var i = 0; i < luminance.Length; i++)
        {
            var p = i * 4;
            luminance[i] = (byte)((pixels[p] * 299 + pixels[p + 1] * 587 + pixels[p + 2] * 114) / 1000);
        }
        var source = new PlanarYUVLuminanceSource(luminance, rgba.Width, rgba.Height, 0, 0, rgba.Width, rgba.Height, false);
        var hints = new Dictionary<DecodeHintType, object> { [DecodeHintType.TRY_HARDER] = true };
        try
        {
            return new QRCodeReader().decode(new BinaryBitmap(new HybridBinarizer(source)), hints)?.Text;
        }
        catch (Exception e) when (e is ReaderException or ArgumentException or IndexOutOfRangeException)
        {
            // ZXing throws on some damaged codes instead of answering "none".
            return null;
        }
    }
}
