namespace LoadKit.HttpWire;

/// <summary>A response LoadKit's HTTP engine cannot read (malformed, cut short, too large headers); the message says what and from where.</summary>
internal sealed class WireProtocolException(string message) : IOException(message);
