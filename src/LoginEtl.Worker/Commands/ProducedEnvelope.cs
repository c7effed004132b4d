using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace LoginEtl.Worker.Commands;

/// <summary>
/// <c>produce --envelope</c>: each line wrapped as SNS (raw message delivery off) or an EventBridge rule would deliver
/// it, for trying those paths by hand. The envelope's fields are made up but well formed (the signature is random
/// bytes: it verifies nowhere), its time is now; the SNS <c>Message</c> is the line as a string, the EventBridge
/// <c>detail</c> the line as it is.
/// </summary>
static class ProducedEnvelope
{
    public const string Sns = "sns";
    public const string EventBridge = "eventbridge";

    /// <summary>What becomes of each line: wrapped in <paramref name="envelope"/>, or left as it is when there is none.</summary>
    public static Func<string, string> For(string? envelope, TimeProvider time)
    {
        var region = Environment.GetEnvironmentVariable("AWS_REGION") is { Length: > 0 } set ? set : "us-east-1";
        return envelope switch
        {
            Sns => line => WrapSns(line, region, time.GetUtcNow()),
            EventBridge => line => WrapEventBridge(line, region, time.GetUtcNow()),
            _ => line => line,
        };
    }

    static string WrapSns(string line, string region, DateTimeOffset now)
    {
        var topic = $"arn:aws:sns:{region}:000000000000:user-logins";
        return Write(json =>
        {
            json.WriteString("Type", "Notification");
            json.WriteString("MessageId", Guid.NewGuid().ToString());
            json.WriteString("TopicArn", topic);
            json.WriteString("Message", line);
            json.WriteString("Timestamp", now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            json.WriteString("SignatureVersion", "1");
            json.WriteString("Signature", Convert.ToBase64String(RandomNumberGenerator.GetBytes(256)));
            json.WriteString("SigningCertURL", $"https://sns.{region}.amazonaws.com/SimpleNotificationService-00000000000000000000000000000000.pem");
            json.WriteString("UnsubscribeURL", $"https://sns.{region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={topic}:{Guid.NewGuid()}");
        });
    }

    static string WrapEventBridge(string line, string region, DateTimeOffset now) => Write(json =>
    {
        json.WriteString("version", "0");
        json.WriteString("id", Guid.NewGuid().ToString());
        json.WriteString("detail-type", "user logged in");
        json.WriteString("source", "login-etl.produce");
        json.WriteString("account", "000000000000");
        json.WriteString("time", now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        json.WriteString("region", region);
        json.WriteStartArray("resources");
        json.WriteEndArray();
        json.WritePropertyName("detail");
        json.WriteRawValue(line, skipInputValidation: true);
    });

    static string Write(Action<Utf8JsonWriter> properties)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            properties(json);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
