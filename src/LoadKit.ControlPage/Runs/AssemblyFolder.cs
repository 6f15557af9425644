using System.Globalization;
using LoadKit.Cluster;

namespace LoadKit.ControlPage.Runs;

/// <summary>An uploaded test assembly as the Runs tab lists it: its name, file, upload time and scenario factories (or why it has none).</summary>
internal sealed record AssemblyRow(string Name, string? Assembly, DateTimeOffset Uploaded, IReadOnlyList<FactoryRow> Factories, string? Problem);

/// <summary>A scenario factory of an uploaded assembly: its method name and its full name (<c>Type.Method</c>).</summary>
internal sealed record FactoryRow(string Method, string Name);

/// <summary>
/// The uploaded test assemblies of a control page, in <c>assemblies/NAME/UPLOAD-ID/</c>: each upload is the zip of a
/// test project's build output, unpacked safely (<see cref="ZipUnpacker"/>) into a new folder, because an assembly
/// loaded to list its factories stays loaded (its context is not collectible) and its files must not be overwritten;
/// the newest folder of a name is the one listed and run, older ones are deleted. An upload is unpacked into a hidden
/// folder and moved into place whole, so a listing never sees (and never caches) a half-unpacked one; the moves are made
/// one at a time and each takes the next folder name, so of two uploads of one name the one kept last is the newest.
/// </summary>
internal sealed class AssemblyFolder(string folder, long maxUnpackedBytes, int maxEntries)
{
    private readonly object _gate = new();
    private readonly SemaphoreSlim _changing = new(1, 1);
    private readonly Dictionary<string, (ScenarioFactories? Factories, string? Problem)> _loaded = new(StringComparer.Ordinal);

    /// <summary>The folder of the uploads (<c>DIR/assemblies</c>).</summary>
    public string Folder { get; } = folder;

    /// <summary>The upload limit's setting as refusals name it.</summary>
    public string MaxUnpackedSetting => $"--max-upload-mb = {maxUnpackedBytes / (1024 * 1024)} (MB, ControlPageOptions.MaxUploadBytes)";

    /// <summary>The bytes an upload may have (a zip is not larger than what it unpacks to, but for its headers).</summary>
    public long MaxUploadBytes => maxUnpackedBytes + (1024 * 1024);

    /// <summary>The name an upload is kept under: the file name without <c>.zip</c>, letters, digits, '.', '-' and '_' only.</summary>
    public static string? NameOf(string? fileName)
    {
        var name = Path.GetFileName(fileName ?? "");
        if (name.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
        {
            name = name[..^4];
        }

        name = new string([.. name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '-')]).Trim('.', '-');
        return name.Length is 0 or > 100 ? null : name;
    }

    /// <summary>The uploads, by name, each with its factories (loaded once per upload).</summary>
    public IReadOnlyList<AssemblyRow> List()
    {
        if (!Directory.Exists(Folder))
        {
            return [];
        }

        var rows = new List<AssemblyRow>();
        foreach (var named in new DirectoryInfo(Folder).EnumerateDirectories().Where(d => !d.Name.StartsWith('.')).OrderBy(d => d.Name, StringComparer.Ordinal))
        {
            if (Newest(named.FullName) is { } upload)
            {
                var (factories, problem) = Load(upload.FullName);
                rows.Add(new AssemblyRow(
                    named.Name, factories is null ? null : Path.GetFileName(factories.AssemblyPath), new DateTimeOffset(upload.CreationTimeUtc, TimeSpan.Zero),
                    factories is null ? [] : [.. factories.Methods.Select(m => new FactoryRow(m.Name, ScenarioFactories.NameOf(m)))], problem));
            }
        }

        return rows;
    }

    /// <summary>The factories of upload <paramref name="name"/>, or the problem that keeps it from running.</summary>
    public (ScenarioFactories? Factories, string? Problem) Find(string? name)
    {
        var uploads = List();
        if (string.IsNullOrWhiteSpace(name) || uploads.All(u => u.Name != name))
        {
            return (null, $"assembly = '{name}': not an uploaded test assembly; allowed: {Allowed(uploads)}.");
        }

        return Load(Newest(Path.Combine(Folder, name!))!.FullName);
    }

