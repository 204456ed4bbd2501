namespace Zhiyuan.Web.Infrastructure;

/// <summary>
/// Background work claimed in the database (report notices, message-centre mail and text messages):
/// a node claims a piece of work with a conditional update that holds for <see cref="ClaimSeconds"/>;
/// a node that dies holding it leaves it to the others once the claim has run out (Jobs:ClaimSeconds).
/// The claim must outlast one delivery (the SMTP client gives up after 30 s), or a slow send could be
/// taken up by a second node while the first is still at it.
/// </summary>
public sealed class JobOptions
{
    public const int DefaultClaimSeconds = 300;

    /// <summary>How long a claim holds (Jobs:ClaimSeconds, 1 to 86,400; default five minutes).</summary>
    public int ClaimSeconds { get; set; } = DefaultClaimSeconds;

    /// <summary>How often each node looks for messages to mail or text (Jobs:MessageDeliverySeconds).</summary>
    public int MessageDeliverySeconds { get; set; } = 30;

    public TimeSpan ClaimFor => TimeSpan.FromSeconds(ClaimSeconds);

    public TimeSpan MessageDeliveryInterval => TimeSpan.FromSeconds(MessageDeliverySeconds);
}

public static class JobSetup
{
    public static IServiceCollection AddJobOptions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<JobOptions>().Bind(configuration.GetSection("Jobs"))
            .Validate(o => o.ClaimSeconds is >= 1 and <= 86_400, "Jobs:ClaimSeconds must be between 1 and 86400. (任务认领时长须在 1 至 86400 秒之间)")
            .Validate(o => o.MessageDeliverySeconds is >= 1 and <= 3_600, "Jobs:MessageDeliverySeconds must be between 1 and 3600. (消息发送间隔须在 1 至 3600 秒之间)")
            .ValidateOnStart();
        return services;
    }
}
