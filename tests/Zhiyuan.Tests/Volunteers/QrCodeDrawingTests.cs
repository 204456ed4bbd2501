using QRCoder;
using Zhiyuan.Web.Infrastructure;
using Zhiyuan.Web.Volunteers;

namespace Zhiyuan.Tests.Volunteers;

public sealed class QrCodeDrawingTests
{
    /// <summary>
    /// Certificate links as the platform draws them: each must be readable by the platform's own photo reader
    /// (the leader's check-in), or that volunteer could never be checked in by photo. At error correction M
    /// alone, several of these 1,000 are not.
    /// </summary>
    [Fact]
    public void EveryCertificateQrCodeThePlatformDrawsIsReadByItsOwnPhotoReader()
    {
        var random = new Random(20261201);
        var redrawn = 0;
        for (var i = 0; i < 1_000; i++)
        {
            var code = new byte[16];
            random.NextBytes(code);
            var url = $"https://zhiyuan.example.cn:{random.Next(1, 65536)}/verify/{Convert.ToBase64String(code).TrimEnd('=').Replace('+', '-').Replace('/', '_')}";

            var png = Certificates.QrPng(url);
            // Read as the leader's photo check-in reads (QrPhoto.ReadAsync would also take a turn among the two
            // decodes the whole process allows, holding up other tests' photos for the 1,000).
            Assert.True(QrPhoto.ReadImage(png) == url, url);

            using var generator = new QRCodeGenerator();
            using var atM = generator.CreateQrCode(url, QRCodeGenerator.ECCLevel.M);
            if (!png.AsSpan().SequenceEqual(new PngByteQRCode(atM).GetGraphic(8)))
            {
                redrawn++;
            }
        }
        Assert.InRange(redrawn, 1, 30);
    }
}
