using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Web.Activities;
using Zhiyuan.Web.Campaigns;
using Zhiyuan.Web.Hours;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Campaigns;

/// <summary>
/// A test class whose every test ends with the as-of check of every frozen table it left (submitted or approved): each is
/// recomputed from the records as they stood when it was frozen, through the report API, and must match cell by cell.
/// </summary>
public abstract class FrozenTablesCheckedTest : AppTest, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await AsOfVerificationTests.AssertEveryFrozenTableMatchesAsOfAsync(app);
}

public sealed class AsOfVerificationTests : AppTest
{
    static readonly object Contact = new { contactName = "李干事", contactPhone = "0758-2230000" };

    void At(int day, int hour) => app.Clock.Offset = new DateTimeOffset(2019, 3, day, hour, 0, 0, China) - DateTimeOffset.UtcNow;

    /// <summary>Every frozen table now visible as frozen (submitted or approved), checked as of its freezing time; returns how many.</summary>
    public static async Task<int> AssertEveryFrozenTableMatchesAsOfAsync(TestApp app)
    {
        var frozen = await app.WithDbAsync(db => (
                from r in db.CampaignReports
                join u in db.Units on r.UnitId equals u.Id
                where r.FrozenTable != null && (r.Status == ReportStatus.Submitted || r.Status == ReportStatus.Approved)
                select new { r.CampaignId, u.Code, r.PeriodNumber })
            .ToListAsync());
        if (frozen.Count == 0)
        {
            return 0;
        }
        using var city = await app.ApiClientAsync();
        foreach (var f in frozen)
        {
            var report = await OkAsync(await city.GetAsync($"/api/campaigns/{f.CampaignId}/reports/{f.Code}/{f.PeriodNumber}"));
            var asOf = report.GetProperty("asOf");
            Assert.True(asOf.GetProperty("matches").GetBoolean(), $"{f.Code} period {f.PeriodNumber} does not match the records as of its freezing: {asOf.GetProperty("differences")}");
            Assert.Equal(asOf.GetProperty("frozenSha256").GetString(), asOf.GetProperty("asOfSha256").GetString());
        }
        return frozen.Count;
    }

