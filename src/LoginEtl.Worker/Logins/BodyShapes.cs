namespace LoginEtl.Worker.Logins;

/// <summary>
/// The shapes a body may come in: the login JSON itself, an SNS notification (raw message delivery off) or an
/// EventBridge event, each wrapping the login. As a set, the shapes <c>Sqs__Envelopes</c> accepts.
/// </summary>
[Flags]
public enum BodyShapes
{
    /// <summary>No envelope is recognised: every body is read as the login itself (the setting <c>none</c>).</summary>
    None = 0,
    Plain = 1,
    Sns = 2,
    EventBridge = 4,
    Auto = Plain | Sns | EventBridge,
}

/// <summary>The <c>Sqs__Envelopes</c> setting: <c>auto</c>, <c>none</c>, or a comma list of <c>plain</c>, <c>sns</c>, <c>eventbridge</c>.</summary>
public static class BodyShapesSetting
{
    public static bool TryParse(string? setting, out BodyShapes shapes)
    {
        shapes = BodyShapes.None;
        if (string.IsNullOrWhiteSpace(setting) || Is(setting, "auto"))
        {
            shapes = BodyShapes.Auto;
            return true;
        }

        if (Is(setting, "none"))
            return true;

        foreach (var name in setting.Split(','))
        {
            var shape = Is(name, "plain") ? BodyShapes.Plain
                : Is(name, "sns") ? BodyShapes.Sns
                : Is(name, "eventbridge") ? BodyShapes.EventBridge
                : BodyShapes.None;
            if (shape == BodyShapes.None)
                return false;
            shapes |= shape;
        }

        return true;
    }

    static bool Is(string text, string name) => text.Trim().Equals(name, StringComparison.OrdinalIgnoreCase);

    /// <summary>The shape's name as the setting spells it.</summary>
    public static string NameOf(BodyShapes shape) => shape switch
    {
        BodyShapes.Sns => "sns",
        BodyShapes.EventBridge => "eventbridge",
        _ => "plain",
    };
}
