using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using static LoadKit.PlanFiles.Import.HarReader;

namespace LoadKit.PlanFiles.Import;

/// <summary>
/// A Postman collection v2.1 → a plan's requests in the order the collection runner sends them (folders flattened),
/// its variables as the plan's (Postman's <c>{{name}}</c> is a plan template as it is), bearer, basic and API-key auth
/// as headers or query parameters (inherited from folders and the collection as Postman inherits it), and raw, JSON,
/// URL-encoded, multipart (text fields) and GraphQL bodies. Scripts, other auth types and file uploads are listed.
/// </summary>
internal sealed partial class PostmanReader
{
    public const string Schema21 = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json";

    private const string Boundary = "----LoadKitImportBoundary7MA4YWxkTrZu0gW";

    private readonly PlanDraft _draft;

    /// <summary>Where each template name is used, for the names no variable defines.</summary>
    private readonly Dictionary<string, List<string>> _used = new(StringComparer.Ordinal);

    private int _examples;

    private PostmanReader(PlanDraft draft) => _draft = draft;

    public static bool Is(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty("info", out var info) && info.ValueKind == JsonValueKind.Object
        && (root.TryGetProperty("item", out _) || info.TryGetProperty("schema", out _));

    public static PlanDraft Read(JsonElement root, string source, PlanImportOptions options)
    {
        var info = root.GetProperty("info");
        var schema = Text(info, "schema") ?? "";
        if (!schema.Contains("/v2.1", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{source}: info.schema = '{schema}': this is not a Postman collection v2.1; allowed: {Schema21} " +
                "(in Postman: the collection's ... menu → Export → Collection v2.1).");
        }

        var name = options.ScenarioName ?? Text(info, "name") ?? Path.GetFileNameWithoutExtension(source);
        var reader = new PostmanReader(new PlanDraft(source, "Postman collection v2.1", name));
        reader.Variables(root);
        if (options.PostmanEnvironment is { } environment)
        {
            reader.Environment(environment);
        }

        reader.Scripts(root, "the collection");
        reader.Walk(Items(root, "item"), [], Property(root, "auth"));
        reader.Finish();
        return reader._draft;
    }

    private void Variables(JsonElement root)
    {
        foreach (var variable in Items(root, "variable"))
        {
            var key = Text(variable, "key");
            if (string.IsNullOrEmpty(key))
            {
                continue;
            }

            if (Property(variable, "disabled") is { ValueKind: JsonValueKind.True })
            {
                _draft.Skipped.Add($"variable '{key}': disabled in the collection");
                continue;
            }

            var value = Property(variable, "value") is { } v ? v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText() : "";
            _draft.Variables.RemoveAll(v => v.Key == key); // a key given twice: the last one, as Postman reads it
            _draft.Variables.Add(new(key, value));
        }
    }

    /// <summary>A Postman environment's enabled values, over the collection's variables of the same name.</summary>
    private void Environment(string path)
    {
        var name = Path.GetFileName(path);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (Exception exception) when (exception is JsonException or IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{name}: the Postman environment cannot be read: {exception.Message}", exception);
        }

        using (document)
        {
            if (Property(document.RootElement, "values") is not { ValueKind: JsonValueKind.Array } values)
            {
                throw new InvalidDataException($"{name}: values = missing: a Postman environment (Environments → Export) has a list of values.");
            }

            var count = 0;
            foreach (var value in values.EnumerateArray())
            {
                var key = Text(value, "key");
                if (string.IsNullOrEmpty(key))
                {
                    continue;
                }

                if (Property(value, "enabled") is { ValueKind: JsonValueKind.False })
                {
                    _draft.Skipped.Add($"environment {name}: value '{key}': disabled");
                    continue;
                }

                _draft.Variables.RemoveAll(v => v.Key == key);
                _draft.Variables.Add(new(key, Text(value, "value") ?? ""));
                count++;
            }

            _draft.Skipped.Add($"environment {name}: {PlanDraft.Count(count, "value")} added to the variables (over the collection's of the same name)");
        }
    }

    private void Walk(IEnumerable<JsonElement> items, IReadOnlyList<string> folders, JsonElement? auth)
    {
        foreach (var item in items)
        {
            var name = Text(item, "name") ?? "(unnamed)";
            var itemAuth = Property(item, "auth") is { } own && Text(own, "type") != "inherit" ? own : auth;
            if (item.TryGetProperty("item", out _))
            {
                Scripts(item, $"folder '{string.Join("/", [.. folders, name])}'");
                Walk(Items(item, "item"), [.. folders, name], itemAuth);
                continue;
            }

            var where = $"request '{string.Join("/", [.. folders, name])}'";
            var extractions = Scripts(item, where);
            _examples += Items(item, "response").Count();
            var request = Property(item, "request");
            if (request is null)
            {
                _draft.Skipped.Add($"{where}: holds no request");
                continue;
            }

            if (Request(request.Value, name, where, Property(request, "auth") is { } requestAuth && Text(requestAuth, "type") != "inherit" ? requestAuth : itemAuth) is { } imported)
            {
                imported.Extract.AddRange(extractions);
                _draft.Add(imported);
            }
        }
    }

    private ImportedRequest? Request(JsonElement request, string name, string where, JsonElement? auth)
    {
        var method = request.ValueKind == JsonValueKind.String ? "GET" : (Text(request, "method") ?? "GET").ToUpperInvariant();
        if (!Compiling.RequestCompiler.Methods.Contains(method))
        {
            _draft.NotImported.Add($"{where}: the method {method} (a plan sends {string.Join(", ", Compiling.RequestCompiler.Methods)})");
            return null;
        }

        var url = Url(request.ValueKind == JsonValueKind.String ? request : Property(request, "url"), where);
        if (url is null)
        {
            _draft.NotImported.Add($"{where}: it has no URL");
            return null;
        }

        var imported = new ImportedRequest(name, method, url);
        foreach (var header in Items(request, "header"))
        {
            var key = Text(header, "key") ?? "";
            if (Property(header, "disabled") is { ValueKind: JsonValueKind.True })
            {
                _draft.Skipped.Add($"{where}: header '{key}': disabled in the collection");
            }
            else if (key.Length > 0 && !imported.AddHeader(key, Template(Text(header, "value") ?? "", $"{where}: header '{key}'")))
            {
                _draft.Skipped.Add($"{where}: header '{key}': the HTTP client sets it");
            }
        }

        Auth(auth, imported, where);
        Body(Property(request, "body"), imported, where);
        return imported;
    }

    private string? Url(JsonElement? url, string where)
    {
        if (url is null)
        {
            return null;
        }

        string raw;
        if (url.Value.ValueKind == JsonValueKind.String)
        {
            raw = url.Value.GetString()!;
        }
        else
        {
            raw = Text(url, "raw") ?? "";
            foreach (var variable in Items(url, "variable"))
            {
                // Path variables (/orders/:id) are filled in Postman's way, from the URL's own list.
                if (Text(variable, "key") is { Length: > 0 } key)
                {
                    raw = raw.Replace(":" + key, Text(variable, "value") ?? "", StringComparison.Ordinal);
                }
            }

            foreach (var query in Items(url, "query").Where(q => Property(q, "disabled") is { ValueKind: JsonValueKind.True }))
            {
                _draft.Skipped.Add($"{where}: query parameter '{Text(query, "key")}': disabled in the collection");
            }
        }

        raw = raw.Trim();
        if (raw.Length == 0)
        {
            return null;
        }

        // Postman sends "example.com/x" over http, as a browser would.
        if (!raw.StartsWith("{{", StringComparison.Ordinal) && !raw.StartsWith('/') && !raw.Contains("://", StringComparison.Ordinal))
        {
            raw = "http://" + raw;
        }

        return Template(raw, $"{where}: URL");
    }

    private void Auth(JsonElement? auth, ImportedRequest imported, string where)
    {
        var type = Text(auth, "type");
        if (type is null or "noauth" || imported.HasHeader("Authorization"))
        {
            return;
        }

        string? Setting(string key) => Items(auth, type).FirstOrDefault(p => Text(p, "key") == key) is { ValueKind: JsonValueKind.Object } p ? Text(p, "value") : null;
        switch (type)
        {
            case "bearer":
                imported.AddHeader("Authorization", "Bearer " + Template(Setting("token") ?? "", $"{where}: bearer token"));
                break;
            case "basic":
                var credentials = $"{Setting("username")}:{Setting("password")}";
                if (Resolve(credentials) is { } resolved)
                {
                    imported.AddHeader("Authorization", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(resolved)));
                    break;
                }

                _draft.NotImported.Add($"{where}: basic auth with a user or password from a variable the collection does not define " +
                    "(a plan cannot encode a template in base64): add an Authorization: Basic header by hand");
                break;
            case "apikey":
                var (key, value) = (Setting("key") ?? "", Template(Setting("value") ?? "", $"{where}: API key"));
                if (Setting("in") == "query")
                {
                    imported.Url += (imported.Url.Contains('?', StringComparison.Ordinal) ? "&" : "?") + Uri.EscapeDataString(key) + "=" + value;
                }
                else
                {
                    imported.AddHeader(key, value);
                }

                break;
            default:
                _draft.NotImported.Add($"{where}: '{type}' auth (a plan sends bearer, basic and API-key auth; give the header it needs by hand, e.g. a token from a login step's extract)");
                break;
        }
    }

