using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Zhiyuan.Web.Infrastructure;

/// <summary>The SMTP server mail goes out through (section "Mail"). Without a host, no mail is sent and notices wait.</summary>
public sealed class MailOptions
{
    public string? Host { get; set; }

    public int Port { get; set; } = 25;

    /// <summary>None, Auto (STARTTLS when offered), StartTls or SslOnConnect.</summary>
    public SecureSocketOptions Security { get; set; } = SecureSocketOptions.Auto;

    public string? UserName { get; set; }

    public string? Password { get; set; }

    public string From { get; set; } = "noreply@zhiyuan.local";

    public string FromName { get; set; } = "志愿肇庆";

    /// <summary>The platform's address as people reach it, for links in mail.</summary>
    public string PublicUrl { get; set; } = "http://localhost:5080";

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Host);
}

/// <summary>Sends plain-text mail through the configured SMTP server with MailKit.</summary>
public sealed class MailSender(IOptions<MailOptions> options)
{
    public MailOptions Options => options.Value;

    public async Task SendAsync(IReadOnlyCollection<string> to, string subject, string body, CancellationToken cancellationToken = default)
    {
        var settings = options.Value;
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress(settings.FromName, settings.From));
        foreach (var address in to)
        {
            message.To.Add(MailboxAddress.Parse(address));
        }
        message.Subject = subject;
        message.Body = new TextPart("plain") { Text = body };
        using var client = new SmtpClient { Timeout = 30_000 };
        try
        {
            await client.ConnectAsync(settings.Host!, settings.Port, settings.Security, cancellationToken);
            if (!string.IsNullOrEmpty(settings.UserName))
            {
                await client.AuthenticateAsync(settings.UserName, settings.Password ?? "", cancellationToken);
            }
            await client.SendAsync(message, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            PlatformMetrics.MailsFailed.Add(1);
            throw;
        }
        PlatformMetrics.MailsSent.Add(1);
        await client.DisconnectAsync(true, cancellationToken);
    }
}