    [Fact]
    public async Task BackDatedChangesShowInTheLiveFiguresWhileTheAsOfCheckStillMatchesAndTamperingShowsTheExactCell()
    {
        var data = await CampaignData.CreateAsync(app);
        await app.CreateUnitAdminAsync("duanzhou", "441202");
        At(7, 18);
        using var city = await app.ApiClientAsync();
        var townReport = $"/api/campaigns/{data.CampaignId}/reports/{CampaignData.Town}/1";
        var town = await OkAsync(await city.PostAsJsonAsync(townReport + "/typed-in-rows", new[] { new { isMedia = false, name = "线下义诊", personTimes = 12, organizations = 1, hours = 24m } }));
        var rowId = town.GetProperty("typedInRows")[0].GetProperty("id").GetGuid();

        At(7, 20);
        using var duanzhou = await app.ApiClientAsync("duanzhou", "Unit-admin-2019");
        var report = $"/api/campaigns/{data.CampaignId}/reports/441202/1";
        var submitted = await OkAsync(await duanzhou.PostAsJsonAsync(report + "/submit", Contact));
        var frozenTotal = submitted.GetProperty("table").GetProperty("activityTotal");
        Assert.True(submitted.GetProperty("asOf").GetProperty("matches").GetBoolean());

        // After the submission: a reversal for a session of the period, the outcome of an activity of the period edited,
        // and the town's typed-in row edited — all recorded later, all counted in 端州's week 1.
        At(7, 21);
        using var cityLater = await app.ApiClientAsync();
        var law = await app.WithDbAsync(db => db.Activities.SingleAsync(a => a.Title == "社区普法"));
        await app.WithDbAsync(async db =>
        {
            var entry = await db.LedgerEntries.AsNoTracking().SingleAsync(e => e.ActivityId == law.Id);
            db.LedgerEntries.Add(new LedgerEntry
            {
                VolunteerId = entry.VolunteerId, VolunteerUnitId = entry.VolunteerUnitId, SessionId = entry.SessionId, ActivityId = entry.ActivityId,
                OrganizationId = entry.OrganizationId, StartUtc = entry.StartUtc, EndUtc = entry.EndUtc, Minutes = -entry.Minutes, Kind = LedgerEntryKind.Reversal,
                ReversesEntryId = entry.Id, RecordedAtUtc = app.Clock.GetUtcNow().UtcDateTime, RecordedBy = "城东街道管理员", Reason = "未实际到场",
            });
            return await db.SaveChangesAsync();
        });
        await OkAsync(await cityLater.PutAsJsonAsync($"/api/activities/{law.Id}/outcome", new OutcomeRequest(88m, 0, 0, "补记经费。",
            [new PopulationServedItem(PopulationTypes.LeftBehindChildren, 25)], [])));
        var edited = await OkAsync(await cityLater.PutAsJsonAsync($"{townReport}/typed-in-rows/{rowId}", new { isMedia = false, name = "线下义诊", personTimes = 15, organizations = 1, hours = 24m }));
        Assert.Equal(15, edited.GetProperty("typedInRows").EnumerateArray().Single().GetProperty("personTimes").GetInt32());
        // The old versions are kept, marked superseded; nothing was overwritten or deleted.
        Assert.Equal((2, 1), await app.WithDbAsync(async db => (await db.ActivityOutcomes.CountAsync(o => o.ActivityId == law.Id), await db.ActivityOutcomes.CountAsync(o => o.ActivityId == law.Id && o.SupersededAtUtc == null))));
        Assert.Equal(2, await app.WithDbAsync(db => db.TypedInRows.CountAsync(t => t.Id == rowId || t.ReplacesId == rowId)));
        Assert.Equal(20, await app.WithDbAsync(db => db.PopulationServed.Where(p => p.ActivityId == law.Id && p.Revision == 1).SumAsync(p => p.PersonTimes)));

        var view = await OkAsync(await cityLater.GetAsync(report));
        var live = view.GetProperty("liveDifferences").EnumerateArray().Select(d => (d.GetProperty("figure").GetString(), d.GetProperty("submitted").GetString(), d.GetProperty("live").GetString())).ToList();
        var personTimes = frozenTotal.GetProperty("personTimes").GetInt64();
        Assert.Contains(("参与志愿者人次", $"{personTimes}", $"{personTimes - 1 + 3}"), live);
        Assert.Contains(("投入资金及物料（元）", frozenTotal.GetProperty("moneyYuan").GetDecimal().ToString("0.00"), (frozenTotal.GetProperty("moneyYuan").GetDecimal() + 88m).ToString("0.00")), live);
        Assert.Contains(live, d => d.Item1 == "服务人次");
        var asOf = view.GetProperty("asOf");
        Assert.True(asOf.GetProperty("matches").GetBoolean(), asOf.ToString());
        Assert.Empty(asOf.GetProperty("differences").EnumerateArray());
        Assert.True(asOf.GetProperty("basisFrozen").GetBoolean());

        // The page says so, beside the live differences.
        using var browser = app.PageClient();
        await browser.SignInAsync("admin", TestApp.AdminPassword);
        var page = await browser.GetPageAsync($"/campaigns/{data.CampaignId}/reports/441202/1");
        Assert.Contains("与 2019-03-07 20:00 的记录一致", page.QuerySelector("#asof-check")!.TextContent);
        Assert.NotNull(page.QuerySelector("#live-differences"));

        // Someone changes the frozen table in the database: the check names exactly that cell.
        await app.WithDbAsync(async db =>
        {
            var stored = await db.CampaignReports.SingleAsync(r => r.CampaignId == data.CampaignId && r.PeriodNumber == 1 && r.FrozenTable != null && r.Status == ReportStatus.Submitted);
            var json = JsonNode.Parse(stored.FrozenTable!)!;
            json["activityTotal"]!["personTimes"] = personTimes + 100;
            stored.FrozenTable = json.ToJsonString();
            return await db.SaveChangesAsync();
        });
        var tampered = (await OkAsync(await cityLater.GetAsync(report))).GetProperty("asOf");
        Assert.False(tampered.GetProperty("matches").GetBoolean());
        var difference = Assert.Single(tampered.GetProperty("differences").EnumerateArray());
        Assert.Equal(("合计", "personTimes", "参与志愿者人次", $"{personTimes + 100}", $"{personTimes}"),
            (difference.GetProperty("row").GetString(), difference.GetProperty("columnKey").GetString(), difference.GetProperty("column").GetString(),
                difference.GetProperty("frozen").GetString(), difference.GetProperty("asOf").GetString()));
        var tamperedPage = await browser.GetPageAsync($"/campaigns/{data.CampaignId}/reports/441202/1");
        Assert.Contains("与 2019-03-07 20:00 的记录不一致", tamperedPage.QuerySelector("#asof-check")!.TextContent);
        Assert.Contains($"{personTimes + 100} → {personTimes}", tamperedPage.QuerySelector("#asof-check")!.TextContent);
    }

