namespace LoginEtl.Worker.Hosting;

/// <summary>
/// A line on <paramref name="output"/> every few seconds while a long step works, so that whoever started it sees
/// it move; <paramref name="describe"/> says how far it is. Disposing it stops the lines.
/// </summary>
sealed class ConsoleProgress : IAsyncDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    readonly PeriodicTimer _timer = new(Interval);
    readonly Task _reporting;

    public ConsoleProgress(TextWriter output, Func<string> describe)
    {
        _reporting = ReportAsync(output, describe);
    }

    async Task ReportAsync(TextWriter output, Func<string> describe)
    {
        while (await _timer.WaitForNextTickAsync())
            await output.WriteLineAsync(describe());
    }

    public async ValueTask DisposeAsync()
    {
        _timer.Dispose();
        await _reporting;
    }
}
