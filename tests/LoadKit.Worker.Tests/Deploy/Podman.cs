using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace LoadKit.Worker.Tests.Deploy;

/// <summary>
/// Podman as this machine runs it (STACK.md, Containers): root, runc, no registry. The slow steps (the debootstrap
/// base image, the worker's self-contained publish) are cached between runs; each is made again when it is missing.
/// </summary>
internal static class Podman
{
    /// <summary>
    /// The local base image, in place of Microsoft's runtime-deps because no registry can be pulled from: Debian
    /// minbase plus what runtime-deps adds that a self-contained worker needs (OpenSSL: .NET hashes with it, and a
    /// worker without it aborts on its first upload; CA certificates; time zones).
    /// </summary>
    public const string BaseImage = "local/loadkit-runtime-deps:bookworm";

    private static readonly TimeSpan SlowStepBound = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Kept outside the test's output folder: a distributed run uploads that folder to the workers. obj/ is ignored by
    /// git and belongs to this project.
    /// </summary>
    public static string CacheFolder { get; } = Directory.CreateDirectory(Path.Combine(ProjectFolder(), "obj", "container-cache")).FullName;

    /// <summary>
    /// crun fails here (hybrid cgroups) and podman's default rlimits are refused; this file fixes both without /etc.
    /// </summary>
    private static string ConfigFile { get; } = WriteConfig();

    /// <summary>Runs podman to its end (bounded); returns its standard output, or throws with everything it printed.</summary>
    public static Task<string> RunAsync(params string[] arguments) => RunAsync(SlowStepBound, "podman", arguments);

    /// <summary>What a container printed, standard output and error (podman logs splits them as the container did).</summary>
    public static async Task<string> LogsAsync(string container)
    {
        var (exitCode, output, errors) = await ExecuteAsync(TimeSpan.FromMinutes(1), "podman", ["logs", container]);
        return exitCode == 0 ? output + errors : throw new InvalidOperationException($"podman logs {container} exited with {exitCode}: {errors}");
    }

    /// <summary>True when podman knows the image.</summary>
    public static async Task<bool> ImageExistsAsync(string image)
    {
        var (exitCode, _, _) = await ExecuteAsync(TimeSpan.FromMinutes(1), "podman", ["image", "exists", image]);
        return exitCode == 0;
    }

    /// <summary>Builds and imports <see cref="BaseImage"/> with debootstrap when podman does not have it.</summary>
    /// <returns>True when it had to be built.</returns>
    public static async Task<bool> EnsureBaseImageAsync()
    {
        if (await ImageExistsAsync(BaseImage))
        {
            return false;
        }

        var root = Directory.CreateTempSubdirectory("loadkit-rootfs-").FullName;
        try
        {
            // It lives in /usr/sbin, which a CI runner's PATH may lack.
            var debootstrap = File.Exists("/usr/sbin/debootstrap") ? "/usr/sbin/debootstrap" : "debootstrap";
            await RunAsync(SlowStepBound, debootstrap, ["--variant=minbase", "--include=libssl3,ca-certificates,tzdata", "bookworm", root]);
            await RunAsync(SlowStepBound, "sh", ["-c", "tar -C \"$1\" -c . | podman import - \"$2\"", "sh", root, BaseImage]);
            return true;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>
    /// A self-contained linux-x64 publish of the worker, cached under a key made of the built worker's assemblies
    /// (deterministic builds: the same source gives the same key).
    /// </summary>
    /// <returns>The folder's name inside <see cref="CacheFolder"/>, and whether it had to be published.</returns>
    public static async Task<(string Folder, bool Published)> PublishWorkerAsync(string repositoryRoot, string configuration)
    {
        var built = Path.GetDirectoryName(WorkerProcess.BuiltAssembly(Path.Combine("src", "LoadKit.Worker"), "LoadKit.Worker.dll"))!;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in Directory.GetFiles(built, "LoadKit*.dll").Order(StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(Path.GetFileName(file)));
            hash.AppendData(await File.ReadAllBytesAsync(file));
        }

        var name = "worker-" + Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
        var folder = Path.Combine(CacheFolder, name);
        if (File.Exists(Path.Combine(folder, "LoadKit.Worker")))
        {
            return (name, false);
        }

        // Older publishes are this cache's own: keep only the current one.
        foreach (var old in Directory.GetDirectories(CacheFolder, "worker-*"))
        {
            Directory.Delete(old, recursive: true);
        }

        var partial = folder + ".part";
        await RunAsync(SlowStepBound, "dotnet", ["publish", Path.Combine(repositoryRoot, "src", "LoadKit.Worker"), "-c", configuration, "-r", "linux-x64", "--self-contained", "-o", partial, "-v", "q", "-nologo"]);
        Directory.Move(partial, folder);
        return (name, true);
    }

    /// <summary>Builds deploy/worker/Dockerfile's <c>prebuilt</c> target on the local base; returns the image id.</summary>
    public static async Task<string> BuildWorkerImageAsync(string repositoryRoot, string publishFolder)
    {
        var idFile = Path.Combine(CacheFolder, $"image-{Guid.NewGuid():N}.id");
        try
        {
            await RunAsync(
                "build", "--quiet", "--file", Path.Combine(repositoryRoot, "deploy", "worker", "Dockerfile"), "--target", "prebuilt",
                "--build-arg", $"BASE_IMAGE={BaseImage}", "--build-arg", $"WORKER_PUBLISH={publishFolder}",
                "--iidfile", idFile, CacheFolder);
            return (await File.ReadAllTextAsync(idFile)).Trim();
        }
        finally
        {
            File.Delete(idFile);
        }
    }

    private static async Task<string> RunAsync(TimeSpan bound, string command, string[] arguments)
    {
        var (exitCode, output, errors) = await ExecuteAsync(bound, command, arguments);
        return exitCode == 0
            ? output
            : throw new InvalidOperationException($"'{command} {string.Join(' ', arguments)}' exited with {exitCode}:{Environment.NewLine}{output}{errors}");
    }

    private static async Task<(int ExitCode, string Output, string Errors)> ExecuteAsync(TimeSpan bound, string command, string[] arguments)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["CONTAINERS_CONF"] = ConfigFile;
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{command} did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(bound);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true); // the process this helper started, by its handle
            throw new TimeoutException($"'{command} {string.Join(' ', arguments)}' did not finish within {bound}.");
        }

        return (process.ExitCode, await output, await error);
    }

    private static string ProjectFolder()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && folder.GetFiles("*.csproj").Length == 0)
        {
            folder = folder.Parent;
        }

        return folder?.FullName ?? throw new InvalidOperationException($"No project file above {AppContext.BaseDirectory}.");
    }

    private static string WriteConfig()
    {
        var file = Path.Combine(CacheFolder, "containers.conf");
        File.WriteAllText(file, "[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = \"runc\"\n");
        return file;
    }
}
