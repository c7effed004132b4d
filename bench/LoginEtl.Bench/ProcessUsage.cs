using System.Globalization;

namespace LoginEtl.Bench;

/// <summary>What a process holds: its peak resident set as Linux reports it.</summary>
public static class ProcessUsage
{
    /// <summary>This process's peak resident set, in megabytes (0 where /proc is not there).</summary>
    public static double PeakResidentMegabytes() => (PeakResidentBytes("/proc/self/status") ?? 0) / 1024.0 / 1024.0;

    /// <summary>
    /// The most physical memory a process has held so far: VmHWM of its <c>/proc/PID/status</c>, in bytes; null when the
    /// file or the line is not there (the process has exited).
    /// </summary>
    public static long? PeakResidentBytes(string statusPath)
    {
        string? line;
        try
        {
            line = File.ReadLines(statusPath).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // "VmHWM:    243712 kB"
        return line is null ? null : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }
}
