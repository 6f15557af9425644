using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using LoadKit.PlanFiles.Documents;

namespace LoadKit.PlanFiles.Compiling;

/// <summary>Where gRPC calls go: the plan's or scenario's <c>grpc</c>, or a step's, over the one above it.</summary>
/// <param name="Address">The server, or null for <see cref="GrpcSettings.AddressVariable"/>.</param>
/// <param name="DescriptorSet">The descriptor set's full path, or null for server reflection.</param>
/// <param name="Channels">Channels per VU or shared.</param>
/// <param name="BadAddress">The address given was wrong (and reported): the calls are not compiled, nor is it reported missing.</param>
/// <param name="Trusted">A certificate trusted besides the system's authorities, or null.</param>
internal sealed record GrpcConnection(Uri? Address, string? DescriptorSet, GrpcChannels Channels, bool BadAddress = false, X509Certificate2? Trusted = null)
{
    public static readonly GrpcConnection Default = new(null, null, GrpcChannels.PerUser);
}

/// <summary>
/// A plan's gRPC calls (a step's <c>grpc</c>, its <c>checks</c> and <c>extract</c>) → a <see cref="GrpcDynamicCall"/>,
/// through LoadKit.Grpc's public API: by method name, with a JSON message, resolved through server reflection or a
/// descriptor set. Steps that go to the same server the same way share one client, so a VU keeps one channel for them.
/// </summary>
internal sealed class GrpcCompiler(PlanReader reader, string baseDirectory, CertificateFiles certificates)
{
    public static readonly string[] ConnectionKeys = ["address", "descriptorSet", "channels", "trust"];

    private static readonly string[] CallKeys = ["method", "message", "metadata", "deadline", "status", .. ConnectionKeys];

    private static readonly string[] StatusNames = [.. Enumerable.Range(0, GrpcStats.MaxStatusCode + 1).Select(GrpcStats.StatusName)];

    private const string AddressAllowed = "an absolute http:// (HTTP/2 without TLS) or https:// (TLS) address with a host, e.g. http://127.0.0.1:5001";

    private readonly Dictionary<GrpcConnection, GrpcDynamicClient> _clients = [];

    /// <summary>The certificates the plan trusts (<c>grpc.trust</c> and <c>http.trust</c>).</summary>
    public CertificateFiles Certificates => certificates;

    /// <summary>The descriptor set files the plan names (relative to its folder, or absolute): a distributed run sends them along, as feeds' files.</summary>
    public List<string> Files { get; } = [];

    private readonly Dictionary<string, GrpcDescriptorSet?> _descriptorSets = new(StringComparer.Ordinal);

    /// <summary>A plan's or scenario's <c>grpc</c> over <paramref name="defaults"/>.</summary>
    public GrpcConnection Connection(PlanNode? node, string path, GrpcConnection defaults) =>
        reader.Map(node, path, ConnectionKeys) is { } fields ? Connection(fields, defaults) : defaults;

