using System.Globalization;
using System.Net;
using LoadKit.Cluster;

namespace LoadKit.Worker;

/// <summary>
/// A worker's settings, from its command line and environment. Every problem is collected and reported with the
/// option, the value and what is allowed.
/// </summary>
internal sealed record WorkerOptions
{
    public const string TokenVariable = "LOADKIT_WORKER_TOKEN";

    public const string MaxUnpackedVariable = "LOADKIT_WORKER_MAX_UNPACKED_MB";

    public const string MaxEntriesVariable = "LOADKIT_WORKER_MAX_ENTRIES";

    public const string CacheArtifactsVariable = "LOADKIT_WORKER_CACHE_ARTIFACTS";

    public const string CacheMegabytesVariable = "LOADKIT_WORKER_CACHE_MB";

    public const string ArtifactsDirectoryVariable = "LOADKIT_WORKER_ARTIFACTS_DIR";

    /// <summary><c>true</c>: serve plaintext h2c beyond loopback (the flag <c>--allow-plaintext</c>).</summary>
    public const string AllowPlaintextVariable = "LOADKIT_WORKER_ALLOW_PLAINTEXT";

    /// <summary>
    /// Options a container or a Kubernetes pod sets through its environment; an option on the command line wins.
    /// The etcd and prefix variables are the controller's, so one CI environment can serve both.
    /// </summary>
    public static readonly IReadOnlyList<(string Option, string Variable)> EnvironmentOptions =
    [
        ("--etcd", "LOADKIT_ETCD"),
        ("--prefix", "LOADKIT_PREFIX"),
        ("--listen", "LOADKIT_WORKER_LISTEN"),
        ("--advertise", "LOADKIT_WORKER_ADVERTISE"),
        ("--token-file", "LOADKIT_WORKER_TOKEN_FILE"),
        ("--max-upload-mb", "LOADKIT_WORKER_MAX_UPLOAD_MB"),
        ("--max-unpacked-mb", MaxUnpackedVariable),
        ("--max-entries", MaxEntriesVariable),
        ("--cache-artifacts", CacheArtifactsVariable),
        ("--cache-mb", CacheMegabytesVariable),
        ("--artifacts-dir", ArtifactsDirectoryVariable),
        ("--tls-cert", "LOADKIT_WORKER_TLS_CERT"),
        ("--tls-key", "LOADKIT_WORKER_TLS_KEY"),
        ("--etcd-ca", ClusterOptions.EtcdCaVariable),
        ("--etcd-cert", ClusterOptions.EtcdCertVariable),
        ("--etcd-key", ClusterOptions.EtcdKeyVariable),
        ("--etcd-user", ClusterOptions.EtcdUserVariable),
        ("--etcd-password-file", ClusterOptions.EtcdPasswordFileVariable),
    ];

    public IReadOnlyList<Uri> EtcdEndpoints { get; init; } = [];

    /// <summary>How to reach etcd: its endpoints, TLS and user (set by <see cref="Parse"/>).</summary>
    public EtcdAccess Etcd { get; init; } = null!;

    public IPEndPoint Listen { get; init; } = new(IPAddress.Loopback, 0);

    /// <summary>
    /// The host (and port) the worker registers for controllers to call, when that is not the address it listens on
    /// (it listens on 0.0.0.0 in a pod; others reach it at the pod's IP). Null: the bound address.
    /// </summary>
    public (string Host, int? Port)? Advertise { get; init; }

    public string Prefix { get; init; } = "loadkit";

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    public string Token { get; init; } = "";