    /// <summary>
    /// Keeps the zip <paramref name="body"/> as upload <paramref name="name"/>: unpacked into a new folder, its test
    /// assembly found (the one beside a <c>.deps.json</c>) and its factories listed. The problem when it is refused
    /// (nothing of it is kept then), with whether a limit was exceeded.
    /// </summary>
    public async Task<(AssemblyRow? Row, string? Problem, bool OverLimit)> UploadAsync(string name, Stream body, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Folder);
        var staging = Path.Combine(Folder, $".upload-{Guid.NewGuid():N}");
        var zip = staging + ".zip";
        try
        {
            await using (var file = new FileStream(zip, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                await body.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
            }

            if (await Task.Run(() => Unpack(name, zip, staging), cancellationToken).ConfigureAwait(false) is { } refused)
            {
                return (null, refused.Message, refused.OverLimit);
            }

            await _changing.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return Keep(name, staging);
            }
            finally
            {
                _changing.Release();
            }
        }
        finally
        {
            File.Delete(zip);
            DeleteFolder(staging);
        }
    }

    /// <summary>
    /// Deletes upload <paramref name="name"/> (every folder of it): whether there was one, and the problem (none of
    /// that name, or files in use). The caller makes sure no run of it goes on.
    /// </summary>
    public (bool Found, string? Problem) Delete(string name)
    {
        _changing.Wait();
        try
        {
            var named = Path.Combine(Folder, name);
            if (NameOf(name) != name || !Directory.Exists(named))
            {
                return (false, $"assembly = '{name}': not an uploaded test assembly; allowed: {Allowed(List())}.");
            }

            DeleteFolder(named);
            lock (_gate)
            {
                foreach (var upload in _loaded.Keys.Where(k => Path.GetFullPath(Path.GetDirectoryName(k)!) == Path.GetFullPath(named)).ToArray())
                {
                    _loaded.Remove(upload);
                }
            }

            return (true, Directory.Exists(named) ? $"upload '{name}': some of its files could not be deleted (in use); they go with the next upload of this name." : null);
        }
        finally
        {
            _changing.Release();
        }
    }

    private ZipRefusedException? Unpack(string name, string zip, string staging)
    {
        var unpacker = new ZipUnpacker
        {
            MaxEntries = maxEntries,
            MaxEntriesSetting = $"--max-upload-entries = {maxEntries} (ControlPageOptions.MaxUploadEntries)",
            MaxUnpackedBytes = maxUnpackedBytes,
            MaxUnpackedSetting = MaxUnpackedSetting,
        };
        try
        {
            unpacker.Unpack(zip, staging, $"upload '{name}'");
            return null;
        }
        catch (ZipRefusedException exception)
        {
            return exception;
        }
    }

    /// <summary>Moves an unpacked upload into place (its test assembly is loaded from there) and deletes the older ones of its name.</summary>
    private (AssemblyRow? Row, string? Problem, bool OverLimit) Keep(string name, string staging)
    {
        var named = Path.Combine(Folder, name);
        Directory.CreateDirectory(named);
        var target = Path.Combine(named, NextId(named));
        Directory.Move(staging, target);
        var (factories, problem) = Load(target);
        if (factories is { Methods.Count: 0 })
        {
            problem = $"upload '{name}': {Path.GetFileName(factories.AssemblyPath)} has no scenario factory (a public static method without parameters that returns a LoadKit Scenario, in a public class); refused.";
        }

        if (problem is not null)
        {
            DeleteFolder(target);
            DeleteIfEmpty(named);
            return (null, problem, false);
        }

        // The older uploads of this name go (on Linux a loaded assembly's file can be deleted; elsewhere it stays until a restart).
        foreach (var old in new DirectoryInfo(named).EnumerateDirectories().Where(d => d.FullName != Path.GetFullPath(target)))
        {
            DeleteFolder(old.FullName);
        }

        return (List().Single(r => r.Name == name), null, false);
    }

    /// <summary>A folder name after every one of <paramref name="named"/> (the newest is listed): the time, later than the newest's if the clock went back.</summary>
    private static string NextId(string named)
    {
        var id = $"{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss-fff", CultureInfo.InvariantCulture)}-{Guid.NewGuid().ToString("N")[..6]}";
        return Newest(named) is { } newest && string.CompareOrdinal(newest.Name, id) >= 0 ? $"{newest.Name}+" : id;
    }

    private (ScenarioFactories? Factories, string? Problem) Load(string upload)
    {
        lock (_gate)
        {
            if (_loaded.TryGetValue(upload, out var known))
            {
                return known;
            }

            (string? Path, string? Problem) found;
            try
            {
                found = FindAssembly(upload);
            }
            catch (DirectoryNotFoundException)
            {
                // Deleted while listed (a newer upload or a delete came in between): not remembered.
                return (null, $"upload '{Path.GetFileName(Path.GetDirectoryName(upload))}': replaced or deleted while it was read; list again.");
            }

            (ScenarioFactories?, string?) loaded = (null, found.Problem);
            if (found.Path is not null)
            {
                try
                {
                    loaded = (ScenarioFactories.Load(found.Path, "assembly"), null);
                }
                catch (Exception exception) when (exception is ArgumentException or IOException)
                {
                    loaded = (null, exception.Message);
                }
            }

            _loaded[upload] = loaded;
            return loaded;
        }
    }

    /// <summary>The test assembly of an upload: the <c>.dll</c> beside the one <c>.deps.json</c> nearest the top.</summary>
    private static (string? Path, string? Problem) FindAssembly(string upload)
    {
        var candidates = Directory.EnumerateFiles(upload, "*.deps.json", SearchOption.AllDirectories)
            .Select(d => Path.Combine(Path.GetDirectoryName(d)!, Path.GetFileName(d)[..^".deps.json".Length] + ".dll"))
            .Where(File.Exists)
            .GroupBy(p => p.Count(c => c == Path.DirectorySeparatorChar))
            .OrderBy(g => g.Key)
            .FirstOrDefault()?.ToArray() ?? [];
        var name = Path.GetFileName(Path.GetDirectoryName(upload));
        return candidates.Length switch
        {
            1 => (candidates[0], null),
            0 => (null, $"upload '{name}': no test assembly found (no NAME.dll beside a NAME.deps.json); zip the build output folder of a test project, e.g. bin/Release/net10.0."),
            _ => (null, $"upload '{name}': several test assemblies ({string.Join(", ", candidates.Select(Path.GetFileName))}); zip the build output of one test project."),
        };
    }

    private static string Allowed(IReadOnlyList<AssemblyRow> uploads) =>
        uploads.Count == 0 ? "none uploaded yet (upload the zip of a test project's build output)" : string.Join(", ", uploads.Select(u => u.Name));

    private static DirectoryInfo? Newest(string named) => Directory.Exists(named)
        ? new DirectoryInfo(named).EnumerateDirectories().OrderByDescending(d => d.Name, StringComparer.Ordinal).FirstOrDefault()
        : null;

    private static void DeleteIfEmpty(string path)
    {
        if (Directory.Exists(path) && !Directory.EnumerateFileSystemEntries(path).Any())
        {
            Directory.Delete(path);
        }
    }

    private static void DeleteFolder(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // A file still in use stays; the newest upload is the one used.
        }
    }
}
