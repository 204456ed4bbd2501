using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Zhiyuan.Web.Activities;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Hours;
using Zhiyuan.Web.Infrastructure;
using Zhiyuan.Web.Organizations;
using Zhiyuan.Web.Units;
using Zhiyuan.Web.Volunteers;
using Activity = Zhiyuan.Web.Activities.Activity;

namespace Zhiyuan.Web.Campaigns;

/// <summary>
/// Demo data (configuration <c>Demo:March2019=true</c>): March 2019 filled with generated activity
/// for the demo campaign (<see cref="DemoCampaign"/>), so that every campaign page — tables,
/// completeness grid, dashboard, exports — has something to show. Added once, at start-up, when no
/// activity has a session in March 2019; the same seed always gives the same organisations,
/// volunteers, activities, hours and reports (ids and ciphertexts aside).
/// </summary>
public static class DemoData
{
    public const string RecordedBy = "demo";
    const int Seed = 20190301;
    static readonly DateOnly LastDay = new(2019, 3, 31);

    static readonly string[] OrganizationKinds = ["青年志愿者协会", "义工联合会", "巾帼志愿服务队"];
    static readonly string[] Surnames = ["陈", "李", "黄", "张", "梁", "林", "刘", "何", "罗", "吴", "冯", "叶", "谭", "邓", "苏", "麦"];
    static readonly string[] GivenNames = ["丽", "婷", "敏", "静", "芳", "慧", "伟", "杰", "明", "强", "俊", "浩", "志", "文", "华", "嘉", "晓", "宇"];
    static readonly string[] Places = ["社区服务中心", "文化广场", "星湖公园", "中心小学", "新时代文明实践站", "敬老院", "图书馆", "西江河堤"];

    /// <summary>Two titles per service line, with the population the activity usually serves.</summary>
    static readonly (ServiceLines Line, string Title, PopulationTypes Served)[] Kinds =
    [
        (ServiceLines.CivilisedCity, "文明交通劝导", PopulationTypes.Other), (ServiceLines.CivilisedCity, "背街小巷清洁", PopulationTypes.None),
        (ServiceLines.PovertyRelief, "困难家庭探访", PopulationTypes.Disabled | PopulationTypes.EmptyNestElderly), (ServiceLines.PovertyRelief, "山区学校助学", PopulationTypes.LeftBehindChildren),
        (ServiceLines.Ecology, "河小青巡河护水", PopulationTypes.None), (ServiceLines.Ecology, "植树护绿", PopulationTypes.IdleYouth),
        (ServiceLines.CivilisationPractice, "学雷锋便民服务", PopulationTypes.EmptyNestElderly | PopulationTypes.Other), (ServiceLines.CivilisationPractice, "非遗文化进校园", PopulationTypes.MigrantWorkersChildren),
        (ServiceLines.SocialGovernance, "防诈骗宣传", PopulationTypes.EmptyNestElderly), (ServiceLines.SocialGovernance, "禁毒宣传进社区", PopulationTypes.YouthWithBadBehaviour | PopulationTypes.IdleYouth),
        (ServiceLines.VolunteerCulture, "志愿服务故事分享会", PopulationTypes.None), (ServiceLines.VolunteerCulture, "学雷锋主题摄影展", PopulationTypes.PrisonersMinorChildren),
    ];

