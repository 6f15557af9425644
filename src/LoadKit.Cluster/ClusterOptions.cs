using System.Globalization;
using System.Text;

namespace LoadKit;

/// <summary>What a distributed run does when a worker is lost mid-run.</summary>
public enum WorkerLossPolicy
{
    /// <summary>The lost worker's remaining share moves to the survivors; the result names the lost worker and says so.</summary>
    Rebalance,

    /// <summary>The run stops and fails with an error naming the lost worker.</summary>
    Fail,
}

/// <summary>
/// Where a distributed run finds its workers and how it treats them. A run is distributed when
/// <see cref="RunOptions.Target"/> is a <see cref="ClusterTarget"/>, which <see cref="ClusterTarget.FromEnvironment"/> makes when
/// <see cref="EtcdVariable"/> names etcd endpoints (LoadKit.Testing also reads NUnit run parameters).
/// </summary>
public sealed record ClusterOptions
{
    /// <summary>Comma-separated etcd endpoints, e.g. <c>http://10.0.0.5:2379</c>: set it to run distributed.</summary>
    public const string EtcdVariable = "LOADKIT_ETCD";

    /// <summary>How many idle workers the run needs (default 1).</summary>
    public const string WorkersVariable = "LOADKIT_WORKERS";

    /// <summary>How long to wait for them, in seconds (default 60).</summary>
    public const string WorkerWaitVariable = "LOADKIT_WORKER_WAIT";

    /// <summary>The etcd key prefix the workers register under (default <c>loadkit</c>).</summary>
    public const string PrefixVariable = "LOADKIT_PREFIX";

    /// <summary>The workers' shared token (the same variable the worker reads).</summary>
    public const string TokenVariable = "LOADKIT_WORKER_TOKEN";

    /// <summary>A file holding the token, instead of <see cref="TokenVariable"/>.</summary>
    public const string TokenFileVariable = "LOADKIT_WORKER_TOKEN_FILE";

    /// <summary><c>rebalance</c> (default) or <c>fail</c>: see <see cref="WorkerLossPolicy"/>.</summary>
    public const string OnWorkerLossVariable = "LOADKIT_ON_WORKER_LOSS";

    /// <summary>Comma-separated names of environment variables to forward to the workers, e.g. <c>SHOP_URL,API_KEY</c>.</summary>
    public const string ForwardVariable = "LOADKIT_FORWARD";

    /// <summary>A PEM file of the certificate authority (or the self-signed certificate) that workers serving TLS present.</summary>
    public const string TlsCaVariable = "LOADKIT_TLS_CA";

    /// <summary>
    /// Comma-separated SHA-256 thumbprints of the worker certificates this controller accepts (hex, colons allowed, as
    /// <c>openssl x509 -noout -fingerprint -sha256</c> prints them): a worker presenting another certificate, or none, is
    /// not used.
    /// </summary>
    public const string WorkerThumbprintsVariable = "LOADKIT_WORKER_THUMBPRINTS";

    /// <summary>
    /// Comma-separated names (DNS names or common names) of the worker certificates this controller accepts; the
    /// certificate must also chain to <see cref="TlsCaVariable"/> (or the system's authorities).
    /// </summary>
    public const string WorkerIdentitiesVariable = "LOADKIT_WORKER_IDENTITIES";

    /// <summary>A PEM file of the authority that etcd's certificate must chain to (with <c>https://</c> endpoints).</summary>
    public const string EtcdCaVariable = "LOADKIT_ETCD_CA";

    /// <summary>A PEM client certificate for etcd (its <c>--client-cert-auth</c>), with <see cref="EtcdKeyVariable"/>.</summary>
    public const string EtcdCertVariable = "LOADKIT_ETCD_CERT";

    /// <summary>The PEM key of <see cref="EtcdCertVariable"/>.</summary>
    public const string EtcdKeyVariable = "LOADKIT_ETCD_KEY";