    [Fact]
    public async Task ThePackageCarriesAManifestThatAnyoneChecksByUploadOrBySha256()
    {
        var data = await CampaignData.CreateAsync(app);
        await app.CreateUnitAdminAsync("duanzhou", "441202");
        At(7, 20);
        using var duanzhou = await app.ApiClientAsync("duanzhou", "Unit-admin-2019");
        var submitted = await OkAsync(await duanzhou.PostAsJsonAsync($"/api/campaigns/{data.CampaignId}/reports/441202/1/submit", Contact));
        At(8, 10);
        using var city = await app.ApiClientAsync();
        var package = await OkAsync(await city.PostAsync($"/api/campaigns/{data.CampaignId}/packages", null));
        var hash = package.GetProperty("contentHash").GetString()!;
        var zipBytes = await city.GetByteArrayAsync($"/api/campaigns/{data.CampaignId}/packages/{package.GetProperty("id").GetGuid()}.zip");

        // The manifest: 端州's frozen week 1 with its version, freezing time and hash — the hash of the file beside it, and of the report's canonical table.
        var manifest = JsonDocument.Parse(Entry(zipBytes, "manifest.json")).RootElement;
        Assert.Equal("zhiyuan-package-manifest/1", manifest.GetProperty("format").GetString());
        var entry = Assert.Single(manifest.GetProperty("reports").EnumerateArray());
        Assert.Equal(("441202", 1, 2, "Submitted"), (entry.GetProperty("unitCode").GetString(), entry.GetProperty("period").GetInt32(),
            entry.GetProperty("computationVersion").GetInt32(), entry.GetProperty("status").GetString()));
        Assert.Equal(submitted.GetProperty("frozenAtUtc").GetDateTime(), entry.GetProperty("frozenAtUtc").GetDateTime());
        var file = entry.GetProperty("file").GetString()!;
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Entry(zipBytes, file))), entry.GetProperty("asOfSha256").GetString());
        Assert.Equal(submitted.GetProperty("asOf").GetProperty("frozenSha256").GetString(), entry.GetProperty("asOfSha256").GetString());
        Assert.Contains(manifest.GetProperty("files").EnumerateArray(), f => f.GetProperty("path").GetString() == "01-全市汇总-统计表.xlsx");

        using var anyone = app.CreateClient();
        anyone.DefaultRequestHeaders.AcceptLanguage.Add(new StringWithQualityHeaderValue("zh-CN"));
        // A good upload: issued by the platform, every entry checked, nothing amiss.
        var good = await OkAsync(await anyone.PostAsync("/api/public/packages/verify", Upload(zipBytes)));
        Assert.Equal((hash, true, true, true, CampaignData.Name), (good.GetProperty("sha256").GetString(), good.GetProperty("issued").GetBoolean(),
            good.GetProperty("contentsChecked").GetBoolean(), good.GetProperty("valid").GetBoolean(), good.GetProperty("campaignName").GetString()));
        Assert.Equal(1, good.GetProperty("reportsChecked").GetInt32());
        Assert.Empty(good.GetProperty("mismatches").EnumerateArray());
        // The answer names what is public and nothing else (no person who made the package).
        Assert.Equal(["sha256", "issued", "campaignName", "issuedAtUtc", "issuingUnit", "contentsChecked", "reportsChecked", "filesChecked", "mismatches", "valid"],
            good.EnumerateObject().Select(p => p.Name));

        // By SHA-256: known, unknown, malformed.
        var known = await OkAsync(await anyone.GetAsync($"/api/public/packages/{hash}"));
        Assert.True(known.GetProperty("issued").GetBoolean());
        Assert.False(known.GetProperty("contentsChecked").GetBoolean());
        Assert.False((await OkAsync(await anyone.GetAsync($"/api/public/packages/{new string('0', 64)}"))).GetProperty("issued").GetBoolean());
        await Pages.AssertFieldErrorAsync(await anyone.GetAsync("/api/public/packages/not-a-hash"), "sha256", "64 位十六进制");

        // A package whose frozen table was altered: not issued, and the file is named.
        var altered = Rewrite(zipBytes, file, bytes => Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(bytes).Replace("\"personTimes\":", "\"personTimes\":1")));
        var alteredCheck = await OkAsync(await anyone.PostAsync("/api/public/packages/verify", Upload(altered)));
        Assert.False(alteredCheck.GetProperty("issued").GetBoolean());
        Assert.False(alteredCheck.GetProperty("valid").GetBoolean());
        var changed = Assert.Single(alteredCheck.GetProperty("mismatches").EnumerateArray());
        Assert.Equal((file, "fileChanged"), (changed.GetProperty("entry").GetString(), changed.GetProperty("problem").GetString()));

        // The platform's stored report changed after the package was made: the genuine package shows which report.
        await app.WithDbAsync(async db =>
        {
            var stored = await db.CampaignReports.SingleAsync(r => r.CampaignId == data.CampaignId && r.FrozenTable != null);
            stored.FrozenTable = stored.FrozenTable!.Replace("\"moneyYuan\":", "\"moneyYuan\":9");
            return await db.SaveChangesAsync();
        });
        var storedCheck = await OkAsync(await anyone.PostAsync("/api/public/packages/verify", Upload(zipBytes)));
        Assert.True(storedCheck.GetProperty("issued").GetBoolean());
        Assert.False(storedCheck.GetProperty("valid").GetBoolean());
        var reportChanged = Assert.Single(storedCheck.GetProperty("mismatches").EnumerateArray());
        Assert.Equal(("reportChanged", entry.GetProperty("asOfSha256").GetString()), (reportChanged.GetProperty("problem").GetString(), reportChanged.GetProperty("expected").GetString()));
        Assert.Contains("441202", reportChanged.GetProperty("entry").GetString());

        // Bad files: a clear 400, in Chinese or English.
        await Pages.AssertFieldErrorAsync(await anyone.PostAsync("/api/public/packages/verify", Upload(RandomNumberGenerator.GetBytes(500))), "file", "不是可读的 zip");
        await Pages.AssertFieldErrorAsync(await anyone.PostAsync("/api/public/packages/verify", Upload(Rewrite(zipBytes, "manifest.json", null))), "file", "manifest.json");
        await Pages.AssertFieldErrorAsync(await anyone.PostAsync("/api/public/packages/verify", Upload([])), "file", "请选择");
        using var english = app.CreateClient();
        english.DefaultRequestHeaders.AcceptLanguage.Add(new StringWithQualityHeaderValue("en"));
        await Pages.AssertFieldErrorAsync(await english.PostAsync("/api/public/packages/verify", Upload([1, 2, 3])), "file", "not a readable zip");

        // The public page, linked from the footer: by SHA-256 and by upload.
        using var visitor = app.PageClient();
        var lookup = await visitor.GetPageAsync($"/verify/package?sha256={hash}");
        Assert.NotNull(lookup.QuerySelector("#footer-package-check"));
        Assert.Contains("本平台签发：" + CampaignData.Name, lookup.QuerySelector("#package-check-result")!.TextContent);
        var token = lookup.QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
        var form = Upload(altered);
        form.Add(new StringContent("package-upload"), "_handler");
        form.Add(new StringContent(token), "__RequestVerificationToken");
        var uploaded = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await (await visitor.PostAsync("/verify/package", form)).Content.ReadAsStringAsync());
        Assert.Contains("没有签发过", uploaded.QuerySelector("#package-check-result")!.TextContent);
        Assert.Contains(file, uploaded.QuerySelector("#package-mismatches")!.TextContent);
    }

    static MultipartFormDataContent Upload(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        return new MultipartFormDataContent { { content, "file", "package.zip" } };
    }

    static byte[] Entry(byte[] zipBytes, string name)
    {
        using var zip = new ZipArchive(new MemoryStream(zipBytes));
        using var stream = zip.GetEntry(name)!.Open();
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    /// <summary>The same package with one file changed (or left out when <paramref name="change"/> is null).</summary>
    static byte[] Rewrite(byte[] zipBytes, string name, Func<byte[], byte[]>? change)
    {
        using var source = new ZipArchive(new MemoryStream(zipBytes));
        using var output = new MemoryStream();
        using (var target = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var e in source.Entries)
            {
                var bytes = Entry(zipBytes, e.FullName);
                if (e.FullName == name)
                {
                    if (change is null)
                    {
                        continue;
                    }
                    bytes = change(bytes);
                }
                using var stream = target.CreateEntry(e.FullName).Open();
                stream.Write(bytes);
            }
        }
        return output.ToArray();
    }
}
