using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MimeKit;
using SmtpServer;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace Zhiyuan.Tests.Campaigns;

/// <summary>
/// An SMTP server on 127.0.0.1 inside the test process that keeps every message it receives. With
/// <see cref="Hold"/> set it is a slow server for the messages it matches: it reads one, then keeps the
/// sender waiting for the answer until <see cref="Release"/>, and does not keep it (it answers 451 then).
/// </summary>
public sealed class TestMailServer : IDisposable
{
    readonly CancellationTokenSource stop = new();
    readonly Task running;

    public TestMailServer()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var options = new SmtpServerOptionsBuilder().ServerName("localhost").Endpoint(e => e.Endpoint(new IPEndPoint(IPAddress.Loopback, Port))).Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(new Store(this));
        running = new SmtpServer.SmtpServer(options, services).StartAsync(stop.Token);
    }

    public int Port { get; }

    public ConcurrentQueue<MimeMessage> Messages { get; } = new();

    /// <summary>Which messages to hold (while null, none).</summary>
    public Func<MimeMessage, bool>? Hold { get; set; }

    /// <summary>The messages held so far, each as its sender left it: unanswered until <see cref="Release"/>.</summary>
    public ConcurrentQueue<MimeMessage> Held { get; } = new();

    readonly TaskCompletionSource released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Stops holding: the held senders get 451 (not taken), later messages are kept as usual.</summary>
    public void Release()
    {
        Hold = null;
        released.TrySetResult();
    }

    /// <summary>The settings that point the app at this server.</summary>
    public void Configure(TestApp app)
    {
        app.Settings["Mail:Host"] = "127.0.0.1";
        app.Settings["Mail:Port"] = Port.ToString();
        app.Settings["Mail:Security"] = "None";
        app.Settings["Mail:PublicUrl"] = "https://zhiyuan.example";
    }

    public void Dispose()
    {
        stop.Cancel();
        try
        {
            running.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // Cancelled, as asked.
        }
    }

    sealed class Store(TestMailServer server) : MessageStore
    {
        public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            var message = MimeMessage.Load(new MemoryStream(buffer.ToArray()));
            if (server.Hold?.Invoke(message) == true)
            {
                server.Held.Enqueue(message);
                try
                {
                    await server.released.Task.WaitAsync(cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    // The sender went away (or the server stops) while held.
                }
                return new SmtpResponse(SmtpReplyCode.Aborted, "held, not taken");
            }
            server.Messages.Enqueue(message);
            return SmtpResponse.Ok;
        }
    }
}
