using System.Text;
using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LoadKit.PlanFiles.Documents;

/// <summary>Reads YAML or JSON text into <see cref="PlanNode"/>s; a text that is not well-formed is one problem with its position.</summary>
internal static class DocumentReader
{
    /// <summary>The format a source name's extension says (.json is JSON; anything else is read as YAML, of which JSON is nearly a subset).</summary>
    public static bool IsJson(string sourceName, string text) =>
        sourceName.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
        || (!sourceName.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) && !sourceName.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)
            && text.TrimStart().StartsWith('{'));

    /// <summary>The document's root, or null with <paramref name="problem"/> (and its line and column) set.</summary>
    public static PlanNode? Read(string text, bool json, out (string Message, int Line, int Column)? problem) =>
        json ? ReadJson(text, out problem) : ReadYaml(text, out problem);

    private static PlanNode? ReadYaml(string text, out (string, int, int)? problem)
    {
        problem = null;
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            // YamlDotNet wraps the cause ("Duplicate key", "did not find expected key") in a generic message.
            var cause = e.InnerException is YamlException inner ? inner.Message : e.Message;
            problem = ($"well-formed YAML ({cause})", (int)e.Start.Line, (int)e.Start.Column);
            return null;
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet's scanner throws this, with no position, when the text ends inside a flow collection.
            problem = ($"well-formed YAML (the reader stopped: {e.Message} An unclosed [ or {{ ?)", 0, 0);
            return null;
        }

        if (stream.Documents.Count == 0)
        {
            problem = ("a plan (the document is empty)", 1, 1);
            return null;
        }

        if (stream.Documents.Count > 1)
        {
            problem = ("one YAML document (found " + stream.Documents.Count + "; remove the '---' separators)", (int)stream.Documents[1].RootNode.Start.Line, 1);
            return null;
        }

        return Convert(stream.Documents[0].RootNode);
    }

    private static PlanNode Convert(YamlNode node)
    {
        var (line, column) = ((int)node.Start.Line, (int)node.Start.Column);
        return node switch
        {
            YamlMappingNode map => new MapNode(line, column, [.. map.Children.Select(c => KeyValuePair.Create((ScalarNode)Convert(c.Key is YamlScalarNode ? c.Key : new YamlScalarNode(c.Key.ToString())), Convert(c.Value)))]),
            YamlSequenceNode list => new ListNode(line, column, [.. list.Children.Select(Convert)]),
            YamlScalarNode scalar => new ScalarNode(line, column, scalar.Value ?? "", KindOf(scalar)),
            _ => new ScalarNode(line, column, node.ToString(), ScalarKind.Text),
        };
    }

    private static ScalarKind KindOf(YamlScalarNode scalar) => scalar.Style switch
    {
        ScalarStyle.Plain when scalar.Value is null or "" or "~" or "null" or "Null" or "NULL" => ScalarKind.Null,
        ScalarStyle.Plain or ScalarStyle.Any => ScalarKind.Plain,
        _ => ScalarKind.Text,
    };

    private static PlanNode? ReadJson(string text, out (string, int, int)? problem)
    {
        problem = null;
        var bytes = Encoding.UTF8.GetBytes(text);
        var lineStarts = new List<int> { 0 };
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == '\n')
            {
                lineStarts.Add(i + 1);
            }
        }

        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        try
        {
            if (!reader.Read())
            {
                problem = ("a plan (the document is empty)", 1, 1);
                return null;
            }

            return ReadJsonValue(ref reader, lineStarts);
        }
        catch (JsonException e)
        {
            problem = ($"well-formed JSON ({e.Message.Split(" LineNumber:", 2)[0].TrimEnd('.', ' ')})", (int)(e.LineNumber ?? 0) + 1, (int)(e.BytePositionInLine ?? 0) + 1);
            return null;
        }
    }

    private static PlanNode ReadJsonValue(ref Utf8JsonReader reader, List<int> lineStarts)
    {
        var (line, column) = Position(reader.TokenStartIndex, lineStarts);
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                var entries = new List<KeyValuePair<ScalarNode, PlanNode>>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    var (keyLine, keyColumn) = Position(reader.TokenStartIndex, lineStarts);
                    var key = new ScalarNode(keyLine, keyColumn, reader.GetString()!, ScalarKind.Text);
                    reader.Read();
                    entries.Add(KeyValuePair.Create(key, ReadJsonValue(ref reader, lineStarts)));
                }

                return new MapNode(line, column, entries);
            case JsonTokenType.StartArray:
                var items = new List<PlanNode>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    items.Add(ReadJsonValue(ref reader, lineStarts));
                }

                return new ListNode(line, column, items);
            case JsonTokenType.String:
                return new ScalarNode(line, column, reader.GetString()!, ScalarKind.Text);
            case JsonTokenType.Number:
                return new ScalarNode(line, column, Encoding.UTF8.GetString(reader.ValueSpan), ScalarKind.Number);
            case JsonTokenType.True or JsonTokenType.False:
                return new ScalarNode(line, column, reader.TokenType == JsonTokenType.True ? "true" : "false", ScalarKind.Boolean);
            default:
                return new ScalarNode(line, column, "null", ScalarKind.Null);
        }
    }

    private static (int Line, int Column) Position(long byteIndex, List<int> lineStarts)
    {
        var index = lineStarts.BinarySearch((int)byteIndex);
        var line = index >= 0 ? index : ~index - 1;
        return (line + 1, (int)byteIndex - lineStarts[line] + 1);
    }
}
