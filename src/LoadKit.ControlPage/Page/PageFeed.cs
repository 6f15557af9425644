using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;

namespace LoadKit.ControlPage.Page;

/// <summary>
/// The page's live feed (Server-Sent Events): every change (workers, a run's second, a log line, a finished run) is
/// serialised once and queued to each open page. A page that cannot keep up loses its oldest messages, never slows
/// the run.
/// </summary>
internal sealed class PageFeed
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly List<Channel<string>> _pages = [];

    /// <summary>Queues an event named <paramref name="name"/> with <paramref name="payload"/> as JSON to every open page.</summary>
    public void Send(string name, object payload)
    {
        var message = $"event: {name}\ndata: {JsonSerializer.Serialize(payload, Json)}\n\n";
        lock (_pages)
        {
            foreach (var page in _pages)
            {
                page.Writer.TryWrite(message);
            }
        }
    }

    /// <summary>Streams the feed to one page until it goes: first what <paramref name="current"/> says, then each change.</summary>
    public async Task StreamAsync(HttpContext context, Func<IEnumerable<(string Name, object Payload)>> current)
    {
        var page = Channel.CreateBounded<string>(new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        lock (_pages)
        {
            _pages.Add(page);
        }

        try
        {
            var response = context.Response;
            response.ContentType = "text/event-stream";
            response.Headers.CacheControl = "no-cache";
            response.Headers["X-Accel-Buffering"] = "no";
            var aborted = context.RequestAborted;
            foreach (var (name, payload) in current())
            {
                await response.WriteAsync($"event: {name}\ndata: {JsonSerializer.Serialize(payload, Json)}\n\n", aborted);
            }

            await response.Body.FlushAsync(aborted);
            while (await page.Reader.WaitToReadAsync(aborted))
            {
                while (page.Reader.TryRead(out var message))
                {
                    await response.WriteAsync(message, aborted);
                }

                await response.Body.FlushAsync(aborted);
            }
        }
        catch (OperationCanceledException)
        {
            // The page was closed.
        }
        finally
        {
            lock (_pages)
            {
                _pages.Remove(page);
            }
        }
    }

    /// <summary>Ends every stream (the server stops).</summary>
    public void Close()
    {
        lock (_pages)
        {
            foreach (var page in _pages)
            {
                page.Writer.TryComplete();
            }
        }
    }
}
