using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace LoadKit.ControlPage.Plans;

/// <summary>
/// A plan's text (YAML or JSON) and the model the editor edits: the same document as a JSON tree, the plan format's
/// JSON form. Scalars keep what the plan reader makes of them: an unquoted <c>10</c> or <c>true</c> is a number or a
/// boolean, a quoted <c>"10"</c> stays text, so text → model → text compiles to the same scenarios.
/// </summary>
internal static partial class PlanText
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly JsonDocumentOptions Lenient = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>Whether a plan of this name is JSON (by its extension; YAML otherwise).</summary>
    public static bool IsJson(string name) => name.EndsWith(".json", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The model of a plan's text, and whether the text has comments (which the model does not keep); null when the
    /// text is not well-formed YAML or JSON (<see cref="PlanFile.Parse"/> then reports where).
    /// </summary>
    public static JsonNode? Read(string text, bool json, out bool hasComments)
    {
        hasComments = false;
        try
        {
            if (json)
            {
                hasComments = HasJsonComments(text);
                return JsonNode.Parse(text, documentOptions: Lenient) ?? new JsonObject();
            }

            hasComments = HasYamlComments(text);
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            return stream.Documents.Count == 1 ? Convert(stream.Documents[0].RootNode) : null;
        }
        catch (Exception e) when (e is JsonException or YamlException or InvalidOperationException)
        {
            // YamlDotNet's scanner throws InvalidOperationException when the text ends inside a flow collection.
            return null;
        }
    }

    /// <summary>The model as plan text: indented JSON, or YAML in the style of the docs (small mappings on one line).</summary>
    public static string Write(JsonNode model, bool json)
    {
        if (json)
        {
            return model.ToJsonString(Indented) + "\n";
        }

        var text = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        var emitter = new Emitter(text, bestIndent: 2, bestWidth: 120);
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart(null, null, isImplicit: true));
        Emit(emitter, model, top: true);
        emitter.Emit(new DocumentEnd(isImplicit: true));
        emitter.Emit(new StreamEnd());
        return text.ToString();
    }

    private static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(Key(c.Key), Convert(c.Value)))),
        YamlSequenceNode list => new JsonArray([.. list.Children.Select(Convert)]),
        YamlScalarNode scalar => Scalar(scalar),
        _ => JsonValue.Create(node.ToString()),
    };

    private static string Key(YamlNode key) => key is YamlScalarNode scalar ? scalar.Value ?? "" : key.ToString();

    /// <summary>An unquoted scalar is what the plan reader would read it as; a quoted one is text.</summary>
    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        if (scalar.Style is not (ScalarStyle.Plain or ScalarStyle.Any))
        {
            return JsonValue.Create(value);
        }

        return value switch
        {
            "" or "~" or "null" or "Null" or "NULL" => null,
            "true" or "True" or "TRUE" => JsonValue.Create(true),
            "false" or "False" or "FALSE" => JsonValue.Create(false),
            _ when JsonNumber().IsMatch(value) => JsonNode.Parse(value),
            _ => JsonValue.Create(value),
        };
    }

    private static void Emit(IEmitter emitter, JsonNode? node, bool top = false)
    {
        switch (node)
        {
            case JsonObject map:
                emitter.Emit(new MappingStart(null, null, isImplicit: true, !top && IsSmall(map) ? MappingStyle.Flow : MappingStyle.Block));
                foreach (var (key, value) in map)
                {
                    emitter.Emit(new Scalar(null, null, key, PlainUnlessRead(key), isPlainImplicit: true, isQuotedImplicit: true));
                    Emit(emitter, value);
                }

                emitter.Emit(new MappingEnd());
                break;
            case JsonArray list:
                emitter.Emit(new SequenceStart(null, null, isImplicit: true, list.All(i => i is JsonValue) && list.Count is > 0 and <= 8 ? SequenceStyle.Flow : SequenceStyle.Block));
                foreach (var item in list)
                {
                    Emit(emitter, item);
                }

                emitter.Emit(new SequenceEnd());
                break;
            case null:
                emitter.Emit(new Scalar(null, null, "null", ScalarStyle.Plain, isPlainImplicit: true, isQuotedImplicit: false));
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                var text = value.GetValue<string>();
                emitter.Emit(new Scalar(null, null, text, StyleOf(text), isPlainImplicit: true, isQuotedImplicit: true));
                break;
            default:
                // Numbers keep their literal (1.50 stays 1.50); true and false are plain.
                emitter.Emit(new Scalar(null, null, node.ToJsonString(), ScalarStyle.Plain, isPlainImplicit: true, isQuotedImplicit: false));
                break;
        }
    }

    /// <summary>A mapping of a few short scalars reads best on one line: <c>{ users: 10, during: 30s }</c>.</summary>
    private static bool IsSmall(JsonObject map) =>
        map.Count <= 6 && map.All(p => p.Value is null or JsonValue && (p.Value?.ToJsonString().Length ?? 4) <= 40 && !(p.Value?.ToJsonString().Contains("\\n", StringComparison.Ordinal) ?? false))
        && map.Sum(p => p.Key.Length + (p.Value?.ToJsonString().Length ?? 4) + 2) <= 70;

    private static ScalarStyle StyleOf(string text)
    {
        if (text.Contains('\n', StringComparison.Ordinal))
        {
            // A literal block when it reads back exactly (a JSON body stays readable); escapes otherwise.
            var literal = !text.Contains('\r', StringComparison.Ordinal) && !text.Contains('\t', StringComparison.Ordinal) && !text.StartsWith(' ')
                && text.Split('\n').All(line => line.Length == 0 || !char.IsWhiteSpace(line[^1]));
            return literal ? ScalarStyle.Literal : ScalarStyle.DoubleQuoted;
        }

        return PlainUnlessRead(text);
    }

    /// <summary>
    /// Text that the plan reader, or another YAML tool, would read as a number, a boolean or null unquoted is quoted,
    /// so it stays text: <c>"007"</c>, <c>"true"</c>, <c>"yes"</c>.
    /// </summary>
    private static ScalarStyle PlainUnlessRead(string text) =>
        text.Length == 0 || JsonNumber().IsMatch(text) || YamlNonText().IsMatch(text) ? ScalarStyle.DoubleQuoted : ScalarStyle.Plain;

    private static bool HasYamlComments(string text)
    {
        try
        {
            var scanner = new Scanner(new StringReader(text), skipComments: false);
            while (scanner.MoveNext())
            {
                if (scanner.Current is YamlDotNet.Core.Tokens.Comment)
                {
                    return true;
                }
            }
        }
        catch (Exception e) when (e is YamlException or InvalidOperationException)
        {
            // The reader reports the syntax error.
        }

        return false;
    }

    private static bool HasJsonComments(string text)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(text), new JsonReaderOptions { CommentHandling = JsonCommentHandling.Allow, AllowTrailingCommas = true });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.Comment)
                {
                    return true;
                }
            }
        }
        catch (JsonException)
        {
            // The reader reports the syntax error.
        }

        return false;
    }

    [GeneratedRegex(@"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?\z", RegexOptions.CultureInvariant)]
    private static partial Regex JsonNumber();

    /// <summary>YAML 1.1 and 1.2 numbers, booleans and nulls in any spelling (<c>007</c>, <c>1_000</c>, <c>0x1F</c>, <c>.5</c>, <c>yes</c>, <c>~</c>).</summary>
    [GeneratedRegex(@"^([-+]?[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)?|[-+]?\.[0-9][0-9_]*([eE][-+]?[0-9]+)?|0[xX][0-9a-fA-F_]+|0o[0-7]+|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)|~|null|Null|NULL|true|True|TRUE|false|False|FALSE|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)\z", RegexOptions.CultureInvariant)]
    private static partial Regex YamlNonText();
}
