using System.Security.Cryptography;
using LoginEtl.Worker.Masking;

namespace LoginEtl.Worker.Commands;

/// <summary>
/// <c>login-etl keygen</c> prints a new masking key; <c>login-etl keygen --recovery --out DIR</c> writes a new
/// recovery key pair: DIR/recovery-public.pem for the service, DIR/recovery-private.pem for whoever may recover.
/// </summary>
static class KeygenCommand
{
    public const int RecoveryKeyBits = 3072;

    public static int PrintMaskingKey()
    {
        Console.WriteLine(Convert.ToBase64String(RandomNumberGenerator.GetBytes(MaskingKey.MinBytes)));
        return 0;
    }

    public static int WriteRecoveryKeyPair(string directory)
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
