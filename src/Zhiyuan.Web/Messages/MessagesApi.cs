using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Localization;
using Zhiyuan.Web.Infrastructure;

namespace Zhiyuan.Web.Messages;

public static class MessagesApi
{
    public static IServiceCollection AddMessages(this IServiceCollection services, IConfiguration configuration)
    {
        // The same SMTP settings as the report notices (section "Mail").
        services.AddOptions<MailOptions>().Bind(configuration.GetSection("Mail"));
        services.TryAddSingleton<MailSender>();
        return services
            .AddScoped<MessageUseCases>()
            .AddScoped<MessageDelivery>()
            .AddHostedService<MessageDeliveryService>();
    }

    public static IEndpointRouteBuilder MapMessagesApi(this IEndpointRouteBuilder app)
    {
        var messages = app.MapGroup("/api/messages").WithTags("Messages").RequireAuthorization();
        messages.MapGet("/", List);
        messages.MapPost("/{id:guid}/read", Read);
        messages.MapPost("/read-all", ReadAll);
        return app;
    }

    /// <summary>The caller's messages, newest first, 50 at a time (<c>before</c>, an ISO 8601 time, pages further back), and how many are unread.</summary>
    static async Task<Ok<MessagePage>> List(ClaimsPrincipal user, MessageUseCases messages, DateTimeOffset? before, CancellationToken cancellationToken) =>
        TypedResults.Ok(await messages.ListAsync(user, before, cancellationToken));

    /// <summary>Marks one of the caller's messages read (the first time only) and returns it; anyone else's message is 404.</summary>
    static async Task<Results<Ok<MessageView>, ProblemHttpResult, ValidationProblem>> Read(Guid id, ClaimsPrincipal user, MessageUseCases messages,
        IStringLocalizer<SharedResource> text, CancellationToken cancellationToken) =>
        (await messages.OpenAsync(user, id, cancellationToken)).ToHttpResult(text);

    /// <summary>Marks every unread message of the caller read; answers how many were marked and how many remain unread (0, unless one arrived meanwhile).</summary>
    static async Task<Ok<ReadAllView>> ReadAll(ClaimsPrincipal user, MessageUseCases messages, CancellationToken cancellationToken) =>
        TypedResults.Ok(await messages.ReadAllAsync(user, cancellationToken));
}
