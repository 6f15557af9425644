using System.Globalization;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace LoadKit;

/// <summary>
/// Protobuf's JSON mapping for messages known only by their descriptors (C# protobuf has no dynamic message): a JSON
/// object to the wire format, and back. Fields by their proto or JSON name; 64-bit integers as strings or numbers;
/// enums by name or number; bytes as base64; repeated fields as arrays; maps as objects; well-known types in their
/// message form (<c>{"seconds": 1}</c>), not their special JSON strings. Decoded messages hold their default values
/// (as with JsonFormatter's FormatDefaultValues), except in messages, oneofs and optional fields that are not set.
/// Proto2 groups are not supported.
/// </summary>
internal static class ProtoJson
{
    /// <exception cref="FormatException">A field the message does not have, or a value its type does not take; the message names the path.</exception>
    public static byte[] Encode(MessageDescriptor type, JObject json)
    {
        using var memory = new MemoryStream();
        var output = new CodedOutputStream(memory);
        Write(output, type, json, "$");
        output.Flush();
        return memory.ToArray();
    }

    public static JObject Decode(MessageDescriptor type, ReadOnlySpan<byte> data)
    {
        var input = new CodedInputStream(data.ToArray());
        var json = new JObject();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            var field = type.FindFieldByNumber(WireFormat.GetTagFieldNumber(tag));
            if (field is null)
            {
                input.SkipLastField();
                continue;
            }

            if (field.IsMap)
            {
                var entry = Decode(field.MessageType, input.ReadBytes().Span);
                if (json[field.JsonName] is not JObject map)
                {
                    json[field.JsonName] = map = [];
                }

                var (key, value) = (field.MessageType.FindFieldByNumber(1), field.MessageType.FindFieldByNumber(2));
                map[Text(entry[key.JsonName] ?? Default(key))] = entry[value.JsonName] ?? Default(value);
            }
            else if (field.IsRepeated)
            {
                if (json[field.JsonName] is not JArray array)
                {
                    json[field.JsonName] = array = [];
                }

                if (WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited && IsPackable(field.FieldType))
                {
                    var packed = new CodedInputStream(input.ReadBytes().ToByteArray());
                    while (!packed.IsAtEnd)
                    {
                        array.Add(Read(packed, field));
                    }
                }
                else
                {
                    array.Add(Read(input, field));
                }
            }
            else
            {
                json[field.JsonName] = Read(input, field);
            }
        }

        // The wire leaves default values out; write them, as JsonFormatter's FormatDefaultValues does, so a path finds them.
        foreach (var field in type.Fields.InDeclarationOrder())
        {
            if (json.ContainsKey(field.JsonName) || field.RealContainingOneof is not null || (field.HasPresence && !field.IsRepeated))
            {
                continue;
            }

            json[field.JsonName] = field.IsMap ? new JObject() : field.IsRepeated ? new JArray() : Default(field);
        }

