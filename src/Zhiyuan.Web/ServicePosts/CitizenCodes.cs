namespace Zhiyuan.Web.ServicePosts;

/// <summary>Stage names and deadlines of citizen orders; all are settings (section "Orders").</summary>
public sealed class OrderOptions
{
    /// <summary>Names shown for each <see cref="OrderStatus"/>, e.g. "Orders:StageNames:Ordered" = "点单"; unset ones use the built-in names.</summary>
    public Dictionary<string, string> StageNames { get; set; } = [];

    public int DispatchWithinHours { get; set; } = 24;

    public int AcceptWithinHours { get; set; } = 24;

    /// <summary>How long after the service time an order may stay uncompleted before it is overdue.</summary>
    public int CompleteWithinHoursAfterService { get; set; } = 48;

    public int MaxOrdersPerPhonePerDay { get; set; } = 3;

    public int MaxCodesPerPhonePerHour { get; set; } = 5;

    public int CodeValidMinutes { get; set; } = 10;
}
