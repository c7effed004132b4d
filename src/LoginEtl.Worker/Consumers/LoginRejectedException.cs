using LoginEtl.Worker.Logins;

namespace LoginEtl.Worker.Consumers;

public enum LoginResult
{
    Stored,
    AlreadyStored,
    Rejected,
}

/// <summary>What became of one login event: stored, stored before, or rejected with a kind and a reason.</summary>
public sealed record LoginOutcome(LoginResult Result, Rejection? Rejection = null)
{
    public static LoginOutcome Stored { get; } = new(LoginResult.Stored);

    public static LoginOutcome AlreadyStored { get; } = new(LoginResult.AlreadyStored);

    public static LoginOutcome Rejected(Rejection rejection) => new(LoginResult.Rejected, rejection);
}

/// <summary>
/// Where the consumer leaves its outcome for the code that dispatched the message: a payload of the receive context,
/// passed in with the message and read back once the pipeline returns (a MassTransit consumer returns nothing).
/// </summary>
public sealed class OutcomeSlot
{
    public LoginOutcome? Outcome { get; set; }
}
