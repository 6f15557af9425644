using LoadKit.Cli.CommandLine;
using LoadKit.Cli.Running;

namespace LoadKit.Cli.Serving;

/// <summary>
/// <c>loadkit serve</c>: the control page (<see cref="ControlPageServer"/>) on a loopback address by default, with the
/// workers of the etcd it is given (bound as <c>loadkit run</c> binds them), until Ctrl-C.
/// </summary>
internal static class ServeCommand
{
    public const string Usage = """
        loadkit serve [--dir DIR] [--listen 127.0.0.1:5665] [--etcd URL[,URL...]] [options]

          Serves the control page: the workers registered in etcd (watched: state, labels, version, cores, last
          heartbeat, and their CPU, memory and GC during a run), the plan files of DIR/plans, the test assemblies
          uploaded as zips of their build output (kept in DIR/assemblies), runs of a plan or of a scenario factory
          started on N chosen workers (or in this process without etcd) and stopped, live charts and the run's log, and the finished runs
          with their reports (kept in DIR/runs/RUN-ID/, listed again after a restart). Runs until Ctrl-C (or
          SIGTERM); a run going on is then stopped and its reports written.

          --dir DIR               the page's folder: plans in DIR/plans, runs in DIR/runs (default: the current folder)
          --listen IP:PORT        where the page listens (default 127.0.0.1:5665; port 0: any free one). An address
                                  other than loopback lets other machines reach it (a warning is printed)
          --access-token-file PATH  a file holding the page's access token (at least 16 characters); or
                                  LOADKIT_PAGE_TOKEN; default: a new one, printed at start
          --max-upload-mb N       the most megabytes an uploaded test assembly's zip may unpack to (default 512)
          --max-upload-entries N  the most entries such a zip may hold (default 20000)

          The workers (as for loadkit run; the number of workers is chosen per run on the page):
          --etcd URL[,URL...]     etcd endpoints the workers register in; or LOADKIT_ETCD
          --token TOKEN           the workers' shared token (prefer --token-file or LOADKIT_WORKER_TOKEN)
          --token-file PATH       a file holding it; or LOADKIT_WORKER_TOKEN_FILE
          --prefix NAME           the workers' etcd key prefix (default loadkit); or LOADKIT_PREFIX
          --forward NAME[,NAME]   environment variables whose values the workers get; or LOADKIT_FORWARD

          Every page and API call needs the access token (the login form sets an HttpOnly, SameSite=Strict cookie; a
          script may send Authorization: Bearer TOKEN); changes from another site are refused. See docs/control-page.md.

        Exit code: 0 stopped with Ctrl-C; 2 bad input (command line, settings); 3 the address cannot be listened on.
        """;

    private static readonly IReadOnlyList<OptionSpec> Options =
    [
        new("--dir", "a folder (plans in its plans/, runs in its runs/)"),
        new("--listen", "IP:PORT, e.g. 127.0.0.1:5665"),
        new("--access-token-file", "a file holding the page's access token"),
        new("--max-upload-mb", "a whole number of megabytes, at least 1"),
        new("--max-upload-entries", "a whole number, at least 1"),
        new("--etcd", "comma-separated http:// or https:// etcd endpoints"),
        new("--token", $"the workers' token, at least {ClusterOptions.MinTokenLength} characters"),
        new("--token-file", "a file holding the workers' token"),
        new("--prefix", "the workers' etcd key prefix"),
        new("--forward", "comma-separated names of environment variables to pass to the workers"),
    ];

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var arguments = CommandArguments.Parse("loadkit serve", args, Options);
        if (arguments.Help)
        {
            await output.WriteLineAsync(Usage);
            return ExitCode.Passed;
        }

        var (options, problems) = Parse(arguments, Environment.GetEnvironmentVariable);
        if (options is null)
        {
            return await CommandLine.Usage.FailAsync(error, "loadkit serve", problems);
        }

        ControlPageServer server;
        try
        {
            server = await ControlPageServer.StartAsync(options, cancellationToken);
        }
        catch (ArgumentException exception)
        {
            return await CommandLine.Usage.FailAsync(error, "loadkit serve", [exception.Message]);
        }
        catch (IOException exception)
        {
            await error.WriteLineAsync($"loadkit serve: {exception.Message}");
            return ExitCode.RunError;
        }