        return json;
    }

    private static void Write(CodedOutputStream output, MessageDescriptor type, JObject json, string path)
    {
        foreach (var property in json.Properties())
        {
            var field = type.FindFieldByName(property.Name)
                ?? type.Fields.InDeclarationOrder().FirstOrDefault(f => f.JsonName == property.Name)
                ?? throw new FormatException($"{path}.{property.Name}: {type.FullName} has no field '{property.Name}' (fields: {string.Join(", ", type.Fields.InDeclarationOrder().Select(f => f.JsonName))}).");
            var at = $"{path}.{property.Name}";
            if (property.Value.Type == JTokenType.Null)
            {
                continue;
            }

            if (field.IsMap)
            {
                var (key, value) = (field.MessageType.FindFieldByNumber(1), field.MessageType.FindFieldByNumber(2));
                foreach (var entry in Expect<JObject>(property.Value, at, "an object (a map)").Properties())
                {
                    var entryJson = new JObject { [key.JsonName] = entry.Name, [value.JsonName] = entry.Value };
                    output.WriteTag(field.FieldNumber, WireFormat.WireType.LengthDelimited);
                    output.WriteBytes(ByteString.CopyFrom(Encode(field.MessageType, entryJson, $"{at}.{entry.Name}")));
                }
            }
            else if (field.IsRepeated)
            {
                foreach (var item in Expect<JArray>(property.Value, at, "an array"))
                {
                    WriteValue(output, field, item, at);
                }
            }
            else
            {
                WriteValue(output, field, property.Value, at);
            }
        }
    }

    private static byte[] Encode(MessageDescriptor type, JObject json, string path)
    {
        using var memory = new MemoryStream();
        var output = new CodedOutputStream(memory);
        Write(output, type, json, path);
        output.Flush();
        return memory.ToArray();
    }

    private static void WriteValue(CodedOutputStream output, FieldDescriptor field, JToken value, string path)
    {
        try
        {
            output.WriteTag(field.FieldNumber, WireType(field.FieldType));
            switch (field.FieldType)
            {
                case FieldType.Message:
                    output.WriteBytes(ByteString.CopyFrom(Encode(field.MessageType, Expect<JObject>(value, path, "an object"), path)));
                    break;
                case FieldType.String: output.WriteString((string)value!); break;
                case FieldType.Bytes: output.WriteBytes(ByteString.FromBase64((string)value!)); break;
                case FieldType.Double: output.WriteDouble((double)value); break;
                case FieldType.Float: output.WriteFloat((float)value); break;
                case FieldType.Fixed64: output.WriteFixed64((ulong)value); break;
                case FieldType.SFixed64: output.WriteSFixed64((long)value); break;
                case FieldType.Fixed32: output.WriteFixed32((uint)value); break;
                case FieldType.SFixed32: output.WriteSFixed32((int)value); break;
                default: WriteVarint(output, field, value, path); break;
            }
        }
        catch (Exception e) when (e is FormatException or InvalidCastException or OverflowException or ArgumentException)
        {
            throw new FormatException($"{path}: {Describe(value)} is not a {field.FieldType.ToString().ToLowerInvariant()} ({field.FullName}).", e);
        }
    }

    private static WireFormat.WireType WireType(FieldType type) => type switch
    {
        FieldType.Message or FieldType.String or FieldType.Bytes => WireFormat.WireType.LengthDelimited,
        FieldType.Double or FieldType.Fixed64 or FieldType.SFixed64 => WireFormat.WireType.Fixed64,
        FieldType.Float or FieldType.Fixed32 or FieldType.SFixed32 => WireFormat.WireType.Fixed32,
        _ => WireFormat.WireType.Varint,
    };

    private static void WriteVarint(CodedOutputStream output, FieldDescriptor field, JToken value, string path)
    {
        switch (field.FieldType)
        {
            case FieldType.Int64: output.WriteInt64((long)value); break;
            case FieldType.UInt64: output.WriteUInt64((ulong)value); break;
            case FieldType.Int32: output.WriteInt32((int)value); break;
            case FieldType.UInt32: output.WriteUInt32((uint)value); break;
            case FieldType.SInt32: output.WriteSInt32((int)value); break;
            case FieldType.SInt64: output.WriteSInt64((long)value); break;
            case FieldType.Bool: output.WriteBool((bool)value); break;
            case FieldType.Enum:
                var number = value.Type == JTokenType.String
                    ? field.EnumType.FindValueByName((string)value!)?.Number
                        ?? throw new FormatException($"{path}: '{value}' is not a value of {field.EnumType.FullName} (values: {string.Join(", ", field.EnumType.Values.Select(v => v.Name))}).")
                    : (int)value;
                output.WriteEnum(number);
                break;
            default:
                throw new FormatException($"{path}: field type {field.FieldType} is not supported.");
        }
    }

    private static JToken Read(CodedInputStream input, FieldDescriptor field) => field.FieldType switch
    {
        FieldType.Message => Decode(field.MessageType, input.ReadBytes().Span),
        FieldType.String => input.ReadString(),
        FieldType.Bytes => input.ReadBytes().ToBase64(),
        FieldType.Double => input.ReadDouble(),
        FieldType.Float => input.ReadFloat(),
        FieldType.Int64 => input.ReadInt64().ToString(CultureInfo.InvariantCulture),
        FieldType.UInt64 => input.ReadUInt64().ToString(CultureInfo.InvariantCulture),
        FieldType.Fixed64 => input.ReadFixed64().ToString(CultureInfo.InvariantCulture),
        FieldType.SFixed64 => input.ReadSFixed64().ToString(CultureInfo.InvariantCulture),
        FieldType.SInt64 => input.ReadSInt64().ToString(CultureInfo.InvariantCulture),
        FieldType.Int32 => input.ReadInt32(),
        FieldType.UInt32 => input.ReadUInt32(),
        FieldType.Fixed32 => input.ReadFixed32(),
        FieldType.SFixed32 => input.ReadSFixed32(),
        FieldType.SInt32 => input.ReadSInt32(),
        FieldType.Bool => input.ReadBool(),
        FieldType.Enum => input.ReadEnum() is var number && field.EnumType.FindValueByNumber(number) is { } known ? known.Name : number,
        _ => throw new FormatException($"field type {field.FieldType} of {field.FullName} is not supported."),
    };

    /// <summary>A field's value when the wire left it out (proto3 writes no defaults).</summary>
    private static JToken Default(FieldDescriptor field) => field.FieldType switch
    {
        FieldType.Message => new JObject(),
        FieldType.String or FieldType.Bytes => "",
        FieldType.Bool => false,
        FieldType.Int64 or FieldType.UInt64 or FieldType.Fixed64 or FieldType.SFixed64 or FieldType.SInt64 => "0",
        FieldType.Enum => field.EnumType.FindValueByNumber(0)?.Name ?? (JToken)0,
        _ => 0,
    };

    private static bool IsPackable(FieldType type) => type is not (FieldType.String or FieldType.Bytes or FieldType.Message or FieldType.Group);

    private static string Text(JToken token) => token.Type == JTokenType.String ? (string)token! : token.ToString(Formatting.None);

    private static string Describe(JToken value) => value.ToString(Formatting.None);

    private static T Expect<T>(JToken value, string path, string what)
        where T : JToken => value as T ?? throw new FormatException($"{path}: {Describe(value)} is not {what}.");
}