    public long MaxUploadBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>The most an upload may unpack to, counted from the bytes actually written (a zip's headers can lie).</summary>
    public long MaxUnpackedBytes { get; init; } = 512L * 1024 * 1024;

    /// <summary>The most entries (files and folders) an upload may hold.</summary>
    public int MaxEntries { get; init; } = 20_000;

    /// <summary>The most unpacked artifacts kept; the least recently used go first.</summary>
    public int CacheArtifacts { get; init; } = 20;

    /// <summary>The most bytes of unpacked artifacts kept; the least recently used go first.</summary>
    public long CacheBytes { get; init; } = 2048L * 1024 * 1024;

    /// <summary>
    /// Where artifacts are kept across restarts (one worker per folder). Null: a temporary folder of this process,
    /// deleted when it stops.
    /// </summary>
    public string? ArtifactsDirectory { get; init; }

    /// <summary>Seconds of the etcd lease: the key vanishes this long after the worker dies.</summary>
    public int LeaseSeconds { get; init; } = 3;

    /// <summary>A PEM certificate and key: the service then speaks HTTP/2 over TLS (for use beyond loopback).</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? TlsCertificate { get; init; }

    /// <summary>Plaintext h2c is allowed beyond loopback (<c>--allow-plaintext</c>): the token then travels in clear.</summary>
    public bool AllowPlaintext { get; init; }

    /// <summary>Test only: shifts the clock the worker reports and starts by, to prove offset estimation works.</summary>
    public TimeSpan ClockOffset { get; init; }

    public const string Usage = """
        loadkit-worker --etcd URL[,URL...] [options]

          --etcd URL[,URL...]     etcd endpoints, e.g. http://127.0.0.1:2379 (required)
          --listen HOST:PORT      where the gRPC service listens (default 127.0.0.1:0: a free port)
          --advertise HOST[:PORT] the address controllers call, when others cannot reach the --listen address
                                  (e.g. the pod IP when listening on 0.0.0.0); the port defaults to the bound one
          --prefix NAME           etcd key prefix (default loadkit): the worker registers /NAME/workers/ID
          --label KEY=VALUE       a label (repeatable)
          --token-file PATH       file holding the shared token; or set LOADKIT_WORKER_TOKEN (one is required)
          --max-upload-mb N       the largest test artifact accepted (default 256)
          --max-unpacked-mb N     the most an artifact may unpack to, 1..65536 (default 512)
          --max-entries N         the most files and folders in an artifact, 1..1000000 (default 20000)
          --cache-artifacts N     artifacts kept, least recently used evicted first, 1..10000 (default 20)
          --cache-mb N            megabytes of unpacked artifacts kept, 1..1048576 (default 2048)
          --artifacts-dir PATH    keep artifacts here across restarts, one worker per folder
                                  (default: a temporary folder, deleted when the worker stops)
          --lease-seconds N       etcd lease TTL, 1..60 (default 3)
          --tls-cert PATH         PEM certificate: serve over TLS (with --tls-key); required when --listen is not
                                  a loopback address, unless --allow-plaintext
          --tls-key PATH          PEM private key of --tls-cert
          --allow-plaintext       serve plaintext h2c beyond loopback: the controllers' token travels in clear,
                                  so only on a network you trust
          --etcd-ca PATH          PEM authority that etcd's certificate must chain to (https:// endpoints)
          --etcd-cert PATH        PEM client certificate for etcd (with --etcd-key), for its --client-cert-auth
          --etcd-key PATH         PEM private key of --etcd-cert
          --etcd-user NAME        etcd user when etcd has authentication on; its password in LOADKIT_ETCD_PASSWORD
          --etcd-password-file PATH  file holding the etcd user's password

        In a container, the environment can set these (an option given on the command line wins):
          LOADKIT_ETCD (--etcd), LOADKIT_PREFIX (--prefix), LOADKIT_WORKER_LISTEN (--listen),
          LOADKIT_WORKER_ADVERTISE (--advertise), LOADKIT_WORKER_TOKEN_FILE (--token-file), LOADKIT_WORKER_TOKEN,
          LOADKIT_WORKER_MAX_UPLOAD_MB, LOADKIT_WORKER_MAX_UNPACKED_MB, LOADKIT_WORKER_MAX_ENTRIES,
          LOADKIT_WORKER_CACHE_ARTIFACTS, LOADKIT_WORKER_CACHE_MB, LOADKIT_WORKER_ARTIFACTS_DIR,
          LOADKIT_WORKER_TLS_CERT, LOADKIT_WORKER_TLS_KEY, LOADKIT_WORKER_ALLOW_PLAINTEXT=true,
          LOADKIT_ETCD_CA, LOADKIT_ETCD_CERT, LOADKIT_ETCD_KEY, LOADKIT_ETCD_USER,
          LOADKIT_ETCD_PASSWORD_FILE, LOADKIT_ETCD_PASSWORD (the options above)
        """;

    public static (WorkerOptions? Options, IReadOnlyList<string> Problems) Parse(IReadOnlyList<string> commandLine, Func<string, string?> environment)
    {
        // Options from the environment come first, so the same option on the command line overrides them.
        var fromEnvironment = EnvironmentOptions
            .Where(o => !commandLine.Contains(o.Option) && !string.IsNullOrWhiteSpace(environment(o.Variable)))
            .ToArray();
        IReadOnlyList<string> args = [.. fromEnvironment.SelectMany(o => new[] { o.Option, environment(o.Variable)!.Trim() }), .. commandLine];
        var problems = new List<string>();
        var options = new WorkerOptions();
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        string? tokenFile = null;
        string? tlsCertificate = null;
        string? tlsKey = null;
        string? etcdCa = null;
        string? etcdCertificate = null;
        string? etcdKey = null;
        string? etcdUser = null;
        string? etcdPasswordFile = null;
        var allowPlaintext = AllowPlaintextFromEnvironment(environment, problems);
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal))
            {
                problems.Add($"'{name}' is not an option; options start with -- (see --help).");
                continue;
            }

