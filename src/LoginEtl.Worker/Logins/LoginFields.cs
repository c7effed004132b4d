namespace LoginEtl.Worker.Logins;

/// <summary>The login event's fields as producers name them, in the order of <see cref="Contracts.LoginEvent"/>.</summary>
public static class LoginFields
{
    public static readonly IReadOnlyList<string> Names = ["user_id", "device_type", "ip", "device_id", "locale", "app_version"];
}
