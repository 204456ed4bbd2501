using SkiaSharp;

namespace Zhiyuan.Tests.Activities;

/// <summary>Photos of a volunteer's certificate QR, as the leader's phone camera takes them.</summary>
public static class CertificatePhotos
{
    /// <summary>The QR code of the text, as the certificate page draws it (a PNG).</summary>
    public static byte[] Qr(string text) => Zhiyuan.Web.Volunteers.Certificates.QrPng(text);

    /// <summary>
    /// A phone photo of the printed certificate: a 2,400 × 1,800 JPEG of a grey desk with the page on it,
    /// the QR code somewhere on the page — bigger than what the server reads first, so it is scaled down.
    /// </summary>
    public static byte[] Photo(string text)
    {
        using var qr = SKBitmap.Decode(Qr(text));
        using var photo = new SKBitmap(2400, 1800);
        using (var canvas = new SKCanvas(photo))
        {
            canvas.Clear(new SKColor(120, 118, 110));
            using var paper = new SKPaint { Color = new SKColor(245, 244, 238) };
            canvas.DrawRect(new SKRect(400, 200, 2000, 1650), paper);
            canvas.DrawBitmap(qr, new SKRect(1150, 700, 1150 + 640, 700 + 640));
        }
        using var image = SKImage.FromBitmap(photo);
        return image.Encode(SKEncodedImageFormat.Jpeg, 85).ToArray();
    }

    /// <summary>A photo without any QR code: the desk alone.</summary>
    public static byte[] Blank()
    {
        using var photo = new SKBitmap(800, 600);
        using (var canvas = new SKCanvas(photo))
        {
            canvas.Clear(new SKColor(120, 118, 110));
        }
        using var image = SKImage.FromBitmap(photo);
        return image.Encode(SKEncodedImageFormat.Jpeg, 85).ToArray();
    }

    public static MultipartFormDataContent Upload(byte[] photo, string fileName = "IMG_0001.jpg") =>
        new() { { new ByteArrayContent(photo), "photo", fileName } };
}
