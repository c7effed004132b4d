using System.Globalization;

namespace LoginEtl.Bench;

/// <summary>
/// What Linux says of a process in <c>/proc</c>: its CPU time (user and system, <c>/proc/PID/stat</c>) and its peak
/// resident set (<c>/proc/PID/status</c>), read from outside the process, so that the process measured runs no code for it.
/// </summary>
static class ProcStat
{
    // USER_HZ, the unit of /proc's CPU times: 100 on every Linux architecture .NET runs on (the kernel fixes it for user space).
    const double TicksPerSecond = 100;

    /// <summary>The CPU time a process has used so far, its threads together; null once it is gone.</summary>
    public static TimeSpan? CpuOf(int pid) => Read(pid) is { } stat ? stat.Own : null;

    /// <summary>
    /// The CPU time all processes named <paramref name="name"/> (<c>/proc/PID/comm</c>) have used so far: those that
    /// still run, and those that ended, as their parent counts them. PostgreSQL starts a process for each connection
    /// and each autovacuum run, so a server's CPU over a phase is not the sum of the processes alive at its two ends.
    /// </summary>
    public static TimeSpan CpuOfAll(string name)
    {
        var total = TimeSpan.Zero;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                continue;
            try
            {
                if (File.ReadAllText($"{directory}/comm").TrimEnd('\n') != name)
                    continue;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            // An ended process is in the count of the process that reaped it, once, and so in the total while that one runs.
            if (Read(pid) is { } stat)
                total += stat.Own + stat.EndedChildren;
        }

        return total;
    }

    static Stat? Read(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses, so the fields are counted from its last ')'.
        // After it, utime and stime are the 12th and 13th fields; cutime and cstime (the reaped children's) the 14th and 15th.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return new Stat(Ticks(fields[11]) + Ticks(fields[12]), Ticks(fields[13]) + Ticks(fields[14]));
    }

    static TimeSpan Ticks(string field) => TimeSpan.FromSeconds(long.Parse(field, CultureInfo.InvariantCulture) / TicksPerSecond);

    readonly record struct Stat(TimeSpan Own, TimeSpan EndedChildren);
}
