using System.Runtime.InteropServices;
using LoginEtl.Bench;

namespace LoginEtl.Tests;

public class ProcessUsageTests
{
    [Fact]
    public void The_peak_resident_set_keeps_memory_the_process_has_given_back()
    {
        // Larger than the peak the other fast tests leave above what this process holds now (about 100 MiB seen), so
        // that the block raises the peak whatever ran before it.
        const int size = 400 * 1024 * 1024;
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

    [Fact]
    public void The_cpu_time_read_from_proc_is_the_process_own_and_counts_every_process_of_a_name()
    {
        var spin = DateTime.UtcNow.AddMilliseconds(300);
        while (DateTime.UtcNow < spin)
        {
        }

        var own = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        var read = ProcStat.CpuOf(Environment.ProcessId)!.Value;
        // /proc counts in hundredths of a second.
        Assert.InRange(read.TotalSeconds, own.TotalSeconds - 0.1, own.TotalSeconds + 0.1);
        var name = File.ReadAllText("/proc/self/comm").TrimEnd('\n');
        Assert.True(ProcStat.CpuOfAll(name) >= read - TimeSpan.FromSeconds(0.02), $"all {name} processes used less than this one");
        Assert.Null(ProcStat.CpuOf(int.MaxValue));
    }

    [Fact]
    public async Task The_cpu_time_of_every_process_of_a_name_keeps_what_its_ended_processes_used()
    {
        // A shell that spins in a subshell of its own for half a second, then waits for its input to end: once the
        // subshell has ended, its CPU is only in the count its parent keeps of the children it reaped.
        var before = ProcStat.CpuOfAll("bash");
        using var shell = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("bash",
            ["-c", "(end=$(( ${EPOCHREALTIME/./} + 500000 )); while (( ${EPOCHREALTIME/./} < end )); do :; done); echo spun; read -r _"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
        })!;
        try
        {
            Assert.Equal("spun", await shell.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)));
            var used = ProcStat.CpuOfAll("bash") - before;
            Assert.True(used >= TimeSpan.FromSeconds(0.1), $"the bash processes used {used.TotalSeconds:F2} s, with a subshell that spun for 0.5 s");
        }
        finally
        {
            shell.StandardInput.Close();
            await shell.WaitForExitAsync();
        }
    }
}
