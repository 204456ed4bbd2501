using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using AngleSharp.Dom;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using Xunit.Abstractions;
using Zhiyuan.Tests.Campaigns;
using Zhiyuan.Tests.ServicePosts;
using Zhiyuan.Tests.Volunteers;
using static Zhiyuan.Tests.Activities.Scenario;

namespace Zhiyuan.Tests.Platform;

/// <summary>
/// Every page form a user can reach, submitted the way a careless or hurried person would: with every
/// optional field left empty, with each required field missing in turn, and twice in a row. Each role
/// the platform has (the city administrator, a unit administrator, an organisation administrator, a
/// volunteer, an anonymous visitor) walks the pages it reaches by links; every form found is posted.
/// No answer may be a server error, a blank 400 for a form the page itself gave out, or anything but
/// HTML (or a redirect) for a page form.
/// </summary>
public sealed class PageFormWalkTests(ITestOutputHelper output) : AppTest
{
    const int MaxPagesPerRole = 150;
    const int MaxFormsPerRole = 60;
    const int MaxPostsPerRole = 400;

    /// <summary>
    /// Forms known to fail the rules above, by "path-shape handler" (ids in the path as {id}), each with
    /// the reason it is not fixed yet. Empty when everything passes; an entry here is a known defect.
    /// </summary>
    static readonly Dictionary<string, string> KnownDefects = new()
    {
    };

    [Fact]
    public async Task NoPageFormAnswersWithAServerErrorOrABlankPageToEmptyMissingOrRepeatedFields()
    {
        // A small world: an organisation with two members (one its administrator), a published
        // activity with a session one of them signed up for, a unit administrator, and a campaign.
        using var city = await app.ApiClientAsync();
        var host = await OrganizationAsync(city);
        var members = await app.MembersAsync(city, host, 2);
        using var orgAdmin = await app.OrganizationAdminAsync(city, host, members[0].Number);
        var activity = await PublishedAsync(orgAdmin, Activity(host, InDays(3)));
        await OkAsync(await members[1].Client.SignUpAsync(SessionId(activity)));
        await app.CreateUnitAdminAsync("unitadmin", "441202");
        await CampaignData.OpenAsync(city, year: DateTime.UtcNow.Year);
        await OkAsync(await city.PostAsJsonAsync("/api/units/441202/children", new { code = "441202001", name = "城东街道", type = "Town" }));

        var roles = new (string Name, string? User, string Password)[]
        {
            ("匿名访客", null, ""),
            ("志愿者", members[1].Number, People.Password),
            ("组织管理员", members[0].Number, People.Password),
            ("单位管理员", "unitadmin", "Unit-admin-2019"),
            ("市管理员", "admin", TestApp.AdminPassword),
        };
        var problems = new List<string>();
        var posted = 0;
        foreach (var (role, user, password) in roles)
        {
            var client = app.PageClient();
            if (user is not null)
            {
                await client.SignInAsync(user, password);
            }
            var forms = await CollectFormsAsync(client, role, problems);
            var posts = 0;
            foreach (var form in forms.Take(MaxFormsPerRole))
            {
                if (posts >= MaxPostsPerRole)
                {
                    break;
                }
                if (KnownDefects.ContainsKey(form.Key))
                {
                    continue;
                }
                var variants = new List<(string What, List<(string Name, string Value)> Fields, int Times)>
                {
                    ("可选字段留空", form.Optional(), 2),
                    ("全部填写", form.Filled(), 2),
                };
                variants.AddRange(form.Required.Select(r => ($"必填字段 {r} 留空", form.Missing(r), 1)));
                foreach (var (what, fields, times) in variants)
                {
                    for (var time = 1; time <= times; time++)
                    {
                        posts++;
                        var problem = await PostAsync(client, form, fields);
                        if (problem is not null)
                        {
                            problems.Add($"{role}: {form.Key} ({what}, 第{time}次) on {form.Page}: {problem}");
                        }
                    }
                }
            }
            posted += posts;
            output.WriteLine($"{role}: {forms.Count} forms, {posts} posts: " + string.Join(", ", forms.Select(f => f.Key)));
            if (user is not null)
            {
                Assert.True(forms.Count > 0, $"{role} found no form to post");
            }
        }
        output.WriteLine(string.Join("\n", Statuses.GroupBy(s => s).Select(g => $"{g.Count()} × {g.Key}")));
        // The server's first exception says why, where a status alone would not.
        var exception = app.LogLines.FirstOrDefault(l => l.Contains("Exception", StringComparison.Ordinal));
        Assert.True(problems.Count == 0, $"{problems.Count} page form answers were defects:\n" + string.Join("\n", problems.Distinct().Take(40))
            + (exception is null ? "" : "\nFirst exception logged by the server:\n" + exception[..Math.Min(exception.Length, 3000)]));
        Assert.True(posted > 100, $"only {posted} posts were made; the walk found too little to prove anything");
    }

