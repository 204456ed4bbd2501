using System.Net.Http.Headers;
using Microsoft.EntityFrameworkCore;
using SkiaSharp;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Integrity;

/// <summary>An activity's cover photo set and removed by many requests at once.</summary>
public sealed class CoverRaceTests : AppTest
{
    static MultipartFormDataContent Cover()
    {
        using var bitmap = new SKBitmap(64, 36);
        bitmap.Erase(SKColors.OrangeRed);
        using var image = SKImage.FromBitmap(bitmap);
        var content = new ByteArrayContent(image.Encode(SKEncodedImageFormat.Jpeg, 80).ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        return new MultipartFormDataContent { { content, "photo", "封面.jpg" } };
    }

    [Fact]
    [Races("POST /api/activities/{id}/cover", "DELETE /api/activities/{id}/cover")]
    public async Task TwentyCoversAtOnceLeaveExactlyOneAndTwentyRemovalsLeaveNone()
    {
        using var admin = await app.ApiClientAsync();
        var host = await OrganizationAsync(admin);
        var id = (await PublishedAsync(admin, Activity(host, DateTimeOffset.UtcNow.AddDays(2)))).GetProperty("id").GetGuid();
        await using var node2 = new TestApp(app.Database);
        using var admin2 = await node2.ApiClientAsync();
        var admins = new[] { admin, admin2 };
        var race = new Race(app);

        // Each upload replaces the one before: all may succeed, and one cover remains, the one the last success named.
        await race.RunAsync("set the cover ×20", Race.N, i => admins[i % 2].PostAsync($"/api/activities/{id}/cover", Cover()), 1, Race.N);
        var covers = await app.WithDbAsync(db => db.ActivityCovers.Where(c => c.ActivityId == id).Select(c => c.Id).ToListAsync());
        race.CheckEqual(1, covers.Count, "covers of one activity after twenty uploads at once");

        await race.RunAsync("remove the cover ×20", Race.N, i => admins[i % 2].DeleteAsync($"/api/activities/{id}/cover"), Race.N, Race.N);
        race.CheckEqual(0, await app.WithDbAsync(db => db.ActivityCovers.CountAsync(c => c.ActivityId == id)), "covers after twenty removals at once");
        race.CheckEqual(1, await app.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "activity.cover.remove")), "removals audited (only the one that removed)");
        await race.AssertNoneAsync();
    }
}
