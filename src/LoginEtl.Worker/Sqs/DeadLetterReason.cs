using System.Runtime.Serialization;
using System.Text.Json;
using LoginEtl.Worker.Consumers;
using MassTransit;

namespace LoginEtl.Worker.Sqs;

/// <summary>
/// Why a message can never be stored. Built from the failure that the receive pipeline threw, in words that
/// name fields and positions, never the values themselves.
/// </summary>
public sealed record DeadLetterReason(string Kind, string Reason)
{
    static readonly HashSet<string> KnownFields = ["user_id", "device_type", "ip", "device_id", "locale", "app_version"];

    /// <summary>Finds a permanent failure in <paramref name="exception"/>; anything else is transient.</summary>
    public static bool TryClassify(Exception exception, out DeadLetterReason reason)
    {
        var chain = Chain(exception).ToList();
        reason = chain.OfType<InvalidLoginEventException>().Select(x => new DeadLetterReason(x.Kind, x.Message)).FirstOrDefault()
            ?? chain.OfType<JsonException>().Select(FromJson).FirstOrDefault()
            ?? (chain.OfType<MessageNotConsumedException>().Any()
                ? new DeadLetterReason(InvalidKinds.NotAnObject, "body is not a JSON object")
                : null)
            ?? (chain.OfType<SerializationException>().Any()
                ? new DeadLetterReason(InvalidKinds.MalformedJson, "body could not be deserialized")
                : null)!;

        return reason is not null;
    }

    // System.Text.Json reports where it stopped: a path into the document when a value had the wrong type,
    // a line and byte position when the text is not JSON. Its own message may quote the input, and a path
    // through an unknown key would quote the producer's key, so neither is passed on.
    static DeadLetterReason FromJson(JsonException json)
    {
        var position = $"line {json.LineNumber + 1}, byte {json.BytePositionInLine + 1}";
        var field = json.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : null;
        return field is not null && KnownFields.Contains(field)
            ? new DeadLetterReason(InvalidKinds.WrongType, $"{field} is not a string or null, or its value is not valid JSON ({position})")
            : new DeadLetterReason(InvalidKinds.MalformedJson, $"body is not a valid JSON object ({position})");
    }

    static IEnumerable<Exception> Chain(Exception exception)
    {
        var pending = new Stack<Exception>([exception]);
        while (pending.TryPop(out var ex))
        {
            yield return ex;
            if (ex is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                    pending.Push(inner);
            }
            else if (ex.InnerException is not null)
                pending.Push(ex.InnerException);
        }
    }
}
