using LoginEtl.Worker.Contracts;

namespace LoginEtl.Worker.Consumers;

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

    /// <summary>Throws <see cref="InvalidLoginEventException"/> when the event cannot be stored.</summary>
    public static ValidLoginEvent Validate(LoginEvent login)
    {
        var userId = RequireText("user_id", login.UserId, UserIdMaxLength);
        var deviceType = RequireText("device_type", login.DeviceType, DeviceTypeMaxLength);
        var ip = RequireText("ip", login.Ip, IpMaxLength);
        var deviceId = RequireText("device_id", login.DeviceId, DeviceIdMaxLength);
        var version = RequireText("app_version", login.AppVersion, maxLength: null);
        if (login.Locale is not null)
            CheckText("locale", login.Locale, LocaleMaxLength);

        if (!Consumers.AppVersion.TryEncode(version, out var appVersion, out var error))
            throw new InvalidLoginEventException(InvalidKinds.InvalidAppVersion, error!);

        return new ValidLoginEvent(userId, deviceType, ip, deviceId, login.Locale, appVersion);
    }

    static string RequireText(string field, string? value, int? maxLength)
    {
        if (value is null)
            throw new InvalidLoginEventException(InvalidKinds.MissingField, $"{field} is missing or null");
        if (string.IsNullOrWhiteSpace(value))
            throw new InvalidLoginEventException(InvalidKinds.EmptyField, $"{field} is empty");

        CheckText(field, value, maxLength);
        return value;
    }

    static void CheckText(string field, string value, int? maxLength)
    {
        // PostgreSQL text cannot hold NUL, and a lone surrogate has no UTF-8 form: either would
        // fail the database write of every message committed beside it.
        var length = 0;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\0')
                throw new InvalidLoginEventException(InvalidKinds.InvalidText, $"{field} contains a NUL character");
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                i++;
            else if (char.IsSurrogate(c))
                throw new InvalidLoginEventException(InvalidKinds.InvalidText, $"{field} contains an unpaired surrogate");
            length++;
        }

        if (length > maxLength)
            throw new InvalidLoginEventException(InvalidKinds.TooLong,
                $"{field} is {length} characters long; at most {maxLength} are allowed");
    }
}

/// <summary>A login event that passed validation, its app_version already encoded.</summary>
public sealed record ValidLoginEvent(string UserId, string DeviceType, string Ip, string DeviceId, string? Locale, int AppVersion);