    /// <summary>The etcd user, when etcd has authentication on (the same variable the worker reads).</summary>
    public const string EtcdUserVariable = "LOADKIT_ETCD_USER";

    /// <summary>The etcd user's password.</summary>
    public const string EtcdPasswordVariable = "LOADKIT_ETCD_PASSWORD";

    /// <summary>A file holding the etcd user's password, instead of <see cref="EtcdPasswordVariable"/>.</summary>
    public const string EtcdPasswordFileVariable = "LOADKIT_ETCD_PASSWORD_FILE";

    /// <summary>The shortest token accepted (the worker's rule).</summary>
    public const int MinTokenLength = 16;

    /// <summary>Creates options for the etcd at <paramref name="etcd"/>, expecting <paramref name="workers"/> workers that share <paramref name="token"/>.</summary>
    /// <exception cref="ArgumentException">A value is not allowed; the message names it.</exception>
    public ClusterOptions(IReadOnlyList<Uri> etcd, int workers, string token)
    {
        ArgumentNullException.ThrowIfNull(etcd);
        ArgumentNullException.ThrowIfNull(token);
        if (etcd.Count == 0 || etcd.Any(e => e is null || !e.IsAbsoluteUri || e.Scheme is not ("http" or "https")))
        {
            throw new ArgumentException($"etcd = [{string.Join(", ", etcd)}]: give at least one endpoint, each an absolute http:// or https:// address.", nameof(etcd));
        }

        CheckWorkers(workers);
        if (token.Length < MinTokenLength)
        {
            throw new ArgumentException($"token = ({token.Length} characters): must have at least {MinTokenLength}, the length workers require.", nameof(token));
        }

        Etcd = etcd;
        Workers = workers;
        Token = token;
    }

    /// <summary>These options for a run on <paramref name="workers"/> workers (a control page chooses the count per run).</summary>
    /// <exception cref="ArgumentException"><paramref name="workers"/> is below 1.</exception>
    public ClusterOptions WithWorkers(int workers) => this with { Workers = CheckWorkers(workers) };

    private static int CheckWorkers(int workers) =>
        workers >= 1 ? workers : throw new ArgumentException($"workers = {workers}: must be at least 1.", nameof(workers));

    /// <summary>The etcd endpoints.</summary>
    public IReadOnlyList<Uri> Etcd { get; }

    /// <summary>How many idle workers the run uses; it waits for that many.</summary>
    public int Workers { get; private init; }

    /// <summary>The token every call to a worker carries.</summary>
    public string Token { get; }

    /// <summary>The etcd key prefix the workers register under. Default: <c>loadkit</c>.</summary>
    public string Prefix { get; init; } = "loadkit";

