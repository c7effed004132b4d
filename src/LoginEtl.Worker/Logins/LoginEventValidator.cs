using System.Diagnostics.CodeAnalysis;
using LoginEtl.Worker.Contracts;

namespace LoginEtl.Worker.Logins;

/// <summary>
/// The rules a login event must meet to become a row. A value that does not fit its column is
/// invalid, never truncated. Errors name the field and the rule, never the value.
/// </summary>
public static class LoginEventValidator
{
    public const int UserIdMaxLength = 128;
    public const int DeviceTypeMaxLength = 32;
    public const int LocaleMaxLength = 32;

    // Not columns but masked values, limited so that no producer can make the service hash or hold an unbounded
    // one; generous for real data. The longest address is 45 characters (IPv4-mapped IPv6), 61 with a zone
    // (fe80::...%eth0, an interface name of at most 15); device ids are UUIDs (IDFA, IDFV, GAID: 36), 16 hex
    // digits (Android ID), 15 digits (IMEI) or ddd-dd-dddd (11). Encrypt mode also keeps its byte limit.
    public const int IpMaxLength = 100;
    public const int DeviceIdMaxLength = 128;

    /// <summary>The event as it will be stored, or why it cannot be: an expected outcome, not an exception.</summary>
    public static bool TryValidate(LoginEvent login, [NotNullWhen(true)] out ValidLoginEvent? valid, [NotNullWhen(false)] out Rejection? rejection)
    {
        valid = null;
        if ((rejection = CheckRequired("user_id", login.UserId, UserIdMaxLength)
                ?? CheckRequired("device_type", login.DeviceType, DeviceTypeMaxLength)
                ?? CheckRequired("ip", login.Ip, IpMaxLength)
                ?? CheckRequired("device_id", login.DeviceId, DeviceIdMaxLength)
                ?? CheckRequired("app_version", login.AppVersion, maxLength: null)
                ?? (login.Locale is null ? null : CheckText("locale", login.Locale, LocaleMaxLength))) is not null)
            return false;

        if (!AppVersion.TryEncode(login.AppVersion!, out var appVersion, out var error))
        {
            rejection = new Rejection(InvalidKinds.InvalidAppVersion, error!);
            return false;
        }

        valid = new ValidLoginEvent(login.UserId!, login.DeviceType!, login.Ip!, login.DeviceId!, login.Locale, appVersion);
        return true;
    }

    static Rejection? CheckRequired(string field, string? value, int? maxLength)
    {
        if (value is null)
            return new Rejection(InvalidKinds.MissingField, $"{field} is missing or null");
        if (string.IsNullOrWhiteSpace(value))
            return new Rejection(InvalidKinds.EmptyField, $"{field} is empty");
        return CheckText(field, value, maxLength);
    }

    static Rejection? CheckText(string field, string value, int? maxLength)
    {
        // PostgreSQL text cannot hold NUL, and a lone surrogate has no UTF-8 form: either would
        // fail the database write of every message committed beside it.
        var length = 0;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\0')
                return new Rejection(InvalidKinds.InvalidText, $"{field} contains a NUL character");
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                i++;
            else if (char.IsSurrogate(c))
                return new Rejection(InvalidKinds.InvalidText, $"{field} contains an unpaired surrogate");
            length++;
        }

        return length > maxLength
            ? new Rejection(InvalidKinds.TooLong, $"{field} is {length} characters long; at most {maxLength} are allowed")
            : null;
    }
}

/// <summary>A login event that passed validation, its app_version already encoded.</summary>
public sealed record ValidLoginEvent(string UserId, string DeviceType, string Ip, string DeviceId, string? Locale, int AppVersion);
