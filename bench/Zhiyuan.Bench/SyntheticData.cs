using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Zhiyuan.Web.Activities;
using Zhiyuan.Web.Data;
using Zhiyuan.Web.Infrastructure;
using Zhiyuan.Web.Units;
using Zhiyuan.Web.Volunteers;

/// <summary>
/// A deterministic synthetic city (or province) for benchmarks and manual testing: volunteers,
/// organisations, memberships, 2019's activities with sessions, sign-ups, attendance, outcomes and
/// the hour ledger, all derived from one seed.
/// </summary>
/// <remarks>
/// Everything is drawn from <see cref="Random"/> instances seeded from the seed, ids included
/// (version-7 GUIDs whose random bits come from the same generator), so two runs with the same seed
/// and scale store the same rows. The exceptions are the units (seeded by the platform's own
/// <see cref="ZhaoqingUnits"/>, ids of its own; everything refers to them by code) and what the
/// platform encrypts or hashes with the database's own random keys (ID and mobile ciphertexts and
/// hashes): the numbers themselves are the same.
/// Volunteers go in through the platform's own import code (<see cref="VolunteerUseCases.NewVolunteer"/>,
/// the number counter and <c>VolunteerImport.InsertAsync</c>); the rest with binary COPY on PostgreSQL or
/// prepared inserts on SQLite. Sign-ups and ledger entries are streamed, never held in memory.
/// </remarks>
static class SyntheticData
{
    public sealed record Options(string ConnectionString, string ScaleName, double Factor, int Seed, bool Recreate);

    public sealed record Counts(int Volunteers, int Organizations, int Activities, int LedgerEntries)
    {
        public static Counts For(double factor) => new(
            Math.Max(100, (int)Math.Round(200_000 * factor)),
            Math.Max(5, (int)Math.Round(2_000 * factor)),
            Math.Max(20, (int)Math.Round(20_000 * factor)),
            Math.Max(200, (int)Math.Round(2_000_000 * factor)));
    }

    public const string Usage = """
        generate "<PostgreSQL connection string | Data Source=/path/file.db>" [--scale small|city|province] [--volunteers N] [--seed N] [--recreate]
          city (default): 200,000 volunteers, 2,000 organisations, 20,000 activities, 2,000,000 ledger entries
          province: 10 times city; small: 2,000 volunteers (a hundredth); --volunteers N scales everything to N volunteers
          --recreate drops the database first; without it the database must hold no volunteers yet
        """;

