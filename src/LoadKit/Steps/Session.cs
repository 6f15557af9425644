using System.Diagnostics.CodeAnalysis;

using LoadKit.Steps;

namespace LoadKit;

/// <summary>
/// The state of one virtual user (VU). It lives from the VU's init across all of its iterations,
/// so a token obtained once (a login) or a value extracted from a response stays available to later steps.
/// A session belongs to one VU and is never shared between VUs, so it needs no locking.
/// </summary>
public sealed class Session
{
    private readonly Dictionary<string, object?> _values = new(StringComparer.Ordinal);

    internal Session(int userIndex) => UserIndex = userIndex;

    /// <summary>The feeds of the scenario run this VU belongs to (set by the engine; the Feeds folder reads them).</summary>
    internal IRunFeeds? Feeds { get; set; }

    /// <summary>The VU's step context (set when the engine creates it), through which hooks send HTTP requests.</summary>
    internal StepContext? Context { get; set; }

    /// <summary>The index of the VU that owns this session, from 0.</summary>
    public int UserIndex { get; }

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/>, replacing any earlier value.</summary>
    public void Set<T>(string key, T value)
    {
        ArgumentNullException.ThrowIfNull(key);
        _values[key] = value;
    }

    /// <summary>Returns the value stored under <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">Nothing is stored under the key; the message lists the keys that are.</exception>
    /// <exception cref="InvalidCastException">The stored value is not a <typeparamref name="T"/>.</exception>
    public T Get<T>(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!_values.TryGetValue(key, out var value))
        {
            throw new KeyNotFoundException(
                $"Session of VU {UserIndex} has no value '{key}' (keys present: {DescribeKeys()}). Set it in the scenario's init or an earlier step.");
        }

        if (value is T typed)
        {
            return typed;
        }

        if (value is null && default(T) is null)
        {
            return default!;
        }

        throw new InvalidCastException(
            $"Session value '{key}' of VU {UserIndex} is a {value?.GetType().Name ?? "null"}, not a {typeof(T).Name}.");
    }

    /// <summary>Returns whether a <typeparamref name="T"/> is stored under <paramref name="key"/>, and the value if so.</summary>
    public bool TryGet<T>(string key, [MaybeNullWhen(false)] out T value)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (_values.TryGetValue(key, out var stored) && stored is T typed)
        {
            value = typed;
            return true;
        }

        value = default;
        return false;
    }

    /// <summary>The keys present, for error messages.</summary>
    internal string DescribeKeys() => _values.Count == 0 ? "none" : string.Join(", ", _values.Keys.Order(StringComparer.Ordinal));

    /// <summary>Returns whether anything is stored under <paramref name="key"/>.</summary>
    public bool Contains(string key) => _values.ContainsKey(key);

    /// <summary>Removes the value stored under <paramref name="key"/>; returns whether there was one.</summary>
    public bool Remove(string key) => _values.Remove(key);

    /// <summary>
    /// Disposes the values LoadKit keeps for this VU (its WebSocket connections), when the VU's life ends. A user's own
    /// disposable values are left alone: one may be shared between VUs (an <see cref="HttpClient"/>).
    /// </summary>
    internal async ValueTask DisposeResourcesAsync()
    {
        foreach (var value in _values.Values)
        {
            if (value is IVirtualUserResource resource)
            {
                await resource.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