    private void Body(JsonElement? body, ImportedRequest imported, string where)
    {
        var mode = Text(body, "mode");
        if (mode is null)
        {
            return;
        }

        if (Property(body, "disabled") is { ValueKind: JsonValueKind.True })
        {
            _draft.Skipped.Add($"{where}: its {mode} body: disabled in the collection");
            return;
        }

        switch (mode)
        {
            case "raw":
                var raw = Template(Text(body, "raw") ?? "", $"{where}: body");
                var language = Text(Property(Property(body, "options"), "raw"), "language") ?? "text";
                var contentType = imported.ContentType ?? language switch
                {
                    "json" => "application/json",
                    "xml" => "application/xml",
                    "html" => "text/html",
                    "javascript" => "application/javascript",
                    _ => "text/plain",
                };
                (imported.BodyKind, imported.Body, imported.ContentType) = contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
                    ? (BodyKind.Json, raw, null)
                    : (BodyKind.Text, raw, contentType);
                break;
            case "urlencoded":
                var fields = Fields(body, "urlencoded", where).ToList();
                if (fields.Select(f => f.Key).Distinct(StringComparer.Ordinal).Count() == fields.Count)
                {
                    imported.BodyKind = BodyKind.Form;
                    imported.Form.AddRange(fields.Select(f => new KeyValuePair<string, string>(f.Key, f.Value)));
                }
                else
                {
                    // A field given twice: a form mapping holds each name once, so the body is sent as written.
                    (imported.BodyKind, imported.ContentType) = (BodyKind.Text, "application/x-www-form-urlencoded");
                    imported.Body = string.Join("&", fields.Select(f => Uri.EscapeDataString(f.Key) + "=" + f.Value));
                }

                break;
            case "formdata":
                var multipart = new StringBuilder();
                foreach (var field in Items(body, "formdata"))
                {
                    var key = Text(field, "key") ?? "";
                    if (Property(field, "disabled") is { ValueKind: JsonValueKind.True })
                    {
                        _draft.Skipped.Add($"{where}: form-data field '{key}': disabled in the collection");
                    }
                    else if (Text(field, "type") == "file")
                    {
                        _draft.NotImported.Add($"{where}: form-data field '{key}' uploads a file ({Text(field, "src") ?? "no file chosen"}); a plan sends text bodies only, so the part is left out");
                    }
                    else
                    {
                        multipart.Append("--").Append(Boundary).Append("\r\n")
                            .Append("Content-Disposition: form-data; name=\"").Append(key).Append("\"\r\n");
                        if (Text(field, "contentType") is { Length: > 0 } partType)
                        {
                            multipart.Append("Content-Type: ").Append(partType).Append("\r\n");
                        }

                        multipart.Append("\r\n").Append(Template(Text(field, "value") ?? "", $"{where}: form-data field '{key}'")).Append("\r\n");
                    }
                }

                multipart.Append("--").Append(Boundary).Append("--\r\n");
                (imported.BodyKind, imported.Body, imported.ContentType) = (BodyKind.Text, multipart.ToString(), "multipart/form-data; boundary=" + Boundary);
                break;
            case "graphql":
                var graphql = Property(body, "graphql");
                var variables = Text(graphql, "variables") is { Length: > 0 } text ? text : "{}";
                imported.BodyKind = BodyKind.Json;
                imported.Body = Template($"{{\"query\": {JsonSerializer.Serialize(Text(graphql, "query") ?? "")}, \"variables\": {variables}}}", $"{where}: GraphQL body");
                break;
            default:
                _draft.NotImported.Add($"{where}: its '{mode}' body (a binary file; a plan sends text, JSON, form and multipart text bodies)");
                break;
        }
    }

