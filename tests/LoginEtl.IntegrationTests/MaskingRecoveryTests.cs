using System.Security.Cryptography;
using LoginEtl.IntegrationTests.Infrastructure;
using LoginEtl.Worker.Masking;
using Npgsql;

namespace LoginEtl.IntegrationTests;

/// <summary>Encrypt mode, recovery records and key rotation, through the commands an operator runs.</summary>
[Collection(IntegrationCollection.InProcess)]
public sealed class MaskingRecoveryTests : IDisposable
{
    readonly string _keys = Directory.CreateTempSubdirectory("loginetl-keys-").FullName;

    string PrivateKey => Path.Combine(_keys, "recovery-private.pem");

    string PublicKey => Path.Combine(_keys, "recovery-public.pem");

    async Task CreateRecoveryKeysAsync()
    {
        var keygen = await Cli.RunAsync(["keygen", "--recovery", "--out", _keys]);
        Assert.True(keygen.ExitCode == 0, keygen.Error);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(PrivateKey));
    }

    static async Task<string> NewKeyAsync()
    {
        var keygen = await Cli.RunAsync(["keygen"]);
        Assert.Equal(0, keygen.ExitCode);
        return keygen.Output.Trim();
    }

    [Theory]
    [InlineData("encrypt")]
    [InlineData("hash")]
    public async Task Every_stored_mask_recovers_from_its_record_with_the_private_key(string mode)
    {
        await CreateRecoveryKeysAsync();
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        var logins = SampleLogins.Generate(40);
        var repeated = logins.Take(10).Select(l => l with { UserId = Guid.NewGuid().ToString() });
        await queues.SendAsync(logins.Concat(repeated).Select(SampleLogins.ToJson));
        var key = await NewKeyAsync();
        string[] masking = [$"--Masking:Mode={mode}", "--Masking:KeyId=k1", $"--Masking:RecoveryPublicKey={PublicKey}"];

        Assert.Equal(0, await Etl.DrainAsync(database, queues, key, masking));

        var rows = (await database.LoginsAsync()).ToDictionary(r => r.UserId);
        var distinctMasks = rows.Values.SelectMany(r => new[] { r.MaskedIp, r.MaskedDeviceId }).Distinct().Count();
        Assert.Equal(distinctMasks, await database.ScalarAsync<long>("SELECT count(*) FROM loginetl_mask_recovery"));
        foreach (var login in logins.Take(3))
        {
            var row = rows[login.UserId];
            var ip = await Cli.RunAsync(["unmask", "--private-key", PrivateKey, row.MaskedIp, $"--ConnectionStrings:LoginDb={database.ConnectionString}"]);
            var deviceId = await Cli.RunAsync(["unmask", "--private-key", PrivateKey, row.MaskedDeviceId, $"--ConnectionStrings:LoginDb={database.ConnectionString}"]);
            Assert.True(ip.ExitCode == 0, ip.Error);
            Assert.Equal(login.Ip, ip.Output.Trim());
            Assert.Equal(login.DeviceId, deviceId.Output.Trim());
        }
    }

    [Fact]
    public async Task Encrypt_masks_unmask_with_the_configured_keys_across_a_rotation()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var before = await TestQueues.CreateAsync();
        await using var after = await TestQueues.CreateAsync();
        var (oldKey, newKey) = (await NewKeyAsync(), await NewKeyAsync());
        var oldLogins = SampleLogins.Generate(20, seed: 1);
        var newLogins = SampleLogins.Generate(20, seed: 2);
        await before.SendAsync(oldLogins.Select(SampleLogins.ToJson));
        await after.SendAsync(newLogins.Select(SampleLogins.ToJson));
        string[] rotated = ["--Masking:Mode=encrypt", "--Masking:KeyId=k2", $"--Masking:RetiredKeys:k1={oldKey}"];

        Assert.Equal(0, await Etl.DrainAsync(database, before, oldKey, "--Masking:Mode=encrypt", "--Masking:KeyId=k1"));
        Assert.Equal(0, await Etl.DrainAsync(database, after, newKey, rotated));

        var rows = (await database.LoginsAsync()).ToDictionary(r => r.UserId);
        Assert.All(oldLogins, l => Assert.StartsWith("enc:k1:", rows[l.UserId].MaskedIp, StringComparison.Ordinal));
        Assert.All(newLogins, l => Assert.StartsWith("enc:k2:", rows[l.UserId].MaskedDeviceId, StringComparison.Ordinal));
        foreach (var login in new[] { oldLogins[0], newLogins[0] })
        {
            var ip = await Cli.RunAsync(["unmask", rows[login.UserId].MaskedIp, $"--Masking:Key={newKey}", .. rotated]);
            var deviceId = await Cli.RunAsync(["unmask", rows[login.UserId].MaskedDeviceId, $"--Masking:Key={newKey}", .. rotated]);
            Assert.True(ip.ExitCode == 0, ip.Error);
            Assert.Equal(login.Ip, ip.Output.Trim());
            Assert.Equal(login.DeviceId, deviceId.Output.Trim());
        }
    }

    [Fact]
    public async Task A_wrong_key_a_tampered_value_or_an_unknown_key_id_is_an_error_never_a_wrong_answer()
    {
        await CreateRecoveryKeysAsync();
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        await queues.SendAsync(SampleLogins.Generate(1).Select(SampleLogins.ToJson));
        var key = await NewKeyAsync();
        Assert.Equal(0, await Etl.DrainAsync(database, queues, key,
            "--Masking:Mode=encrypt", "--Masking:KeyId=k1", $"--Masking:RecoveryPublicKey={PublicKey}"));
        var mask = (await database.LoginsAsync()).Single().MaskedIp;
        var tampered = mask[..^1] + (mask[^1] == 'A' ? 'B' : 'A');
        var otherKeys = Directory.CreateTempSubdirectory("loginetl-other-").FullName;
        Assert.Equal(0, (await Cli.RunAsync(["keygen", "--recovery", "--out", otherKeys])).ExitCode);
        var connection = $"--ConnectionStrings:LoginDb={database.ConnectionString}";

        var wrongKey = await Cli.RunAsync(["unmask", mask, "--Masking:KeyId=k1", $"--Masking:Key={await NewKeyAsync()}"]);
        var changed = await Cli.RunAsync(["unmask", tampered, "--Masking:KeyId=k1", $"--Masking:Key={key}"]);
        var unknownId = await Cli.RunAsync(["unmask", mask, "--Masking:KeyId=k2", $"--Masking:Key={key}"]);
        var wrongPrivateKey = await Cli.RunAsync(["unmask", "--private-key", Path.Combine(otherKeys, "recovery-private.pem"), mask, connection]);
        await database.ExecuteAsync("UPDATE loginetl_mask_recovery SET sealed_value = overlay(sealed_value placing '\\x00'::bytea from 500 for 1)");
        var alteredRecord = await Cli.RunAsync(["unmask", "--private-key", PrivateKey, mask, connection]);

        Assert.Equal((1, "login-etl: the mask does not authenticate under key 'k1': it was altered, or made with another key of that id"),
            (wrongKey.ExitCode, wrongKey.Error.Trim()));
        Assert.Equal(1, changed.ExitCode);
        // A changed last character may also break the base64 itself.
        Assert.Matches("does not authenticate|is malformed: it was altered", changed.Error);
        Assert.Equal(1, unknownId.ExitCode);
        Assert.Contains("no key with id 'k1' is configured", unknownId.Error, StringComparison.Ordinal);
        Assert.Equal(1, wrongPrivateKey.ExitCode);
        Assert.Contains("the value was sealed for recovery key", wrongPrivateKey.Error, StringComparison.Ordinal);
        Assert.Equal(1, alteredRecord.ExitCode);
        Assert.Contains("the recovery record does not authenticate", alteredRecord.Error, StringComparison.Ordinal);
        Assert.All([wrongKey, changed, unknownId, wrongPrivateKey, alteredRecord], r => Assert.Equal("", r.Output));
        Directory.Delete(otherKeys, recursive: true);
    }

    [Theory]
    [InlineData("hash")]
    [InlineData("encrypt")]
    public async Task A_forged_or_swapped_recovery_record_is_refused_when_the_masking_keys_are_configured(string mode)
    {
        await CreateRecoveryKeysAsync();
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        var logins = SampleLogins.Generate(2, seed: 7);
        await queues.SendAsync(logins.Select(SampleLogins.ToJson));
        var key = await NewKeyAsync();
        Assert.Equal(0, await Etl.DrainAsync(database, queues, key,
            $"--Masking:Mode={mode}", "--Masking:KeyId=k1", $"--Masking:RecoveryPublicKey={PublicKey}"));
        var rows = (await database.LoginsAsync()).ToDictionary(r => r.UserId);
        var (first, second) = (rows[logins[0].UserId], rows[logins[1].UserId]);

        // The recovery public key is no secret: whoever has it can seal any value for any mask.
        using (var sealer = new RecoverySealer(PublicRsa()))
        {
            await ResealAsync(database, first.MaskedIp, sealer.Seal(first.MaskedIp, MaskedField.Ip, "198.51.100.23"));
            await ResealAsync(database, second.MaskedIp, sealer.Seal(second.MaskedIp, MaskedField.Ip, logins[0].Ip));
        }

        var connection = $"--ConnectionStrings:LoginDb={database.ConnectionString}";
        // The key that made the masks, retired since: checks use the key of the mask's own id.
        string[] keys = [$"--Masking:Key={await NewKeyAsync()}", "--Masking:KeyId=k2", $"--Masking:RetiredKeys:k1={key}"];
        var forged = await Cli.RunAsync(["unmask", "--private-key", PrivateKey, first.MaskedIp, connection, .. keys]);
        var swapped = await Cli.RunAsync(["unmask", "--private-key", PrivateKey, second.MaskedIp, connection, .. keys]);
        var genuine = await Cli.RunAsync(["unmask", "--private-key", PrivateKey, first.MaskedDeviceId, connection, .. keys]);
        var withoutKeys = await Cli.RunAsync(["unmask", "--private-key", PrivateKey, first.MaskedIp, connection]);

        foreach (var refused in new[] { forged, swapped })
        {
            Assert.Equal((1, ""), (refused.ExitCode, refused.Output));
            Assert.Equal("login-etl: the recovery record does not match its mask: its value does not mask to it under key 'k1'; the record was forged or swapped",
                refused.Error.Trim());
        }

        Assert.Equal((0, logins[0].DeviceId, ""), (genuine.ExitCode, genuine.Output.Trim(), genuine.Error));
        Assert.Equal((0, "198.51.100.23"), (withoutKeys.ExitCode, withoutKeys.Output.Trim()));
        Assert.StartsWith("login-etl: not checked against the mask", withoutKeys.Error, StringComparison.Ordinal);
    }

    RSA PublicRsa()
    {
        var rsa = RSA.Create();
        rsa.ImportFromPem(File.ReadAllText(PublicKey));
        return rsa;
    }

    static async Task ResealAsync(TestDatabase database, string mask, byte[] sealedValue)
    {
        await using var connection = database.CreateConnection();
        await connection.OpenAsync();
        await using var update = new NpgsqlCommand("UPDATE loginetl_mask_recovery SET sealed_value = $1 WHERE masked_value = $2", connection)
        {
            Parameters = { new() { Value = sealedValue }, new() { Value = mask } },
        };
        Assert.Equal(1, await update.ExecuteNonQueryAsync());
    }

    [Theory]
    [InlineData("--Masking:Mode=rot13", "Masking__Mode must be 'hash' or 'encrypt'")]
    [InlineData("--Masking:RecoveryPublicKey=/no/such/recovery.pem", "Masking__RecoveryPublicKey: cannot read the PEM file")]
    [InlineData("--Masking:RetiredKeys:old=c2hvcnQ=", "Masking__RetiredKeys__old decodes to 5 bytes")]
    public async Task A_bad_masking_setting_stops_run_naming_it(string setting, string message)
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();

        var result = await Cli.RunAsync(["run", .. Etl.Settings(database, queues, Etl.NewKey()), setting]);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"login-etl: {message}", result.Error, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_keys, recursive: true);
}
