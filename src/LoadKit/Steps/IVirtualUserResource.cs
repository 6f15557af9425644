namespace LoadKit;

/// <summary>
/// A session value that LoadKit owns for one VU and disposes when the VU's life ends: what a step type keeps per VU
/// (connections, a browser page) implements it and stores itself in the <see cref="Session"/>.
/// </summary>
public interface IVirtualUserResource : IAsyncDisposable;