    private IEnumerable<KeyValuePair<string, string>> Fields(JsonElement? body, string mode, string where)
    {
        foreach (var field in Items(body, mode))
        {
            var key = Text(field, "key") ?? "";
            if (Property(field, "disabled") is { ValueKind: JsonValueKind.True })
            {
                _draft.Skipped.Add($"{where}: form field '{key}': disabled in the collection");
                continue;
            }

            yield return new(Template(key, $"{where}: form field name"), Template(Text(field, "value") ?? "", $"{where}: form field '{key}'"));
        }
    }

    /// <summary>
    /// Lists the owner's scripts as not imported. From a request's test script, the one thing nearly every collection
    /// does with one is read anyway: <c>pm.collectionVariables.set("token", pm.response.json().token)</c> (or
    /// <c>environment</c>, <c>globals</c>, <c>variables</c>, or a <c>jsonData</c> variable) becomes an extraction, and
    /// the note says so; the rest of the script is not run.
    /// </summary>
    private List<KeyValuePair<string, string>> Scripts(JsonElement owner, string where)
    {
        var extractions = new List<KeyValuePair<string, string>>();
        foreach (var script in Items(owner, "event"))
        {
            var exec = Property(Property(script, "script"), "exec");
            var lines = exec switch
            {
                { ValueKind: JsonValueKind.Array } array => array.EnumerateArray().Select(l => l.GetString() ?? "").ToList(),
                { ValueKind: JsonValueKind.String } one => [.. one.GetString()!.Split('\n')],
                _ => [],
            };
            lines = [.. lines.Where(l => !string.IsNullOrWhiteSpace(l) && !l.TrimStart().StartsWith("//", StringComparison.Ordinal))];
            if (lines.Count == 0)
            {
                continue;
            }

            var listen = Text(script, "listen") == "prerequest" ? "pre-request" : "test";
            var derived = listen == "test" && where.StartsWith("request", StringComparison.Ordinal)
                ? lines.Select(l => SetFromResponse().Match(l)).Where(m => m.Success).Select(m => new KeyValuePair<string, string>(m.Groups["name"].Value, "$" + m.Groups["path"].Value)).ToList()
                : [];
            extractions.AddRange(derived);
            var hint = listen == "test"
                ? "scripts do not run in a plan: write its assertions as checks: and its other pm.*.set(...) as extract:"
                : "scripts do not run in a plan: give the values it computes as variables, a feed or an earlier step's extract:";
            var made = derived.Count > 0 ? $"made from it: {string.Join(", ", derived.Select(d => $"extract {d.Key} ← {d.Value}"))}; " : "";
            _draft.NotImported.Add($"{where}: its {listen} script ({PlanDraft.Count(lines.Count, "line")}, first: {Shorten(lines[0].Trim())}): {made}{hint}");
        }

        return extractions;
    }

