using System.Globalization;

namespace LoadKit;

/// <summary>
/// How a load process runs its browser users: which chromium, how many browser VUs it allows at once, and whether
/// VUs share one browser. Settings belong to the process (a worker reads its own environment), so the defaults come
/// from environment variables. Immutable.
/// </summary>
public sealed class BrowserSettings
{
    /// <summary>The chromium executable; default <c>/usr/bin/chromium</c> (Debian's <c>chromium</c> package).</summary>
    public const string ChromiumPathVariable = "LOADKIT_CHROMIUM_PATH";

    /// <summary>The most browser VUs one process runs at once; default 1 per <see cref="MemoryPerUser"/> of available memory.</summary>
    public const string MaxUsersVariable = "LOADKIT_BROWSER_MAX_USERS";

    /// <summary><c>true</c>: each browser VU gets a browser process of its own (default <c>false</c>: one browser per load process, a context per VU).</summary>
    public const string BrowserPerUserVariable = "LOADKIT_BROWSER_PER_USER";

    /// <summary>The default chromium executable.</summary>
    public const string DefaultChromiumPath = "/usr/bin/chromium";

    /// <summary>
    /// The memory the default cap sets aside per browser VU: 300 MB. Measured on Debian chromium 142 with a small page, a
    /// context costs far less (see README, "Browser users"), but real pages with scripts and images take hundreds of MB.
    /// </summary>
    public const long MemoryPerUser = 300L * 1024 * 1024;

    private readonly int _maxUsers = DefaultMaxUsers();

    /// <summary>The chromium executable to drive.</summary>
    public string ChromiumPath { get; init; } = DefaultChromiumPath;

    /// <summary>The most browser VUs this process runs at once; more fail to start with a message naming <see cref="MaxUsersVariable"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public int MaxUsersPerProcess
    {
        get => _maxUsers;
        init
        {
            if (value < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(MaxUsersPerProcess), value, $"MaxUsersPerProcess = {value}: allowed 1 or more browser VUs per process.");
            }

            _maxUsers = value;
            MaxUsersSource = $"{nameof(BrowserSettings)}.{nameof(MaxUsersPerProcess)} = {value}";
        }
    }

    /// <summary>Whether each VU gets a browser process of its own rather than a context in the shared browser.</summary>
    public bool BrowserPerUser { get; init; }

    /// <summary>Where <see cref="MaxUsersPerProcess"/> came from, for messages.</summary>
    internal string MaxUsersSource { get; init; } = $"the default, 1 per {MemoryPerUser / (1024 * 1024)} MB of the {AvailableMemory() / (1024 * 1024):N0} MB available";

    /// <summary>The settings from this process's environment variables (unset ones keep their defaults).</summary>
    /// <exception cref="ArgumentException">A variable is set to a value it does not allow; the message names it, the value and what is allowed.</exception>
    public static BrowserSettings FromEnvironment()
    {
        var defaults = new BrowserSettings();
        var maxUsers = defaults.MaxUsersPerProcess;
        var maxUsersSource = defaults.MaxUsersSource;
        if (Environment.GetEnvironmentVariable(MaxUsersVariable) is { Length: > 0 } max)
        {
            if (!int.TryParse(max, NumberStyles.None, CultureInfo.InvariantCulture, out maxUsers) || maxUsers < 1)
            {
                throw new ArgumentException($"{MaxUsersVariable} = '{max}': allowed a whole number of 1 or more (browser VUs per process).");
            }

            maxUsersSource = $"{MaxUsersVariable} = {maxUsers}";
        }

        var perUser = false;
        if (Environment.GetEnvironmentVariable(BrowserPerUserVariable) is { Length: > 0 } text && !bool.TryParse(text, out perUser))
        {
            throw new ArgumentException($"{BrowserPerUserVariable} = '{text}': allowed true or false.");
        }

        return new BrowserSettings
        {
            ChromiumPath = Environment.GetEnvironmentVariable(ChromiumPathVariable) is { Length: > 0 } path ? path : DefaultChromiumPath,
            MaxUsersPerProcess = maxUsers,
            MaxUsersSource = maxUsersSource,
            BrowserPerUser = perUser,
        };
    }

    /// <summary>Why <paramref name="users"/> browser VUs cannot run in this process, or null when they can.</summary>
    internal string? Problem(int users)
    {
        if (!File.Exists(ChromiumPath))
        {
            return $"there is no chromium at {ChromiumPath} ({ChromiumPathVariable}): install it (apt-get install chromium) or set {ChromiumPathVariable} to a chromium executable.";
        }

        if (users > MaxUsersPerProcess)
        {
            return $"it plans {users} browser VUs at once here, over the limit of {MaxUsersPerProcess} per process ({MaxUsersSource}); " +
                $"each costs a browser context (tens to hundreds of MB): spread the load over more workers, lower it, or raise {MaxUsersVariable}.";
        }

        return null;
    }

    private static int DefaultMaxUsers() => (int)Math.Max(1, AvailableMemory() / MemoryPerUser);

    /// <summary>MemAvailable from /proc/meminfo where there is one, else what the runtime sees as available.</summary>
    private static long AvailableMemory()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                {
                    return long.Parse(line["MemAvailable:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }
}
