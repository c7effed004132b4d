using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;

namespace LoginEtl.Worker.Commands;

/// <summary>The value of a numeric option, checked: one that is not a number, or out of its range, is a usage error naming the option.</summary>
static class NumberArgument
{
    public static T Parse<T>(ArgumentResult result, string option, T min, T max, string expected)
        where T : struct, INumber<T>
    {
        if (result.Tokens is not [var token])
            return default;
        if (T.TryParse(token.Value, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
            return value;
        result.AddError($"{option} must be {expected}, not '{token.Value}'.");
        return default;
    }
}
