namespace Zhiyuan.Web.Campaigns;

/// <summary>
/// The notice's statistics table (活动开展情况统计表) for one unit and one stretch of time: table 1
/// (activities) and table 2 (媒体宣传情况), with their 合计 rows. Computed rows come from the
/// platform's records; typed-in rows (<see cref="ActivityRow.IsTypedIn"/>) were entered by the unit
/// for activities run outside the platform and stay marked as such in every view and export.
/// </summary>
public sealed record ReportTable(
    string UnitName,
    string Title,
    DateOnly From,
    DateOnly To,
    IReadOnlyList<ActivityRow> Activities,
    ActivityTotals ActivityTotal,
    IReadOnlyList<MediaRow> Media,
    MediaTotals MediaTotal,
    string ContactName,
    string ContactPhone);

/// <summary>One row of table 1.</summary>
/// <param name="Name">活动名称（含主办单位）: "activity title（host organisation）".</param>
/// <param name="PersonTimes">参与志愿者人次: confirmed attendances, not people.</param>
/// <param name="Organizations">参与志愿服务组织数量: host and co-organisers.</param>
/// <param name="PopulationTypes">覆盖人群·类型: the types served, joined with 、 (other types explained in brackets).</param>
/// <param name="PopulationPersonTimes">覆盖人群·服务人次.</param>
/// <param name="Minutes">累计志愿服务时数, kept in whole minutes; shown as hours.</param>
/// <param name="MoneyYuan">投入资金及物料（元）.</param>
/// <param name="IsBackEntry">A platform activity recorded after it happened (补录) and approved by the unit above; marked in every view and export.</param>
/// <param name="Id">What the row is made from — the activity, or the typed-in row — and so the row's key for its drill-down
/// (<c>…/cells/{id}/{column}</c>); absent in tables frozen before rows carried it.</param>
public sealed record ActivityRow(
    string Name,
    long PersonTimes,
    long Organizations,
    string PopulationTypes,
    long PopulationPersonTimes,
    long Minutes,
    decimal MoneyYuan,
    bool IsTypedIn,
    bool IsBackEntry = false,
    Guid? Id = null);

/// <param name="Organizations">Distinct organisations across the computed rows, plus what typed-in rows state (they cannot be told apart).</param>
public sealed record ActivityTotals(long PersonTimes, long Organizations, long PopulationPersonTimes, long Minutes, decimal MoneyYuan);

/// <summary>One row of table 2.</summary>
/// <param name="Links">网页或微信链接: the links themselves.</param>
/// <param name="Reads">网页或微信阅读数（条/次）.</param>
/// <param name="Id">The activity or typed-in row the media row comes from: its key for the drill-down.</param>
public sealed record MediaRow(string Name, long PrintReports, long WebsiteReports, IReadOnlyList<string> Links, long Reads, bool IsTypedIn, bool IsBackEntry = false,
    Guid? Id = null);

/// <param name="Links">The number of links.</param>
public sealed record MediaTotals(long PrintReports, long WebsiteReports, long Links, long Reads);

public static class ReportFormat
{
    /// <summary>A rate as the completeness grid and the dashboard show it: "66.7%", or "—" when nothing is expected.</summary>
    public static string Rate(int part, int whole) => whole == 0 ? "—" : (part * 100.0 / whole).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) + "%";

    /// <summary>A rate with its numerator and denominator: "80%（76/95）" (see <see cref="ReportingRates"/>).</summary>
    public static string RateWithCounts(int part, int whole) => $"{Rate(part, whole)}（{part}/{whole}）";
}
