using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace LoadKit.Bench;

/// <summary>
/// The runtime's allocation samples (an event about every 100 KB allocated, naming the type that crossed it), counted
/// by type while it is open: a type allocated per request shows among them in proportion to its bytes.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly ConcurrentDictionary<string, int> _samples = new();

    /// <summary>The types sampled, most samples first.</summary>
    public IEnumerable<(string Type, int Samples)> Samples => _samples.OrderByDescending(s => s.Value).Select(s => (s.Key, s.Value));

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) == true
            && eventData.PayloadNames?.IndexOf("TypeName") is >= 0 and var index
            && eventData.Payload?[index] is string type)
        {
            _samples.AddOrUpdate(type, 1, (_, n) => n + 1);
        }
    }
}
