using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SkiaSharp;
using Zhiyuan.Web.Activities;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Activities;

public sealed class ActivityTests : AppTest
{
    [Fact]
    public async Task BadActivitiesAreRefusedFieldByFieldAndNothingIsSaved()
    {
        using var admin = await app.ApiClientAsync();
        var host = await OrganizationAsync(admin);
        var good = Activity(host, InDays(3));

        var response = await admin.PostAsJsonAsync("/api/activities", good with
        {
            Title = "",
            Sessions = [new SessionRequest(InDays(3, 12), InDays(3, 9), 10), new SessionRequest(InDays(4), InDays(4, 12), 0), new SessionRequest(InDays(5), InDays(5, 12), -3)],
            SignUpClosesAt = InDays(10),
            PopulationTypes = [PopulationTypes.Other],
            GeofenceMeters = 100,
        });
        var problem = await Pages.AssertFieldErrorAsync(response, "title", "活动名称");
        var errors = problem.GetProperty("errors");
        Assert.Contains("结束时间必须晚于开始时间", errors.GetProperty("sessions[0].endsAt")[0].GetString());
        Assert.Contains("招募人数", errors.GetProperty("sessions[1].capacity")[0].GetString());
        Assert.Contains("招募人数", errors.GetProperty("sessions[2].capacity")[0].GetString());
        Assert.Contains("报名截止时间不能晚于", errors.GetProperty("signUpClosesAt")[0].GetString());
        Assert.True(errors.TryGetProperty("otherPopulation", out _));
        Assert.True(errors.TryGetProperty("geofenceMeters", out _));
        await Pages.AssertFieldErrorAsync(await admin.PostAsJsonAsync("/api/activities", good with { Sessions = [] }), "sessions", "至少");
        await Pages.AssertFieldErrorAsync(await admin.PostAsJsonAsync("/api/activities", good with { ServiceLine = null }), "serviceLine", "");
        // An unreadable time names its field too.
        var raw = await admin.PostAsync("/api/activities", new StringContent("""{"title":"x","sessions":[{"startsAt":"明天上午"}]}""", System.Text.Encoding.UTF8, "application/json"));
        await Pages.AssertFieldErrorAsync(raw, "sessions[0].startsAt", "");
        Assert.Equal(0, await app.WithDbAsync(db => db.Activities.CountAsync()));
        Assert.Equal(0, await app.WithDbAsync(db => db.ActivitySessions.CountAsync()));

        // A volunteer who administers nothing cannot host an activity.
        var v = (await app.VolunteersAsync(1))[0];
        await Pages.AssertFieldErrorAsync(await v.Client.PostAsJsonAsync("/api/activities", good), "hostOrganizationId", "");
    }

