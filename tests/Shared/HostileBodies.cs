using System.Globalization;
using System.Text;

namespace LoginEtl.Testing;

/// <summary>
/// Seeded bodies that a hostile or broken producer could put on the queue, none of which is a valid login: each
/// carries at least one defect that makes it invalid (a missing, mistyped, duplicated, too long or unreadable field, or
/// a top level that is not an object), and around it the noise that breaks parsers: lone and paired surrogates in
/// names and values (as escapes and as raw characters), NUL, BOMs, deep nesting, huge numbers and exponents, long
/// strings, case-varied names, and every JSON token type at the top.
/// </summary>
sealed class HostileBodies(int seed)
{
    static readonly string[] Fields = ["user_id", "device_type", "ip", "device_id", "locale", "app_version"];
    static readonly string[] Required = ["user_id", "device_type", "ip", "device_id", "app_version"];

    readonly Random _random = new(seed);

    public IEnumerable<string> Take(int count)
    {
        for (var i = 0; i < count; i++)
            yield return Next();
    }

    public string Next() => _random.Next(10) switch
    {
        0 => TopLevel(),
        1 => Garbage(),
        _ => Defective(),
    };

    /// <summary>Raw bytes for a reader that takes bytes: the same bodies, some cut or with invalid UTF-8 spliced in.</summary>
    public byte[] NextBytes()
    {
        var bytes = Encoding.UTF8.GetBytes(Next());
        return _random.Next(4) switch
        {
            0 => [.. bytes.AsSpan(0, _random.Next(bytes.Length + 1))],
            1 => Splice(bytes, [0xC3]),
            2 => Splice(bytes, [0xED, 0xA0, 0x80]), // a surrogate encoded as UTF-8, which UTF-8 forbids
            _ => Splice(bytes, [(byte)_random.Next(0x80, 0x100), (byte)_random.Next(0x80, 0x100)]),
        };
    }

    byte[] Splice(byte[] bytes, byte[] insert)
    {
        var at = _random.Next(bytes.Length + 1);
        return [.. bytes.AsSpan(0, at), .. insert, .. bytes.AsSpan(at)];
    }

    string TopLevel() => _random.Next(12) switch
    {
        0 => "null",
        1 => "true",
        2 => "false",
        3 => HugeNumber(),
        4 => Quote(Value()),
        5 => $"[{string.Join(',', Enumerable.Range(0, _random.Next(4)).Select(_ => Quote(Value())))}]",
        6 => $"[{ValidObject()}]",
        7 => Nested(_random.Next(1, 200), array: true),
        8 => "\uFEFF" + ValidObject(),
        9 => " ",
        10 => ValidObject() + _random.Next(3) switch { 0 => " {}", 1 => ",", _ => " x" },
        _ => "\"" + Value(), // an unterminated string
    };

    string Garbage()
    {
        var text = new StringBuilder();
        var length = _random.Next(1, 200);
        for (var i = 0; i < length; i++)
            text.Append(_random.Next(6) == 0 ? Exotic() : ((char)_random.Next(0x20, 0x7F)).ToString());
        // Never a valid login by chance: a body of random characters that starts as an object is cut short.
        return text[0] == '{' ? text.ToString(1, text.Length - 1) : text.ToString();
    }

