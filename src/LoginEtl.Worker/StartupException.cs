namespace LoginEtl.Worker;

/// <summary>A condition that stops the service at start: its message is the one line the operator reads.</summary>
public sealed class StartupException(string message, Exception? innerException = null) : Exception(message, innerException);