    /// <summary>A step's call, or null after a problem (each one reported at its place).</summary>
    public GrpcDynamicCall? Compile(Fields item, GrpcConnection defaults)
    {
        var grpc = reader.Map(item["grpc"], item.PathOf("grpc"), CallKeys);
        if (grpc is null)
        {
            return null;
        }

        var connection = Connection(grpc, defaults);
        var methodNode = grpc.Required("method", "the method's full name, package.Service/Method (e.g. shop.Orders/Get)");
        var method = reader.Text(methodNode, grpc.PathOf("method"), "a full method name, package.Service/Method");
        if (method is not null && !IsMethodName(method))
        {
            reader.Problem(methodNode, grpc.PathOf("method"), $"'{method}'", "a full method name, package.Service/Method, e.g. shop.Orders/Get");
            method = null;
        }

        var message = grpc["message"] switch
        {
            null => "{}",
            ScalarNode { ScalarKind: ScalarKind.Text } text => text.Text,
            var structure => NodeJson.Write(structure),
        };
        var client = Client(connection, grpc);
        var metadata = reader.Pairs(grpc["metadata"], grpc.PathOf("metadata"));
        var deadline = reader.Duration(grpc["deadline"], grpc.PathOf("deadline"));
        var statuses = Statuses(grpc);
        var checks = Checks(item);
        var extractions = Extractions(item);
        if (method is null || client is null)
        {
            return null;
        }

        GrpcDynamicCall call;
        try
        {
            call = client.Unary(method, message);
        }
        catch (ArgumentException e) when (e.ParamName == "json")
        {
            reader.Problem(grpc["message"] ?? grpc.Node, grpc.PathOf("message"), PlanReader.Show(grpc["message"] ?? grpc.Node), $"a JSON object that fits the request message ({WithoutParameter(e)})");
            return null;
        }
        catch (ArgumentException e)
        {
            reader.Problem(methodNode, grpc.PathOf("method"), $"'{method}'", $"a unary method of the descriptor set: {WithoutParameter(e)}");
            return null;
        }

        foreach (var (key, value) in metadata)
        {
            try
            {
                call = call.WithMetadata(key, value);
            }
            catch (ArgumentException)
            {
                reader.Problem(grpc["metadata"], PlanReader.Child(grpc.PathOf("metadata"), key), $"'{key}'", "a metadata key that is not blank and does not end in -bin (binary metadata is not a text)");
            }
        }

        if (deadline is { } limit)
        {
            call = call.WithDeadline(limit);
        }

        if (statuses is { Length: > 0 })
        {
            call = call.ExpectStatus(statuses);
        }

        foreach (var (jsonPath, expected) in checks)
        {
            call = call.Check($"{jsonPath} is '{expected}'", reply => reply.Select(jsonPath) == expected);
        }

        foreach (var (name, jsonPath, node, path) in extractions)
        {
            try
            {
                call = call.Extract(name, jsonPath);
            }
            catch (ArgumentException e)
            {
                reader.Problem(node, path, $"'{jsonPath}'", $"a JSON path such as $.order.id ({WithoutParameter(e)})");
            }
        }

        return call;
    }

    private GrpcConnection Connection(Fields fields, GrpcConnection defaults)
    {
        var connection = defaults;
        if (reader.Text(fields["address"], fields.PathOf("address"), AddressAllowed) is { } text)
        {
            if (Uri.TryCreate(text, UriKind.Absolute, out var address) && (address.Scheme == Uri.UriSchemeHttp || address.Scheme == Uri.UriSchemeHttps) && address.Host.Length > 0)
            {
                connection = connection with { Address = address, BadAddress = false };
            }
            else
            {
                reader.Problem(fields["address"], fields.PathOf("address"), $"'{text}'", AddressAllowed);
                connection = connection with { BadAddress = true };
            }
        }

        if (reader.Text(fields["descriptorSet"], fields.PathOf("descriptorSet"), "a descriptor set file (protoc --descriptor_set_out=FILE --include_imports), relative to the plan's folder") is { } file)
        {
            var full = Path.GetFullPath(file, baseDirectory);
            if (!_descriptorSets.ContainsKey(full))
            {
                Files.Add(file);
                _descriptorSets[full] = Load(full, fields);
            }

            connection = connection with { DescriptorSet = full };
        }

        if (certificates.Read(fields["trust"], fields.PathOf("trust")) is { } trusted)
        {
            connection = connection with { Trusted = trusted };
        }

        return reader.OneOf(fields["channels"], fields.PathOf("channels"), "perUser", "shared") switch
        {
            "perUser" => connection with { Channels = GrpcChannels.PerUser },
            "shared" => connection with { Channels = GrpcChannels.Shared },
            _ => connection,
        };
    }

    private GrpcDescriptorSet? Load(string full, Fields fields)
    {
        try
        {
            return GrpcDescriptorSet.Load(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            reader.Problem(fields["descriptorSet"], fields.PathOf("descriptorSet"), PlanReader.Show(fields["descriptorSet"]!),
                $"a readable descriptor set file, written with protoc --descriptor_set_out=FILE --include_imports ({e.Message})");
            return null;
        }
    }

    /// <summary>The client for this connection, shared by the steps that use the same one; null after a problem.</summary>
    private GrpcDynamicClient? Client(GrpcConnection connection, Fields grpc)
    {
        if (_clients.TryGetValue(connection, out var client))
        {
            return client;
        }

        if (connection.BadAddress || (connection.DescriptorSet is { } file && _descriptorSets[file] is null))
        {
            return null; // reported where the address or the file is given
        }

        if (connection.Address is null && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(GrpcSettings.AddressVariable)))
        {
            reader.Problem(grpc.Node, grpc.PathOf("address"), "missing",
                $"the server's address ({AddressAllowed}) in this grpc, the scenario's or the plan's, or in the environment variable {GrpcSettings.AddressVariable}");
            return null;
        }

        try
        {
            client = GrpcSteps.DynamicClient(
                new GrpcSettings { Address = connection.Address, Channels = connection.Channels, TrustedCertificate = connection.Trusted },
                connection.DescriptorSet is { } set ? _descriptorSets[set] : null);
        }
        catch (ArgumentException e)
        {
            // Only the environment variable's address can be wrong here: the plan's were checked as they were read.
            reader.Problem(grpc.Node, grpc.PathOf("address"), $"'{Environment.GetEnvironmentVariable(GrpcSettings.AddressVariable)}' (from {GrpcSettings.AddressVariable})", e.Message);
            return null;
        }

        _clients[connection] = client;
        return client;
    }

