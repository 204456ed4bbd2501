using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;
using Zhiyuan.Tests.Campaigns;
using Zhiyuan.Tests.ServicePosts;
using Zhiyuan.Web.Infrastructure;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Platform;

/// <summary>Memory is measured for the whole process, so these tests run alone, after the others.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasured
{
    public const string Name = "Memory measured";
}

/// <summary>
/// Files that are small to send and huge to read, sent several at once through the real upload
/// endpoints as an attacker did: each is refused with a sentence saying why, and the process's
/// memory grows by less than 200 MB meanwhile (it once grew by 700 MB for one spreadsheet).
/// </summary>
[Collection(MemoryMeasured.Name)]
public sealed class HostileFileTests(ITestOutputHelper log) : AppTest
{
    const long Bound = 200L * 1024 * 1024;

    // Built once: 30 million empty cells in one row (120 MB of XML), 1.2 million shared strings,
    // 5,000 shared strings of 4,000 characters, and a sheet of 401 MB of whitespace.
    static readonly Lazy<byte[]> WideRow = new(() => HostileFiles.XlsxWithOneWideRow(30_000_000));
    static readonly Lazy<byte[]> ManyStrings = new(() => HostileFiles.XlsxWithSharedStrings(1_200_000, 1));
    static readonly Lazy<byte[]> LongStrings = new(() => HostileFiles.XlsxWithSharedStrings(5_000, 4_000));
    static readonly Lazy<byte[]> Bomb = new(() => HostileFiles.XlsxInflatingTo(401));
    static readonly Lazy<byte[]> HugePng = new(() => HostileFiles.BlackPng(6_300, 6_300));

