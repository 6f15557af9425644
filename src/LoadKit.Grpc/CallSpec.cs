using System.Collections.Immutable;
using Google.Protobuf;
using Grpc.Core;
using LoadKit.Display;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace LoadKit;

/// <summary>What a call description adds to the call: deadline, metadata, allowed statuses, checks and extractions. Immutable.</summary>
internal sealed record CallSpec<TResponse>(
    TimeSpan? Deadline,
    ImmutableArray<(string Key, Template Value)> Metadata,
    ImmutableArray<StatusCode> Allowed,
    ImmutableArray<(string Description, Func<TResponse, bool> Holds)> Checks,
    ImmutableArray<Extraction<TResponse>> Extractions)
    where TResponse : class
{
    public static readonly CallSpec<TResponse> Default = new(null, [], [StatusCode.OK], [], []);

    /// <summary>The options of one call: a deadline from now, the metadata filled from the session, the step's token.</summary>
    public CallOptions Options(StepContext context)
    {
        DateTime? deadline = Deadline is { } limit ? DateTime.UtcNow + limit : null;
        return new CallOptions(GrpcMetadata.Render(Metadata, context.Session), deadline, context.CancellationToken);
    }

    /// <summary>
    /// Counts the status of a call that ended with <paramref name="exception"/> and decides the step: an allowed status
    /// passes (with no message to check), a deadline exceeded times out, any other fails naming the status.
    /// </summary>
    public void Ended(StepContext context, RpcException exception)
    {
        var status = exception.StatusCode;
        context.RecordGrpcStatus((int)status);
        if (Allowed.Contains(status))
        {
            return;
        }

        if (status == StatusCode.DeadlineExceeded)
        {
            throw new TimeoutException(Deadline is { } limit
                ? $"deadline of {Format.Duration(limit)} exceeded (DEADLINE_EXCEEDED)"
                : StatusText.Of(exception));
        }

        context.Fail($"{Expected()} (got {StatusText.Of(exception)})");
    }

    /// <summary>Counts an OK call and runs the checks and extractions over its message (null: the call sent none).</summary>
    public void Succeeded(StepContext context, TResponse? message)
    {
        context.RecordGrpcStatus((int)StatusCode.OK);
        if (!Allowed.Contains(StatusCode.OK))
        {
            context.Fail($"{Expected()} (got OK)");
            return;
        }

        if (Checks.IsEmpty && Extractions.IsEmpty)
        {
            return;
        }

        if (message is null)
        {
            context.Fail("the call ended with no message to check or extract from");
            return;
        }

        foreach (var (description, holds) in Checks)
        {
            if (!holds(message))
            {
                context.Fail($"check failed: {description}");
                return;
            }
        }

        JObject? json = null;
        foreach (var extraction in Extractions)
        {
            var value = extraction.JsonPath is { } path
                ? GrpcExtraction.JsonText((json ??= JsonForm(message)).SelectToken(path))
                : extraction.Value!(message);
            if (value is null)
            {
                context.Fail($"extract '{extraction.Name}': {extraction.Description} found nothing");
                return;
            }

            context.Session.Set(extraction.Name, value);
        }
    }

    /// <summary>Writes fields that hold their default value too, so that <c>$.id</c> finds an id of 0.</summary>
    private static readonly JsonFormatter WithDefaults = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));

    /// <summary>A message's JSON form: protobuf's JSON mapping of a generated message, or the JSON of a call by name.</summary>
    private static JObject JsonForm(TResponse message) => message switch
    {
        GrpcJsonMessage dynamic => dynamic.Value,
        IMessage generated => JObject.Parse(WithDefaults.Format(generated)),
        _ => throw new InvalidOperationException($"a {typeof(TResponse).Name} has no JSON form: extract by a property instead."),
    };

    private string Expected() => Allowed.Length == 1
        ? $"status is {GrpcStats.StatusName((int)Allowed[0])}"
        : $"status is one of {string.Join(", ", Allowed.Select(s => GrpcStats.StatusName((int)s)))}";
}

/// <summary>A value taken from a response message into the session: by a function of the message, or a JSON path over its JSON form.</summary>
internal sealed record Extraction<TResponse>(string Name, string Description, Func<TResponse, object?>? Value, string? JsonPath);

internal static class GrpcExtraction
{
    /// <summary>A JSON value as text: a string as itself, anything else as its JSON; null when absent.</summary>
    public static string? JsonText(JToken? token) => token switch
    {
        null => null,
        JValue { Type: JTokenType.String } value => (string?)value,
        JValue { Type: JTokenType.Null } => null,
        _ => token.ToString(Formatting.None),
    };

    /// <summary>What is wrong with a JSON path; null when nothing is.</summary>
    public static string? JsonPathProblem(string path)
    {
        try
        {
            new JObject().SelectToken(path);
            return null;
        }
        catch (JsonException e)
        {
            return e.Message;
        }
    }
}
