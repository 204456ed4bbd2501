using SkiaSharp;
using ZXing;
using ZXing.Common;
using ZXing.QrCode;

namespace Zhiyuan.Tests.Volunteers;

public static class QrCodes
{
    /// <summary>Reads a QR code from a PNG (an image the page served, or a screenshot), as a phone camera would.</summary>
    public static string Decode(byte[] png)
    {
        var text = TryDecode(png);
        Assert.NotNull(text);
        return text;
    }

    public static string? TryDecode(byte[] png)
    {
        using var bitmap = SKBitmap.Decode(png);
        var luminance = new byte[bitmap.Width * bitmap.Height];
        for (var y = 0; y < bitmap.Height; y++)
        {
            for (var x = 0; x < bitmap.Width; x++)
            {
                var pixel = bitmap.GetPixel(x, y);
                luminance[y * bitmap.Width + x] = (byte)((pixel.Red * 299 + pixel.Green * 587 + pixel.Blue * 114) / 1000);
            }
        }
        var source = new PlanarYUVLuminanceSource(luminance, bitmap.Width, bitmap.Height, 0, 0, bitmap.Width, bitmap.Height, false);
        var hints = new Dictionary<DecodeHintType, object> { [DecodeHintType.TRY_HARDER] = true };
        var text = new QRCodeReader().decode(new BinaryBitmap(new HybridBinarizer(source)), hints)?.Text;
        if (text is not null)
        {
            return text;
        }
        // ZXing's finder-pattern detector misses about 7 in 1,000 valid codes whatever their size (their data draws
        // shapes it takes for finder patterns); an image that is only the code (a served image, or a screenshot of it)
        // is then read as a pure code, as phone scanners with other detectors read it.
        hints[DecodeHintType.PURE_BARCODE] = true;
        return new QRCodeReader().decode(new BinaryBitmap(new HybridBinarizer(source)), hints)?.Text;
    }
}