    /// <summary>
    /// How long to wait for <see cref="Workers"/> idle workers that no other run has claimed (another run's claims end
    /// with it, so this should cover the longest run that may hold the pool). Default: 60 s.
    /// </summary>
    public TimeSpan WorkerWait { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>What happens when a worker is lost. Default: <see cref="WorkerLossPolicy.Rebalance"/>.</summary>
    public WorkerLossPolicy OnWorkerLoss { get; init; } = WorkerLossPolicy.Rebalance;

    /// <summary>
    /// Environment variables whose values (here, in the controller) the workers get for the run, so a scenario
    /// factory that reads its target from the environment builds the same scenario there. Default: none.
    /// </summary>
    public IReadOnlyList<string> Forward { get; init; } = [];

    /// <summary>
    /// A PEM file with the certificate authority that workers' TLS certificates must chain to (workers started
    /// with <c>--tls-cert</c>); null trusts the system's authorities. Workers without TLS need none.
    /// </summary>
    public string? TlsCa { get; init; }

    /// <summary>
    /// SHA-256 thumbprints (hex) of the only worker certificates accepted. Default: none (no pinning by thumbprint).
    /// With this, <see cref="TlsCa"/> or <see cref="WorkerIdentities"/> set, the controller checks each registered
    /// worker's certificate with a bare TLS handshake before it claims it, and never uses a worker that serves
    /// plaintext or presents another certificate: no upload and no token go to it, and the result's notes name it.
    /// </summary>
    public IReadOnlyList<string> WorkerThumbprints { get; init; } = [];

    /// <summary>
    /// Names (DNS names or common names) of the only worker certificates accepted, which must also chain to
    /// <see cref="TlsCa"/> (or the system's authorities). They replace the check that the certificate names the
    /// registered address. Default: none.
    /// </summary>
    public IReadOnlyList<string> WorkerIdentities { get; init; } = [];

    /// <summary>A PEM file of the authority that etcd's certificate must chain to; null: the system's authorities.</summary>
    public string? EtcdCa { get; init; }

    /// <summary>A PEM client certificate for etcd (with <see cref="EtcdKey"/>); null: none.</summary>
    public string? EtcdCertificate { get; init; }

    /// <summary>The PEM key of <see cref="EtcdCertificate"/>.</summary>
    public string? EtcdKey { get; init; }

    /// <summary>The etcd user when etcd has authentication on (with <see cref="EtcdPassword"/>); null: none.</summary>
    public string? EtcdUser { get; init; }

    /// <summary>The etcd user's password.</summary>
    public string? EtcdPassword { get; init; }

    /// <summary>
    /// What <see cref="object.ToString"/> prints: every setting but the secrets (the token and the etcd password, given
    /// only as whether and how long they are), so options that reach a log or an exception leak neither.
    /// </summary>
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Etcd = [").AppendJoin(", ", Etcd).Append("], Workers = ").Append(Workers)
            .Append(", Token = (").Append(Token.Length).Append(" characters), Prefix = ").Append(Prefix)
            .Append(", WorkerWait = ").Append(WorkerWait).Append(", OnWorkerLoss = ").Append(OnWorkerLoss)
            .Append(", Forward = [").AppendJoin(", ", Forward).Append("], TlsCa = ").Append(TlsCa)
            .Append(", WorkerThumbprints = [").AppendJoin(", ", WorkerThumbprints)
            .Append("], WorkerIdentities = [").AppendJoin(", ", WorkerIdentities)
            .Append("], EtcdCa = ").Append(EtcdCa).Append(", EtcdCertificate = ").Append(EtcdCertificate)
            .Append(", EtcdKey = ").Append(EtcdKey).Append(", EtcdUser = ").Append(EtcdUser)
            .Append(", EtcdPassword = ").Append(EtcdPassword is null ? "null" : "(hidden)");
        return true;
    }

    /// <summary>
    /// Reads the cluster settings through <paramref name="lookup"/> (an environment variable name in, its value out);
    /// null when <see cref="EtcdVariable"/> is not set, i.e. the run is local.
    /// </summary>
    /// <param name="lookup">Gives the value of a setting, or null.</param>
    /// <param name="source">Names a setting in error messages, e.g. "environment variable LOADKIT_WORKERS".</param>
    /// <exception cref="ArgumentException">Settings hold values that are not allowed; the message lists every one.</exception>
    public static ClusterOptions? Parse(Func<string, string?> lookup, Func<string, string> source)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        ArgumentNullException.ThrowIfNull(source);
        var etcd = lookup(EtcdVariable);
        if (string.IsNullOrWhiteSpace(etcd))
        {
            return null;
        }

        var problems = new List<string>();
        var endpoints = new List<Uri>();
        foreach (var text in etcd.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
            {
                endpoints.Add(uri);
            }
            else
            {
                problems.Add($"{source(EtcdVariable)} = '{etcd}': '{text}' is not an http:// or https:// address.");
            }
        }

        var workers = 1;
        if (lookup(WorkersVariable) is { Length: > 0 } workersText
            && (!int.TryParse(workersText, NumberStyles.None, CultureInfo.InvariantCulture, out workers) || workers < 1))
        {
            problems.Add($"{source(WorkersVariable)} = '{workersText}': must be a whole number of at least 1.");
        }

