using System.Threading.Channels;

namespace LoadKit.Engine;

/// <summary>
/// The idle VUs of an open-model block on one load process. A bounded channel holds them in an array, so renting
/// and returning allocate nothing; VUs busy with an iteration are not in it.
/// </summary>
internal sealed class ArrivalPool(int capacity)
{
    private readonly Channel<VirtualUser> _idle = Channel.CreateBounded<VirtualUser>(
        new BoundedChannelOptions(Math.Max(1, capacity)) { SingleReader = true });

    public bool TryRent(out VirtualUser user) => _idle.Reader.TryRead(out user!);

    public void Return(VirtualUser user) => _idle.Writer.TryWrite(user);
}