    private StatusCode[]? Statuses(Fields grpc)
    {
        if (grpc["status"] is not { } node)
        {
            return null;
        }

        var path = grpc.PathOf("status");
        var items = PlanReader.OneOrMore(node, path);
        if (items.Length == 0)
        {
            reader.Problem(node, path, "an empty list", "at least one status");
            return null;
        }

        var allowed = $"a gRPC status by name ({string.Join(", ", StatusNames)}) or number (0 to {GrpcStats.MaxStatusCode}), or a list of them";
        var codes = new List<StatusCode>();
        foreach (var (item, itemPath) in items)
        {
            var text = reader.Text(item, itemPath, allowed);
            var code = text is null ? -1
                : Array.FindIndex(StatusNames, n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase)) is var named and >= 0 ? named
                : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number <= GrpcStats.MaxStatusCode ? number
                : -1;
            if (code >= 0)
            {
                codes.Add((StatusCode)code);
            }
            else if (text is not null)
            {
                reader.Problem(item, itemPath, $"'{text}'", allowed);
            }
        }

        return codes.Count == items.Length ? [.. codes] : null;
    }

    /// <summary>The step's checks of the response: a JSON path and the value expected there.</summary>
    private List<(string JsonPath, string Expected)> Checks(Fields item)
    {
        var checks = new List<(string, string)>();
        var items = reader.List(item["checks"], item.PathOf("checks"), "a list of checks of the response: - jsonPath: $.state, equals: paid") ?? [];
        for (var i = 0; i < items.Count; i++)
        {
            if (reader.Map(items[i], PlanReader.Item(item.PathOf("checks"), i), "jsonPath", "equals") is not { } check)
            {
                continue;
            }

            var jsonPath = reader.Text(check.Required("jsonPath", "a JSON path over the response message, e.g. $.state (a gRPC step checks only those)"), check.PathOf("jsonPath"), "a JSON path such as $.state");
            var expected = reader.Text(check.Required("equals", "the value expected at the JSON path"), check.PathOf("equals"));
            if (jsonPath is not null && expected is not null)
            {
                checks.Add((jsonPath, expected));
            }
        }

        return checks;
    }

    /// <summary>The step's extractions: a session name and the JSON path of the response its value comes from.</summary>
    private List<(string Name, string JsonPath, PlanNode Node, string Path)> Extractions(Fields item)
    {
        var extractions = new List<(string, string, PlanNode, string)>();
        if (item["extract"] is not { } node)
        {
            return extractions;
        }

        if (node is not MapNode map)
        {
            reader.Problem(node, item.PathOf("extract"), PlanReader.Show(node), "a mapping of session names to JSON paths of the response, e.g. state: { jsonPath: $.state }");
            return extractions;
        }

        foreach (var (key, value) in map.Entries)
        {
            if (reader.Map(value, PlanReader.Child(item.PathOf("extract"), key.Text), "jsonPath") is { } extract
                && reader.Text(extract.Required("jsonPath", "a JSON path over the response message (a gRPC step extracts only those)"), extract.PathOf("jsonPath"), "a JSON path such as $.order.id") is { } jsonPath)
            {
                extractions.Add((key.Text, jsonPath, extract["jsonPath"]!, extract.PathOf("jsonPath")));
            }
        }

        return extractions;
    }

    /// <summary>The message without " (Parameter 'json')", which names a C# parameter the plan's reader never sees.</summary>
    private static string WithoutParameter(ArgumentException e) =>
        e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);

    private static bool IsMethodName(string text)
    {
        var name = text.StartsWith('/') ? text[1..] : text;
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 && slash < name.Length - 1 && name.IndexOf('/', slash + 1) < 0 && !name.Any(char.IsWhiteSpace);
    }
}
