using System.Net.Sockets;
using System.Runtime.CompilerServices;

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
