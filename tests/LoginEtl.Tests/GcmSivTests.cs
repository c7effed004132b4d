using LoginEtl.Worker.Masking;
using Org.BouncyCastle.Crypto;

namespace LoginEtl.Tests;

/// <summary>The cipher behind encrypt mode, against the published vectors of RFC 8452, Appendix C.2 (AEAD_AES_256_GCM_SIV).</summary>
public class GcmSivTests
{
    static readonly byte[] Key = Convert.FromHexString("0100000000000000000000000000000000000000000000000000000000000000");
    static readonly byte[] Nonce = Convert.FromHexString("030000000000000000000000");

    [Theory]
    [InlineData("", "", "07f5f4169bbf55a8400cd47ea6fd400f")]
    [InlineData("0100000000000000", "", "c2ef328e5c71c83b843122130f7364b761e0b97427e3df28")]
    [InlineData("01000000000000000000000000000000", "", "85a01b63025ba19b7fd3ddfc033b3e76c9eac6fa700942702e90862383c6c366")]
    [InlineData("0100000000000000000000000000000002000000000000000000000000000000", "",
        "4a6a9db4c8c6549201b9edb53006cba821ec9cf850948a7c86c68ac7539d027fe819e63abcd020b006a976397632eb5d")]
    [InlineData("0200000000000000", "01", "1de22967237a813291213f267e3b452f02d01ae33e4ec854")]
    [InlineData("02000000000000000000000000000000", "01", "c91545823cc24f17dbb0e9e807d5ec17b292d28ff61189e8e49f3875ef91aff7")]
    public void Encryption_matches_the_RFC_8452_vectors_and_decrypts_back(string plaintext, string associatedData, string expected)
    {
        var sealedValue = GcmSivMasker.Process(true, Key, Nonce, Convert.FromHexString(associatedData), Convert.FromHexString(plaintext));

        Assert.Equal(expected, Convert.ToHexStringLower(sealedValue));
        var opened = GcmSivMasker.Process(false, Key, Nonce, Convert.FromHexString(associatedData), sealedValue);
        Assert.Equal(plaintext, Convert.ToHexStringLower(opened));
    }

    [Fact]
    public void A_changed_byte_or_other_associated_data_fails_authentication()
    {
        var sealedValue = Convert.FromHexString("1de22967237a813291213f267e3b452f02d01ae33e4ec854");

        for (var i = 0; i < sealedValue.Length; i++)
        {
            var tampered = (byte[])sealedValue.Clone();
            tampered[i] ^= 0x01;
            Assert.Throws<InvalidCipherTextException>(() => GcmSivMasker.Process(false, Key, Nonce, [0x01], tampered));
        }

        Assert.Throws<InvalidCipherTextException>(() => GcmSivMasker.Process(false, Key, Nonce, [0x02], sealedValue));
    }
}