    // A login with one defect that makes it invalid, and noise around it that does not make it valid again.
    string Defective()
    {
        var fields = Fields.ToDictionary(f => f, f => (string?)Quote(ValidValue(f)));
        var extra = new List<(string Name, string Value)>();
        var defect = _random.Next(14);
        var target = Required[_random.Next(Required.Length)];
        switch (defect)
        {
            case 0:
                fields.Remove(target);
                break;
            case 1:
                fields[target] = "null";
                break;
            case 2:
                fields[target] = _random.Next(4) switch { 0 => HugeNumber(), 1 => "true", 2 => "{}", _ => $"[{Quote("x")}]" };
                break;
            case 3:
                fields[target] = Nested(_random.Next(1, 100), array: _random.Next(2) == 0);
                break;
            case 4:
                extra.Add((target, Quote(ValidValue(target)))); // a duplicate
                break;
            case 5:
                fields.Remove(target);
                extra.Add((CaseVaried(target), Quote(ValidValue(target))));
                break;
            case 6:
                fields[target] = Quote(ValidValue(target) + LoneSurrogateEscape());
                break;
            case 7:
                fields[target] = Quote(ValidValue(target) + "\\u0000");
                break;
            case 8:
                fields[target] = Quote(new string('a', _random.Next(300, 100_000)));
                break;
            case 9:
                fields["app_version"] = Quote(_random.Next(3) switch { 0 => "abc", 1 => "1.2.3.4.5", _ => "99999999999999999999" });
                break;
            case 10:
                extra.Add((LoneSurrogateEscape() + Name(), HugeNumber()));
                break;
            case 11:
                extra.Add((Name(), Nested(_random.Next(65, 400), array: _random.Next(2) == 0))); // deeper than any reader goes
                break;
            case 12:
                fields[target] = Quote(Value() + "\\ud83d"); // the high half of a pair without its low half
                break;
            default:
                fields[target] = "\"" + ValidValue(target) + "\\x\""; // an escape JSON does not have
                break;
        }

        // Noise: what real producers and fuzzers add, none of which repairs the defect.
        for (var n = _random.Next(4); n > 0; n--)
        {
            extra.Add(_random.Next(6) switch
            {
                0 => (Name(), HugeNumber()),
                1 => (Name() + "\\ud83d\\ude00", Quote("\\uD83D\\uDE00" + Value())),
                2 => (Name(), Nested(_random.Next(1, 30), array: true)),
                3 => (Name(), Quote(new string('z', _random.Next(1, 5_000)))),
                4 => (CaseVaried(Fields[_random.Next(Fields.Length)]), Quote(Value())),
                _ => (Name(), _random.Next(3) switch { 0 => "null", 1 => "false", _ => "-0.0e-0" }),
            });
        }

        var members = fields.Where(f => f.Value is not null).Select(f => (Name: f.Key, f.Value!)).Concat(extra).OrderBy(_ => _random.Next()).ToList();
        var body = "{" + string.Join(",", members.Select(m => $"{Quote(m.Name)}:{m.Item2}")) + "}";
        return _random.Next(8) == 0 ? "\uFEFF" + body : body;
    }

    string ValidObject() =>
        "{" + string.Join(",", Fields.Select(f => $"{Quote(f)}:{Quote(ValidValue(f))}")) + "}";

    string ValidValue(string field) => field switch
    {
        "user_id" => $"{_random.Next():x8}-{_random.Next(0x10000):x4}-4{_random.Next(0x1000):x3}",
        "device_type" => _random.Next(2) == 0 ? "android" : "ios",
        "ip" => $"{_random.Next(1, 255)}.{_random.Next(256)}.{_random.Next(256)}.{_random.Next(1, 255)}",
        "device_id" => $"{_random.Next(100, 1000)}-{_random.Next(10, 100)}-{_random.Next(1000, 10000)}",
        "locale" => "RU",
        _ => $"{_random.Next(10)}.{_random.Next(10)}.{_random.Next(10)}",
    };

    string Value()
    {
        var text = new StringBuilder();
        for (var i = _random.Next(0, 12); i > 0; i--)
            text.Append(_random.Next(5) == 0 ? Exotic() : ((char)_random.Next('a', 'z' + 1)).ToString());
        return text.ToString();
    }

    string Name() => "k" + _random.Next(1_000_000).ToString(CultureInfo.InvariantCulture);

    string CaseVaried(string name) =>
        _random.Next(3) switch
        {
            0 => name.ToUpperInvariant(),
            1 => char.ToUpperInvariant(name[0]) + name[1..],
            _ => name + " ",
        };

    // Characters that break readers: escapes of lone and paired surrogates, NUL, BOM, raw lone surrogates.
    // Raw surrogates are rare: SQS refuses a body with a lone one, and the emulator (fauxqs 2.4, which checks UTF-16
    // units) even one with a pair, so most of them come as escapes, which no queue refuses.
    string Exotic() => _random.Next(64) switch
    {
        < 20 => LoneSurrogateEscape(),
        < 32 => "\\ud83d\\ude00",
        < 42 => "\\u0000",
        < 50 => "\uFEFF",
        50 => "\uD800",
        51 => "\uDFFF",
        52 => "\uD83D\uDE00",
        _ => "\\\"",
    };

    string LoneSurrogateEscape() => _random.Next(2) == 0
        ? $"\\u{_random.Next(0xD800, 0xDC00):x4}"
        : $"\\u{_random.Next(0xDC00, 0xE000):X4}";

    string HugeNumber() => _random.Next(5) switch
    {
        0 => "1e99999",
        1 => "-" + new string('9', _random.Next(20, 2_000)),
        2 => "0." + new string('0', _random.Next(1, 500)) + "1e-99999",
        3 => "1" + new string('0', _random.Next(310, 1_000)),
        _ => "123456789012345678901234567890E+308",
    };

    static string Nested(int depth, bool array) =>
        array
            ? new string('[', depth) + new string(']', depth)
            : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);

    // A JSON string of text that may already hold escapes (the generator writes them on purpose).
    static string Quote(string text) => "\"" + text.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