        await using (server)
        {
            if (!options.IsLoopback)
            {
                await error.WriteLineAsync($"loadkit serve: warning: listening on {options.Listen}, not loopback: other machines can reach the page, which can start load; " +
                    "anyone with the access token can use it, and the connection is plain HTTP.");
            }

            await output.WriteLineAsync($"LoadKit control page at {server.Address} (folder {Path.GetFullPath(options.Folder)}; " +
                $"{(options.Cluster is { } cluster ? $"workers from etcd {string.Join(",", cluster.Etcd)}, prefix {cluster.Prefix}" : "runs in this process: no etcd given")}).");
            await output.WriteLineAsync(options.AccessToken is null
                ? $"Access token: {server.AccessToken}"
                : "Access token: the one given (--access-token-file or LOADKIT_PAGE_TOKEN).");
            await output.WriteLineAsync("Ctrl-C stops it.");

            // A service manager or a container stops it with SIGTERM: the same orderly stop as Ctrl-C.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var terminated = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, signal =>
            {
                signal.Cancel = true;
                stop.Cancel();
            });
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token);
            }
            catch (OperationCanceledException)
            {
                await output.WriteLineAsync("Stopping the control page ...");
            }
        }

        return ExitCode.Passed;
    }

    /// <summary>The page's settings from the command line and the environment; every problem, each naming its option or variable.</summary>
    internal static (ControlPageOptions? Options, IReadOnlyList<string> Problems) Parse(CommandArguments arguments, Func<string, string?> environment)
    {
        var problems = new List<string>(arguments.Problems);
        if (arguments.Operands.Count > 0)
        {
            problems.Add($"{string.Join(" ", arguments.Operands.Select(o => $"'{o}'"))}: loadkit serve takes no operand; give the folder with --dir DIR.");
        }

        var options = new ControlPageOptions { Folder = arguments.Value("--dir") ?? "." };
        if (arguments.Value("--listen") is { } listen)
        {
            try
            {
                options = options with { Listen = ControlPageOptions.ParseListen(listen, "option --listen") };
            }
            catch (ArgumentException exception)
            {
                problems.Add(exception.Message);
            }
        }

        if (arguments.Value("--max-upload-mb") is { } megabytes)
        {
            if (int.TryParse(megabytes, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var mb) && mb >= 1)
            {
                options = options with { MaxUploadBytes = mb * 1024L * 1024 };
            }
            else
            {
                problems.Add($"option --max-upload-mb = '{megabytes}': not allowed; give a whole number of megabytes, at least 1 (default 512).");
            }
        }

        if (arguments.Value("--max-upload-entries") is { } entries)
        {
            if (int.TryParse(entries, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var count) && count >= 1)
            {
                options = options with { MaxUploadEntries = count };
            }
            else
            {
                problems.Add($"option --max-upload-entries = '{entries}': not allowed; give a whole number, at least 1 (default 20000).");
            }
        }

        string? token = null;
        if (arguments.Value("--access-token-file") is { } tokenFile)
        {
            try
            {
                token = File.ReadAllText(tokenFile).Trim();
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                problems.Add($"option --access-token-file = '{tokenFile}': cannot be read ({exception.Message}).");
            }
        }
        else if (environment(ControlPageOptions.AccessTokenVariable) is { Length: > 0 } variable)
        {
            token = variable.Trim();
        }

        if (token is { Length: < ControlPageOptions.MinAccessTokenLength })
        {
            var source = arguments.Has("--access-token-file") ? $"option --access-token-file = '{arguments.Value("--access-token-file")}'" : $"environment variable {ControlPageOptions.AccessTokenVariable}";
            problems.Add($"{source}: the token has {token.Length} characters; allowed: at least {ControlPageOptions.MinAccessTokenLength} (or none: one is generated).");
            token = null;
        }

        options = options with { AccessToken = token, Cluster = RunSettings.BindCluster(arguments, environment, problems) };

        return problems.Count > 0 ? (null, problems) : (options, problems);
    }
}
