using System.Net.Sockets;
using System.Runtime.CompilerServices;
using LoadKit.Workload;

namespace LoadKit.HttpWire;

/// <summary>
/// .NET's socket event thread, on which LoadKit's engine may read its responses (<see cref="HttpSettings.ResponsesOnSocketThread"/>):
/// a socket that prefers inline completions runs what follows each read there instead of handing it to the thread pool,
/// which saves a thread-pool wake-up per response. The thread serves every socket of the process, so no user code may
/// run on it (a step that blocked would stall them all, and one that waited there for a socket would wait for ever):
/// LoadKit leaves it (<c>if (SocketThread.IsCurrent) await Task.Yield();</c>) before a step, hook or caller's code.
/// </summary>
internal static class SocketThread
{
    /// <summary>The name .NET gives its socket event threads (System.Net.Sockets' SocketAsyncEngine).</summary>
    private const string Name = ".NET Sockets";

    // 0: not known yet; 1: this thread is a socket event thread; 2: it is not.
    [ThreadStatic]
    private static int t_kind;

    /// <summary>Whether the current thread is one of .NET's socket event threads.</summary>
    public static bool IsCurrent
    {
        get
        {
            var kind = t_kind;
            if (kind == 0)
            {
                kind = t_kind = Thread.CurrentThread.Name == Name ? 1 : 2;
            }

            return kind == 1;
        }
    }

    /// <summary>
    /// The highest arrival rate (iterations a second, this process's share at its peak) for which responses are read on
    /// the socket thread by default. The engine read 53,000 two-byte responses a second there, 42,000 over TLS, on one
    /// core of a 2-core machine against nginx (bench/README.md): this leaves room for larger responses and slower cores.
    /// </summary>
    public const double MaxDefaultRate = 20_000;

    /// <summary>
    /// Whether a scenario's share of <paramref name="plan"/> suits reading responses on the socket thread when the settings
    /// leave it open (<see cref="HttpSettings.ResponsesOnSocketThread"/> null): its load is arrival rates only, whose peak
    /// on this process is at most <see cref="MaxDefaultRate"/>. Users and iterations run as fast as the target answers,
    /// which can be more than one core's work.
    /// </summary>
    public static bool SuitsLoad(LoadPlan plan, SegmentShare share)
    {
        if (plan.Blocks.Count == 0 || plan.Blocks.Any(b => b is not ArrivalBlock))
        {
            return false;
        }

        const long Parts = 1_000_000;
        var fraction = share.CountOwned(Parts) / (double)Parts;
        var peak = plan.Blocks.Cast<ArrivalBlock>().SelectMany(b => b.Stages).Max(s => Math.Max(s.From, s.To));
        return peak * fraction <= MaxDefaultRate;
    }

    /// <summary>
    /// Has <paramref name="socket"/>'s completions run on the socket thread (before its first operation). False when this
    /// runtime has no such preference (it is internal to System.Net.Sockets): the socket is left as it was.
    /// </summary>
    public static bool TryPreferInline(Socket socket)
    {
        try
        {
            SetPreferInlineCompletions(socket, true);
            return true;
        }
        catch (MissingMethodException)
        {
            return false;
        }
    }

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_PreferInlineCompletions")]
    private static extern void SetPreferInlineCompletions(Socket socket, bool value);
}
