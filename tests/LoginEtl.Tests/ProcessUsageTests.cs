using System.Runtime.InteropServices;
using LoginEtl.Worker.Bench;

namespace LoginEtl.Tests;

public class ProcessUsageTests
{
    [Fact]
    public void The_peak_resident_set_starts_again_from_what_the_process_holds_now()
    {
        const int size = 200 * 1024 * 1024;
        var block = Marshal.AllocHGlobal(size);
        try
        {
            for (var page = 0; page < size; page += 4096)
                Marshal.WriteByte(block, page, 1);
        }
        finally
        {
            // Memory this large is mapped on its own, and freeing it gives it back to the system.
            Marshal.FreeHGlobal(block);
        }

        var peakWithBlock = ProcessUsage.PeakResidentMegabytes();
        Assert.True(ProcessUsage.ResetPeakResident());
        var peakAfter = ProcessUsage.PeakResidentMegabytes();

        Assert.True(peakWithBlock - peakAfter >= 100, $"peak {peakWithBlock:F0} MiB with the block, {peakAfter:F0} MiB after the reset");
    }
}
