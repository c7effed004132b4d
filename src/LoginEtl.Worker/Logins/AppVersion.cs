namespace LoginEtl.Worker.Logins;

/// <summary>
/// Encodes a dotted version ("2.3.0", "0.96", "2") as major * 1,000,000 + minor * 1,000 + patch.
/// Missing parts are 0 and each part is 0..999, so the integer keeps version order and two distinct
/// versions never share a value ("0.2.6" = 2,006, "0.26" = 26,000, "2.6" = 2,006,000).
/// </summary>
public static class AppVersion
{
    const int MaxParts = 3;
    const int MaxPart = 999;

    public static bool TryEncode(string version, out int encoded, out string? error)
    {
        encoded = 0;
        var parts = version.Split('.');
        if (parts.Length > MaxParts)
        {
            error = $"app_version has {parts.Length} parts; at most {MaxParts} are allowed";
            return false;
        }

        for (var i = 0; i < MaxParts; i++)
        {
            var part = 0;
            if (i < parts.Length && !TryParsePart(parts[i], out part))
            {
                error = $"app_version part {i + 1} is not a number from 0 to {MaxPart}";
                return false;
            }

            encoded = encoded * (MaxPart + 1) + part;
        }

        error = null;
        return true;
    }

    public static string Decode(int encoded) =>
        $"{encoded / 1_000_000}.{encoded / 1_000 % 1_000}.{encoded % 1_000}";

    static bool TryParsePart(string part, out int value)
    {
        value = 0;
        if (part.Length is 0 or > 3)
            return false;

        foreach (var c in part)
        {
            if (!char.IsAsciiDigit(c))
                return false;
            value = value * 10 + (c - '0');
        }

        return true;
    }
}