            if (name == "--allow-plaintext")
            {
                allowPlaintext = true; // a flag: no value
                continue;
            }

            if (i + 1 >= args.Count)
            {
                problems.Add($"{name} needs a value.");
                break;
            }

            var value = args[++i];
            var problemsBefore = problems.Count;
            switch (name)
            {
                case "--etcd":
                    var endpoints = new List<Uri>();
                    foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        if (Uri.TryCreate(part, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && !uri.IsDefaultPort)
                        {
                            endpoints.Add(uri);
                        }
                        else
                        {
                            problems.Add($"--etcd '{part}': not an endpoint; allowed: http(s)://host:port, e.g. http://127.0.0.1:2379.");
                        }
                    }

                    options = options with { EtcdEndpoints = endpoints };
                    break;
                case "--listen":
                    if (IPEndPoint.TryParse(value, out var endPoint) && value.Contains(':', StringComparison.Ordinal))
                    {
                        options = options with { Listen = endPoint };
                    }
                    else
                    {
                        problems.Add($"--listen '{value}': not an address; allowed: IP:PORT, e.g. 127.0.0.1:0 (port 0 picks a free one).");
                    }

                    break;
                case "--advertise":
                    // A bracketed IPv6 address keeps its colons inside the brackets; a port follows the last colon.
                    var hasPort = value.LastIndexOf(':') > value.LastIndexOf(']');
                    if (!value.StartsWith('[') && IPAddress.TryParse(value, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
                    {
                        // A bare IPv6 address, as the downward API gives a pod's IP: no port (bracket it to add one).
                        options = options with { Advertise = ($"[{ip}]", null) };
                    }
                    else if (!value.Contains('/', StringComparison.Ordinal) && !value.Contains('@', StringComparison.Ordinal)
                        && Uri.TryCreate("http://" + value, UriKind.Absolute, out var advertised) && advertised.PathAndQuery == "/"
                        && (!hasPort || advertised.Port > 0))
                    {
                        options = options with { Advertise = (advertised.Host, hasPort ? advertised.Port : null) };
                    }
                    else
                    {
                        problems.Add($"--advertise '{value}': allowed: HOST or HOST:PORT, e.g. 10.1.2.3 or worker-0.loadkit:7070 ([...] around an IPv6 address).");
                    }

                    break;
                case "--prefix":
                    if (string.IsNullOrWhiteSpace(value.Trim('/')) || value.Any(char.IsWhiteSpace))
                    {
                        problems.Add($"--prefix '{value}': allowed: a non-empty name without spaces, e.g. loadkit.");
                    }
                    else
                    {
                        options = options with { Prefix = value.Trim('/') };
                    }

                    break;
                case "--label":
                    var pair = value.Split('=', 2);
                    if (pair.Length != 2 || pair[0].Length == 0)
                    {
                        problems.Add($"--label '{value}': allowed: KEY=VALUE, e.g. zone=a.");
                    }
                    else
                    {
                        labels[pair[0]] = pair[1];
                    }

                    break;
                case "--token-file":
                    tokenFile = value;
                    break;
                case "--tls-cert":
                    tlsCertificate = value;
                    break;
                case "--tls-key":
                    tlsKey = value;
                    break;
                case "--etcd-ca":
                    etcdCa = value;
                    break;
                case "--etcd-cert":
                    etcdCertificate = value;
                    break;
                case "--etcd-key":
                    etcdKey = value;
                    break;
                case "--etcd-user":
                    etcdUser = value;
                    break;
                case "--etcd-password-file":
                    etcdPasswordFile = value;
                    break;
                case "--max-upload-mb":
                    if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var megabytes) && megabytes is >= 1 and <= 16_384)
                    {
                        options = options with { MaxUploadBytes = megabytes * 1024L * 1024 };
                    }
                    else
                    {
                        problems.Add($"--max-upload-mb '{value}': allowed: a whole number from 1 to 16384.");
                    }

                    break;
                case "--max-unpacked-mb":
                    if (Whole(name, value, 1, 65_536, problems) is { } unpacked)
                    {
                        options = options with { MaxUnpackedBytes = unpacked * 1024L * 1024 };
                    }

                    break;
                case "--max-entries":
                    if (Whole(name, value, 1, 1_000_000, problems) is { } entries)
                    {
                        options = options with { MaxEntries = entries };
                    }

                    break;
                case "--cache-artifacts":
                    if (Whole(name, value, 1, 10_000, problems) is { } kept)
                    {
                        options = options with { CacheArtifacts = kept };
                    }

                    break;
                case "--cache-mb":
                    if (Whole(name, value, 1, 1_048_576, problems) is { } cache)
                    {
                        options = options with { CacheBytes = cache * 1024L * 1024 };
                    }

                    break;
                case "--artifacts-dir":
                    if (ArtifactsDirectoryProblem(value) is { } problem)
                    {
                        problems.Add($"--artifacts-dir '{value}': {problem}");
                    }
                    else
                    {
                        options = options with { ArtifactsDirectory = Path.GetFullPath(value) };
                    }

                    break;
                case "--lease-seconds":
                    if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds is >= 1 and <= 60)
                    {
                        options = options with { LeaseSeconds = seconds };
                    }
                    else
                    {
                        problems.Add($"--lease-seconds '{value}': allowed: a whole number from 1 to 60.");
                    }

