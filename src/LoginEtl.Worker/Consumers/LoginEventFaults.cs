using System.Runtime.Serialization;
using System.Text.Json;
using LoginEtl.Worker.Logins;
using MassTransit;

namespace LoginEtl.Worker.Consumers;

/// <summary>
/// The failures of the receive pipeline that say a body can never become a login event (the consumer rejected it,
/// MassTransit's deserializer found no message in it, or a value of the wrong type): permanent, as a rejection.
/// Anything else is transient.
/// </summary>
public static class LoginEventFaults
{
    public static bool TryClassify(Exception exception, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Rejection? rejection)
    {
        var chain = Chain(exception).ToList();
        rejection = chain.OfType<LoginRejectedException>().Select(r => r.Rejection).FirstOrDefault()
            ?? chain.OfType<JsonException>().Select(Rejection.FromJson).FirstOrDefault()
            ?? (chain.OfType<MessageNotConsumedException>().Any()
                ? new Rejection(InvalidKinds.NotAnObject, "body is not a JSON object")
                : null)
            ?? (chain.OfType<SerializationException>().Any()
                ? new Rejection(InvalidKinds.MalformedJson, "body could not be deserialized")
                : null);
        return rejection is not null;
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
