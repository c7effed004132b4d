using System.CommandLine;
using System.Security.Cryptography;
using LoginEtl.Worker.Masking;

namespace LoginEtl.Worker.Commands;

/// <summary>
/// <c>login-etl keygen</c> prints a new masking key; <c>login-etl keygen --recovery --out DIR</c> writes a new
/// recovery key pair: DIR/recovery-public.pem for the service, DIR/recovery-private.pem for whoever may recover.
/// </summary>
sealed class KeygenCommand : Command
{
    public const int RecoveryKeyBits = 3072;

    readonly Option<bool> _recovery = new("--recovery")
    {
        Description = $"Write a new RSA-{RecoveryKeyBits} recovery key pair to DIR instead: recovery-public.pem and " +
            "recovery-private.pem (mode 0600); never overwrites.",
    };

    readonly Option<string> _out = new("--out") { Description = "The directory --recovery writes to.", HelpName = "DIR" };

    public KeygenCommand()
        : base("keygen", "Print a new masking key (base64, 32 random bytes), or write a recovery key pair.")
    {
        Options.Add(_recovery);
        Options.Add(_out);
        Validators.Add(result =>
        {
            var (recovery, directory) = (result.GetValue(_recovery), result.GetValue(_out));
            if (recovery && directory is null)
                result.AddError("--recovery needs --out DIR.");
            else if (!recovery && directory is not null)
                result.AddError("--out goes with --recovery.");
        });
        SetAction(parsed => parsed.GetValue(_out) is { } directory ? WriteRecoveryKeyPair(directory) : PrintMaskingKey());
    }

    static int PrintMaskingKey()
    {
        Console.WriteLine(Convert.ToBase64String(RandomNumberGenerator.GetBytes(MaskingKey.MinBytes)));
        return 0;
    }

    static int WriteRecoveryKeyPair(string directory)
    {
        var publicPath = Path.Combine(directory, "recovery-public.pem");
        var privatePath = Path.Combine(directory, "recovery-private.pem");
        foreach (var path in (string[])[publicPath, privatePath])
        {
            if (File.Exists(path))
                throw new StartupException($"{path} exists already; a recovery key is never overwritten");
        }

        Directory.CreateDirectory(directory);
        using var rsa = RSA.Create(RecoveryKeyBits);
        File.WriteAllText(publicPath, rsa.ExportSubjectPublicKeyInfoPem() + "\n");

        // Created readable by its owner only, before the key is written into it.
        var privateFile = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            privateFile.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var writer = new StreamWriter(privatePath, privateFile))
        {
            writer.WriteLine(rsa.ExportPkcs8PrivateKeyPem());
        }

        Console.WriteLine($"Wrote {publicPath} (set Masking__RecoveryPublicKey to it) and {privatePath} (keep it away from the service).");
        Console.WriteLine($"Recovery key fingerprint: {RecoverySealer.FingerprintOf(rsa)}");
        return 0;
    }
}
