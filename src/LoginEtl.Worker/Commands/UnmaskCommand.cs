using System.CommandLine;
using System.Security.Cryptography;
using LoginEtl.Worker.Hosting;
using LoginEtl.Worker.Masking;
using LoginEtl.Worker.Persistence;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace LoginEtl.Worker.Commands;

/// <summary>
/// <c>login-etl unmask VALUE</c> decrypts an encrypt-mode mask with the configured keys;
/// <c>login-etl unmask --private-key FILE VALUE</c> opens the value's recovery record and, with the masking keys
/// configured, masks the value again to check it against the mask. The original value is printed on standard
/// output; anything that prevents a certain answer is an error (exit code 1).
/// </summary>
sealed class UnmaskCommand : Command
{
    readonly Argument<string> _value = new("VALUE") { Description = "The mask, as stored in masked_ip or masked_device_id." };

    readonly Option<string> _privateKey = new("--private-key")
    {
        Description = "The recovery private key (PEM): open the mask's recovery record in the database; with Masking__Key set, " +
            "the value found is checked against the mask.",
        HelpName = "FILE",
    };

    public UnmaskCommand(string[] settings)
        : base("unmask", "Print the original of a mask: an encrypt-mode one with the configured keys, any with --private-key.")
    {
        Arguments.Add(_value);
        Options.Add(_privateKey);
        SetAction(parsed => parsed.GetValue(_privateKey) is { } privateKey
            ? WithPrivateKeyAsync(privateKey, parsed.GetRequiredValue(_value), settings)
            : Task.FromResult(WithKeys(parsed.GetRequiredValue(_value), settings)));
    }

    static int WithKeys(string mask, string[] configurationArgs)
    {
        var builder = LoginEtlHost.CreateBuilder(configurationArgs);
        builder.AddMasking();
        using var host = LoginEtlHost.Build(builder);

        var (_, value) = Unmasker.Decrypt(host.Services.GetRequiredService<MaskingKeyRing>(), mask);
        Console.WriteLine(value);
        return 0;
    }

    static async Task<int> WithPrivateKeyAsync(string privateKeyPath, string mask, string[] configurationArgs)
    {
        using var privateKey = LoadPrivateKey(privateKeyPath);
        var builder = LoginEtlHost.CreateBuilder(configurationArgs);
        builder.AddLoginDbContext();
        var checkable = !string.IsNullOrWhiteSpace(builder.Configuration[$"{MaskingOptions.Section}:{nameof(MaskingOptions.Key)}"]);
        if (checkable)
            builder.AddMasking();
        using var host = LoginEtlHost.Build(builder);

        var contexts = host.Services.GetRequiredService<IDbContextFactory<LoginDbContext>>();
        await using var db = await contexts.CreateDbContextAsync();
        MaskRecoveryRecord? record;
        try
        {
            record = await db.MaskRecovery.AsNoTracking().SingleOrDefaultAsync(r => r.MaskedValue == mask);
        }
        catch (NpgsqlException ex)
        {
            throw new StartupException($"cannot read the recovery records (ConnectionStrings__LoginDb): {ex.Message}", ex);
        }

        if (record is null)
            throw new UnmaskException("no recovery record for this value: it was stored while Masking__RecoveryPublicKey was not set, or is not a stored mask");

        var field = MaskedFields.All.FirstOrDefault(f => f.Name() == record.Field);
        var value = Unmasker.Recover(privateKey, record.MaskedValue, field, record.KeyFingerprint, record.SealedValue);
        if (checkable)
            Unmasker.CheckRecovered(host.Services.GetRequiredService<MaskingKeyRing>(), record.MaskedValue, field, value);
        else
            Console.Error.WriteLine("login-etl: not checked against the mask (Masking__Key is not set): anyone with the recovery public key can seal a record for any mask");

        Console.WriteLine(value);
        return 0;
    }

    static RSA LoadPrivateKey(string path)
    {
        string pem;
        try
        {
            pem = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StartupException($"cannot read {path}: {ex.Message}");
        }

        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
            _ = rsa.ExportParameters(includePrivateParameters: true);
            return rsa;
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            rsa.Dispose();
            throw new StartupException($"{path} is not an RSA private key in PEM form");
        }
    }
}
