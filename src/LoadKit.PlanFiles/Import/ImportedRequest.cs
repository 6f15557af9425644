namespace LoadKit.PlanFiles.Import;

/// <summary>How an imported request sends its body, as the plan's request keys say it.</summary>
internal enum BodyKind
{
    None,

    /// <summary><c>json:</c> the text as recorded or written.</summary>
    Json,

    /// <summary><c>form:</c> URL-encoded fields.</summary>
    Form,

    /// <summary><c>body:</c> with <c>contentType:</c>.</summary>
    Text,
}

/// <summary>One request read from a recording or a collection, in the terms of a plan's step (its texts are already plan templates).</summary>
internal sealed class ImportedRequest(string name, string method, string url)
{
    /// <summary>Request headers the plan must not send as recorded: the client sets them, or they belong to another connection.</summary>
    private static readonly HashSet<string> ConnectionHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Content-Length", "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "TE", "Trailer", "Proxy-Connection", "Expect",
    };

    public string Name { get; set; } = name;

    public string Method { get; } = method;

    public string Url { get; set; } = url;

    public List<KeyValuePair<string, string>> Headers { get; } = [];

    public BodyKind BodyKind { get; set; }

    /// <summary>The JSON or text body.</summary>
    public string? Body { get; set; }

    public string? ContentType { get; set; }

    public List<KeyValuePair<string, string>> Form { get; } = [];

    /// <summary>Session names and the JSON paths of the response they are read from.</summary>
    public List<KeyValuePair<string, string>> Extract { get; } = [];

    /// <summary>The status to check for (the recorded one); null: the plan's default, any 2xx.</summary>
    public int? Status { get; set; }

    /// <summary>
    /// Adds a header unless the client sets it itself (<see cref="ConnectionHeaders"/>, HTTP/2 pseudo-headers such as
    /// <c>:authority</c>) or it is the body's content type (a plan gives that with the body). Returns whether it was kept.
    /// </summary>
    public bool AddHeader(string header, string value)
    {
        if (header.StartsWith(':') || ConnectionHeaders.Contains(header))
        {
            return false;
        }

        if (header.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
        {
            ContentType ??= value;
            return true;
        }

        Headers.Add(new(header, value));
        return true;
    }

    /// <summary>The headers as a plan's mapping: a name given twice is sent once, its values joined as HTTP joins them.</summary>
    public IEnumerable<KeyValuePair<string, string>> MergedHeaders() =>
        Headers.GroupBy(h => h.Key, StringComparer.OrdinalIgnoreCase)
            .Select(g => new KeyValuePair<string, string>(g.First().Key, string.Join(g.Key.Equals("Cookie", StringComparison.OrdinalIgnoreCase) ? "; " : ", ", g.Select(h => h.Value))));

    /// <summary>Whether a header of this name is sent.</summary>
    public bool HasHeader(string header) => Headers.Any(h => h.Key.Equals(header, StringComparison.OrdinalIgnoreCase));
}