    [GeneratedRegex("""pm\.(?:collectionVariables|environment|globals|variables)\.set\(\s*["'](?<name>[A-Za-z_][\w.-]*)["']\s*,\s*(?:pm\.response\.json\(\)|jsonData|responseJson|response|data|body)(?<path>(?:\.[A-Za-z_]\w*|\[\d+\])+)\s*\)""")]
    private static partial Regex SetFromResponse();

    /// <summary>A Postman text as a plan template: <c>{{name}}</c> means the same in both. A text that is no template is kept as written (escaped).</summary>
    private string Template(string text, string where)
    {
        try
        {
            foreach (var name in LoadKit.Template.Parse(text).Names)
            {
                (_used.TryGetValue(name, out var places) ? places : _used[name] = []).Add(where);
            }

            return text;
        }
        catch (FormatException)
        {
            _draft.Skipped.Add($"{where}: '{Shorten(text)}' has a '{{{{' that opens no variable: sent as written");
            return text.Replace("{{", "{{{{", StringComparison.Ordinal);
        }
    }

    /// <summary>The text with every variable filled from the collection's values, or null when one has none.</summary>
    private string? Resolve(string text)
    {
        LoadKit.Template template;
        try
        {
            template = LoadKit.Template.Parse(text.Replace("{{{{", "\u0001", StringComparison.Ordinal));
        }
        catch (FormatException)
        {
            return null;
        }

        var result = template.Text;
        foreach (var name in template.Names)
        {
            if (_draft.Variables.FirstOrDefault(v => v.Key == name) is not { Key: not null } variable || variable.Value.Contains("{{", StringComparison.Ordinal))
            {
                return null;
            }

            result = result.Replace("{{" + name + "}}", variable.Value, StringComparison.Ordinal);
        }

        return result.Contains("{{", StringComparison.Ordinal) ? null : result.Replace("\u0001", "{{", StringComparison.Ordinal);
    }

