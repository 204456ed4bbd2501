namespace Zhiyuan.Web.Infrastructure;

/// <summary>
/// The one helper that colours a status tag by what the status means, not what it is called:
/// <c>success</c> (done, approved), <c>warning</c> (waiting for someone, returned for a change),
/// <c>danger</c> (refused, overdue, cancelled), <c>neutral</c> (draft, not started, closed as usual).
/// Pages write <c>class="tag @StatusTone.For(status)"</c>; app.css gives each tone its colours.
/// </summary>
public static class StatusTone
{
    public const string Success = "success";
    public const string Warning = "warning";
    public const string Danger = "danger";
    public const string Neutral = "neutral";

    /// <summary>The tone of any status enum value (by its name), or of "NotStarted" / null.</summary>
    public static string For(Enum? status) => For(status?.ToString());

    public static string For(string? status) => status switch
    {
        "Approved" or "Accepted" or "Completed" or "Rated" or "Finished" or "Corrected" or "Answered" or "Published" or "Waived" => Success,
        "Submitted" or "Pending" or "Waitlisted" or "Returned" or "Open" or "Reopened" or "Ordered" or "Dispatched" => Warning,
        "Rejected" or "Declined" or "Cancelled" or "Overdue" or "Late" => Danger,
        _ => Neutral,
    };
}
