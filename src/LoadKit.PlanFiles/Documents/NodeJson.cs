using System.Text;
using System.Text.Json;

namespace LoadKit.PlanFiles.Documents;

/// <summary>
/// Writes a node as JSON: a request's <c>json</c> body written as YAML, or a YAML plan checked against the schema.
/// Unquoted YAML scalars become numbers, booleans or null when they read as one (YAML 1.2's core schema).
/// </summary>
internal static partial class NodeJson
{
    public static string Write(PlanNode node)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            Write(writer, node);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Write(Utf8JsonWriter writer, PlanNode node)
    {
        switch (node)
        {
            case MapNode map:
                writer.WriteStartObject();
                foreach (var (key, value) in map.Entries)
                {
                    writer.WritePropertyName(key.Text);
                    Write(writer, value);
                }

                writer.WriteEndObject();
                break;
            case ListNode list:
                writer.WriteStartArray();
                foreach (var item in list.Items)
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            case ScalarNode { ScalarKind: ScalarKind.Null }:
                writer.WriteNullValue();
                break;
            case ScalarNode { ScalarKind: ScalarKind.Boolean or ScalarKind.Plain } scalar when Boolean(scalar.Text) is { } flag:
                writer.WriteBooleanValue(flag);
                break;
            case ScalarNode { ScalarKind: ScalarKind.Number or ScalarKind.Plain } scalar when IsNumber(scalar.Text):
                writer.WriteRawValue(scalar.Text);
                break;
            case ScalarNode scalar:
                writer.WriteStringValue(scalar.Text);
                break;
        }
    }

    /// <summary>true or false as YAML 1.2 writes them; null otherwise.</summary>
    public static bool? Boolean(string text) => text switch
    {
        "true" or "True" or "TRUE" => true,
        "false" or "False" or "FALSE" => false,
        _ => null,
    };

    /// <summary>Whether the text is a number as JSON writes it.</summary>
    public static bool IsNumber(string text) => JsonNumber().IsMatch(text);

    [System.Text.RegularExpressions.GeneratedRegex(@"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$")]
    private static partial System.Text.RegularExpressions.Regex JsonNumber();
}
