using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace LoadKit;

/// <summary>
/// The settings of a control page (<c>loadkit serve</c>): its folder (plans in <c>plans/</c>, finished runs in
/// <c>runs/</c>), where it listens, the workers' cluster (null: runs go in the page's own process) and the access
/// token every page and API call needs. Immutable.
/// </summary>
public sealed record ControlPageOptions
{
    /// <summary>The default address: loopback, k6's web dashboard port.</summary>
    public const string DefaultListen = "127.0.0.1:5665";

    /// <summary>The environment variable of the access token (<see cref="AccessToken"/>).</summary>
    public const string AccessTokenVariable = "LOADKIT_PAGE_TOKEN";

    /// <summary>The shortest access token accepted.</summary>
    public const int MinAccessTokenLength = 16;

    /// <summary>The folder: plan files in <c>plans/</c>, each finished run in <c>runs/&lt;run id&gt;/</c>. Default: the current folder.</summary>
    public string Folder { get; init; } = ".";

    /// <summary>Where the page listens. Default: <see cref="DefaultListen"/>; port 0 takes a free one.</summary>
    public IPEndPoint Listen { get; init; } = ParseListen(DefaultListen, "listen");

    /// <summary>The workers (etcd, prefix, token, TLS); the count of each run is chosen on the page. Null: runs go in this process.</summary>
    public ClusterOptions? Cluster { get; init; }

    /// <summary>The token that opens the page and its API; null: one is generated at start (<see cref="ControlPageServer.AccessToken"/>).</summary>
    public string? AccessToken { get; init; }

    /// <summary>
    /// The most bytes an uploaded test assembly's zip may unpack to (counted as they are written); the zip itself may
    /// be at most this plus 1 MiB. Default: 512 MiB (<c>loadkit serve --max-upload-mb</c>).
    /// </summary>
    public long MaxUploadBytes { get; init; } = 512L * 1024 * 1024;

    /// <summary>The most entries an uploaded zip may hold. Default: 20,000 (<c>loadkit serve --max-upload-entries</c>).</summary>
    public int MaxUploadEntries { get; init; } = 20_000;

    /// <summary>Whether <see cref="Listen"/> is a loopback address (others reach the page only when it is not).</summary>
    public bool IsLoopback => IPAddress.IsLoopback(Listen.Address);

    /// <summary>Reads an address to listen on: <c>IP:PORT</c> (e.g. <c>127.0.0.1:5665</c>, <c>[::1]:5665</c>, <c>0.0.0.0:5665</c>).</summary>
    /// <param name="value">The text given.</param>
    /// <param name="source">Names the setting in the error, e.g. "option --listen".</param>
    /// <exception cref="ArgumentException">Not such an address; the message names the setting, the value and what is allowed.</exception>
    public static IPEndPoint ParseListen(string value, string source)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(source);
        var text = value.Trim();
        if (text.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase))
        {
            text = "127.0.0.1" + text["localhost".Length..];
        }

        if (IPEndPoint.TryParse(text, out var endpoint) && text.Contains(':', StringComparison.Ordinal)
            && (endpoint.AddressFamily == AddressFamily.InterNetwork ? text.LastIndexOf(':') > 0 : text.StartsWith('['))
            && int.TryParse(text[(text.LastIndexOf(':') + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 0 and <= 65535)
        {
            return endpoint;
        }

        throw new ArgumentException(
            $"{source} = '{value}': not an address to listen on; allowed: IP:PORT with a port from 0 to 65535, e.g. {DefaultListen} (loopback, the default), " +
            "[::1]:5665, or 0.0.0.0:5665 to be reachable from other machines.");
    }

    /// <summary>Checks the settings together; every problem, each naming the setting, the value and what is allowed.</summary>
    internal IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Folder))
        {
            problems.Add("folder = '': give the folder of the plans and runs.");
        }
        else if (File.Exists(Folder))
        {
            problems.Add($"folder (--dir) = '{Folder}': a file; give a folder (plans in its plans/, runs in its runs/).");
        }

        if (AccessToken is { } token && token.Length < MinAccessTokenLength)
        {
            problems.Add($"access token = ({token.Length} characters): must have at least {MinAccessTokenLength}; or give none and one is generated.");
        }

        if (MaxUploadBytes < 1)
        {
            problems.Add($"max upload bytes (--max-upload-mb) = {MaxUploadBytes}: must be at least 1.");
        }

        if (MaxUploadEntries < 1)
        {
            problems.Add($"max upload entries (--max-upload-entries) = {MaxUploadEntries}: must be at least 1.");
        }

        return problems;
    }
}
