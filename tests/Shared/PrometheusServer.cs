using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace LoadKit.TestTargets;

/// <summary>
/// A real Prometheus (Debian's <c>prometheus</c>, from PATH) on a free loopback port with a temporary config and
/// storage folder, scraping one target every second; started for a test and stopped by its PID.
/// </summary>
internal sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _folder;
    private readonly HttpClient _http;

    private PrometheusServer(Process process, string folder, int port)
    {
        _process = process;
        _folder = folder;
        Address = new Uri($"http://127.0.0.1:{port}/");
        _http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(5) };
    }

    public Uri Address { get; }

    /// <summary>Starts Prometheus scraping <paramref name="target"/> (<c>host:port</c>, path <c>/metrics</c>) every second, and waits until it is ready.</summary>
    public static async Task<PrometheusServer> StartAsync(string target)
    {
        var folder = Directory.CreateTempSubdirectory("loadkit-prometheus-").FullName;
        var config = Path.Combine(folder, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: loadkit
                static_configs:
                  - targets: ['{target}']
            """);
        var port = EtcdServer.FreePort();
        var start = new ProcessStartInfo("prometheus") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
        {
            $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(folder, "data")}", $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
        })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("prometheus did not start; is Debian's prometheus installed (./test.sh installs it)?");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new PrometheusServer(process, folder, port);
        try
        {
            await server.WaitAsync(async () => (await server._http.GetAsync("-/ready")).IsSuccessStatusCode, TimeSpan.FromSeconds(20), "Prometheus is ready");
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>The value of an instant query's single result; null when it has no result (yet).</summary>
    public async Task<double?> QueryAsync(string promQl)
    {
        var answer = await QueryResultAsync(promQl);
        var results = answer.GetProperty("data").GetProperty("result");
        return results.GetArrayLength() == 0 ? null
            : double.Parse(results[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
    }

    /// <summary>The string values of an API path that lists them, e.g. <c>label/__name__/values</c> (every metric name it holds) or <c>labels</c>.</summary>
    public async Task<string[]> ValuesAsync(string path)
    {
        using var response = await _http.GetAsync("api/v1/" + path);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
        return [.. answer.GetProperty("data").EnumerateArray().Select(v => v.GetString()!)];
    }

    /// <summary>The query API's whole answer (<c>status</c>, <c>data</c> or <c>error</c>), for a query Prometheus may refuse.</summary>
    public async Task<JsonElement> QueryResultAsync(string promQl)
    {
        using var response = await _http.GetAsync("api/v1/query?query=" + Uri.EscapeDataString(promQl));
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Waits until <paramref name="condition"/> holds (a refused connection counts as not yet), at most <paramref name="timeout"/>.</summary>
    public Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string what) =>
        Eventually.UntilAsync(
            async () =>
            {
                try
                {
                    return await condition();
                }
                catch (HttpRequestException)
                {
                    return false; // not listening yet
                }
            },
            timeout,
            () => what);

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        _process.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open is left for the OS's temp cleanup.
        }
    }
}