    public static Options Parse(string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith("--"))
        {
            throw new ArgumentException(Usage);
        }
        var scale = "city";
        var factor = 1.0;
        var seed = 2019;
        var recreate = false;
        for (var i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--scale":
                    scale = args[++i];
                    factor = scale switch
                    {
                        "small" => 0.01,
                        "city" => 1,
                        "province" => 10,
                        _ => throw new ArgumentException($"Unknown scale {scale}.\n{Usage}"),
                    };
                    break;
                case "--volunteers":
                    var volunteers = int.Parse(args[++i]);
                    factor = volunteers / 200_000.0;
                    scale = $"{volunteers:N0} volunteers";
                    break;
                case "--seed":
                    seed = int.Parse(args[++i]);
                    break;
                case "--recreate":
                    recreate = true;
                    break;
                default:
                    throw new ArgumentException($"Unknown option {args[i]}.\n{Usage}");
            }
        }
        return new Options(args[0], scale, factor, seed, recreate);
    }

    public static async Task<Summary> RunAsync(Options options)
    {
        var counts = Counts.For(options.Factor);
        var sqlite = BenchHost.IsSqlite(options.ConnectionString);
        Console.WriteLine($"Generating {options.ScaleName} (seed {options.Seed}) into {(sqlite ? "SQLite" : "PostgreSQL")}: " +
                          $"{counts.Volunteers:N0} volunteers, {counts.Organizations:N0} organisations, {counts.Activities:N0} activities, {counts.LedgerEntries:N0} ledger entries");
        var total = Stopwatch.StartNew();
        if (options.Recreate)
        {
            await BenchHost.DropAsync(options.ConnectionString);
        }
        await using (var db = BenchHost.Open(options.ConnectionString))
        {
            await db.Database.MigrateAsync();
            await ZhaoqingUnits.SeedAsync(db);
            var existing = await db.Volunteers.CountAsync();
            if (existing > 0)
            {
                throw new InvalidOperationException($"The database already holds {existing:N0} volunteers; pass --recreate to drop it first.");
            }
        }
        BenchHost.PointAtWebProject();
        await using var host = new BenchHost(options.ConnectionString);
        var generator = new Generator(options, counts, host.Services);
        await generator.RunAsync();
        var seconds = total.Elapsed.TotalSeconds;
        Console.WriteLine($"Generated in {seconds:F1} s (whole command, migrations and host start included); " +
                          $"peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1024 / 1024} MB");
        await generator.ReportAsync();
        return new Summary(counts, seconds);
    }

    public sealed record Summary(Counts Counts, double Seconds);

    static readonly DateTime Epoch = new(2010, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>Times are kept as whole seconds since 2010-01-01 UTC while planning: 4 bytes each.</summary>
    static DateTime At(int seconds) => Epoch.AddSeconds(seconds);

    static int Seconds(DateTime utc) => (int)((utc - Epoch).Ticks / TimeSpan.TicksPerSecond);

    /// <summary>A China-time date and minute of the day, as seconds since the epoch (UTC).</summary>
    static int ChinaSeconds(DateOnly date, int minuteOfDay) =>
        Seconds(date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc).AddMinutes(minuteOfDay) - ChinaTime.Offset);

    static DateOnly ChinaDate(int seconds) => DateOnly.FromDateTime(At(seconds) + ChinaTime.Offset);

    /// <summary>Each part of the data has its own generator, so changing one part leaves the others as they were.</summary>
    static Random Stream(int seed, int part) => new(unchecked(seed * 1_000_003 + part * 7_919));

    /// <summary>A version-7 GUID for the given time with its random bits from <paramref name="random"/>: ordered like the app's, and reproducible.</summary>
    static Guid Guid7(Random random, DateTime at)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        var ms = (long)(at - DateTime.UnixEpoch).TotalMilliseconds;
        for (var i = 0; i < 6; i++)
        {
            bytes[i] = (byte)(ms >> (8 * (5 - i)));
        }
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x70);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }

    static T Pick<T>(Random random, T[] items) => items[random.Next(items.Length)];

    /// <summary>Index into cumulative weights.</summary>
    static int Weighted(Random random, double[] cumulative)
    {
        var x = random.NextDouble() * cumulative[^1];
        var i = Array.BinarySearch(cumulative, x);
        return Math.Min(i < 0 ? ~i : i + 1, cumulative.Length - 1);
    }

    static double[] Cumulative(IEnumerable<double> weights)
    {
        var sum = 0.0;
        return weights.Select(w => sum += w).ToArray();
    }

    static void Shuffle<T>(Random random, T[] items)
    {
        for (var i = items.Length - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    static double Normal(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    // ---- reference data -------------------------------------------------------------------------

    /// <summary>Relative numbers of volunteers (and organisations) per seeded unit: the populous districts first.</summary>
    static readonly Dictionary<string, double> UnitWeights = new()
    {
        ["441200"] = 2, ["441202"] = 22, ["441203"] = 7, ["441204"] = 13, ["441223"] = 7, ["441224"] = 10, ["441225"] = 5,
        ["441226"] = 5, ["441284"] = 11, ["ZQXQ"] = 3, ["ZQGXQ"] = 4, ["ZQU"] = 5, ["GDIT"] = 4, ["ZQMC"] = 2, ["ZQBTC"] = 3,
        ["SZTW"] = 3, ["HY-WMB"] = 1, ["HY-MZJ"] = 1, ["HY-SGW"] = 1,
    };

    /// <summary>Where each unit's activities happen (latitude, longitude), roughly.</summary>
    static readonly Dictionary<string, (double Lat, double Lon)> UnitCentres = new()
    {
        ["441202"] = (23.05, 112.47), ["441203"] = (23.16, 112.57), ["441204"] = (23.03, 112.45), ["441223"] = (23.63, 112.44),
        ["441224"] = (23.91, 112.18), ["441225"] = (23.43, 111.51), ["441226"] = (23.14, 111.78), ["441284"] = (23.33, 112.73),
        ["ZQXQ"] = (23.20, 112.65), ["ZQGXQ"] = (23.29, 112.80), ["ZQU"] = (23.07, 112.49), ["GDIT"] = (23.03, 112.43),
        ["ZQMC"] = (23.06, 112.52), ["ZQBTC"] = (23.10, 112.53),
    };

    /// <summary>Resident-ID region codes of people from elsewhere (students, migrants).</summary>
    static readonly string[] OtherRegions = ["440103", "440106", "440304", "440604", "440605", "441302", "445102", "440802", "441502", "440402", "360102", "430102", "450102", "510104", "420102"];

    static readonly string[] Surnames =
    [
        "陈", "陈", "陈", "陈", "陈", "李", "李", "李", "黄", "黄", "黄", "张", "张", "梁", "梁", "梁", "林", "林", "刘", "刘", "何", "何",
        "罗", "吴", "冯", "叶", "谭", "邓", "苏", "麦", "钟", "莫", "杨", "周", "郑", "谢", "蔡", "潘", "欧阳", "司徒", "区", "伍", "卢", "彭", "关",
    ];

    static readonly string[] FemaleGiven = ["丽", "婷", "敏", "静", "燕", "芳", "慧", "颖", "欣", "怡", "雅", "琳", "佩", "嘉", "淑", "晓", "雪", "梦", "诗", "美", "玉", "秀", "倩", "思"];

    static readonly string[] MaleGiven = ["伟", "杰", "明", "强", "俊", "浩", "志", "文", "华", "建", "国", "锋", "斌", "健", "冠", "嘉", "子", "家", "永", "达", "荣", "耀", "宇", "晨"];

    static readonly string[] Skills = ["急救", "摄影", "英语", "驾驶", "心理咨询", "法律", "书法", "手语", "电脑维修", "厨艺", "粤剧", "舞蹈", "护理", "绘画", "视频剪辑"];

    static readonly string[] MobilePrefixes = ["130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156", "157", "158", "159", "166", "176", "177", "180", "181", "182", "183", "185", "186", "187", "188", "189", "198", "199"];

    static readonly string[] OrganizationThemes =
    [
        "青年", "巾帼", "红十字", "义工联", "文明交通", "环保", "助老", "关爱留守儿童", "阳光助残", "应急救援", "蓝天救援", "社区", "党员先锋",
        "法律服务", "医疗卫生", "文化艺术", "书香阅读", "河小青", "心理援助", "消防", "禁毒宣传", "垃圾分类", "邻里互助", "爱心妈妈", "大学生",
        "退役军人", "企业", "银龄", "体育健身", "摄影", "科普", "非遗传承", "金融知识", "平安", "助学", "关爱外来工子女",
    ];

    static readonly Dictionary<ServiceLines, string[]> Titles = new()
    {
        [ServiceLines.CivilisedCity] = ["文明交通劝导", "创文宣传进社区", "背街小巷清洁", "文明餐桌宣传", "公共场所秩序维护", "共享单车整理"],
        [ServiceLines.PovertyRelief] = ["消费扶贫集市", "山区学校助学", "困难家庭探访", "爱心物资募捐", "结对帮扶走访"],
        [ServiceLines.Ecology] = ["西江河岸清洁", "星湖湿地护鸟", "垃圾分类宣传", "植树护绿", "鼎湖山步道净山", "河小青巡河"],
        [ServiceLines.CivilisationPractice] = ["新时代文明实践站讲堂", "学雷锋便民服务", "理论宣讲进村", "家风家训宣讲", "非遗文化进校园"],
        [ServiceLines.SocialGovernance] = ["社区平安巡逻", "防诈骗宣传", "义诊送健康", "防溺水安全宣传", "应急救护培训", "关爱空巢老人"],
        [ServiceLines.VolunteerCulture] = ["志愿服务展示宣传", "志愿者风采摄影展", "志愿服务故事分享会", "学雷锋志愿服务月启动仪式", "志愿者表彰活动保障"],
    };

    static readonly string[] Programmes = ["朝阳行动", "金晖助老", "河小青", "邻里守望", "青春自护", "七彩假期"];

    static readonly string[] Streets = ["天宁北路", "端州一路", "星湖大道", "建设三路", "信安五路", "江滨西路", "宋城路", "康乐中路", "城东路", "人民南路", "府前大道", "沿江路", "迎宾大道", "新区大道"];

    static readonly string[] Places = ["社区服务中心", "文化广场", "公园", "小学", "新时代文明实践站", "文化站", "图书馆", "敬老院", "卫生院", "村委会"];

    // Months of 2019; March, the "Learn from Lei Feng" campaign month, has about three times the usual share.
    static readonly double[] MonthWeights = [6, 5, 19, 8, 8, 7, 8, 7, 8, 8, 8, 8];

    // ---- the generator --------------------------------------------------------------------------

    struct SessionPlan
    {
        public Guid Id;
        public int Activity;
        public int Start;
        public int End;
        public int Capacity;
        public double Raw;
        public int Attended;
        public int NoShow;
        public int Waitlisted;
        public int Cancelled;
        public int Rejected;
        public int ConfirmedAt; // 0: not yet confirmed
        public bool Correct;
        public readonly int Accepted => Attended + NoShow;
        public readonly int SignUps => Attended + NoShow + Waitlisted + Cancelled + Rejected;
    }

    sealed class ActivityPlan
    {
        public Guid Id;
        public int Host;
        public int[] CoOrganizers = [];
        public int Unit;
        public ServiceLines Line;
        public PopulationTypes Population;
        public int Opens;
        public int Closes;
        public int? MinAge;
        public int? MaxAge;
        public bool MembersOnly;
        public bool Review;
        public bool Training;
        public int FirstSession;
        public int SessionCount;
    }

    struct MembershipPlan
    {
        public Guid Id;
        public int Organization;
        public int Volunteer;
        public int Applied;
        public int Decided;
    }

    sealed record UnitRow(Guid Id, string Code, string Name, UnitType Type);

    sealed class Generator(Options options, Counts counts, IServiceProvider services)
    {
        readonly int seed = options.Seed;
        readonly bool sqlite = BenchHost.IsSqlite(options.ConnectionString);
        readonly Dictionary<string, Stopwatch> phases = [];

        UnitRow[] units = [];
        double[] unitCumulative = [];

        // Per volunteer, what the sign-ups need: the rest went to the database.
        Guid[] volunteerIds = [];
        byte[] volunteerUnit = [];
        int[] volunteerRegistered = [];
        int[] volunteerBirthDay = [];
        int[] busyUntil = [];
        int[][] volunteersByUnit = [];
        int[] everyone = [];

        Guid[] organizationIds = [];
        byte[] organizationUnit = [];
        double[] organizationCumulative = [];
        int[][] organizationsByUnit = [];
        int[] organizationReviewed = [];

        /// <summary>Per organisation, its memberships (indexes into <see cref="memberships"/>).</summary>
        List<int>[] members = [];
        readonly List<MembershipPlan> memberships = [];

        ActivityPlan[] activities = [];
        SessionPlan[] sessions = [];

        SqliteConnection? sqliteConnection;
        SqliteTransaction? sqliteTransaction;

        long signUpRows;
        long ledgerRows;
        long ledgerMinutes;
        long membershipRows;

        public async Task RunAsync()
        {
            await using (var db = BenchHost.Open(options.ConnectionString))
            {
                units = (await db.Units.AsNoTracking().OrderBy(u => u.Depth).ThenBy(u => u.SortOrder).ToListAsync())
                    .Select(u => new UnitRow(u.Id, u.Code, u.Name, u.Type)).ToArray();
            }
            if (units.Length > 255)
            {
                throw new InvalidOperationException("The generator expects the Zhaoqing seed tree (under 256 units).");
            }
            unitCumulative = Cumulative(units.Select(u => UnitWeights.GetValueOrDefault(u.Code, 1)));

            await Phase("volunteers", WriteVolunteersAsync);
            if (sqlite)
            {
                sqliteConnection = new SqliteConnection(options.ConnectionString);
                await sqliteConnection.OpenAsync();
                sqliteTransaction = sqliteConnection.BeginTransaction();
            }
            await Phase("organisations", WriteOrganizationsAsync);
            await Phase("activities and sessions (plan and write)", WriteActivitiesAsync);
            var restoreSignUps = await DeferIndexesAsync("SignUps");
            var restoreLedger = await DeferIndexesAsync("LedgerEntries");
            var fillTotals = await DeferTotalsAsync();
            await Phase("sign-ups, attendance and ledger", WriteSignUpsAndLedgerAsync);
            await Phase("sign-up and ledger indexes, foreign keys", () => Task.WhenAll(Task.Run(restoreSignUps), Task.Run(restoreLedger)));
            await Phase("confirmed totals", fillTotals);
            // Last, because a members-only session that finds no free member enrols one.
            await Phase("memberships", WriteMembershipsAsync);
            if (sqliteTransaction is not null)
            {
                await sqliteTransaction.CommitAsync();
                await sqliteConnection!.DisposeAsync();
                SqliteConnection.ClearAllPools();
            }
            // Fresh statistics, or the first queries plan as if the tables were empty (after the commit: on SQLite it needs the write lock).
            await Phase("ANALYZE", async () =>
            {
                await using var db = BenchHost.Open(options.ConnectionString);
                db.Database.SetCommandTimeout(TimeSpan.FromHours(1));
                await db.Database.ExecuteSqlRawAsync("ANALYZE");
            });
        }

        async Task Phase(string name, Func<Task> work)
        {
            var watch = Stopwatch.StartNew();
            await work();
            phases[name] = watch;
            watch.Stop();
            Console.WriteLine($"  {name,-42} {watch.Elapsed.TotalSeconds,7:F1} s   working set {Environment.WorkingSet / 1024 / 1024,5} MB");
        }

        Task<BulkTable> OpenTable(string table, params string[] columns) => sqlite
            ? Task.FromResult(InsertTable.Open(sqliteConnection!, sqliteTransaction!, table, columns))
            : CopyTable.OpenAsync(Unlimited, table, columns);

        /// <summary>Loading and re-indexing millions of rows takes longer than the default 30-second command timeout.</summary>
        string Unlimited => new NpgsqlConnectionStringBuilder(options.ConnectionString) { CommandTimeout = 0 }.ToString();

        /// <summary>
        /// On PostgreSQL, drops the table's foreign keys and secondary indexes (as pg_restore loads a
        /// table) and returns what puts them back exactly as they were: one pass per index and one
        /// validating join per foreign key instead of millions of row-by-row checks and locks. If the
        /// command dies in between, the table stays without them: run it again with --recreate.
        /// </summary>
        async Task<Func<Task>> DeferIndexesAsync(string table)
        {
            if (sqlite)
            {
                return () => Task.CompletedTask;
            }
            var restore = new List<string>();
            await using (var connection = new NpgsqlConnection(Unlimited))
            {
                await connection.OpenAsync();
                var drop = new List<string>();
                await using (var command = new NpgsqlCommand("""
                    SELECT format('ALTER TABLE %I DROP CONSTRAINT %I', @table, conname), format('ALTER TABLE %I ADD CONSTRAINT %I %s', @table, conname, pg_get_constraintdef(oid))
                    FROM pg_constraint WHERE conrelid = format('%I', @table)::regclass AND contype = 'f'
                    UNION ALL
                    SELECT format('DROP INDEX %I', i.relname), pg_get_indexdef(i.oid)
                    FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                    WHERE x.indrelid = format('%I', @table)::regclass AND NOT x.indisprimary
                    """, connection))
                {
                    command.Parameters.AddWithValue("table", table);
                    await using var reader = await command.ExecuteReaderAsync();
                    while (await reader.ReadAsync())
                    {
                        drop.Add(reader.GetString(0));
                        restore.Add(reader.GetString(1));
                    }
                }
                foreach (var sql in drop)
                {
                    await new NpgsqlCommand(sql, connection).ExecuteNonQueryAsync();
                }
            }
            // Indexes first (the unique ones check the data), then the foreign keys.
            restore = restore.Where(r => !r.StartsWith("ALTER")).Concat(restore.Where(r => r.StartsWith("ALTER"))).ToList();
            return async () =>
            {
                await using var connection = new NpgsqlConnection(Unlimited);
                await connection.OpenAsync();
                await new NpgsqlCommand("SET maintenance_work_mem = '256MB'", connection).ExecuteNonQueryAsync();
                foreach (var sql in restore)
                {
                    await new NpgsqlCommand(sql, connection).ExecuteNonQueryAsync();
                }
            };
        }

        /// <summary>
        /// On PostgreSQL, switches off the ledger's totals trigger for the COPY (an upsert per row would
        /// multiply the time of the largest table) and returns what fills the totals from the written
        /// ledger in one aggregate and switches the trigger back on — the migration's own fill. On SQLite
        /// the rows go in one by one and the triggers keep the totals as they go.
        /// </summary>
        async Task<Func<Task>> DeferTotalsAsync()
        {
            if (sqlite)
            {
                return () => Task.CompletedTask;
            }
            await using (var connection = new NpgsqlConnection(Unlimited))
            {
                await connection.OpenAsync();
                await new NpgsqlCommand($"""ALTER TABLE "LedgerEntries" DISABLE TRIGGER "{Zhiyuan.Web.Hours.ConfirmedTotalsSql.PostgresTrigger}" """, connection).ExecuteNonQueryAsync();
                await new NpgsqlCommand($"""ALTER TABLE "LedgerEntries" DISABLE TRIGGER "{Zhiyuan.Web.Hours.SessionTotalsSql.PostgresTrigger}" """, connection).ExecuteNonQueryAsync();
            }
            return async () =>
            {
                await using var connection = new NpgsqlConnection(Unlimited);
                await connection.OpenAsync();
                await using var transaction = await connection.BeginTransactionAsync();
                await new NpgsqlCommand("""DELETE FROM "ConfirmedYearTotals"; DELETE FROM "ConfirmedTotals";""", connection, transaction).ExecuteNonQueryAsync();
                await new NpgsqlCommand(Zhiyuan.Web.Hours.ConfirmedTotalsSql.Fill(postgres: true), connection, transaction).ExecuteNonQueryAsync();
                await new NpgsqlCommand($"""ALTER TABLE "LedgerEntries" ENABLE TRIGGER "{Zhiyuan.Web.Hours.ConfirmedTotalsSql.PostgresTrigger}" """, connection, transaction).ExecuteNonQueryAsync();
                await new NpgsqlCommand("""DELETE FROM "SessionTotals";""", connection, transaction).ExecuteNonQueryAsync();
                await new NpgsqlCommand(Zhiyuan.Web.Hours.SessionTotalsSql.Fill, connection, transaction).ExecuteNonQueryAsync();
                await new NpgsqlCommand($"""ALTER TABLE "LedgerEntries" ENABLE TRIGGER "{Zhiyuan.Web.Hours.SessionTotalsSql.PostgresTrigger}" """, connection, transaction).ExecuteNonQueryAsync();
                await transaction.CommitAsync();
            };
        }

        // ---- volunteers ---------------------------------------------------------------------------

        /// <summary>What is drawn for one volunteer before the platform encrypts and hashes it.</summary>
        sealed record PlainVolunteer(CheckedVolunteer Valid, Guid UnitId, DateTime RegisteredAtUtc, Guid Id, string CertificateCode);

        async Task WriteVolunteersAsync()
        {
            var n = counts.Volunteers;
            volunteerIds = new Guid[n];
            volunteerUnit = new byte[n];
            volunteerRegistered = new int[n];
            volunteerBirthDay = new int[n];
            busyUntil = new int[n];

            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var personalData = scope.ServiceProvider.GetRequiredService<PersonalData>();
            var useCases = scope.ServiceProvider.GetRequiredService<VolunteerUseCases>();
            var import = scope.ServiceProvider.GetRequiredService<VolunteerImport>();

            await using var transaction = await db.Database.BeginTransactionAsync();
            var first = await VolunteerUseCases.ReserveNumbersAsync(db, n);
            var ids = await import.InsertAsync(Build(first), CancellationToken.None);
            await transaction.CommitAsync();
            if (ids.Count != n)
            {
                throw new InvalidOperationException($"Inserted {ids.Count} volunteers instead of {n}.");
            }

            var random = Stream(seed, 2);
            volunteersByUnit = Enumerable.Range(0, units.Length).Select(u => Enumerable.Range(0, n).Where(v => volunteerUnit[v] == u).ToArray()).ToArray();
            foreach (var list in volunteersByUnit)
            {
                Shuffle(random, list);
            }
            everyone = Enumerable.Range(0, n).ToArray();
            Shuffle(random, everyone);

            // Built 2,000 at a time: drawn in order from the seed, then encrypted and hashed on every core as the import does.
            IEnumerable<Volunteer> Build(long firstNumber)
            {
                var random = Stream(seed, 1);
                var today = new DateOnly(2020, 1, 1);
                var usedSerials = new Dictionary<long, int>();
                var phoneOffset = random.Next(100_000_000);
                const int chunk = 2_000;
                for (var start = 0; start < n; start += chunk)
                {
                    var plain = new PlainVolunteer[Math.Min(chunk, n - start)];
                    for (var i = 0; i < plain.Length; i++)
                    {
                        plain[i] = Draw(random, start + i, today, usedSerials, phoneOffset);
                    }
                    var built = new Volunteer[plain.Length];
                    var offset = start;
                    Parallel.For(0, built.Length, i =>
                    {
                        var p = plain[i];
                        var documentHash = personalData.Hash(VolunteerUseCases.DocumentHashKind, p.Valid.Document.Type + ":" + p.Valid.Document.Number);
                        var phoneHash = personalData.Hash(VolunteerUseCases.PhoneHashKind, p.Valid.Mobile);
                        var volunteer = useCases.NewVolunteer(p.Valid, documentHash, phoneHash, p.UnitId, firstNumber + offset + i);
                        // What NewVolunteer takes from the clock and the system's random numbers, from the seed instead.
                        volunteer.Id = p.Id;
                        volunteer.RegisteredAtUtc = p.RegisteredAtUtc;
                        volunteer.GuardianConsentAtUtc = p.Valid.GuardianName is null ? null : p.RegisteredAtUtc;
                        volunteer.CertificateCode = p.CertificateCode;
                        built[i] = volunteer;
                    });
                    foreach (var volunteer in built)
                    {
                        yield return volunteer;
                    }
                }
            }
        }

        PlainVolunteer Draw(Random random, int index, DateOnly today, Dictionary<long, int> usedSerials, int phoneOffset)
        {
            var unit = Weighted(random, unitCumulative);
            var type = units[unit].Type;
            // Age on 2019-01-01: students at the colleges, everyone else mostly 18–45.
            var r = random.NextDouble();
            var age = type == UnitType.College
                ? (r < 0.9 ? random.Next(17, 24) : random.Next(25, 56))
                : r < 0.09 ? random.Next(14, 18) : r < 0.72 ? random.Next(18, 46) : r < 0.90 ? random.Next(46, 61) : random.Next(61, 76);
            var birth = new DateOnly(2018 - age, 1, 2).AddDays(random.Next(365));
            var gender = random.NextDouble() < 0.56 ? Gender.Female : Gender.Male;

            var surname = Pick(random, Surnames);
            var given = gender == Gender.Female ? FemaleGiven : MaleGiven;
            var name = surname + Pick(random, given) + (random.NextDouble() < 0.75 ? Pick(random, given) : "");

            CheckedDocument document;
            var d = random.NextDouble();
            if (d < 0.985)
            {
                var code = units[unit].Code;
                var region = code.StartsWith("4412") && code != ZhaoqingUnits.CityCode && random.NextDouble() < 0.85 ? code
                    : random.NextDouble() < 0.5 ? Pick(random, ["441202", "441203", "441204", "441223", "441224", "441225", "441226", "441284"])
                    : Pick(random, OtherRegions);
                // The sequence code's last digit is odd for men: 500 people per region, birthday and gender.
                string number;
                while (true)
                {
                    var key = long.Parse(region) * 100_000_000 + birth.DayNumber * 2L + (gender == Gender.Male ? 1 : 0);
                    var serial = usedSerials.GetValueOrDefault(key);
                    if (serial < 500)
                    {
                        usedSerials[key] = serial + 1;
                        var first17 = region + birth.ToString("yyyyMMdd") + (serial * 2 + (gender == Gender.Male ? 1 : 0)).ToString("D3");
                        number = first17 + IdentityDocument.CheckCharacterOf(first17);
                        break;
                    }
                    region = Pick(random, OtherRegions);
                }
                var (checkedDocument, problem) = IdentityDocument.Check(DocumentType.ResidentId, number, today);
                if (problem != DocumentProblem.None)
                {
                    throw new InvalidOperationException($"Generated an invalid resident ID {number}: {problem}.");
                }
                document = checkedDocument;
            }
            else
            {
                // Few people hold other documents; their numbers come from the volunteer's position, so they never repeat.
                var serial = (index * 7_919L % 100_000_000).ToString("D8");
                document = d < 0.995 ? new CheckedDocument(DocumentType.HongKongMacauPermit, (random.NextDouble() < 0.7 ? "H" : "M") + serial, null, null)
                    : d < 0.998 ? new CheckedDocument(DocumentType.TaiwanPermit, serial, null, null)
                    : new CheckedDocument(DocumentType.Passport, "E" + serial, null, null);
            }

            // A bijection of the position onto eight digits: no two volunteers share a mobile number.
            var mobile = Pick(random, MobilePrefixes) + ((index * 48_271L + phoneOffset) % 100_000_000).ToString("D8");

            var skills = random.NextDouble() < 0.4
                ? string.Join("、", Enumerable.Range(0, random.Next(1, 4)).Select(_ => Pick(random, Skills)).Distinct())
                : "";
            var lines = ServiceLines.None;
            if (random.NextDouble() < 0.8)
            {
                for (var k = random.Next(1, 4); k > 0; k--)
                {
                    lines |= Pick(random, ServiceLineList.All);
                }
            }

            // Most registered before 2019; a fifth during 2019, many of them in the campaign month.
            var registeredDay = random.NextDouble() < 0.78
                ? new DateOnly(2014, 3, 1).AddDays(random.Next(new DateOnly(2018, 12, 31).DayNumber - new DateOnly(2014, 3, 1).DayNumber))
                : RandomDayOf2019(random);
            var fourteenth = birth.AddYears(14);
            if (registeredDay < fourteenth)
            {
                registeredDay = fourteenth.AddDays(random.Next(120));
            }
            var registered = ChinaSeconds(registeredDay, random.Next(8 * 60, 23 * 60));
            var guardian = IdentityDocument.AgeOn(birth, registeredDay) < VolunteerRules.AdultAge
                ? Pick(random, Surnames) + Pick(random, random.NextDouble() < 0.5 ? FemaleGiven : MaleGiven) + Pick(random, FemaleGiven)
                : null;

            Span<byte> certificate = stackalloc byte[16];
            random.NextBytes(certificate);
            var id = Guid7(random, At(registered));

            volunteerIds[index] = id;
            volunteerUnit[index] = (byte)unit;
            volunteerRegistered[index] = registered;
            volunteerBirthDay[index] = birth.DayNumber;

            var valid = new CheckedVolunteer(name, document, gender, birth, mobile, skills, lines, guardian);
            return new PlainVolunteer(valid, units[unit].Id, At(registered), id,
                Convert.ToBase64String(certificate).TrimEnd('=').Replace('+', '-').Replace('/', '_'));
        }

        static DateOnly RandomDayOf2019(Random random)
        {
            var month = Weighted(random, Cumulative(MonthWeights)) + 1;
            return new DateOnly(2019, month, random.Next(1, DateTime.DaysInMonth(2019, month) + 1));
        }

        // ---- organisations and memberships -----------------------------------------------------------

        async Task WriteOrganizationsAsync()
        {
            var random = Stream(seed, 3);
            var n = counts.Organizations;
            organizationIds = new Guid[n];
            organizationUnit = new byte[n];
            var reviewed = organizationReviewed = new int[n];
            var usedNames = new Dictionary<string, int>();
            await using (var table = await OpenTable("Organizations",
                "Id", "Name", "Description", "UnitId", "Status", "RegisteredAtUtc", "RegisteredByUserId", "ReviewedAtUtc", "ReviewReason"))
            {
                for (var i = 0; i < n; i++)
                {
                    var unit = Weighted(random, unitCumulative);
                    var u = units[unit];
                    var prefix = u.Type switch
                    {
                        UnitType.CityFederation => "肇庆市",
                        UnitType.CityOrgansLeague => "市直机关",
                        UnitType.MemberUnit => u.Name.Replace("志愿服务队", "").Replace("少先队肇庆市工作委员会", "少工委"),
                        _ => u.Name,
                    };
                    var baseName = prefix + Pick(random, OrganizationThemes) + "志愿服务队";
                    var taken = usedNames.GetValueOrDefault(baseName);
                    usedNames[baseName] = taken + 1;
                    var name = taken == 0 ? baseName : $"{baseName}第{taken + 1}分队";
                    var registeredDay = new DateOnly(2012, 1, 1).AddDays(random.Next(new DateOnly(2018, 10, 31).DayNumber - new DateOnly(2012, 1, 1).DayNumber));
                    var registered = ChinaSeconds(registeredDay, random.Next(9 * 60, 18 * 60));
                    reviewed[i] = registered + random.Next(1, 10) * 86_400 + random.Next(3_600, 20_000);
                    organizationIds[i] = Guid7(random, At(registered));
                    organizationUnit[i] = (byte)unit;

                    table.StartRow();
                    table.Uuid(organizationIds[i]);
                    table.Text(name);
                    table.Text($"{name}成立于{registeredDay.Year}年，组织志愿者开展{Titles[Pick(random, ServiceLineList.All)][0]}等志愿服务。");
                    table.Uuid(u.Id);
                    table.Text(nameof(Zhiyuan.Web.Organizations.OrganizationStatus.Approved));
                    table.Time(At(registered));
                    table.Text(null);
                    table.Time(At(reviewed[i]));
                    table.Text(null);
                    table.EndRow();
                }
                await table.CompleteAsync();
            }
            // A few organisations run most activities.
            organizationCumulative = Cumulative(Enumerable.Range(0, n).Select(_ => Math.Exp(Normal(random))));
            organizationsByUnit = Enumerable.Range(0, units.Length).Select(u => Enumerable.Range(0, n).Where(o => organizationUnit[o] == u).ToArray()).ToArray();

            // About a third of the volunteers belong to an organisation, mostly one of their own unit; some to two.
            members = Enumerable.Range(0, n).Select(_ => new List<int>()).ToArray();
            var endOf2019 = ChinaSeconds(new DateOnly(2019, 12, 31), 12 * 60);
            for (var v = 0; v < volunteerIds.Length; v++)
            {
                if (random.NextDouble() >= 0.35)
                {
                    continue;
                }
                var joins = random.NextDouble() < 0.2 ? 2 : 1;
                var first = -1;
                for (var k = 0; k < joins; k++)
                {
                    var local = organizationsByUnit[volunteerUnit[v]];
                    var organization = local.Length > 0 && random.NextDouble() < 0.75 ? Pick(random, local) : Weighted(random, organizationCumulative);
                    if (organization == first)
                    {
                        continue;
                    }
                    first = organization;
                    var applied = Math.Min(Math.Max(volunteerRegistered[v], reviewed[organization]) + random.Next(86_400, 60 * 86_400), endOf2019);
                    AddMembership(random, organization, v, applied, applied + random.Next(3_600, 5 * 86_400));
                }
            }
        }

        void AddMembership(Random random, int organization, int volunteer, int applied, int decided)
        {
            members[organization].Add(memberships.Count);
            memberships.Add(new MembershipPlan { Id = Guid7(random, At(applied)), Organization = organization, Volunteer = volunteer, Applied = applied, Decided = decided });
        }

        async Task WriteMembershipsAsync()
        {
            await using var table = await OpenTable("Memberships",
                "Id", "OrganizationId", "VolunteerId", "Status", "AppliedAtUtc", "DecidedAtUtc", "DecidedBy", "Reason");
            foreach (var m in memberships)
            {
                table.StartRow();
                table.Uuid(m.Id);
                table.Uuid(organizationIds[m.Organization]);
                table.Uuid(volunteerIds[m.Volunteer]);
                table.Text(nameof(Zhiyuan.Web.Organizations.MembershipStatus.Approved));
                table.Time(At(m.Applied));
                table.TimeOrNull(At(m.Decided));
                table.Text("generator");
                table.Text(null);
                table.EndRow();
            }
            await table.CompleteAsync();
            membershipRows = table.Rows;
        }

        // ---- activities and sessions ---------------------------------------------------------------

        async Task WriteActivitiesAsync()
        {
            PlanActivities();
            PlanAttendance();
            var random = Stream(seed, 6);
            await using (var table = await OpenTable("Activities",
                "Id", "Title", "Description", "HostOrganizationId", "UnitId", "ServiceLine", "ProgrammeTag", "PopulationTypes", "OtherPopulation",
                "Address", "Latitude", "Longitude", "GeofenceMeters", "SignUpOpensAtUtc", "SignUpClosesAtUtc", "CancelHoursBefore", "MinAge", "MaxAge",
                "RequiredSkills", "MembersOnly", "ReviewSignUps", "RiskNotice", "Insured", "ResponsiblePerson", "Status", "CreatedAtUtc", "CreatedByUserId", "PublishedAtUtc"))
            {
                foreach (var a in activities)
                {
                    var unit = units[a.Unit];
                    var march = ChinaDate(sessions[a.FirstSession].Start).Month == 3;
                    var title = Pick(random, Titles[a.Line]);
                    var tag = march && random.NextDouble() < 0.5 ? "学雷锋志愿服务月" : random.NextDouble() < 0.25 ? Pick(random, Programmes) : null;
                    var place = (unit.Type is UnitType.College ? unit.Name : "") + Pick(random, Streets) + random.Next(1, 300) + "号" + Pick(random, Places);
                    var centre = UnitCentres.GetValueOrDefault(unit.Code, (23.05, 112.47));
                    var located = random.NextDouble() < 0.6;
                    var responsible = Pick(random, Surnames) + Pick(random, random.NextDouble() < 0.5 ? FemaleGiven : MaleGiven) + Pick(random, MaleGiven);
                    var created = a.Opens - random.Next(86_400, 5 * 86_400);

                    table.StartRow();
                    table.Uuid(a.Id);
                    table.Text((unit.Type == UnitType.MemberUnit ? "" : unit.Name + "·") + title + (random.NextDouble() < 0.3 ? $"（第{random.Next(2, 30)}期）" : ""));
                    table.Text($"{title}：志愿者在{place}开展{title}活动，服务时长以签到签退为准。");
                    table.Uuid(organizationIds[a.Host]);
                    table.Uuid(unit.Id);
                    table.Int((int)a.Line);
                    table.Text(tag);
                    table.Int((int)a.Population);
                    table.Text(a.Population.HasFlag(PopulationTypes.Other) ? "外来务工人员" : null);
                    table.Text(place);
                    table.DoubleOrNull(located ? Math.Round(centre.Item1 + Normal(random) * 0.04, 6) : null);
                    table.DoubleOrNull(located ? Math.Round(centre.Item2 + Normal(random) * 0.04, 6) : null);
                    table.IntOrNull(located && random.NextDouble() < 0.5 ? Pick(random, [200, 300, 500]) : null);
                    table.Time(At(a.Opens));
                    table.Time(At(a.Closes));
                    table.Int(Pick(random, [24, 24, 24, 12, 48]));
                    table.IntOrNull(a.MinAge);
                    table.IntOrNull(a.MaxAge);
                    table.Text("");
                    table.Bool(a.MembersOnly);
                    table.Bool(a.Review);
                    table.Text(a.Line == ServiceLines.Ecology ? "户外活动请注意防晒防溺水，穿着运动鞋。" : "请准时签到，服从现场负责人安排。");
                    table.Bool(random.NextDouble() < 0.7);
                    table.Text(responsible);
                    table.Text(nameof(ActivityStatus.Finished));
                    table.Time(At(created));
                    table.Text(null);
                    table.TimeOrNull(At(a.Opens));
                    table.EndRow();
                }
                await table.CompleteAsync();
            }

            await using (var table = await OpenTable("ActivityCoOrganizers", "ActivityId", "OrganizationId"))
            {
                foreach (var a in activities)
                {
                    foreach (var co in a.CoOrganizers)
                    {
                        table.StartRow();
                        table.Uuid(a.Id);
                        table.Uuid(organizationIds[co]);
                        table.EndRow();
                    }
                }
                await table.CompleteAsync();
            }

            await using (var table = await OpenTable("ActivitySessions",
                "Id", "ActivityId", "StartsAtUtc", "EndsAtUtc", "Capacity", "Accepted", "IsTraining", "CheckInSecret", "HoursConfirmedAtUtc"))
            {
                var secret = new byte[32];
                foreach (var s in sessions)
                {
                    random.NextBytes(secret);
                    table.StartRow();
                    table.Uuid(s.Id);
                    table.Uuid(activities[s.Activity].Id);
                    table.Time(At(s.Start));
                    table.Time(At(s.End));
                    table.Int(s.Capacity);
                    table.Int(s.Accepted);
                    table.Bool(activities[s.Activity].Training);
                    table.Bytes(secret);
                    table.TimeOrNull(s.ConfirmedAt == 0 ? null : At(s.ConfirmedAt));
                    table.EndRow();
                }
                await table.CompleteAsync();
            }

            await WriteOutcomesAsync(random);
        }

        void PlanActivities()
        {
            var random = Stream(seed, 4);
            var plans = new ActivityPlan[counts.Activities];
            var planned = new List<SessionPlan>(counts.Activities * 2);
            int[] starts = [8 * 60, 8 * 60 + 30, 9 * 60, 9 * 60, 9 * 60 + 30, 10 * 60, 14 * 60, 14 * 60 + 30, 15 * 60, 15 * 60, 16 * 60, 19 * 60];
            int[] durations = [60, 90, 120, 120, 120, 150, 180, 180, 180, 210, 240, 240, 300, 360, 480];
            int[] capacities = [10, 15, 20, 20, 30, 30, 40, 50, 60, 80, 100, 150];
            var lastDay = new DateOnly(2019, 12, 31);
            for (var i = 0; i < plans.Length; i++)
            {
                var host = Weighted(random, organizationCumulative);
                var a = new ActivityPlan { Host = host, Unit = organizationUnit[host], Line = Pick(random, ServiceLineList.All) };
                if (random.NextDouble() < 0.15)
                {
                    a.CoOrganizers = Enumerable.Range(0, random.Next(1, 3)).Select(_ => Weighted(random, organizationCumulative))
                        .Where(o => o != host).Distinct().ToArray();
                }
                if (random.NextDouble() < 0.6)
                {
                    a.Population = Pick(random, PopulationTypeList.All) | (random.NextDouble() < 0.3 ? Pick(random, PopulationTypeList.All) : PopulationTypes.None);
                }
                a.MinAge = random.NextDouble() < 0.15 ? 18 : null;
                a.MaxAge = random.NextDouble() < 0.08 ? 65 : null;
                var memberCount = members[host].Count + a.CoOrganizers.Sum(o => members[o].Count);
                a.MembersOnly = memberCount >= 40 && random.NextDouble() < 0.08;
                a.Review = random.NextDouble() < 0.2;
                a.Training = random.NextDouble() < 0.05;

                // Sessions: one to four, a morning and an afternoon, on following days, or weekly.
                var count = Weighted(random, [40, 70, 88, 100]) + 1;
                var pattern = random.NextDouble();
                var startMinute = Pick(random, starts);
                var duration = startMinute >= 19 * 60 ? 120 : Pick(random, durations);
                var sameDay = count == 2 && pattern < 0.25 && startMinute + duration <= 13 * 60;
                var gap = sameDay ? 0 : pattern < 0.65 ? 1 : 7;
                var day = RandomDayOf2019(random);
                if (day.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday) && random.NextDouble() < 0.45)
                {
                    day = RandomDayOf2019(random);
                }
                var span = gap * (count - 1);
                if (day.AddDays(span) > lastDay)
                {
                    day = lastDay.AddDays(-span);
                }
                a.FirstSession = planned.Count;
                a.SessionCount = count;
                a.Id = Guid7(random, At(ChinaSeconds(day, startMinute)).AddDays(-20));
                for (var k = 0; k < count; k++)
                {
                    var minute = sameDay && k == 1 ? 14 * 60 + 30 : startMinute;
                    var start = ChinaSeconds(day.AddDays(gap * k), minute);
                    var end = start + Math.Min(duration, sameDay ? 180 : duration) * 60;
                    var capacity = Pick(random, capacities);
                    planned.Add(new SessionPlan
                    {
                        Id = Guid7(random, At(start).AddDays(-20)),
                        Activity = i,
                        Start = start,
                        End = end,
                        Capacity = capacity,
                        Raw = capacity * (0.6 + 0.4 * random.NextDouble()),
                        ConfirmedAt = random.NextDouble() < 0.03 ? 0 : end + random.Next(3_600, 7 * 86_400),
                    });
                }
                var firstStart = planned[a.FirstSession].Start;
                a.Opens = firstStart - random.Next(3, 22) * 86_400 - random.Next(0, 8 * 3_600);
                a.Closes = firstStart - random.Next(2 * 3_600, 24 * 3_600);
                plans[i] = a;
            }
            activities = plans;
            sessions = planned.ToArray();
        }

        /// <summary>
        /// How many volunteers attend each session, scaled so that the confirmed ones give exactly the
        /// ledger size asked for (less two entries for each correction), then the no-shows, the
        /// waitlist, cancellations and refusals around them.
        /// </summary>
        void PlanAttendance()
        {
            var random = Stream(seed, 5);
            var corrections = Math.Max(1, counts.LedgerEntries / 20_000);
            var target = counts.LedgerEntries - 2 * corrections;
            var confirmed = Enumerable.Range(0, sessions.Length).Where(s => sessions[s].ConfirmedAt != 0).ToArray();
            var factor = target / confirmed.Sum(s => sessions[s].Raw);
            int Limit(int s)
            {
                var a = activities[sessions[s].Activity];
                return a.MembersOnly ? Math.Max(1, (members[a.Host].Count + a.CoOrganizers.Sum(o => members[o].Count)) * 3 / 10) : 1_000;
            }
            var sum = 0L;
            for (var s = 0; s < sessions.Length; s++)
            {
                sessions[s].Attended = Math.Clamp((int)(sessions[s].Raw * factor + random.NextDouble()), 1, Limit(s));
                if (sessions[s].ConfirmedAt != 0)
                {
                    sum += sessions[s].Attended;
                }
            }
            for (var guard = 0; sum != target; guard++)
            {
                if (guard > 100_000_000)
                {
                    throw new InvalidOperationException("Cannot reach the ledger size asked for: too few sessions.");
                }
                var s = Pick(random, confirmed);
                if (sum < target && sessions[s].Attended < Limit(s))
                {
                    sessions[s].Attended++;
                    sum++;
                }
                else if (sum > target && sessions[s].Attended > 1)
                {
                    sessions[s].Attended--;
                    sum--;
                }
            }
            for (var s = 0; s < sessions.Length; s++)
            {
                ref var p = ref sessions[s];
                var a = activities[p.Activity];
                p.NoShow = (int)Math.Round(p.Attended * 0.12 * random.NextDouble());
                var accepted = p.Accepted;
                if (random.NextDouble() < 0.35)
                {
                    p.Capacity = accepted;
                    p.Waitlisted = 1 + random.Next(Math.Max(1, accepted / 6));
                }
                else
                {
                    p.Capacity = (accepted + random.Next(accepted / 3 + 1) + 4) / 5 * 5;
                }
                p.Cancelled = random.Next(accepted / 12 + 1);
                p.Rejected = a.Review ? random.Next(accepted / 10 + 1) : 0;
                if (a.MembersOnly)
                {
                    var room = Limit(s) * 5 / 3 - accepted;
                    p.Waitlisted = Math.Min(p.Waitlisted, Math.Max(0, room));
                    p.Cancelled = Math.Min(p.Cancelled, Math.Max(0, room - p.Waitlisted));
                    p.Rejected = Math.Min(p.Rejected, Math.Max(0, room - p.Waitlisted - p.Cancelled));
                }
            }
            foreach (var s in confirmed.OrderBy(_ => random.Next()).Take(corrections))
            {
                sessions[s].Correct = true;
            }
        }

        async Task WriteOutcomesAsync(Random random)
        {
            await using (var table = await OpenTable("ActivityOutcomes",
                "ActivityId", "MoneyAndMaterialsYuan", "PrintReports", "WebsiteReports", "NewsText", "UpdatedAtUtc"))
            {
                foreach (var a in activities)
                {
                    var last = sessions[a.FirstSession + a.SessionCount - 1];
                    table.StartRow();
                    table.Uuid(a.Id);
                    table.Decimal(random.NextDouble() < 0.3 ? 0 : Math.Round((decimal)(random.NextDouble() * 5_000), 2));
                    table.Int(random.Next(3));
                    table.Int(random.Next(6));
                    table.Text(random.NextDouble() < 0.5 ? "" : "活动顺利开展，志愿者服务热情，受到群众好评。");
                    table.Time(At(last.End + random.Next(86_400, 10 * 86_400)));
                    table.EndRow();
                }
                await table.CompleteAsync();
            }
            await using (var table = await OpenTable("PopulationServed", "ActivityId", "PopulationType", "PersonTimes"))
            {
                foreach (var a in activities)
                {
                    var attended = 0;
                    for (var s = a.FirstSession; s < a.FirstSession + a.SessionCount; s++)
                    {
                        attended += sessions[s].Attended;
                    }
                    foreach (var type in PopulationTypeList.Split(a.Population))
                    {
                        table.StartRow();
                        table.Uuid(a.Id);
                        table.Text(type.ToString());
                        table.Int(Math.Max(1, (int)(attended * (0.5 + 3 * random.NextDouble()))));
                        table.EndRow();
                    }
                }
                await table.CompleteAsync();
            }
            await using (var table = await OpenTable("MediaLinks", "Id", "ActivityId", "Url", "Reads"))
            {
                var token = new byte[16];
                foreach (var a in activities)
                {
                    for (var k = Weighted(random, [40, 75, 92, 100]); k > 0; k--)
                    {
                        random.NextBytes(token);
                        table.StartRow();
                        table.Uuid(Guid7(random, At(sessions[a.FirstSession + a.SessionCount - 1].End)));
                        table.Uuid(a.Id);
                        table.Text("https://mp.weixin.qq.com/s/" + Convert.ToBase64String(token).TrimEnd('=').Replace('+', '-').Replace('/', '_'));
                        table.Int((int)Math.Exp(4 + 2 * random.NextDouble() + Normal(random)));
                        table.EndRow();
                    }
                }
                await table.CompleteAsync();
            }
        }

        // ---- sign-ups, attendance and the ledger --------------------------------------------------------

        async Task WriteSignUpsAndLedgerAsync()
        {
            var random = Stream(seed, 7);
            var order = Enumerable.Range(0, sessions.Length).ToArray();
            Array.Sort(order, (x, y) => sessions[x].Start != sessions[y].Start ? sessions[x].Start.CompareTo(sessions[y].Start) : x.CompareTo(y));

            await using var signUps = await OpenTable("SignUps",
                "Id", "SessionId", "VolunteerId", "Status", "RequestedAtUtc", "DecidedAtUtc", "Reason", "CheckedInAtUtc", "CheckedOutAtUtc",
                "CheckOutMissing", "LastCodeWindow", "LedgerEntryId");
            await using var ledger = await OpenTable("LedgerEntries",
                "Id", "VolunteerId", "SessionId", "ActivityId", "OrganizationId", "VolunteerUnitId", "StartUtc", "EndUtc", "Minutes", "Kind",
                "ReversesEntryId", "RecordedAtUtc", "RecordedBy", "Reason", "CheckOutMissing");

            var picked = new List<(int Volunteer, int RequestedAt)>();
            var roles = new List<SignUpStatus>();
            foreach (var s in order)
            {
                var session = sessions[s];
                var a = activities[session.Activity];
                picked.Clear();
                for (var k = 0; k < session.SignUps; k++)
                {
                    var v = PickVolunteer(random, session, a);
                    busyUntil[v] = Math.Max(busyUntil[v], session.End);
                    var from = Math.Max(a.Opens, volunteerRegistered[v] + 600);
                    picked.Add((v, from + random.Next(Math.Max(1, a.Closes - from))));
                }
                // First come, first served: those who came last are on the waitlist.
                picked.Sort((x, y) => x.RequestedAt != y.RequestedAt ? x.RequestedAt.CompareTo(y.RequestedAt) : x.Volunteer.CompareTo(y.Volunteer));
                roles.Clear();
                for (var k = 0; k < session.Accepted + session.Cancelled + session.Rejected; k++)
                {
                    roles.Add(k < session.Accepted ? SignUpStatus.Accepted : k < session.Accepted + session.Cancelled ? SignUpStatus.Cancelled : SignUpStatus.Rejected);
                }
                var shuffled = roles.ToArray();
                Shuffle(random, shuffled);
                var attendedLeft = session.Attended;
                var correctionLeft = session.Correct;
                for (var k = 0; k < picked.Count; k++)
                {
                    var (v, requested) = picked[k];
                    var status = k < shuffled.Length ? shuffled[k] : SignUpStatus.Waitlisted;
                    DateTime? decided = status switch
                    {
                        SignUpStatus.Accepted or SignUpStatus.Rejected when a.Review => At(Math.Min(requested + random.Next(3_600, 48 * 3_600), session.Start - 600)),
                        SignUpStatus.Accepted => At(requested),
                        SignUpStatus.Cancelled => At(Math.Min(requested + random.Next(3_600, 5 * 86_400), session.Start - 600)),
                        _ => null,
                    };
                    string? reason = status switch
                    {
                        SignUpStatus.Rejected => "不符合本次活动的招募要求",
                        SignUpStatus.Cancelled => random.NextDouble() < 0.5 ? "临时有事，无法参加" : null,
                        _ => null,
                    };
                    DateTime? checkedIn = null;
                    DateTime? checkedOut = null;
                    var missing = false;
                    Guid? ledgerId = null;
                    if (status == SignUpStatus.Accepted && attendedLeft > 0)
                    {
                        attendedLeft--;
                        var (inAt, outAt, missed) = Attendance(random, session);
                        checkedIn = At(inAt);
                        checkedOut = At(outAt);
                        missing = missed;
                        if (session.ConfirmedAt != 0)
                        {
                            ledgerId = WriteLedger(ledger, random, session, a, v, Math.Max(inAt, session.Start), Math.Min(outAt, session.End), missed, correctionLeft);
                            correctionLeft = false;
                        }
                    }
                    signUps.StartRow();
                    signUps.Uuid(Guid7(random, At(requested)));
                    signUps.Uuid(session.Id);
                    signUps.Uuid(volunteerIds[v]);
                    signUps.Text(status.ToString());
                    signUps.Time(At(requested));
                    signUps.TimeOrNull(decided);
                    signUps.Text(reason);
                    signUps.TimeOrNull(checkedIn);
                    signUps.TimeOrNull(checkedOut);
                    signUps.Bool(missing);
                    signUps.Long(0);
                    signUps.UuidOrNull(ledgerId);
                    signUps.EndRow();
                }
            }
            await signUps.CompleteAsync();
            await ledger.CompleteAsync();
            signUpRows = signUps.Rows;
            ledgerRows = ledger.Rows;
        }

        /// <summary>
        /// A volunteer free for the whole session (nothing else signed up for until half an hour
        /// before it starts), registered before sign-up closed, of the right age and, where the
        /// activity asks, a member: mostly members of the host and people of its unit, with a few
        /// very active volunteers taking a large share.
        /// </summary>
        int PickVolunteer(Random random, SessionPlan session, ActivityPlan a)
        {
            var sessionDay = ChinaDate(session.Start);
            bool Free(int v)
            {
                if (busyUntil[v] > session.Start - 1_800 || volunteerRegistered[v] + 3_600 > a.Closes)
                {
                    return false;
                }
                var birth = DateOnly.FromDayNumber(volunteerBirthDay[v]);
                var age = IdentityDocument.AgeOn(birth, sessionDay);
                return age >= (a.MinAge ?? VolunteerRules.MinimumAge) && (a.MaxAge is not { } max || age <= max);
            }
            if (a.MembersOnly)
            {
                // Members whose membership was approved before sign-up opened.
                var pools = new List<List<int>> { members[a.Host] };
                pools.AddRange(a.CoOrganizers.Select(o => members[o]));
                for (var attempt = 0; attempt < 400; attempt++)
                {
                    var pool = pools[random.Next(pools.Count)];
                    if (pool.Count > 0 && memberships[pool[random.Next(pool.Count)]] is var m && m.Decided <= a.Opens && Free(m.Volunteer))
                    {
                        return m.Volunteer;
                    }
                }
                foreach (var pool in pools)
                {
                    foreach (var index in pool)
                    {
                        if (memberships[index].Decided <= a.Opens && Free(memberships[index].Volunteer))
                        {
                            return memberships[index].Volunteer;
                        }
                    }
                }
                // Nobody left: someone free of the host's unit (or anywhere) who joined the host before the activity opened.
                for (var attempt = 0; attempt < 10_000_000; attempt++)
                {
                    var list = attempt < 1_000 && volunteersByUnit[a.Unit].Length > 0 ? volunteersByUnit[a.Unit] : everyone;
                    var v = list[random.Next(list.Length)];
                    var from = Math.Max(volunteerRegistered[v], organizationReviewed[a.Host]) + 600;
                    if (from < a.Opens - 2 * 86_400 && Free(v) && !members[a.Host].Any(i => memberships[i].Volunteer == v))
                    {
                        var applied = from + random.Next(a.Opens - 2 * 86_400 - from);
                        AddMembership(random, a.Host, v, applied, applied + random.Next(600, 86_400));
                        return v;
                    }
                }
                throw new InvalidOperationException("No free volunteer left for a members-only session.");
            }
            for (var attempt = 0; attempt < 64; attempt++)
            {
                var r = random.NextDouble();
                int v;
                if (r < 0.3 && members[a.Host].Count > 0)
                {
                    v = memberships[members[a.Host][random.Next(members[a.Host].Count)]].Volunteer;
                }
                else
                {
                    var list = r < 0.8 && volunteersByUnit[a.Unit].Length > 0 ? volunteersByUnit[a.Unit] : everyone;
                    var u = random.NextDouble();
                    v = list[(int)(list.Length * Math.Pow(u, 1.5))];
                }
                if (Free(v))
                {
                    return v;
                }
            }
            for (var attempt = 0; attempt < 10_000_000; attempt++)
            {
                var v = everyone[random.Next(everyone.Length)];
                if (Free(v))
                {
                    return v;
                }
            }
            throw new InvalidOperationException("No free volunteer left for a session.");
        }

        /// <summary>Check-in and check-out with people's usual habits; about 3% forget to check out and get the session's end.</summary>
        static (int In, int Out, bool Missing) Attendance(Random random, SessionPlan session)
        {
            var r = random.NextDouble();
            var checkIn = session.Start + (r < 0.55 ? -random.Next(0, 30 * 60) : r < 0.9 ? random.Next(0, 10 * 60) : random.Next(10 * 60, 45 * 60));
            if (random.NextDouble() < 0.03)
            {
                return (checkIn, session.End, true);
            }
            r = random.NextDouble();
            var checkOut = session.End + (r < 0.4 ? random.Next(0, 40 * 60) : r < 0.85 ? -random.Next(0, 10 * 60) : -random.Next(10 * 60, 60 * 60));
            // At least a quarter of an hour inside the session.
            checkOut = Math.Max(checkOut, Math.Max(checkIn, session.Start) + 15 * 60 + random.Next(60));
            return (checkIn, checkOut, false);
        }

        /// <summary>Confirmed minutes for the time inside the session window; for a few, a reversal and a correction to the full session.</summary>
        Guid WriteLedger(BulkTable ledger, Random random, SessionPlan session, ActivityPlan a, int v, int start, int end, bool missing, bool correct)
        {
            var original = Guid7(random, At(session.ConfirmedAt));
            var minutes = (end - start) / 60;
            Entry(original, start, end, minutes, LedgerEntryKindName.Confirmed, null, session.ConfirmedAt, "", missing);
            if (!correct)
            {
                return original;
            }
            var reversedAt = session.ConfirmedAt + random.Next(3, 30) * 86_400;
            const string why = "志愿者申请更正：签到时间记录有误，按活动时段确认";
            Entry(Guid7(random, At(reversedAt)), start, end, -minutes, LedgerEntryKindName.Reversal, original, reversedAt, why, missing);
            var corrected = Guid7(random, At(reversedAt + 60));
            Entry(corrected, session.Start, session.End, (session.End - session.Start) / 60, LedgerEntryKindName.Correction, null, reversedAt + 60, why, false);
            return corrected;

            void Entry(Guid id, int from, int to, int credited, string kind, Guid? reverses, int recordedAt, string reason, bool checkOutMissing)
            {
                ledger.StartRow();
                ledger.Uuid(id);
                ledger.Uuid(volunteerIds[v]);
                ledger.Uuid(session.Id);
                ledger.Uuid(a.Id);
                ledger.Uuid(organizationIds[a.Host]);
                ledger.Uuid(units[volunteerUnit[v]].Id);
                ledger.Time(At(from));
                ledger.Time(At(to));
                ledger.Int(credited);
                ledger.Text(kind);
                ledger.UuidOrNull(reverses);
                ledger.Time(At(recordedAt));
                ledger.Text("generator");
                ledger.Text(reason);
                ledger.Bool(checkOutMissing);
                ledger.EndRow();
                ledgerMinutes += credited;
            }
        }

        // ---- report ----------------------------------------------------------------------------------

        public async Task ReportAsync()
        {
            Console.WriteLine($"  written: {volunteerIds.Length:N0} volunteers, {organizationIds.Length:N0} organisations, {membershipRows:N0} memberships, " +
                              $"{activities.Length:N0} activities, {sessions.Length:N0} sessions, {signUpRows:N0} sign-ups, {ledgerRows:N0} ledger entries ({ledgerMinutes:N0} minutes)");
            await using var db = BenchHost.Open(options.ConnectionString);
            var connection = db.Database.GetDbConnection();
            await connection.OpenAsync();
            async Task<long> Scalar(string sql)
            {
                await using var command = connection.CreateCommand();
                command.CommandText = sql;
                command.CommandTimeout = 3_600;
                return Convert.ToInt64(await command.ExecuteScalarAsync() ?? 0L);
            }
            Console.WriteLine("  rows per table:");
            foreach (var table in new[] { "Units", "Volunteers", "Organizations", "Memberships", "Activities", "ActivityCoOrganizers", "ActivitySessions",
                         "SignUps", "LedgerEntries", "ActivityOutcomes", "PopulationServed", "MediaLinks", "AspNetUsers" })
            {
                Console.WriteLine($"    {table,-22} {await Scalar($"SELECT count(*) FROM \"{table}\""),12:N0}");
            }
            var watch = Stopwatch.StartNew();
            var mismatched = await Scalar("""
                SELECT count(*) FROM "ActivitySessions" s
                LEFT JOIN (SELECT "SessionId", count(*) AS n FROM "SignUps" WHERE "Status" = 'Accepted' GROUP BY "SessionId") u ON u."SessionId" = s."Id"
                WHERE s."Accepted" <> COALESCE(u.n, 0) OR s."Accepted" > s."Capacity"
                """);
            // Effective entries: confirmations and corrections that no reversal cancelled.
            var overlaps = await Scalar("""
                WITH e AS (
                    SELECT l."VolunteerId", l."StartUtc", l."EndUtc", l."Id" FROM "LedgerEntries" l
                    WHERE l."Kind" <> 'Reversal' AND NOT EXISTS (SELECT 1 FROM "LedgerEntries" r WHERE r."ReversesEntryId" = l."Id"))
                SELECT count(*) FROM e a JOIN e b ON a."VolunteerId" = b."VolunteerId" AND a."Id" < b."Id"
                    AND a."StartUtc" < b."EndUtc" AND b."StartUtc" < a."EndUtc"
                """);
            var last = await Scalar("""SELECT "Last" FROM "NumberCounters" WHERE "Name" = 'volunteers'""");
            var highest = await Scalar("""SELECT count(*) FROM "Volunteers" """);
            var sumMinutes = await Scalar("""SELECT COALESCE(SUM("Minutes"), 0) FROM "LedgerEntries" """);
            // The kept totals sum what the ledger sums (reversals cancel in both), in all and over the years.
            var keptMinutes = await Scalar("""SELECT COALESCE(SUM("Minutes"), 0) FROM "ConfirmedTotals" """);
            var keptYearMinutes = await Scalar("""SELECT COALESCE(SUM("Minutes"), 0) FROM "ConfirmedYearTotals" """);
            var maxNumber = await db.Volunteers.MaxAsync(v => v.Number);
            // Everything reads back through the platform's own model, and the personal data decrypts with its keys.
            var personalData = services.GetRequiredService<PersonalData>();
            var sample = await db.Volunteers.AsNoTracking().OrderBy(v => v.Number).Take(50).ToListAsync();
            var readable = sample.Count(v => IdentityDocument.Check(v.DocumentType, personalData.Decrypt(v.DocumentCipher), new DateOnly(2020, 1, 1)).Problem == DocumentProblem.None
                                             && IdentityDocument.MobilePattern().IsMatch(personalData.Decrypt(v.PhoneCipher)));
            var read = (await db.Activities.AsNoTracking().Include(a => a.Sessions).Include(a => a.CoOrganizers).OrderBy(a => a.Id).Take(20).ToListAsync()).Count
                       + (await db.SignUps.AsNoTracking().OrderBy(u => u.Id).Take(20).ToListAsync()).Count
                       + (await db.LedgerEntries.AsNoTracking().Where(e => e.Kind != Zhiyuan.Web.Hours.LedgerEntryKind.Confirmed).ToListAsync()).Count
                       + (await db.ActivityOutcomes.AsNoTracking().OrderBy(o => o.ActivityId).Take(20).ToListAsync()).Count
                       + (await db.PopulationServed.AsNoTracking().OrderBy(p => p.ActivityId).Take(20).ToListAsync()).Count
                       + (await db.MediaLinks.AsNoTracking().OrderBy(m => m.Id).Take(20).ToListAsync()).Count
                       + (await db.Memberships.AsNoTracking().OrderBy(m => m.Id).Take(20).ToListAsync()).Count
                       + (await db.Organizations.AsNoTracking().OrderBy(o => o.Id).Take(20).ToListAsync()).Count;
            Console.WriteLine($"  read back through EF Core: {read} rows of every kind; {readable} of {sample.Count} volunteers' ID and mobile numbers decrypt to valid numbers");
            Console.WriteLine($"  checks ({watch.Elapsed.TotalSeconds:F1} s): sessions whose Accepted differs from their accepted sign-ups or passes capacity: {mismatched}; " +
                              $"overlapping effective ledger pairs: {overlaps}; counter Last {last} for {highest:N0} volunteers, highest number {maxNumber}; SUM(Minutes) {sumMinutes:N0}; " +
                              $"kept totals {keptMinutes:N0}, by year {keptYearMinutes:N0}");
            if (readable != sample.Count || mismatched != 0 || overlaps != 0 || last != highest || maxNumber != NumberCounter.FormatVolunteerNumber(last) || sumMinutes != ledgerMinutes
                || keptMinutes != sumMinutes || keptYearMinutes != sumMinutes)
            {
                throw new InvalidOperationException("A consistency check failed (see above).");
            }
        }
    }

    /// <summary>The ledger kinds as stored (enum names).</summary>
    static class LedgerEntryKindName
    {
        public const string Confirmed = nameof(Zhiyuan.Web.Hours.LedgerEntryKind.Confirmed);
        public const string Reversal = nameof(Zhiyuan.Web.Hours.LedgerEntryKind.Reversal);
        public const string Correction = nameof(Zhiyuan.Web.Hours.LedgerEntryKind.Correction);
    }
}
