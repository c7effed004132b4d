using LoginEtl.Worker.Logins;

namespace LoginEtl.Worker.Consumers;

/// <summary>
/// The consumer's verdict on an event that can never be stored, thrown through MassTransit's pipeline (which neither
/// retries it nor publishes a fault) to whoever dispatched the message. Its message is the rejection's reason, which
/// names a field and a rule, never a value.
/// </summary>
public sealed class LoginRejectedException(Rejection rejection) : Exception(rejection.Reason)
{
    public Rejection Rejection { get; } = rejection;
}