    public static async Task SeedAsync(IServiceProvider services, CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        var provider = scope.ServiceProvider;
        var db = provider.GetRequiredService<AppDbContext>();
        var log = provider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DemoData));
        var (marchFrom, marchTo) = CampaignCalendar.UtcRange(new DateOnly(2019, 3, 1), LastDay);
        // Never on top of real (or earlier demo) activity: March 2019 must still be empty.
        if (await db.ActivitySessions.AnyAsync(s => s.StartsAtUtc >= marchFrom && s.StartsAtUtc < marchTo, cancellationToken))
        {
            return;
        }
        var campaign = await db.Campaigns.AsNoTracking().SingleAsync(c => c.Name == DemoCampaign.Name, cancellationToken);
        var units = await db.Units.AsNoTracking().Where(u => u.ParentId == campaign.RootUnitId && u.IsActive)
            .OrderBy(u => u.SortOrder).ToListAsync(cancellationToken);
        var random = new Random(Seed);

        // The personal-data keys may still have to be made and stored: not inside our transaction, which holds SQLite's write lock.
        provider.GetRequiredService<PersonalData>();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Organisations first: their names are unique, so a second node doing the same at the same moment fails here, before any real work.
        var organizations = units.SelectMany(u => OrganizationKinds.Take(2 + random.Next(2)).Select(kind => new Organization
        {
            Name = u.Name.Replace("志愿服务队", "") + kind, Description = "2019年学雷锋志愿服务月示范数据", UnitId = u.Id, Status = OrganizationStatus.Approved,
            RegisteredAtUtc = new DateTime(2018, 6, 1, 2, 0, 0, DateTimeKind.Utc), ReviewedAtUtc = new DateTime(2018, 6, 3, 2, 0, 0, DateTimeKind.Utc),
        })).ToList();
        db.Organizations.AddRange(organizations);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            log.LogWarning("Demo data for March 2019 not added: its organisations' names are taken (another node is adding it, or they were registered by hand).");
            return;
        }

        var volunteers = await AddVolunteersAsync(provider, db, units, organizations, random, cancellationToken);
        var activities = AddActivities(db, organizations, units.ToDictionary(u => u.Id, u => u.Name), volunteers, random);
        await db.SaveChangesAsync(cancellationToken);
        var reports = await AddReportsAsync(provider, db, campaign.Id, random, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        log.LogInformation("Demo data for March 2019 added: {Organizations} organisations, {Volunteers} volunteers, {Activities} activities, {Reports} campaign reports.",
            organizations.Count, volunteers.Count, activities, reports);
    }

    /// <summary>A volunteer as the activities need them: id, unit, and when they are busy (one person cannot serve two sessions at once).</summary>
    sealed record DemoVolunteer(Guid Id, Guid UnitId, List<(DateTime StartUtc, DateTime EndUtc)> Credited);

    /// <summary>
    /// About 300 adults, through the platform's own rules (<see cref="VolunteerRules.Check"/>), encryption and
    /// hashing (<see cref="VolunteerUseCases.NewVolunteer"/>), number counter and bulk insert — as the import does —
    /// each a member of one organisation of their unit.
    /// </summary>
    static async Task<List<DemoVolunteer>> AddVolunteersAsync(IServiceProvider provider, AppDbContext db, List<Unit> units, List<Organization> organizations,
        Random random, CancellationToken cancellationToken)
    {
        const int count = 300;
        var rules = provider.GetRequiredService<VolunteerRules>();
        var personalData = provider.GetRequiredService<PersonalData>();
        var useCases = provider.GetRequiredService<VolunteerUseCases>();
        var today = ChinaTime.Today(provider.GetRequiredService<TimeProvider>());
        var first = await VolunteerUseCases.ReserveNumbersAsync(db, count, cancellationToken);
        var built = new List<Volunteer>();
        for (var i = 0; i < count; i++)
        {
            var unit = units[i % units.Count];
            var male = random.Next(2) == 1;
            var birth = new DateOnly(1968, 1, 1).AddDays(random.Next(32 * 365));
            // GB 11643: the unit's own region code where it has one; sequence i (odd for men; i < 500 keeps every number apart); MOD 11-2 check character.
            var region = unit.Code.Length == 6 && unit.Code.All(char.IsAsciiDigit) ? unit.Code : "441202";
            var first17 = region + birth.ToString("yyyyMMdd") + (i * 2 + (male ? 1 : 0)).ToString("D3");
            var input = new VolunteerInput(random.Pick(Surnames) + random.Pick(GivenNames) + random.Pick(GivenNames), "居民身份证",
                first17 + IdentityDocument.CheckCharacterOf(first17), null, null, $"1990758{i:D4}", "", [((i % 6) + 1).ToString()], null, false);
            var errors = new FieldErrors();
            var valid = rules.Check(input, today, errors)
                        ?? throw new InvalidOperationException($"Demo volunteer {i} is not valid: " + string.Join("; ", errors.ToDictionary().SelectMany(e => e.Value)));
            var volunteer = useCases.NewVolunteer(valid, personalData.Hash(VolunteerUseCases.DocumentHashKind, valid.Document.Type + ":" + valid.Document.Number),
                personalData.Hash(VolunteerUseCases.PhoneHashKind, valid.Mobile), unit.Id, first + i);
            // Registered before the campaign month, not today.
            volunteer.RegisteredAtUtc = new DateTime(2018, 9, 1, 2, 0, 0, DateTimeKind.Utc).AddDays(random.Next(150));
            built.Add(volunteer);
        }
        await provider.GetRequiredService<VolunteerImport>().InsertAsync(built, cancellationToken);
        foreach (var v in built)
        {
            var organization = random.Pick(organizations.Where(o => o.UnitId == v.UnitId).ToArray());
            db.Memberships.Add(new Membership
            {
                OrganizationId = organization.Id, VolunteerId = v.Id, Status = MembershipStatus.Approved,
                AppliedAtUtc = v.RegisteredAtUtc.AddDays(1), DecidedAtUtc = v.RegisteredAtUtc.AddDays(2), DecidedBy = RecordedBy,
            });
        }
        return built.Select(v => new DemoVolunteer(v.Id, v.UnitId, [])).ToList();
    }

    /// <summary>
    /// About 60 finished activities over 1–31 March (two a day), each with 1–3 sessions, accepted sign-ups with
    /// check-in and check-out, confirmed hours in the ledger, and the outcome the statistics table reads.
    /// </summary>
    static int AddActivities(AppDbContext db, List<Organization> organizations, Dictionary<Guid, string> unitNames, List<DemoVolunteer> volunteers, Random random)
    {
        var count = 0;
        for (var day = new DateOnly(2019, 3, 1); day <= LastDay; day = day.AddDays(1))
        {
            for (var k = 0; k < 2; k++, count++)
            {
                var kind = Kinds[count % Kinds.Length];
                var host = random.Pick(organizations.ToArray());
                var sessionCount = random.Next(1, 4);
                // Weekly repeats would leave March: later days get following days instead.
                var gap = random.Next(3) == 0 ? 7 : 1;
                // Moved earlier when its last session would fall after 31 March.
                var firstDay = day.AddDays(-Math.Max(0, day.AddDays(gap * (sessionCount - 1)).DayNumber - LastDay.DayNumber));
                var startHour = k == 0 ? 9 : 14;
                var hours = random.Next(2, 5);
                var firstStart = CampaignCalendar.DueAtUtc(firstDay, startHour);
                var activity = new Activity
                {
                    Title = kind.Title, Description = $"{host.Name}开展{kind.Title}志愿服务活动。", HostOrganizationId = host.Id, UnitId = host.UnitId,
                    ServiceLine = kind.Line, ProgrammeTag = "学雷锋志愿服务月", PopulationTypes = kind.Served,
                    OtherPopulation = kind.Served.HasFlag(PopulationTypes.Other) ? "环卫工人及过往市民" : null,
                    Address = unitNames[host.UnitId] + random.Pick(Places),
                    SignUpOpensAtUtc = firstStart.AddDays(-10), SignUpClosesAtUtc = firstStart.AddDays(-1), ResponsiblePerson = random.Pick(Surnames) + "老师",
                    Status = ActivityStatus.Finished, CreatedAtUtc = firstStart.AddDays(-12), PublishedAtUtc = firstStart.AddDays(-10),
                };
                // One in five is co-organised with an organisation of another unit.
                if (count % 5 == 2)
                {
                    activity.CoOrganizers.Add(new ActivityCoOrganizer { OrganizationId = random.Pick(organizations.Where(o => o.UnitId != host.UnitId).ToArray()).Id });
                }
                var attended = 0;
                for (var s = 0; s < sessionCount; s++)
                {
                    var start = firstStart.AddDays(gap * s);
                    var session = new ActivitySession
                    {
                        StartsAtUtc = start, EndsAtUtc = start.AddHours(hours), Capacity = 30, HoursConfirmedAtUtc = start.AddDays(1),
                        CheckInSecret = RandomNumberGenerator.GetBytes(32), // a secret, so never from the seed
                    };
                    activity.Sessions.Add(session);
                    attended += AddAttendance(db, activity, session, volunteers, random);
                }
                db.Activities.Add(activity);
                AddOutcome(db, activity, attended, count, random);
            }
        }
        return count;
    }

    /// <summary>5–25 free volunteers (the host's unit first) sign up, are accepted, check in and out; the ledger credits the time inside the session.</summary>
    static int AddAttendance(AppDbContext db, Activity activity, ActivitySession session, List<DemoVolunteer> volunteers, Random random)
    {
        var free = volunteers.Where(v => !v.Credited.Any(c => c.StartUtc < session.EndsAtUtc.AddMinutes(30) && c.EndUtc > session.StartsAtUtc.AddMinutes(-30)))
            .OrderBy(v => v.UnitId == activity.UnitId ? 0 : 1).ThenBy(_ => random.Next()).Take(random.Next(5, 26)).ToList();
        foreach (var v in free)
        {
            var checkedIn = session.StartsAtUtc.AddMinutes(random.Next(-15, 16));
            var checkedOut = session.EndsAtUtc.AddMinutes(random.Next(-20, 11));
            var credit = ServiceTime.Compute(checkedIn, checkedOut, session.StartsAtUtc, session.EndsAtUtc, v.Credited)!.Value;
            v.Credited.Add((credit.StartUtc, credit.EndUtc));
            var entry = new LedgerEntry
            {
                VolunteerId = v.Id, SessionId = session.Id, ActivityId = activity.Id, OrganizationId = activity.HostOrganizationId, VolunteerUnitId = v.UnitId,
                StartUtc = credit.StartUtc, EndUtc = credit.EndUtc, Minutes = credit.Minutes, Kind = LedgerEntryKind.Confirmed,
                RecordedAtUtc = session.HoursConfirmedAtUtc!.Value, RecordedBy = RecordedBy,
            };
            db.LedgerEntries.Add(entry);
            // Demo volunteers are chosen free of other credits around the session, so the whole window is theirs.
            db.EffectiveCredits.Add(new EffectiveCredit { EntryId = entry.Id, VolunteerId = v.Id, SessionId = session.Id, StartUtc = credit.StartUtc, EndUtc = credit.EndUtc });
            var requested = activity.SignUpOpensAtUtc.AddMinutes(random.Next(60, 8 * 24 * 60));
            db.SignUps.Add(new SignUp
            {
                SessionId = session.Id, VolunteerId = v.Id, Status = SignUpStatus.Accepted, RequestedAtUtc = requested, DecidedAtUtc = requested,
                CheckedInAtUtc = checkedIn, CheckedOutAtUtc = checkedOut, LedgerEntryId = entry.Id,
            });
        }
        session.Accepted = free.Count;
        return free.Count;
    }

    /// <summary>What the organisation records afterwards: people served by type, money and materials, print and web reports, links and reads.</summary>
    static void AddOutcome(AppDbContext db, Activity activity, int attended, int index, Random random)
    {
        var outcome = new ActivityOutcome
        {
            ActivityId = activity.Id, MoneyAndMaterialsYuan = random.Next(3) == 0 ? 0 : random.Next(1, 300) * 10m, PrintReports = random.Next(3),
            WebsiteReports = random.Next(4), NewsText = $"{activity.Title}活动顺利开展，志愿者热情服务，受到群众好评。",
            UpdatedAtUtc = activity.Sessions[^1].EndsAtUtc.AddDays(2),
        };
        foreach (var type in PopulationTypeList.Split(activity.PopulationTypes))
        {
            db.PopulationServed.Add(new PopulationServed { ActivityId = activity.Id, PopulationType = type, PersonTimes = attended * random.Next(2, 8), RecordedAtUtc = outcome.UpdatedAtUtc });
        }
        for (var k = random.Next(3); k > 0; k--)
        {
            db.MediaLinks.Add(new MediaLink { ActivityId = activity.Id, Url = $"https://mp.weixin.qq.com/s/zq-demo-2019-03-{index:D3}-{k}", Reads = random.Next(100, 5_000), RecordedAtUtc = outcome.UpdatedAtUtc });
        }
        db.ActivityOutcomes.Add(outcome);
    }

    /// <summary>
    /// Reports for periods 1–3, so the completeness grid shows every state: period 1 reviewed (approved, one
    /// returned, one late), period 2 under review (a couple late, one missing), period 3 half in. Each frozen
    /// table is what <see cref="ReportCalculator"/> computes from the data above, serialised as a submission
    /// stores it; the times are March 2019's, which is why this does not go through <see cref="ReportUseCases.SubmitAsync"/>
    /// (it stamps the present time, so every report would be late). The report benchmark (bench/) uses it too.
    /// </summary>
    internal static async Task<int> AddReportsAsync(IServiceProvider provider, AppDbContext db, Guid campaignId, Random random, CancellationToken cancellationToken)
    {
        var calculator = provider.GetRequiredService<ReportCalculator>();
        var campaign = (await provider.GetRequiredService<CampaignUseCases>().GetAsync(campaignId, cancellationToken))!;
        var expected = await (from u in db.CampaignUnits.AsNoTracking()
                              join live in db.Units on u.UnitId equals live.Id
                              where u.CampaignId == campaignId
                              orderby u.SortOrder
                              select new { Unit = u, LivePath = live.Path }).ToListAsync(cancellationToken);
        var json = new JsonSerializerOptions(JsonSerializerDefaults.Web); // as ReportUseCases stores frozen tables
        var added = 0;
        foreach (var period in campaign.Periods.Where(p => p.Number <= 3))
        {
            foreach (var (e, i) in expected.Select((e, i) => (e, i)))
            {
                var n = period.Number;
                if (n == 2 && i % 9 == 4 || n == 3 && i % 2 == 1)
                {
                    continue; // not in: the grid shows it overdue
                }
                var late = n == 1 && i == 5 || n == 2 && i % 7 == 3;
                var submitted = late ? period.DueAtUtc.AddHours(34) : period.DueAtUtc.AddHours(-random.Next(2, 40));
                var status = e.Unit.ParentUnitId is null || n == 3 ? ReportStatus.Submitted
                    : n == 1 && i == 2 ? ReportStatus.Returned
                    : n == 1 || i % 4 == 0 ? ReportStatus.Approved
                    : ReportStatus.Submitted;
                var contact = (Name: random.Pick(Surnames) + random.Pick(GivenNames) + random.Pick(GivenNames), Phone: $"0758-22{random.Next(10_000, 100_000)}");
                var table = await calculator.ComputeAsync(new TableScope(campaignId, e.LivePath, period.StartDate, period.EndDate, [n]),
                    e.Unit.Name, campaign.TableTitle, contact.Name, contact.Phone, cancellationToken);
                var reviewed = status is ReportStatus.Submitted ? (DateTime?)null : submitted.AddDays(1);
                db.CampaignReports.Add(new CampaignReport
                {
                    CampaignId = campaignId, UnitId = e.Unit.UnitId, PeriodNumber = n, Status = status,
                    FirstSubmittedAtUtc = submitted, SubmittedAtUtc = submitted, FrozenTable = JsonSerializer.Serialize(table, json), FrozenAtUtc = submitted,
                    ComputationVersion = ReportCalculator.ComputationVersion, ContactName = contact.Name, ContactPhone = contact.Phone,
                    ReviewComment = status == ReportStatus.Returned ? "媒体宣传情况未附网页或微信链接，请补充后重新提交。" : null,
                    ReviewedAtUtc = reviewed, ReviewedBy = reviewed is null ? null : RecordedBy, UpdatedAtUtc = reviewed ?? submitted, Version = reviewed is null ? 1 : 2,
                });
                added++;
            }
        }
        return added;
    }

    static T Pick<T>(this Random random, T[] items) => items[random.Next(items.Length)];
}
