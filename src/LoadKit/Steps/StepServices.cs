using System.Net;
using LoadKit.HttpWire;

namespace LoadKit.Steps;

/// <summary>The feeds of one scenario run, as a session carries them; the Feeds folder implements and reads them.</summary>
internal interface IRunFeeds;

/// <summary>The HTTP clients of one scenario run, as a step's context uses them; the Http folder implements them.</summary>
internal interface IRunHttp
{
    /// <summary>Where relative request paths go; null: none.</summary>
    Uri? BaseAddress { get; }

    /// <summary>The HTTP version requests are sent with.</summary>
    Version Version { get; }

    /// <summary>Whether each VU has its own connections (then its client is closed when the VU ends).</summary>
    bool OwnedByUser { get; }

    /// <summary>The content codings requests ask for and responses are decompressed from.</summary>
    DecompressionMethods Decompression { get; }

    /// <summary>Whether requests go through LoadKit's own engine (<see cref="WireForUser"/>) rather than HttpClient.</summary>
    bool UsesWire { get; }

    /// <summary>The client a VU sends with: its own, or the run's shared one.</summary>
    HttpMessageInvoker ForUser();

    /// <summary>The connections a VU sends with on LoadKit's own engine: its own, or the run's shared pool.</summary>
    WirePool WireForUser();
}