                    break;
                case "--test-clock-offset-ms":
                    if (int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var offset))
                    {
                        options = options with { ClockOffset = TimeSpan.FromMilliseconds(offset) };
                    }
                    else
                    {
                        problems.Add($"--test-clock-offset-ms '{value}': allowed: a whole number of milliseconds.");
                    }

                    break;
                default:
                    problems.Add($"{name}: unknown option (see --help).");
                    break;
            }

            if (i < 2 * fromEnvironment.Length)
            {
                var variable = fromEnvironment[i / 2].Variable;
                for (var p = problemsBefore; p < problems.Count; p++)
                {
                    problems[p] = $"{variable} (environment): {problems[p]}";
                }
            }
        }

        if (options.EtcdEndpoints.Count == 0 && !problems.Any(p => p.StartsWith("--etcd '", StringComparison.Ordinal) || p.Contains("(environment): --etcd '", StringComparison.Ordinal)))
        {
            problems.Add("--etcd: missing; allowed: one or more etcd endpoints, e.g. --etcd http://127.0.0.1:2379 (or LOADKIT_ETCD).");
        }

        var problemsBeforeToken = problems.Count;
        var token = ReadToken(tokenFile, environment, problems);
        if (tokenFile is not null && !commandLine.Contains("--token-file"))
        {
            for (var p = problemsBeforeToken; p < problems.Count; p++)
            {
                problems[p] = $"LOADKIT_WORKER_TOKEN_FILE (environment): {problems[p]}";
            }
        }

        options = options with { TlsCertificate = ReadCertificate(tlsCertificate, tlsKey, problems), AllowPlaintext = allowPlaintext };
        if (options.TlsCertificate is null && tlsCertificate is null && !allowPlaintext && !IPAddress.IsLoopback(options.Listen.Address))
        {
            problems.Add($"--listen {options.Listen}: not a loopback address, and no TLS: controllers send their token with every call, and over " +
                "plaintext h2c anyone on the network path can read it and run code on this worker. Serve TLS with --tls-cert PATH --tls-key PATH " +
                $"(LOADKIT_WORKER_TLS_CERT, LOADKIT_WORKER_TLS_KEY), or on a network you trust waive it with --allow-plaintext ({AllowPlaintextVariable}=true).");
        }

        var etcd = ReadEtcdAccess(options.EtcdEndpoints, etcdCa, etcdCertificate, etcdKey, etcdUser, etcdPasswordFile, environment, problems);
        return problems.Count > 0 ? (null, problems) : (options with { Labels = labels, Token = token!, Etcd = etcd! }, problems);
    }

    /// <summary>How settings are named in the worker's messages: the option and its environment variable.</summary>
    private static string Setting(string variable) => variable switch
    {
        ClusterOptions.EtcdPasswordVariable => $"{variable} (or --etcd-password-file)",
        _ => EnvironmentOptions.FirstOrDefault(o => o.Variable == variable) is { Option: not null } option ? $"{option.Option} ({variable})" : variable,
    };

    private static EtcdAccess? ReadEtcdAccess(
        IReadOnlyList<Uri> endpoints, string? ca, string? certificate, string? key, string? user, string? passwordFile, Func<string, string?> environment, List<string> problems)
    {
        var password = environment(ClusterOptions.EtcdPasswordVariable);
        if (passwordFile is not null)
        {
            try
            {
                password = File.ReadAllText(passwordFile).Trim();
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                problems.Add($"--etcd-password-file '{passwordFile}': cannot be read ({exception.Message}).");
                return null;
            }
        }

        if (endpoints.Count == 0)
        {
            return null;
        }

        try
        {
            return new EtcdAccess(endpoints, ca, certificate, key, user, string.IsNullOrEmpty(password) ? null : password, Setting);
        }
        catch (ArgumentException exception)
        {
            problems.AddRange(exception.Message.Split(Environment.NewLine));
            return null;
        }
    }

    private static bool AllowPlaintextFromEnvironment(Func<string, string?> environment, List<string> problems)
    {
        switch (environment(AllowPlaintextVariable)?.Trim().ToLowerInvariant())
        {
            case null or "" or "false":
                return false;
            case "true":
                return true;
            case var other:
                problems.Add($"{AllowPlaintextVariable} (environment) '{other}': allowed: true or false.");
                return false;
        }
    }

    private static int? Whole(string option, string value, int minimum, int maximum, List<string> problems)
    {
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= minimum && number <= maximum)
        {
            return number;
        }

        problems.Add(string.Create(CultureInfo.InvariantCulture, $"{option} '{value}': allowed: a whole number from {minimum} to {maximum}."));
        return null;
    }

    /// <summary>Why the folder cannot hold this worker's artifacts (not creatable, or another worker holds it), or null.</summary>
    private static string? ArtifactsDirectoryProblem(string value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return "allowed: a folder this worker may create and write, e.g. /var/lib/loadkit-worker/artifacts.";
        }

        try
        {
            var folder = Directory.CreateDirectory(value).FullName;
            using var probe = Service.ArtifactStore.LockFolder(folder);
            return null;
        }
        catch (IOException exception) when (exception.Message.Contains(Service.ArtifactStore.LockFileName, StringComparison.Ordinal))
        {
            return exception.Message;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return $"cannot be created or written ({exception.Message}); allowed: a folder this worker may create and write.";
        }
    }

    private static System.Security.Cryptography.X509Certificates.X509Certificate2? ReadCertificate(string? certificate, string? key, List<string> problems)
    {
        if (certificate is null && key is null)
        {
            return null;
        }

        if (certificate is null || key is null)
        {
            problems.Add($"--tls-cert '{certificate}' --tls-key '{key}': give both, or neither for plain h2c on a trusted network.");
            return null;
        }

        try
        {
            return System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(certificate, key);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            problems.Add($"--tls-cert '{certificate}' --tls-key '{key}': cannot be loaded as a PEM certificate and key ({exception.Message}).");
            return null;
        }
    }

    private static string? ReadToken(string? tokenFile, Func<string, string?> environment, List<string> problems)
    {
        if (tokenFile is not null)
        {
            try
            {
                var fromFile = File.ReadAllText(tokenFile).Trim();
                if (fromFile.Length >= 16)
                {
                    return fromFile;
                }

                problems.Add($"--token-file '{tokenFile}': the token it holds has {fromFile.Length} characters; allowed: at least 16.");
                return null;
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                problems.Add($"--token-file '{tokenFile}': cannot be read ({exception.Message}).");
                return null;
            }
        }

        var fromEnvironment = environment(TokenVariable)?.Trim();
        if (fromEnvironment is { Length: >= 16 })
        {
            return fromEnvironment;
        }

        problems.Add(fromEnvironment is null
            ? $"token: missing; a worker runs code it is sent, so it needs a shared token: --token-file PATH or {TokenVariable} (at least 16 characters)."
            : $"{TokenVariable}: {fromEnvironment.Length} characters; allowed: at least 16.");
        return null;
    }
}
