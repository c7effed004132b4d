using System.Runtime.InteropServices;
using LoginEtl.Worker.Bench;

namespace LoginEtl.Tests;

public class ProcessUsageTests
{
    [Fact]
    public void The_peak_resident_set_keeps_memory_the_process_has_given_back()
    {
        const int size = 200 * 1024 * 1024;
        var peakBefore = ProcessUsage.PeakResidentMegabytes();
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

        var peakAfter = ProcessUsage.PeakResidentMegabytes();
        Assert.True(peakAfter - peakBefore >= 100, $"peak {peakBefore:F0} MiB before the block, {peakAfter:F0} MiB after it was freed");
    }
}
