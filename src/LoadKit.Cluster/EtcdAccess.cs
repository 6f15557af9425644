using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using dotnet_etcd;
using Grpc.Core;

namespace LoadKit.Cluster;

/// <summary>
/// How a process reaches etcd: its endpoints, and when they are <c>https://</c> the authority that signed etcd's
/// certificate and a client certificate (for etcd's <c>--client-cert-auth</c>), and a user and password when etcd has
/// authentication on. Both sides use it: the controller to find and claim workers, the worker to register. A
/// failure that settings cause (a refused password, a certificate not trusted either way) is told apart from an
/// etcd that does not answer (<see cref="ExplainAsync"/>), so it is reported at once, naming the endpoint and the
/// setting, rather than retried.
/// </summary>
public sealed class EtcdAccess
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);
    private readonly X509Certificate2Collection? _authorities;
    private readonly X509Certificate2? _certificate;
    private readonly string? _password;
    private readonly Func<string, string> _setting;

    /// <summary>Reads the files the settings name.</summary>
    /// <param name="endpoints">etcd's endpoints, all <c>http://</c> or all <c>https://</c>.</param>
    /// <param name="authorityFile">PEM authorities etcd's certificate must chain to (only those); null: the system's.</param>
    /// <param name="certificateFile">PEM client certificate, with <paramref name="keyFile"/>.</param>
    /// <param name="keyFile">PEM key of <paramref name="certificateFile"/>.</param>
    /// <param name="user">etcd user, with <paramref name="password"/>.</param>
    /// <param name="password">its password.</param>
    /// <param name="setting">Names a setting in messages, given its environment variable (e.g. <c>LOADKIT_ETCD_CA</c>).</param>
    /// <exception cref="ArgumentException">Settings that cannot be used; the message lists each, by name.</exception>
    public EtcdAccess(
        IReadOnlyList<Uri> endpoints, string? authorityFile = null, string? certificateFile = null, string? keyFile = null,
        string? user = null, string? password = null, Func<string, string>? setting = null)
    {
        ArgumentOutOfRangeException.ThrowIfZero(endpoints.Count);
        Endpoints = endpoints;
        _setting = setting ?? (name => name);
        var problems = new List<string>();
        UsesTls = endpoints.All(e => e.Scheme == Uri.UriSchemeHttps);
        if (!UsesTls && endpoints.Any(e => e.Scheme == Uri.UriSchemeHttps))
        {
            problems.Add($"{_setting(ClusterOptions.EtcdVariable)} = '{string.Join(",", endpoints)}': all https:// or all http://, not both.");
        }
        else if (!UsesTls && (authorityFile ?? certificateFile ?? keyFile) is not null)
        {
            problems.Add($"{string.Join(", ", Given((ClusterOptions.EtcdCaVariable, authorityFile), (ClusterOptions.EtcdCertVariable, certificateFile), (ClusterOptions.EtcdKeyVariable, keyFile)))} " +
                $"set, but {_setting(ClusterOptions.EtcdVariable)} = '{string.Join(",", endpoints)}' is plain http://: give https:// endpoints to use TLS.");
        }

        if (authorityFile is not null)
        {
            _authorities = Read(problems, () => Certificates.ReadAuthorities(authorityFile, _setting(ClusterOptions.EtcdCaVariable)));
        }

        if ((certificateFile is null) != (keyFile is null))
        {
            problems.Add($"{_setting(ClusterOptions.EtcdCertVariable)} = '{certificateFile}', {_setting(ClusterOptions.EtcdKeyVariable)} = '{keyFile}': give both (a client certificate and its key) or neither.");
        }
        else if (certificateFile is not null)
        {
            _certificate = Read(problems, () => Certificates.ReadCertificate(
                certificateFile, keyFile!, _setting(ClusterOptions.EtcdCertVariable), _setting(ClusterOptions.EtcdKeyVariable)));
        }

        if (string.IsNullOrEmpty(user) != string.IsNullOrEmpty(password))
        {
            problems.Add($"{_setting(ClusterOptions.EtcdUserVariable)} = '{user}', {_setting(ClusterOptions.EtcdPasswordVariable)} = ({password?.Length ?? 0} characters): give both or neither.");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(Environment.NewLine, problems));
        }

        User = string.IsNullOrEmpty(user) ? null : user;
        _password = password;
        AuthorityFile = authorityFile;
        CertificateFile = certificateFile;
    }

    /// <summary>etcd's endpoints.</summary>
    public IReadOnlyList<Uri> Endpoints { get; }

    /// <summary>Whether the endpoints are <c>https://</c>.</summary>
    public bool UsesTls { get; }

    /// <summary>The etcd user; null: no authentication.</summary>
    public string? User { get; }

    /// <summary>The PEM file of the authorities etcd's certificate must chain to; null: the system's.</summary>
    public string? AuthorityFile { get; }

    /// <summary>The PEM file of the client certificate; null: none.</summary>
    public string? CertificateFile { get; }

    /// <summary>The controller's access, from its settings.</summary>
    /// <exception cref="ArgumentException">Settings that cannot be used; the message lists each, by name.</exception>
    public static EtcdAccess From(ClusterOptions options) =>
        new(options.Etcd, options.EtcdCa, options.EtcdCertificate, options.EtcdKey, options.EtcdUser, options.EtcdPassword);

    /// <summary>
    /// The workers registered under <c>/&lt;prefix&gt;/workers/</c> now, by id: idle or busy, their address, protocol and
    /// labels (what <c>loadkit workers</c> shows). etcd must answer within 5 s: a command's first call also connects.
    /// </summary>
    /// <exception cref="DistributedRunException">etcd did not answer, or refused these settings; the message names the endpoints.</exception>
    public async Task<IReadOnlyList<Protocol.WorkerInfo>> ListWorkersAsync(string prefix, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        using var directory = new WorkerDirectory(this, prefix);
        return await directory.ListAsync(cancellationToken, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
    }

    /// <summary>
    /// Watches the workers registered under <c>/&lt;prefix&gt;/workers/</c> (a control page's workers table): tells
    /// <paramref name="changed"/> each one with the run that claimed it and its last heartbeat, at once and after every
    /// change of a registration or a claim (an etcd watch, not polling), and every <paramref name="heartbeats"/> (default
    /// 5 s) for the heartbeats, which change no key. When etcd fails, <paramref name="failed"/> gets the reason (naming
    /// the endpoints, or the setting at fault) and the watch is tried again. Runs until cancelled.
    /// </summary>
    public async Task WatchWorkersAsync(
        string prefix, Action<IReadOnlyList<WorkerStatus>> changed, Action<string> failed, CancellationToken cancellationToken, TimeSpan? heartbeats = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        ArgumentNullException.ThrowIfNull(changed);
        ArgumentNullException.ThrowIfNull(failed);
        using var directory = new WorkerDirectory(this, prefix);
        try
        {
            await directory.WatchStatusAsync(changed, failed, heartbeats ?? TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Asked to stop watching.
        }
    }

    /// <summary>A client of these endpoints, or of <paramref name="endpoint"/> alone.</summary>
    public EtcdClient NewClient(Uri? endpoint = null)
    {
        var client = AnonymousClient(endpoint is null ? Endpoints : [endpoint]);
        if (User is not null)
        {
            client.SetCredentials(User, _password!);
        }

        return client;
    }

    /// <summary>
    /// A gRPC channel to <paramref name="endpoint"/> with this TLS, for calls dotnet-etcd does not make well (a watch:
    /// <see cref="PrefixWatch"/>). HTTP/2 pings find an etcd that went silent without closing the connection.
    /// </summary>
    internal Grpc.Net.Client.GrpcChannel NewChannel(Uri endpoint)
    {
        var ssl = new SslClientAuthenticationOptions();
        if (UsesTls)
        {
            ConfigureTls(ssl);
        }

        return Grpc.Net.Client.GrpcChannel.ForAddress(endpoint, new Grpc.Net.Client.GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                SslOptions = ssl,
                ConnectTimeout = ProbeTimeout,
                KeepAlivePingDelay = TimeSpan.FromSeconds(5),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(5),
                KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            },
        });
    }

    /// <summary>The headers that authenticate a call made on <see cref="NewChannel"/>: etcd's token for the user; null without one.</summary>
    internal async Task<Metadata?> TokenHeadersAsync(CancellationToken cancellationToken)
    {
        if (User is null)
        {
            return null;
        }

        using var client = AnonymousClient(Endpoints);
        var response = await client.AuthenticateAsync(new Etcdserverpb.AuthenticateRequest { Name = User, Password = _password },
            deadline: DateTime.UtcNow + ProbeTimeout, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new Metadata { { "token", response.Token } };
    }

    /// <summary>
    /// Why a call to etcd failed because of these settings, naming the endpoint and the setting; null when it is not
    /// that (etcd did not answer, or the call was cancelled): then trying again may help.
    /// </summary>
    public async Task<string?> ExplainAsync(Exception exception, CancellationToken cancellationToken)
    {
        // A watch reports the call's failure wrapped in its own exception.
        var cause = exception;
        while (cause is not RpcException && cause.InnerException is { } inner)
        {
            cause = inner;
        }

        if (Refusal(cause) is { } refusal)
        {
            return refusal;
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return null;
        }

        foreach (var endpoint in UsesTls ? Endpoints : [])
        {
            string? problem = null;
            var options = new SslClientAuthenticationOptions
            {
                ClientCertificates = _certificate is null ? null : [_certificate],
                RemoteCertificateValidationCallback = (_, certificate, _, errors) => (problem = ServerCertificateProblem(endpoint, certificate, errors)) is null,
            };
            var handshake = await Certificates.HandshakeAsync(endpoint.Host, endpoint.Port, options, preface: true, ProbeTimeout, cancellationToken).ConfigureAwait(false);
            if (handshake.Refused)
            {
                return $"etcd at {endpoint} {problem}";
            }

            if (handshake is { Reached: true, Failure: not null and not OperationCanceledException })
            {
                return _certificate is null
                    ? $"etcd at {endpoint} ended the TLS connection after the handshake ({handshake.Failure.Message}): it requires a client certificate " +
                      $"(--client-cert-auth); give one its --trusted-ca-file trusts in {_setting(ClusterOptions.EtcdCertVariable)} and {_setting(ClusterOptions.EtcdKeyVariable)}."
                    : $"etcd at {endpoint} ended the TLS connection after the handshake ({handshake.Failure.Message}): it did not accept the client certificate " +
                      $"{_setting(ClusterOptions.EtcdCertVariable)} = '{CertificateFile}' ({Certificates.Describe(_certificate)}); give one issued by the authority its --trusted-ca-file names.";
            }
        }

        return cause is RpcException || User is null ? null : await AuthenticationRefusalAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What etcd's refusal of the user or its permissions says, naming the settings; null for other errors.</summary>
    private string? Refusal(Exception exception)
    {
        if (exception is not RpcException { StatusCode: StatusCode.InvalidArgument or StatusCode.Unauthenticated or StatusCode.PermissionDenied } rpc
            || !rpc.Status.Detail.StartsWith("etcdserver:", StringComparison.Ordinal))
        {
            return null;
        }

        var endpoints = string.Join(", ", Endpoints);
        var who = User is null
            ? $"no user given ({_setting(ClusterOptions.EtcdUserVariable)}, {_setting(ClusterOptions.EtcdPasswordVariable)})"
            : $"user '{User}' ({_setting(ClusterOptions.EtcdUserVariable)}, {_setting(ClusterOptions.EtcdPasswordVariable)})";
        return rpc.StatusCode == StatusCode.PermissionDenied
            ? $"etcd at {endpoints} denied {who} access ({rpc.Status.Detail}): its role needs read and write permission on the prefix's keys."
            : $"etcd at {endpoints} refused {who}: {rpc.Status.Detail}.";
    }

    /// <summary>
    /// Some calls (a watch) hide the error of the authentication that preceded them: ask etcd for a token directly,
    /// and return its refusal, if it refuses.
    /// </summary>
    private async Task<string?> AuthenticationRefusalAsync(CancellationToken cancellationToken)
    {
        using var client = AnonymousClient(Endpoints);
        try
        {
            await client.AuthenticateAsync(new Etcdserverpb.AuthenticateRequest { Name = User, Password = _password }, deadline: DateTime.UtcNow + ProbeTimeout, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            return null;
        }
        catch (RpcException exception)
        {
            return Refusal(exception);
        }
    }

    /// <summary>A client with this TLS, without the user.</summary>
    private EtcdClient AnonymousClient(IReadOnlyList<Uri> endpoints)
    {
        var connection = string.Join(",", endpoints.Select(e => e.ToString().TrimEnd('/')));
        return UsesTls
            ? new EtcdClient(connection, ConfigureTls)
            : new EtcdClient(connection, configureChannelOptions: o => o.Credentials = ChannelCredentials.Insecure);
    }

    private void ConfigureTls(SslClientAuthenticationOptions ssl)
    {
        if (_certificate is not null)
        {
            ssl.ClientCertificates = [_certificate];
        }

        ssl.RemoteCertificateValidationCallback = (_, certificate, _, errors) => ServerCertificateProblem(null, certificate, errors) is null;
    }

    /// <summary>Why etcd's certificate is not trusted (the end of a sentence that starts with "etcd at URL"), or null.</summary>
    private string? ServerCertificateProblem(Uri? endpoint, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            return "presented no certificate.";
        }

        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return $"presented a certificate ({Certificates.Describe(certificate)}) that does not name {endpoint?.Host ?? "the host"}: give etcd a certificate with that name (or IP address) among its subject alternative names.";
        }

        if (_authorities is null)
        {
            return errors == SslPolicyErrors.None ? null
                : $"presented a certificate ({Certificates.Describe(certificate)}) that the system's authorities do not trust ({errors}): give the authority that issued it in {_setting(ClusterOptions.EtcdCaVariable)}.";
        }

        return Certificates.ChainProblem(certificate, _authorities) is { } chain
            ? $"presented a certificate ({Certificates.Describe(certificate)}) that does not chain to {_setting(ClusterOptions.EtcdCaVariable)} = '{AuthorityFile}' ({chain}): give the authority that issued etcd's certificate."
            : null;
    }

    private IEnumerable<string> Given(params (string Variable, string? Value)[] settings) =>
        settings.Where(s => s.Value is not null).Select(s => $"{_setting(s.Variable)} = '{s.Value}'");

    private static T? Read<T>(List<string> problems, Func<T> read)
        where T : class
    {
        try
        {
            return read();
        }
        catch (ArgumentException exception)
        {
            problems.Add(exception.Message);
            return null;
        }
    }
}
