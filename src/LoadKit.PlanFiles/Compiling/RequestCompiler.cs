using LoadKit.PlanFiles.Documents;

namespace LoadKit.PlanFiles.Compiling;

/// <summary>A plan's request, checks and extractions → an <see cref="HttpCall"/>, through the DSL's own methods.</summary>
internal static class RequestCompiler
{
    public static readonly string[] Methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

    private static readonly string[] RequestKeys = ["method", "url", "query", "headers", "form", "json", "body", "contentType", "timeout"];

    private static readonly string[] CheckKeys = ["status", "bodyLength", "bodyContains", "bodyMatches", "jsonPath", "equals"];

    private static readonly string[] ExtractKeys = ["jsonPath", "regex", "group", "xpath", "css", "attribute", "header", "value"];

    /// <summary>The request of a step or pre-work item (its <c>request</c>, <c>checks</c> and <c>extract</c>), or null after a problem.</summary>
    public static HttpCall? Compile(PlanReader reader, Fields item)
    {
        var request = reader.Map(item.Required("request", "the request: a mapping with url and, optionally, " + string.Join(", ", RequestKeys.Skip(2))), item.PathOf("request"), RequestKeys);
        if (request is null)
        {
            return null;
        }

        var method = request.Has("method") ? reader.OneOf(request["method"], request.PathOf("method"), Methods) : "GET";
        var url = reader.Text(request.Required("url", "the URL: a path relative to the base address (/orders), or an absolute http(s) URL"), request.PathOf("url"));
        if (method is null || url is null)
        {
            return null;
        }

        var call = Http.Request(new HttpMethod(method), url);
        foreach (var (name, value) in reader.Pairs(request["query"], request.PathOf("query")))
        {
            call = call.WithQuery(name, value);
        }

        foreach (var (name, value) in reader.Pairs(request["headers"], request.PathOf("headers")))
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                reader.Problem(request["headers"], request.PathOf("headers"), "a header with an empty name", "header names that are not blank");
                continue;
            }