    static MultipartFormDataContent Upload(string field, byte[] bytes, string fileName, string contentType, params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, value) in fields)
        {
            form.Add(new StringContent(value), name);
        }
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        form.Add(content, field, fileName);
        return form;
    }

    /// <summary>Sends every request so many times, all at once, while memory is watched; checks each answer is 400 with its reason.</summary>
    async Task<MemoryWatch> SendAllAtOnceAsync(int times, IEnumerable<(string Name, Func<Task<HttpResponseMessage>> Send, string Reason)> requests)
    {
        var watch = MemoryWatch.Start();
        var sent = requests.SelectMany(r => Enumerable.Range(0, times).Select(_ => (r.Name, Answer: Task.Run(r.Send), r.Reason))).ToList();
        await Task.WhenAll(sent.Select(s => s.Answer));
        await watch.StopAsync();
        foreach (var (name, answer, reason) in sent)
        {
            var response = await answer;
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{name}: {(int)response.StatusCode} {body}");
            Assert.True(body.Contains(reason), $"{name}: the answer does not say “{reason}”: {body}");
        }
        log.WriteLine($"{sent.Count} hostile uploads at once: {watch}");
        return watch;
    }

    static void AssertBounded(MemoryWatch watch)
    {
        // The process's memory is its working set. The managed heap's peak also counts garbage the
        // collector has not yet reclaimed (in the full suite it starts above 1 GB and collects late),
        // so only what stays after a collection is held against the bound.
        Assert.True(watch.PeakWorkingSetGrowth < Bound, $"the working set grew by {watch.PeakWorkingSetGrowth / 1024 / 1024} MB: {watch}");
        Assert.True(watch.SettledManagedGrowth < Bound, $"the managed heap kept {watch.SettledManagedGrowth / 1024 / 1024} MB after a collection: {watch}");
    }

    [Fact]
    public async Task HostileSpreadsheetsSentSeveralAtOnceToBothImportsAreRefusedWithTheReasonAndMemoryStaysBounded()
    {
        using var city = await app.ApiClientAsync();
        var campaign = await CampaignData.OpenAsync(city);
        var formUrl = $"/api/campaigns/{campaign}/reports/441203/1/import";
        const string xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
        Func<Task<HttpResponseMessage>> Volunteers(byte[] file) => () => city.PostAsync("/api/volunteers/import", Upload("file", file, "志愿者.xlsx", xlsx, ("unitCode", "441202")));
        Func<Task<HttpResponseMessage>> Form(byte[] file) => () => city.PostAsync(formUrl, Upload("file", file, "统计表.xlsx", xlsx));
        // Warm both endpoints up, so the baseline includes what any first import loads.
        await Volunteers(HostileFiles.XlsxWithOneWideRow(10))();
        await Form(HostileFiles.XlsxWithOneWideRow(10))();
        log.WriteLine($"files: wide row {WideRow.Value.Length / 1024} KB, many strings {ManyStrings.Value.Length / 1024} KB, long strings {LongStrings.Value.Length / 1024} KB, bomb {Bomb.Value.Length / 1024} KB");

        // Sixteen at once: two of each file to each import.
        var watch = await SendAllAtOnceAsync(2, [
            // The 30-million-cell row holds nothing within the columns read: no header, so no rows.
            ("wide row → volunteers", Volunteers(WideRow.Value), "没有志愿者数据行"),
            ("wide row → official form", Form(WideRow.Value), "这不是正式统计表"),
            ("many shared strings → volunteers", Volunteers(ManyStrings.Value), "文字过多"),
            ("many shared strings → official form", Form(ManyStrings.Value), "文字过多"),
            ("long shared strings → volunteers", Volunteers(LongStrings.Value), "文字过多"),
            ("long shared strings → official form", Form(LongStrings.Value), "文字过多"),
            ("bomb → volunteers", Volunteers(Bomb.Value), "解压后过大"),
            ("bomb → official form", Form(Bomb.Value), "解压后过大"),
        ]);
        AssertBounded(watch);
    }

    [Fact]
    public async Task TheInflationRefusalSaysTheFileExpandsTooMuchNotThatTheUploadIsTooLarge()
    {
        using var city = await app.ApiClientAsync("admin", TestApp.AdminPassword, "en");
        var response = await city.PostAsync("/api/volunteers/import",
            Upload("file", Bomb.Value, "volunteers.xlsx", "application/octet-stream", ("unitCode", "441202")));
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("expands too much when unpacked", body);
        Assert.DoesNotContain("20 MB", body);
    }

    [Fact]
    public async Task HugePhotosOnPatrolFindingsAndActivitiesSentSeveralAtOnceAreRefusedFromTheirHeaderAndMemoryStaysBounded()
    {
        using var city = await app.ApiClientAsync();
        var host = await OrganizationAsync(city, "市民志愿巡访团");
        // A plain volunteer, member of the patrol team: the attacker's role.
        var member = (await app.MembersAsync(city, host, 1))[0];
        var department = (await OkAsync(await city.PostAsJsonAsync("/api/departments", new { name = "市公安局交警支队", unitCode = "441200" }))).GetProperty("id").GetGuid();
        var team = await OkAsync(await city.PostAsJsonAsync("/api/patrols/teams",
            new { organizationId = host, name = "端州巡访一队", isRiverTeam = false, volunteerNumbers = new[] { member.Number } }));
        var start = DateTimeOffset.UtcNow.AddMinutes(-30);
        var round = (await OkAsync(await city.PostAsJsonAsync("/api/patrols/rounds",
            new { teamId = team.GetProperty("id").GetGuid(), mode = "Open", area = "端州区天宁北路", startsAt = start, endsAt = start.AddHours(3) }))).GetProperty("id").GetGuid();
        var activity = (await OkAsync(await city.PostAsJsonAsync("/api/activities", Activity(host, InDays(3))))).GetProperty("id").GetGuid();
        var png = HugePng.Value;
        log.WriteLine($"PNG of 6,300 × 6,300: {png.Length / 1024} KB");

        Task<HttpResponseMessage> Finding()
        {
            var form = new MultipartFormDataContent();
            foreach (var (name, value) in new Dictionary<string, string>
            {
                ["roundId"] = round.ToString(), ["place"] = "天宁北路与建设路交叉口", ["category"] = "Traffic", ["description"] = "红绿灯故障", ["departmentId"] = department.ToString(),
            })
            {
                form.Add(new StringContent(value), name);
            }
            for (var i = 0; i < 6; i++)
            {
                var photo = new ByteArrayContent(png);
                photo.Headers.ContentType = new MediaTypeHeaderValue("image/png");
                form.Add(photo, "photos", $"现场{i}.png");
            }
            return member.Client.PostAsync("/api/patrols/findings", form);
        }
        // A small photo first, so decoding is loaded before the baseline.
        await OkAsync(await city.PostAsync($"/api/activities/{activity}/photos", Upload("photo", HostileFiles.BlackPng(64, 48), "小图.png", "image/png")));

        // Four findings of six photos and four activity photos at once.
        var watch = await SendAllAtOnceAsync(4, [
            ("six 40 MP photos on a finding", Finding, "2400 万像素"),
            ("a 40 MP activity photo", () => city.PostAsync($"/api/activities/{activity}/photos", Upload("photo", png, "合影.png", "image/png")), "2400 万像素"),
        ]);
        AssertBounded(watch);
        // Only the small photo was stored.
        Assert.Equal(1, await app.WithDbAsync(db => db.ActivityPhotos.CountAsync()));
    }

    [Fact]
    public async Task APhotoThatFindsBothDecodeSlotsTakenWaitsABoundedTimeThenIsRefusedAsBusy()
    {
        var small = HostileFiles.BlackPng(64, 48);
        // Both slots taken, as by two large decodes going on; any other upload in the process just waits a moment.
        for (var i = 0; i < PhotoUpload.MaxConcurrentDecodes; i++)
        {
            Assert.True(await PhotoUpload.Decodes.WaitAsync(TimeSpan.FromSeconds(30)));
        }
        (CleanPhoto? Photo, string? ErrorKey) refused;
        try
        {
            refused = await PhotoUpload.CleanAsync(small, TimeSpan.FromMilliseconds(200), CancellationToken.None);
        }
        finally
        {
            PhotoUpload.Decodes.Release(PhotoUpload.MaxConcurrentDecodes);
        }
        Assert.Null(refused.Photo);
        Assert.Equal("Photos.Error.Busy", refused.ErrorKey);

        var accepted = await PhotoUpload.CleanAsync(small, TimeSpan.FromMilliseconds(200), CancellationToken.None);
        Assert.Equal((64, 48), (accepted.Photo!.Width, accepted.Photo.Height));
    }
}
