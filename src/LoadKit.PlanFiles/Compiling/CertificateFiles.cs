using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using LoadKit.PlanFiles.Documents;

namespace LoadKit.PlanFiles.Compiling;

/// <summary>
/// The certificates a plan trusts besides the system's authorities (<c>http.trust</c>, <c>grpc.trust</c>): files
/// relative to the plan's folder, each loaded once; a distributed run sends them along, as feeds' files.
/// </summary>
internal sealed class CertificateFiles(PlanReader reader, string baseDirectory)
{
    private const string Allowed = "a certificate file (PEM or DER) relative to the plan's folder: a test authority, or the server's self-signed certificate";

    private readonly Dictionary<string, X509Certificate2?> _loaded = new(StringComparer.Ordinal);

    /// <summary>The files as the plan names them.</summary>
    public List<string> Files { get; } = [];

    /// <summary>The certificate a <c>trust</c> names, or null when none is given or after a problem (reported).</summary>
    public X509Certificate2? Read(PlanNode? node, string path)
    {
        if (reader.Text(node, path, Allowed) is not { } file)
        {
            return null;
        }

        var full = Path.GetFullPath(file, baseDirectory);
        if (!_loaded.TryGetValue(full, out var certificate))
        {
            Files.Add(file);
            try
            {
                certificate = X509CertificateLoader.LoadCertificateFromFile(full);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
            {
                reader.Problem(node, path, File.Exists(full) ? $"'{file}'" : $"'{file}' does not exist (full path {full})", File.Exists(full) ? $"{Allowed} ({e.Message.TrimEnd('.')})" : Allowed);
            }

            _loaded[full] = certificate;
        }

        return certificate;
    }
}