        var wait = TimeSpan.FromSeconds(60);
        if (lookup(WorkerWaitVariable) is { Length: > 0 } waitText)
        {
            if (double.TryParse(waitText, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 && seconds <= 86_400)
            {
                wait = TimeSpan.FromSeconds(seconds);
            }
            else
            {
                problems.Add($"{source(WorkerWaitVariable)} = '{waitText}': must be a number of seconds above 0 and at most 86400.");
            }
        }

        var policy = WorkerLossPolicy.Rebalance;
        if (lookup(OnWorkerLossVariable) is { Length: > 0 } policyText)
        {
            switch (policyText.Trim().ToLowerInvariant())
            {
                case "rebalance":
                    break;
                case "fail":
                    policy = WorkerLossPolicy.Fail;
                    break;
                default:
                    problems.Add($"{source(OnWorkerLossVariable)} = '{policyText}': allowed values are 'rebalance' and 'fail'.");
                    break;
            }
        }

        var token = ReadToken(lookup, source, problems);
        var thumbprints = List(lookup(WorkerThumbprintsVariable)).Select(t => t.Replace(":", "", StringComparison.Ordinal).ToUpperInvariant()).ToArray();
        foreach (var thumbprint in thumbprints.Where(t => t.Length != 64 || !t.All(char.IsAsciiHexDigit)))
        {
            problems.Add($"{source(WorkerThumbprintsVariable)}: '{thumbprint}' is not a SHA-256 thumbprint; allowed: 64 hex digits (colons allowed), " +
                "as `openssl x509 -in worker.crt -noout -fingerprint -sha256` prints them, comma-separated.");
        }

        string? etcdPassword = lookup(EtcdPasswordVariable) is { Length: > 0 } password ? password : null;
        if (etcdPassword is null && lookup(EtcdPasswordFileVariable) is { Length: > 0 } passwordFile)
        {
            try
            {
                etcdPassword = File.ReadAllText(passwordFile).Trim();
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                problems.Add($"{source(EtcdPasswordFileVariable)} = '{passwordFile}': cannot be read ({exception.Message}).");
            }
        }

        var prefix = lookup(PrefixVariable) is { Length: > 0 } prefixText ? prefixText.Trim('/') : "loadkit";
        if (problems.Count > 0)
        {
            throw new ArgumentException("The distributed run settings are not valid:" + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(p => "  - " + p)));
        }

        string? Value(string variable) => lookup(variable) is { Length: > 0 } value ? value : null;
        return new ClusterOptions(endpoints, workers, token!)
        {
            Prefix = prefix,
            WorkerWait = wait,
            OnWorkerLoss = policy,
            Forward = List(lookup(ForwardVariable)),
            TlsCa = Value(TlsCaVariable),
            WorkerThumbprints = thumbprints,
            WorkerIdentities = List(lookup(WorkerIdentitiesVariable)),
            EtcdCa = Value(EtcdCaVariable),
            EtcdCertificate = Value(EtcdCertVariable),
            EtcdKey = Value(EtcdKeyVariable),
            EtcdUser = Value(EtcdUserVariable),
            EtcdPassword = etcdPassword,
        };
    }

    private static string[] List(string? value) => (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    private static string? ReadToken(Func<string, string?> lookup, Func<string, string> source, List<string> problems)
    {
        var token = lookup(TokenVariable);
        if (string.IsNullOrEmpty(token) && lookup(TokenFileVariable) is { Length: > 0 } file)
        {
            try
            {
                token = File.ReadAllText(file).Trim();
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                problems.Add($"{source(TokenFileVariable)} = '{file}': cannot be read ({exception.Message}).");
                return null;
            }
        }

        if (string.IsNullOrEmpty(token) || token.Length < MinTokenLength)
        {
            problems.Add($"{source(TokenVariable)} (or {TokenFileVariable}) = ({token?.Length ?? 0} characters): the workers' token is required, at least {MinTokenLength} characters.");
        }

        return token;
    }
}