    static readonly HtmlParser Parser = new();

    static readonly List<string> Statuses = [];

    sealed record Form(string Key, string Page, string Action, bool Multipart, List<(string Name, string Value)> Fields, List<string> Required)
    {
        /// <summary>Names of fields a person does not type into (hidden inputs, the pressed button).</summary>
        public HashSet<string> Hidden { get; } = [];

        /// <summary>A plausible value for each visible field, as a person filling the form in would type it.</summary>
        public Dictionary<string, string> Plausible { get; } = [];

        /// <summary>Every field at its default, but optional ones (not marked required) emptied.</summary>
        public List<(string Name, string Value)> Optional() =>
            Fields.Select(f => Hidden.Contains(f.Name) || Required.Contains(f.Name) ? f : (f.Name, "")).ToList();

        /// <summary>Every visible field filled in plausibly, but the one named left empty.</summary>
        public List<(string Name, string Value)> Missing(string name) =>
            Fields.Select(f => Hidden.Contains(f.Name) ? f : (f.Name, f.Name == name ? "" : Plausible.GetValueOrDefault(f.Name, f.Value))).ToList();

        public List<(string Name, string Value)> Filled() => Missing("");
    }

    /// <summary>Reads the pages a role reaches from the home page and the menus (breadth first), keeping one form of each shape.</summary>
    static async Task<List<Form>> CollectFormsAsync(HttpClient client, string role, List<string> problems)
    {
        var queue = new Queue<string>(["/", "/me", "/activities", "/activities/managed", "/activities/back-entries", "/activities/back-entries/review",
            "/campaigns", "/hours", "/units", "/accounts", "/volunteers", "/organizations", "/messages", "/audit", "/patrols", "/orders", "/services/manage",
            "/recognition/stars", "/commendations", "/me/record", "/me/service-certificates", "/account/password"]);
        var visited = new HashSet<string>();
        var shapes = new HashSet<string>();
        var forms = new List<Form>();
        while (queue.Count > 0 && visited.Count < MaxPagesPerRole)
        {
            var url = queue.Dequeue();
            if (!visited.Add(url))
            {
                continue;
            }
            var response = await client.GetAsync(url);
            if ((int)response.StatusCode >= 500)
            {
                problems.Add($"{role}: GET {url} answered {(int)response.StatusCode}");
                continue;
            }
            if (response.StatusCode != HttpStatusCode.OK || response.Content.Headers.ContentType?.MediaType != "text/html")
            {
                continue;
            }
            var page = Parser.ParseDocument(await response.Content.ReadAsStringAsync());
            foreach (var href in page.QuerySelectorAll("a[href]").Select(a => a.GetAttribute("href")!))
            {
                if (href.StartsWith('/') && !href.StartsWith("//") && !href.StartsWith("/api") && !href.StartsWith("/culture")
                    && !href.Contains("sign-out") && !Path.HasExtension(href.Split('?')[0]) && !href.Contains("/export") && !href.Contains("download"))
                {
                    queue.Enqueue(href.Split('#')[0]);
                }
            }
            foreach (var element in page.QuerySelectorAll("form"))
            {
                if (!"post".Equals(element.GetAttribute("method"), StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }
                var form = Read(url, (IHtmlFormElement)element);
                if (form is not null && shapes.Add(form.Key))
                {
                    forms.Add(form);
                }
            }
        }
        return forms;
    }

    static readonly Regex Ids = new(@"(?<=/)(?=[^/]*[0-9A-Z])[^/]+");

    static readonly Regex Guids = new(@"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    static Form? Read(string page, IHtmlFormElement element)
    {
        var action = element.GetAttribute("action") is { Length: > 0 } a ? a : page;
        if (action.Contains("sign-out") || !action.StartsWith('/'))
        {
            return null;
        }
        var fields = new List<(string Name, string Value)>();
        var required = new List<string>();
        var hidden = new HashSet<string>();
        var plausible = new Dictionary<string, string>();
        var visible = new List<string>();
        foreach (var control in element.Elements.OfType<IElement>())
        {
            var name = control.GetAttribute("name");
            if (string.IsNullOrEmpty(name) || control.HasAttribute("disabled"))
            {
                continue;
            }
            switch (control)
            {
                case IHtmlInputElement input:
                    var type = (input.GetAttribute("type") ?? "text").ToLowerInvariant();
                    if (type is "submit" or "button" or "image" or "reset" or "file")
                    {
                        continue;
                    }
                    if (type is "checkbox" or "radio")
                    {
                        if (input.HasAttribute("checked"))
                        {
                            fields.Add((name, input.GetAttribute("value") ?? "on"));
                        }
                        continue;
                    }
                    if (type == "hidden")
                    {
                        hidden.Add(name);
                    }
                    fields.Add((name, input.GetAttribute("value") ?? ""));
                    plausible[name] = input.GetAttribute("value") is { Length: > 0 } shown ? shown : PlausibleValue(type, name);
                    break;
                case IHtmlSelectElement select:
                    var option = select.QuerySelectorAll("option").FirstOrDefault(o => o.HasAttribute("selected")) ?? select.QuerySelector("option");
                    fields.Add((name, option?.GetAttribute("value") ?? option?.TextContent ?? ""));
                    plausible[name] = select.QuerySelectorAll("option").Select(o => o.GetAttribute("value") ?? o.TextContent).FirstOrDefault(v => v.Length > 0) ?? "";
                    break;
                case IHtmlTextAreaElement area:
                    fields.Add((name, area.TextContent));
                    plausible[name] = area.TextContent.Length > 0 ? area.TextContent : "清理河岸垃圾，宣传垃圾分类";
                    break;
                default:
                    continue;
            }
            if (!hidden.Contains(name) && !visible.Contains(name))
            {
                visible.Add(name);
                if (control.HasAttribute("required"))
                {
                    required.Add(name);
                }
            }
        }
        // The first named submit button is the one a person presses.
        if (element.QuerySelectorAll("button[name], input[type=submit][name]").FirstOrDefault(b => !b.HasAttribute("disabled")) is { } button)
        {
            fields.Add((button.GetAttribute("name")!, button.GetAttribute("value") ?? ""));
            hidden.Add(button.GetAttribute("name")!);
        }
        var handler = fields.FirstOrDefault(f => f.Name == "_handler").Value ?? "";
        var key = $"{Ids.Replace(action.Split('?')[0], "{id}")} {Guids.Replace(handler, "{id}")}";
        var form = new Form(key, page, action, "multipart/form-data".Equals(element.GetAttribute("enctype"), StringComparison.OrdinalIgnoreCase), fields, required);
        form.Hidden.UnionWith(hidden);
        foreach (var (name, value) in plausible)
        {
            form.Plausible[name] = value;
        }
        // The pages mark no field with the required attribute (they say what is missing after the post),
        // so where none is marked, every field a person types into is left out in turn.
        if (required.Count == 0)
        {
            required.AddRange(visible);
        }
        return form;
    }

    static int mobiles;

    /// <summary>
    /// A mobile number no other form was given: a form that changes a volunteer's own mobile makes it
    /// personal data, which the suite's leak scanner then looks for in every later answer.
    /// </summary>
    static string NewMobile() => "1370000" + Interlocked.Increment(ref mobiles).ToString("D4");

    /// <summary>What a person would type into a field of the given type.</summary>
    static string PlausibleValue(string type, string name)
    {
        var tomorrow = DateTime.UtcNow.AddHours(8).Date.AddDays(1);
        return type switch
        {
            "date" => tomorrow.ToString("yyyy-MM-dd"),
            "datetime-local" => tomorrow.AddHours(9).ToString("yyyy-MM-ddTHH:mm"),
            "time" => "09:00",
            "month" => tomorrow.ToString("yyyy-MM"),
            "number" or "range" => "2",
            "email" => "zhiyuan@example.cn",
            "tel" => NewMobile(),
            "url" => "https://mp.weixin.qq.com/s/zhiyuan",
            "password" => "Walk-pass-2019",
            _ when name.Contains("Phone", StringComparison.OrdinalIgnoreCase) || name.Contains("Mobile", StringComparison.OrdinalIgnoreCase) => NewMobile(),
            _ when name.Contains("Code", StringComparison.OrdinalIgnoreCase) => "441202",
            _ => "端州测试",
        };
    }

    static async Task<string?> PostAsync(HttpClient client, Form form, List<(string Name, string Value)> fields)
    {
        HttpContent content;
        if (form.Multipart)
        {
            var multipart = new MultipartFormDataContent();
            foreach (var (name, value) in fields)
            {
                multipart.Add(new StringContent(value), name);
            }
            content = multipart;
        }
        else
        {
            content = new FormUrlEncodedContent(fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)));
        }
        var response = await client.PostAsync(form.Action, content);
        var status = (int)response.StatusCode;
        Statuses.Add($"{status} {form.Key}");
        var body = await response.Content.ReadAsStringAsync();
        if (status >= 500)
        {
            return $"{status}";
        }
        if (status == 400 && body.Trim().Length == 0)
        {
            return "a blank 400 for a form the page gave out";
        }
        if (status is >= 300 and < 400)
        {
            return response.Headers.Location is null ? $"{status} without a location" : null;
        }
        if (response.Content.Headers.ContentType?.MediaType != "text/html")
        {
            return $"{status} {response.Content.Headers.ContentType?.MediaType ?? "without a content type"} instead of a page";
        }
        return null;
    }
}