    [Fact]
    public async Task ADraftIsPrivateUntilPublishedAndThenListedForEveryoneWithFilters()
    {
        using var admin = await app.ApiClientAsync();
        var host = await OrganizationAsync(admin);
        var dinghu = await OrganizationAsync(admin, "鼎湖区志愿者联合会", "441203");
        var draft = await OkAsync(await admin.PostAsJsonAsync("/api/activities", Activity(host, InDays(3), title: "草稿活动")));
        using var anonymous = app.CreateClient();
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync($"/api/activities/{draft.GetProperty("id")}")).StatusCode);
        Assert.Equal(0, (await anonymous.GetFromJsonAsync<JsonElement>("/api/activities")).GetProperty("total").GetInt32());

        await PublishedAsync(admin, Activity(host, InDays(3), title: "西江清洁"));
        await PublishedAsync(admin, Activity(dinghu, InDays(10), title: "鼎湖山护林") with { ServiceLine = Zhiyuan.Web.Volunteers.ServiceLines.CivilisedCity });
        var full = await PublishedAsync(admin, Activity(host, InDays(5), capacity: 1, title: "名额已满"));
        var v = (await app.VolunteersAsync(1))[0];
        await OkAsync(await v.Client.SignUpAsync(SessionId(full)));

        async Task<string[]> Titles(string query) => (await anonymous.GetFromJsonAsync<JsonElement>("/api/activities" + query))
            .GetProperty("items").EnumerateArray().Select(i => i.GetProperty("title").GetString()!).ToArray();
        Assert.Equal(["西江清洁", "名额已满", "鼎湖山护林"], await Titles(""));
        Assert.Equal(["鼎湖山护林"], await Titles("?unitCode=441203"));
        Assert.Equal(["鼎湖山护林"], await Titles("?line=CivilisedCity"));
        Assert.Equal(["西江清洁"], await Titles("?q=清洁"));
        Assert.Equal(["西江清洁", "鼎湖山护林"], await Titles("?openPlaces=true"));
        Assert.Equal(["名额已满", "鼎湖山护林"], await Titles($"?from={InDays(4):yyyy-MM-dd}"));
        Assert.Equal(["西江清洁"], await Titles($"?to={InDays(3):yyyy-MM-dd}"));

        // The public detail page, on a phone, without signing in.
        var page = await anonymous.GetStringAsync($"/activities/{full.GetProperty("id")}");
        Assert.Contains("名额已满", page);
        Assert.Contains("陈队长", page);

        // Finishing waits for the last session to end.
        await Pages.AssertFieldErrorAsync(await admin.PostAsJsonAsync($"/api/activities/{full.GetProperty("id")}/status", new { status = "Finished" }), "status", "才结束");
        await Pages.AssertFieldErrorAsync(await admin.PostAsJsonAsync($"/api/activities/{draft.GetProperty("id")}/status", new { status = "Finished" }), "status", "不能从");
    }

    [Fact]
    public async Task TheOutcomeIsRecordedWithCheckedFiguresAndPhotosAreCheckedByContentAndStrippedOfMetadata()
    {
        using var admin = await app.ApiClientAsync();
        var start = DateTimeOffset.UtcNow.AddHours(2);
        var activity = await PublishedAsync(admin, Activity(await OrganizationAsync(admin), start));
        var id = activity.GetProperty("id").GetGuid();
        var outcome = new OutcomeRequest(1280.50m, 2, 3, "志愿者清理垃圾 300 公斤。",
            [new PopulationServedItem(PopulationTypes.EmptyNestElderly, 45), new PopulationServedItem(PopulationTypes.Disabled, 8)],
            [new MediaLinkItem("https://mp.weixin.qq.com/s/abc", 1523)]);
        await Pages.AssertFieldErrorAsync(await admin.PutAsJsonAsync($"/api/activities/{id}/outcome", outcome), "status", "活动开始后");

        app.Clock.Advance(TimeSpan.FromHours(3));
        using var later = await app.ApiClientAsync();
        var bad = await later.PutAsJsonAsync($"/api/activities/{id}/outcome", outcome with
        {
            MoneyAndMaterialsYuan = -1, PrintReports = -2,
            PopulationServed = [new PopulationServedItem(PopulationTypes.Disabled, -5)],
            MediaLinks = [new MediaLinkItem("javascript:alert(1)", 10)],
        });
        var errors = (await Pages.AssertFieldErrorAsync(bad, "moneyAndMaterialsYuan", "金额")).GetProperty("errors");
        Assert.True(errors.TryGetProperty("printReports", out _));
        Assert.True(errors.TryGetProperty("populationServed[0].personTimes", out _));
        Assert.True(errors.TryGetProperty("mediaLinks[0].url", out _));
        Assert.Equal(0, await app.WithDbAsync(db => db.ActivityOutcomes.CountAsync()));

        var saved = await OkAsync(await later.PutAsJsonAsync($"/api/activities/{id}/outcome", outcome));
        Assert.Equal(1280.50m, saved.GetProperty("moneyAndMaterialsYuan").GetDecimal());
        Assert.Equal(53, saved.GetProperty("populationServed").EnumerateArray().Sum(p => p.GetProperty("personTimes").GetInt32()));
        // Saving again replaces, not adds.
        saved = await OkAsync(await later.PutAsJsonAsync($"/api/activities/{id}/outcome", outcome with { MediaLinks = [] }));
        Assert.Equal(0, saved.GetProperty("mediaLinks").GetArrayLength());

        // An executable renamed .jpg is refused; so is a PNG header with garbage behind it.
        var exe = new byte[] { 0x4D, 0x5A, 0x90, 0x00 }.Concat(new byte[2000]).ToArray();
        await Pages.AssertFieldErrorAsync(await UploadAsync(later, id, exe, "photo.jpg", "image/jpeg"), "photo", "不是 JPEG、PNG 或 WebP");
        var fakePng = new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }.Concat(new byte[500]).ToArray();
        await Pages.AssertFieldErrorAsync(await UploadAsync(later, id, fakePng, "photo.png", "image/png"), "photo", "不是");
        Assert.Equal(0, await app.WithDbAsync(db => db.ActivityPhotos.CountAsync()));

        // A real JPEG carrying an EXIF block with a GPS position comes back without it.
        var jpeg = JpegWithExif("GPS 23.0475N 112.4655E");
        Assert.Contains("GPS 23.0475N", System.Text.Encoding.ASCII.GetString(jpeg));
        var photoId = (await OkAsync(await UploadAsync(later, id, jpeg, "IMG_0001.jpg", "image/jpeg"))).GetGuid();
        using var anonymous = app.CreateClient();
        var stored = await anonymous.GetByteArrayAsync($"/activities/photos/{photoId}");
        Assert.Equal([0xFF, 0xD8, 0xFF], stored[..3]);
        Assert.DoesNotContain("GPS 23.0475N", System.Text.Encoding.ASCII.GetString(stored));
        Assert.DoesNotContain("Exif", System.Text.Encoding.ASCII.GetString(stored));
        using var decoded = SKBitmap.Decode(stored);
        Assert.Equal(64, decoded.Width);
    }

    static Task<HttpResponseMessage> UploadAsync(HttpClient client, Guid activityId, byte[] bytes, string fileName, string contentType)
    {
        var content = new MultipartFormDataContent();
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        content.Add(file, "photo", fileName);
        return client.PostAsync($"/api/activities/{activityId}/photos", content);
    }

    /// <summary>A 64×48 JPEG with an APP1 "Exif" segment holding the given text, as a phone camera would write its metadata.</summary>
    internal static byte[] JpegWithExif(string secret)
    {
        using var bitmap = new SKBitmap(64, 48);
        bitmap.Erase(SKColors.SeaGreen);
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
        var jpeg = data.ToArray();
        var payload = System.Text.Encoding.ASCII.GetBytes("Exif\0\0" + secret);
        var length = payload.Length + 2;
        byte[] segment = [0xFF, 0xE1, (byte)(length >> 8), (byte)length, .. payload];
        return [.. jpeg[..2], .. segment, .. jpeg[2..]];
    }
}
