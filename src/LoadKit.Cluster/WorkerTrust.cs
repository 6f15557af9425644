using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using LoadKit.Cluster.Protocol;

namespace LoadKit.Cluster;

/// <summary>
/// Which workers the controller trusts with its token. Without settings, a worker serving TLS must present a
/// certificate the system trusts for its registered address, and one serving plaintext is used as it is. With pins
/// (<see cref="ClusterOptions.TlsCa"/>, <see cref="ClusterOptions.WorkerThumbprints"/>,
/// <see cref="ClusterOptions.WorkerIdentities"/>), only a worker whose certificate passes them is used: whoever can write
/// to etcd can register any address, and the pins are what keeps the token from such an address.
/// </summary>
internal sealed class WorkerTrust
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);
    private readonly X509Certificate2Collection? _authorities;
    private readonly string? _authorityFile;
    private readonly HashSet<string> _thumbprints;
    private readonly HashSet<string> _identities;

    private WorkerTrust(X509Certificate2Collection? authorities, string? authorityFile, IEnumerable<string> thumbprints, IEnumerable<string> identities)
    {
        _authorities = authorities;
        _authorityFile = authorityFile;
        _thumbprints = new HashSet<string>(thumbprints.Select(t => t.Replace(":", "", StringComparison.Ordinal)), StringComparer.OrdinalIgnoreCase);
        _identities = new HashSet<string>(identities, StringComparer.OrdinalIgnoreCase);
        Pinned = _authorities is not null || _thumbprints.Count > 0 || _identities.Count > 0;
        // Unpinned, the platform's own check (and its messages, e.g. UntrustedRoot) apply.
        SslOptions = Pinned
            ? new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, certificate, _, errors) => Refusal(certificate, errors) is null }
            : new SslClientAuthenticationOptions();
    }

    /// <summary>Whether workers are pinned: then only those whose certificate passes the pins are used.</summary>
    public bool Pinned { get; }

    /// <summary>The TLS options of the channels to workers: the same rules as <see cref="CheckAsync"/>.</summary>
    public SslClientAuthenticationOptions SslOptions { get; }

    /// <exception cref="ArgumentException">The authority file cannot be read; the message names it.</exception>
    public static WorkerTrust From(ClusterOptions options) => new(
        options.TlsCa is null ? null : Certificates.ReadAuthorities(options.TlsCa, ClusterOptions.TlsCaVariable),
        options.TlsCa,
        options.WorkerThumbprints,
        options.WorkerIdentities);

    /// <summary>
    /// Why <paramref name="worker"/> may not be used (it serves plaintext, or its certificate fails the pins), or null.
    /// It is checked with a bare TLS handshake: no request, so neither the token nor the test reaches it. Without pins,
    /// or when it cannot be reached, null: the run finds out as before.
    /// </summary>
    public async Task<string?> CheckAsync(WorkerInfo worker, CancellationToken cancellationToken)
    {
        if (!Pinned || !Uri.TryCreate(worker.Address, UriKind.Absolute, out var address))
        {
            return null;
        }

        if (address.Scheme != Uri.UriSchemeHttps)
        {
            return $"it registered a plaintext address ({worker.Address}), and this controller pins its workers ({Pins()}): it uses only a worker whose TLS certificate passes.";
        }

        string? refusal = null;
        var options = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, errors) => (refusal = Refusal(certificate, errors)) is null,
        };
        var handshake = await Certificates.HandshakeAsync(address.Host, address.Port, options, preface: false, ProbeTimeout, cancellationToken).ConfigureAwait(false);
        return handshake.Refused ? refusal : null;
    }

    /// <summary>Why a worker's certificate is refused, or null.</summary>
    private string? Refusal(System.Security.Cryptography.X509Certificates.X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            return "it presented no certificate.";
        }

        using var presented = new X509Certificate2(certificate);
        if (_thumbprints.Contains(Certificates.Sha256(presented)))
        {
            return null; // pinned exactly: its chain and names do not matter
        }

        var described = Certificates.Describe(certificate);
        if (_thumbprints.Count > 0 && _authorities is null && _identities.Count == 0)
        {
            return $"its certificate ({described}) is not one of {ClusterOptions.WorkerThumbprintsVariable}.";
        }

        if (_authorities is not null)
        {
            if (Certificates.ChainProblem(certificate, _authorities) is { } chain)
            {
                return $"its certificate ({described}) does not chain to {ClusterOptions.TlsCaVariable} = '{_authorityFile}' ({chain}){OrThumbprints()}.";
            }
        }
        else if ((errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) != SslPolicyErrors.None)
        {
            return $"its certificate ({described}) is not trusted by the system's authorities ({errors}); give its authority in {ClusterOptions.TlsCaVariable}{OrThumbprints()}.";
        }

        if (_identities.Count > 0)
        {
            var names = Names(presented);
            return names.Any(_identities.Contains) ? null
                : $"its certificate ({described}) names {string.Join(", ", names)}, none of {ClusterOptions.WorkerIdentitiesVariable} ({string.Join(", ", _identities)}).";
        }

        return (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0
            ? $"its certificate ({described}) does not name the address it registered; give it that name, or list its names in {ClusterOptions.WorkerIdentitiesVariable}."
            : null;
    }

    private string OrThumbprints() => _thumbprints.Count > 0 ? $", and is not one of {ClusterOptions.WorkerThumbprintsVariable}" : "";

    private string Pins() => string.Join(", ", new[]
    {
        _authorities is null ? null : ClusterOptions.TlsCaVariable,
        _thumbprints.Count == 0 ? null : ClusterOptions.WorkerThumbprintsVariable,
        _identities.Count == 0 ? null : ClusterOptions.WorkerIdentitiesVariable,
    }.OfType<string>());

    /// <summary>The certificate's DNS names and its common name.</summary>
    private static string[] Names(X509Certificate2 certificate)
    {
        var dns = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames());
        return [.. dns.Append(certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false)).Where(n => n.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase)];
    }
}
