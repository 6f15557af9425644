using System.Text.Json;

namespace LoadKit.PlanFiles.Import;

/// <summary>
/// A HAR 1.2 recording (browser dev tools, Playwright's <c>RecordHarPath</c>) → a plan's requests, as k6's har-to-k6
/// and JMeter's recorder do: in recorded order, the recorded status checked, only the recorded site's host unless
/// other hosts are asked for, static resources left out unless asked for, and every left-out entry said.
/// </summary>
internal static class HarReader
{
    /// <summary>Chromium's <c>_resourceType</c> values of files a page loads for itself, not requests of the application.</summary>
    private static readonly HashSet<string> StaticTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        "stylesheet", "script", "image", "font", "media", "manifest", "texttrack", "ping", "csp_violation_report",
    };

    private static readonly HashSet<string> StaticExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".css", ".js", ".mjs", ".map", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".webp", ".avif", ".bmp",
        ".woff", ".woff2", ".ttf", ".otf", ".eot", ".mp4", ".webm", ".mp3", ".ogg", ".wav",
    };

    public static bool Is(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty("log", out var log) && log.ValueKind == JsonValueKind.Object && log.TryGetProperty("entries", out _);

    public static PlanDraft Read(JsonElement root, string source, PlanImportOptions options)
    {
        var log = root.GetProperty("log");
        var entries = log.GetProperty("entries");
        if (entries.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException($"{source}: log.entries is {entries.ValueKind.ToString().ToLowerInvariant()}; a HAR 1.2 file has a list of entries there.");
        }

        var list = entries.EnumerateArray().Select((e, i) => (Entry: e, Index: i, Url: Uri(e))).ToList();
        var kept = new HashSet<string>(options.Hosts, StringComparer.OrdinalIgnoreCase);

        // Without --host: the site recorded is the host of the first page the browser loaded (or of the first request).
        var site = list.FirstOrDefault(e => e.Url is not null && ResourceType(e.Entry) == "document").Url ?? list.FirstOrDefault(e => e.Url is not null).Url;
        if (kept.Count == 0 && site is not null)
        {
            kept.Add(site.Authority);
        }

        var baseUri = site is not null && Matches(site, kept) ? site : list.Select(e => e.Url).FirstOrDefault(u => u is not null && Matches(u, kept));
        var name = options.ScenarioName ?? (baseUri?.Host is { Length: > 0 } host ? host : "recording");
        var draft = new PlanDraft(source, "HAR " + (log.TryGetProperty("version", out var version) && version.ValueKind == JsonValueKind.String ? version.GetString() : "1.2"), name);
        if (baseUri is not null)
        {
            draft.BaseAddress = baseUri.GetLeftPart(UriPartial.Authority);
        }

        var otherHosts = new SortedDictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var statics = new List<string>();
        var cookies = 0;
        var compressed = 0;
        foreach (var (entry, index, url) in list)
        {
            var where = $"entry {index}";
            if (url is null)
            {
                var raw = Text(Property(entry, "request"), "url") ?? "(no url)";
                draft.Skipped.Add($"{where}: {Shorten(raw)}: not an http(s) address");
                continue;
            }

            if (!Matches(url, kept))
            {
                otherHosts[url.Authority] = otherHosts.GetValueOrDefault(url.Authority) + 1;
                continue;
            }

            if (!options.IncludeStaticResources && IsStatic(entry, url))
            {
                statics.Add(url.AbsolutePath);
                continue;
            }

            var request = Property(entry, "request");
            var method = (Text(request, "method") ?? "GET").ToUpperInvariant();
            if (!Compiling.RequestCompiler.Methods.Contains(method))
            {
                draft.NotImported.Add($"{where}: {method} {Shorten(url.ToString())}: the method {method} (a plan sends {string.Join(", ", Compiling.RequestCompiler.Methods)})");
                continue;
            }

            var status = Property(entry, "response") is { } response && response.TryGetProperty("status", out var code) && code.TryGetInt32(out var s) ? s : 0;
            if (status == 101 || ResourceType(entry) is "websocket" or "eventsource")
            {
                draft.NotImported.Add($"{where}: {Shorten(url.ToString())}: a {(status == 101 ? "WebSocket" : ResourceType(entry))} stream (a plan sends requests; streams are C# steps, docs/protocols.md)");
                continue;
            }

            if (status <= 0)
            {
                draft.Skipped.Add($"{where}: {method} {Shorten(url.ToString())}: no response was recorded (blocked, cancelled or failed in the browser)");
                continue;
            }

            var sameSite = baseUri is not null && url.GetLeftPart(UriPartial.Authority) == draft.BaseAddress;
            var imported = new ImportedRequest($"{method} {url.AbsolutePath}", method, Literal(sameSite ? url.PathAndQuery : url.AbsoluteUri)) { Status = status };
            foreach (var header in Items(request, "headers"))
            {
                var (headerName, value) = (Text(header, "name") ?? "", Text(header, "value") ?? "");
                if (headerName.Equals("Accept-Encoding", StringComparison.OrdinalIgnoreCase))
                {
                    // LoadKit measures the bytes as sent and does not decompress: asking for gzip would change what checks see.
                    compressed++;
                    continue;
                }

                if (headerName.Length > 0 && imported.AddHeader(headerName, Literal(value)) && headerName.Equals("Cookie", StringComparison.OrdinalIgnoreCase))
                {
                    cookies++;
                }
            }

            Body(Property(request, "postData"), imported, where, draft);
            draft.Add(imported);
        }

        if (statics.Count > 0)
        {
            draft.Skipped.Add($"{PlanDraft.Count(statics.Count, "static resource")} (stylesheets, scripts, images, fonts, media; --include-static keeps them): " +
                string.Join(", ", statics.Distinct().Take(8)) + (statics.Distinct().Count() > 8 ? ", ..." : ""));
        }

        foreach (var (other, count) in otherHosts)
        {
            draft.Skipped.Add($"{PlanDraft.Count(count, "request")} to {other}: another host (--host {other} keeps it)");
        }

        if (compressed > 0)
        {
            draft.Skipped.Add($"the Accept-Encoding header of {PlanDraft.Count(compressed, "request")}: LoadKit does not decompress, so responses are asked for uncompressed");
        }

        if (cookies > 0)
        {
            draft.NotImported.Add($"cookie handling: {PlanDraft.Count(cookies, "request")} send the recorded Cookie header as it was; a plan keeps no cookie jar, " +
                "so a session cookie from the recording may have expired (extract a new one with 'header: Set-Cookie' and send it)");
        }

        return draft;
    }

    private static void Body(JsonElement? postData, ImportedRequest imported, string where, PlanDraft draft)
    {
        if (postData is not { } data)
        {
            return;
        }

        var mimeType = Text(data, "mimeType") ?? imported.ContentType ?? "";
        var text = Text(data, "text");
        var parameters = Items(data, "params").ToList();
        if (parameters.Any(p => p.TryGetProperty("fileName", out _)))
        {
            draft.NotImported.Add($"{where}: {imported.Name}: a file upload ({string.Join(", ", parameters.Where(p => p.TryGetProperty("fileName", out _)).Select(p => $"'{Text(p, "name")}' = {Text(p, "fileName")}"))}); the request is imported {(text is null ? "without a body" : "with the body as recorded")}");
        }

        if (text is null)
        {
            return;
        }

        if (mimeType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            (imported.BodyKind, imported.Body) = (BodyKind.Json, Literal(text));
            return;
        }

        if (mimeType.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            var fields = text.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2))
                .Select(p => new KeyValuePair<string, string>(Decode(p[0]), p.Length > 1 ? Decode(p[1]) : "")).ToList();
            if (fields.Select(f => f.Key).Distinct(StringComparer.Ordinal).Count() == fields.Count && fields.All(f => f.Key.Length > 0))
            {
                imported.BodyKind = BodyKind.Form;
                imported.Form.AddRange(fields.Select(f => new KeyValuePair<string, string>(Literal(f.Key), Literal(f.Value))));
                return;
            }
        }

        (imported.BodyKind, imported.Body, imported.ContentType) = (BodyKind.Text, Literal(text), mimeType.Length > 0 ? mimeType : imported.ContentType);
    }

    private static bool IsStatic(JsonElement entry, Uri url)
    {
        // Chromium says what each request was for; "other" (and other browsers' HARs) are told by the address and type.
        if (ResourceType(entry) is { } type && type != "other")
        {
            return StaticTypes.Contains(type);
        }

        var mime = Property(Property(entry, "response"), "content") is { } content ? Text(content, "mimeType") ?? "" : "";
        return StaticExtensions.Contains(Path.GetExtension(url.AbsolutePath))
            || mime.StartsWith("image/", StringComparison.OrdinalIgnoreCase) || mime.StartsWith("font/", StringComparison.OrdinalIgnoreCase)
            || mime.StartsWith("text/css", StringComparison.OrdinalIgnoreCase) || mime.Contains("javascript", StringComparison.OrdinalIgnoreCase);
    }

    private static string? ResourceType(JsonElement entry) => Text(entry, "_resourceType");

    private static bool Matches(Uri url, HashSet<string> hosts) => hosts.Contains(url.Authority) || hosts.Contains(url.Host) || hosts.Contains(url.IdnHost);

    private static Uri? Uri(JsonElement entry) =>
        Text(Property(entry, "request"), "url") is { } text && System.Uri.TryCreate(text, UriKind.Absolute, out var url)
            && (url.Scheme == System.Uri.UriSchemeHttp || url.Scheme == System.Uri.UriSchemeHttps) ? url : null;

    /// <summary>A recorded text as a plan template that renders to itself.</summary>
    private static string Literal(string text) => text.Replace("{{", "{{{{", StringComparison.Ordinal);

    private static string Decode(string text) => System.Uri.UnescapeDataString(text.Replace('+', ' '));

    internal static string Shorten(string text) => text.Length <= 100 ? text : text[..97] + "...";

    internal static JsonElement? Property(JsonElement? element, string name) =>
        element is { ValueKind: JsonValueKind.Object } e && e.TryGetProperty(name, out var value) && value.ValueKind is not JsonValueKind.Null ? value : null;

    internal static string? Text(JsonElement? element, string name) => Property(element, name) is { } value
        ? value.ValueKind switch { JsonValueKind.String => value.GetString(), JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(), _ => null }
        : null;

    internal static IEnumerable<JsonElement> Items(JsonElement? element, string name) =>
        Property(element, name) is { ValueKind: JsonValueKind.Array } array ? array.EnumerateArray() : [];
}