            call = call.WithHeader(name, value);
        }

        call = WithBody(reader, request, call);
        if (reader.Duration(request["timeout"], request.PathOf("timeout")) is { } timeout)
        {
            call = call.WithTimeout(timeout);
        }

        if (reader.List(item["checks"], item.PathOf("checks"), "a list of checks") is { } checks)
        {
            for (var i = 0; i < checks.Count; i++)
            {
                foreach (var check in Checks(reader, checks[i], PlanReader.Item(item.PathOf("checks"), i)))
                {
                    call = call.Check(check);
                }
            }
        }

        if (item["extract"] is { } extract)
        {
            call = WithExtractions(reader, extract, item.PathOf("extract"), call);
        }

        return call;
    }

    private static HttpCall WithBody(PlanReader reader, Fields request, HttpCall call)
    {
        var bodies = request.Present("form", "json", "body");
        if (bodies.Length > 1)
        {
            reader.Problem(request.Node, request.Path, string.Join(" and ", bodies), "one body: form, json or body");
            return call;
        }

        if (request.Has("contentType") && !request.Has("body"))
        {
            reader.Problem(request["contentType"], request.PathOf("contentType"), PlanReader.Show(request["contentType"]!), "a content type goes with a body (form and json set their own)");
        }

        var pairs = reader.Pairs(request["form"], request.PathOf("form"));
        foreach (var (name, value) in pairs)
        {
            if (name.Length == 0)
            {
                reader.Problem(request["form"], request.PathOf("form"), "a field with an empty name", "form field names that are not empty");
                continue;
            }

            call = call.WithFormField(name, value);
        }

        if (request["json"] is { } json)
        {
            // A JSON body may be written as a text, or as YAML/JSON structure that is sent as JSON.
            call = call.WithJson(json is ScalarNode { ScalarKind: ScalarKind.Text } text ? text.Text : NodeJson.Write(json));
        }

        if (reader.Text(request["body"], request.PathOf("body")) is { } body)
        {
            var contentType = reader.Text(request["contentType"], request.PathOf("contentType")) ?? "text/plain; charset=utf-8";
            if (string.IsNullOrWhiteSpace(contentType))
            {
                reader.Problem(request["contentType"], request.PathOf("contentType"), "''", "a content type such as application/xml");
            }
            else
            {
                call = call.WithBody(body, contentType);
            }
        }

        return call;
    }

    private static IEnumerable<HttpCheck> Checks(PlanReader reader, PlanNode node, string path)
    {
        var check = reader.Map(node, path, CheckKeys);
        if (check is null)
        {
            yield break;
        }

        var kinds = check.Present("status", "bodyLength", "bodyContains", "bodyMatches", "jsonPath");
        if (kinds.Length != 1)
        {
            reader.Problem(node, path, kinds.Length == 0 ? "no check" : string.Join(" and ", kinds), "one check per item: status, bodyLength, bodyContains, bodyMatches or jsonPath (with equals)");
            yield break;
        }

        if (check.Has("equals") && kinds[0] != "jsonPath")
        {
            reader.Problem(check["equals"], check.PathOf("equals"), PlanReader.Show(check["equals"]!), "equals goes with jsonPath");
        }

        var value = check[kinds[0]]!;
        var valuePath = check.PathOf(kinds[0]);
        switch (kinds[0])
        {
            case "status":
                var codes = value is ListNode list
                    ? list.Items.Select((n, i) => reader.Int(n, PlanReader.Item(valuePath, i), "a status code")).ToArray()
                    : [reader.Int(value, valuePath, "a status code, or a list of them")];
                if (codes.All(c => c is not null) && codes.Length > 0)
                {
                    yield return HttpCheck.StatusIsOneOf([.. codes.Select(c => c!.Value)]);
                }
                else if (codes.Length == 0)
                {
                    reader.Problem(value, valuePath, "an empty list", "at least one status code");
                }

                break;
            case "bodyLength":
                var length = reader.Map(value, valuePath, "lessThan", "equals", "greaterThan");
                if (length is not null && length.Present("lessThan", "equals", "greaterThan").Length == 0)
                {
                    reader.Problem(value, valuePath, "no bound", "lessThan, equals or greaterThan: a number of bytes");
                }

                if (reader.Integer(length?["lessThan"], length?.PathOf("lessThan") ?? "", "a number of bytes") is { } less)
                {
                    yield return HttpCheck.BodyLengthLessThan(less);
                }

                if (reader.Integer(length?["equals"], length?.PathOf("equals") ?? "", "a number of bytes") is { } equal)
                {
                    yield return HttpCheck.BodyLengthIs(equal);
                }

                if (reader.Integer(length?["greaterThan"], length?.PathOf("greaterThan") ?? "", "a number of bytes") is { } greater)
                {
                    yield return HttpCheck.BodyLengthGreaterThan(greater);
                }

                break;
            case "bodyContains":
                if (reader.Text(value, valuePath) is { } text)
                {
                    yield return HttpCheck.BodyContains(text);
                }

                break;
            case "bodyMatches":
                if (reader.Text(value, valuePath, "a regular expression") is { } pattern)
                {
                    yield return HttpCheck.BodyMatches(pattern);
                }

                break;
            default:
                var jsonPath = reader.Text(value, valuePath, "a JSON path such as $.order.state");
                var expected = reader.Text(check.Required("equals", "the value expected at the JSON path"), check.PathOf("equals"));
                if (jsonPath is not null && expected is not null)
                {
                    yield return HttpCheck.JsonValueIs(jsonPath, expected);
                }

                break;
        }
    }

    private static HttpCall WithExtractions(PlanReader reader, PlanNode node, string path, HttpCall call)
    {
        if (node is not MapNode map)
        {
            reader.Problem(node, path, PlanReader.Show(node), "a mapping of session names to extractors, e.g. token: { jsonPath: $.token }");
            return call;
        }

        foreach (var (key, value) in map.Entries)
        {
            var itemPath = PlanReader.Child(path, key.Text);
            var extract = reader.Map(value, itemPath, ExtractKeys);
            if (extract is null)
            {
                continue;
            }

            var kinds = extract.Present("jsonPath", "regex", "xpath", "css", "header", "value");
            if (kinds.Length != 1)
            {
                reader.Problem(value, itemPath, kinds.Length == 0 ? "no extractor" : string.Join(" and ", kinds), "one of jsonPath, regex (with group), xpath, css (with attribute), header, value");
                continue;
            }

            Misplaced(reader, extract, "group", "regex", kinds[0]);
            Misplaced(reader, extract, "attribute", "css", kinds[0]);
            var text = reader.Text(extract[kinds[0]], extract.PathOf(kinds[0]));
            if (text is null)
            {
                continue;
            }

            HttpExtract? from = kinds[0] switch
            {
                "jsonPath" => HttpExtract.JsonPath(text),
                "regex" => reader.Int(extract["group"], extract.PathOf("group"), "a group number, 0 for the whole match") is var group && (group is not null || !extract.Has("group"))
                    ? HttpExtract.Regex(text, group ?? 1)
                    : null,
                "xpath" => HttpExtract.XPath(text),
                "css" => HttpExtract.Css(text, extract.Has("attribute") ? reader.Text(extract["attribute"], extract.PathOf("attribute")) : null),
                "header" when string.IsNullOrWhiteSpace(text) => null,
                "header" => HttpExtract.Header(text),
                _ => HttpExtract.Value(text),
            };
            if (kinds[0] == "header" && from is null)
            {
                reader.Problem(extract["header"], extract.PathOf("header"), "''", "a header name");
            }

            if (from is not null)
            {
                call = call.Extract(key.Text, from);
            }
        }

        return call;
    }

    private static void Misplaced(PlanReader reader, Fields fields, string key, string belongsTo, string kind)
    {
        if (fields.Has(key) && kind != belongsTo)
        {
            reader.Problem(fields[key], fields.PathOf(key), PlanReader.Show(fields[key]!), $"{key} goes with {belongsTo}");
        }
    }
}