    private void Finish()
    {
        // A plan's variables are values, not templates: one that names others ({{scheme}}://{{host}}) is filled in here.
        for (var i = 0; i < _draft.Variables.Count; i++)
        {
            var (key, value) = _draft.Variables[i];
            if (!value.Contains("{{", StringComparison.Ordinal))
            {
                continue;
            }

            if (Resolve(value) is { } resolved)
            {
                _draft.Variables[i] = new(key, resolved);
                _draft.Skipped.Add($"variable '{key}' = '{Shorten(value)}': filled in from the other variables (a plan's variables are values, not templates)");
            }
            else
            {
                _draft.NotImported.Add($"variable '{key}' = '{Shorten(value)}': it names a variable that has no plain value here; a plan's variables are values, not templates: write the value");
            }
        }

        foreach (var (name, places) in _used.Where(u => _draft.Variables.All(v => v.Key != u.Key)).OrderBy(u => u.Key, StringComparer.Ordinal))
        {
            var at = string.Join("; ", places.Distinct().Take(3)) + (places.Distinct().Count() > 3 ? "; ..." : "");
            _draft.NotImported.Add(name.StartsWith('$')
                ? $"the Postman dynamic variable {{{{{name}}}}} ({at}): a plan has none; give a value under variables: or from a feed"
                : $"the variable {{{{{name}}}}} ({at}): the collection does not define it (an environment or global variable?); add it under variables: before running");
        }

        if (_examples > 0)
        {
            _draft.Skipped.Add($"{PlanDraft.Count(_examples, "saved example response")}: examples are documentation, not requests");
        }

        LiftBaseAddress();
    }

    /// <summary>
    /// When every URL starts with the same variable holding a site address (Postman's <c>{{baseUrl}}</c>), that address
    /// becomes <c>http.baseAddress</c>, so <c>LOADKIT_HTTP_BASE_ADDRESS</c> can point the plan elsewhere.
    /// </summary>
    private void LiftBaseAddress()
    {
        if (_draft.Requests.Count == 0 || _draft.Requests[0].Url is not ['{', '{', ..] first || first.IndexOf("}}", StringComparison.Ordinal) is not (> 2 and var close))
        {
            return;
        }

        var prefix = first[..(close + 2)];
        var name = prefix[2..^2].Trim();
        if (_draft.Variables.FindIndex(v => v.Key == name) is not (>= 0 and var index)
            || !Uri.TryCreate(_draft.Variables[index].Value, UriKind.Absolute, out var site) || site.Scheme is not ("http" or "https")
            || site.AbsolutePath != "/" || site.Query.Length > 0
            || _draft.Requests.Any(r => !r.Url.StartsWith(prefix, StringComparison.Ordinal) || r.Url.Length > prefix.Length && r.Url[prefix.Length] is not ('/' or '?'))
            || _used[name].Any(place => !place.EndsWith(": URL", StringComparison.Ordinal)))
        {
            return;
        }

        _draft.BaseAddress = site.GetLeftPart(UriPartial.Authority);
        foreach (var request in _draft.Requests)
        {
            var rest = request.Url[prefix.Length..];
            request.Url = rest.StartsWith('/') ? rest : "/" + rest;
        }

        _draft.Variables.RemoveAt(index);
        _draft.Skipped.Add($"the variable '{name}' = {site.GetLeftPart(UriPartial.Authority)}: became http.baseAddress, the one place to point the plan at another server");
    }

}
