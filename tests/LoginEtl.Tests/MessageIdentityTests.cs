using System.Security.Cryptography;
using Amazon.SQS.Model;
using LoginEtl.Worker.Masking;
using LoginEtl.Worker.Persistence;
using LoginEtl.Worker.Sqs;

namespace LoginEtl.Tests;

public class MessageIdentityTests
{
    const string Body = """{"user_id": "u", "ip": "203.0.113.9"}""";
    static readonly InboxKey First = new("5b2e8a44-0c1f-4f57-9a35-0f6e3c9d1a27", new DateTimeOffset(2026, 11, 20, 8, 30, 0, 250, TimeSpan.Zero));

    static readonly string SharedKey = NewKey();

    static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    static MessageIdentity Identities(string key, string? keyId = null, Dictionary<string, string>? retired = null) =>
        new(MaskingKeyRing.Load(new MaskingOptions { Key = key, KeyId = keyId, RetiredKeys = retired ?? [] }));

    static Message Received(string body, string? token) => new()
    {
        MessageId = "9d0c6a55-2f4b-4e0e-8d0b-6a7f3e2c1b00",
        Body = body,
        MessageAttributes = token is null ? [] : new() { [MessageIdentity.Attribute] = new MessageAttributeValue { DataType = "String", StringValue = token } },
    };

    [Fact]
    public void A_signed_identity_comes_back_with_the_same_body()
    {
        var identities = Identities(NewKey());
        var token = identities.Sign(First, Body);

        var identity = identities.Of(Received(Body, token), DateTimeOffset.UtcNow, out var forged);

        Assert.False(forged);
        Assert.Equal(First, identity);
    }

    [Fact]
    public void A_message_without_the_attribute_is_its_own_first_delivery()
    {
        var sentAt = new DateTimeOffset(2026, 11, 29, 1, 2, 3, TimeSpan.Zero);

        var identity = Identities(NewKey()).Of(Received(Body, token: null), sentAt, out var forged);

        Assert.False(forged);
        Assert.Equal(new InboxKey("9d0c6a55-2f4b-4e0e-8d0b-6a7f3e2c1b00", sentAt), identity);
    }

    public static TheoryData<string> Forgeries()
    {
        var identities = Identities(SharedKey, keyId: "k1");
        var parts = identities.Sign(First, Body).Split(':', 5);
        return new TheoryData<string>
        {
            identities.Sign(First, Body + " "),                                                    // a real token moved to another body
            Identities(NewKey(), keyId: "k1").Sign(First, Body),                                  // signed with another key of the same id
            string.Join(':', parts[0], parts[1], parts[2], parts[3], "another-message-id"),         // another id
            string.Join(':', parts[0], parts[1], "1", parts[3], parts[4]),                         // another send time
            string.Join(':', parts[0], "k2", parts[2], parts[3], parts[4]),                        // a key id not configured
            string.Join(':', parts[0], parts[1], parts[2], "not*base64", parts[4]),
            string.Join(':', "v2", parts[1], parts[2], parts[3], parts[4]),
            string.Join(':', parts[0], parts[1], parts[2], parts[3]),
            $"v1:k1:{First.FirstSentAt.ToUnixTimeMilliseconds()}::{First.MessageId}",
            "",
        };
    }

    [Theory]
    [MemberData(nameof(Forgeries))]
    public void An_attribute_that_does_not_verify_is_ignored(string token)
    {
        var sentAt = DateTimeOffset.UtcNow;
        var identities = Identities(SharedKey, keyId: "k1");
        Assert.Equal(First, identities.Of(Received(Body, identities.Sign(First, Body)), sentAt, out _));

        var identity = identities.Of(Received(Body, token), sentAt, out var forged);

        Assert.True(forged);
        Assert.Equal("9d0c6a55-2f4b-4e0e-8d0b-6a7f3e2c1b00", identity.MessageId);
    }

    [Fact]
    public void An_identity_signed_before_a_key_rotation_verifies_while_the_retired_key_is_configured()
    {
        var (oldKey, newKey) = (NewKey(), NewKey());
        var token = Identities(oldKey, keyId: "2025").Sign(First, Body);

        Assert.True(Identities(newKey, keyId: "2026", retired: new() { ["2025"] = oldKey }).TryVerify(token, Body, out var identity));
        Assert.Equal(First, identity);
        Assert.False(Identities(newKey, keyId: "2026").TryVerify(token, Body, out _));
    }

    [Fact]
    public void An_id_with_colons_survives_the_token()
    {
        var identities = Identities(NewKey());
        var odd = new InboxKey("urn:message:42", First.FirstSentAt);

        Assert.True(identities.TryVerify(identities.Sign(odd, Body), Body, out var identity));
        Assert.Equal(odd, identity);
    }
}
