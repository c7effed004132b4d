using System.Diagnostics;
using LoginEtl.Worker.Persistence;

namespace LoginEtl.Bench;

/// <summary>
/// The etl again with the inbox holding <c>--inbox-prefill</c> entries spread over a full window, between two etl runs on
/// an empty inbox: the machine's speed drifts from one minute to the next, and the mean of the two is the reference.
/// </summary>
static class PrefilledInboxPhase
{
    public static async Task<PrefilledInboxResult> MeasureAsync(BenchEnvironment bench, long entries, int valid, int invalid)
    {
        TimeSpan window;
        using (var host = await bench.CreateRunHostAsync(drain: true))
            window = host.Services.GetRequiredService<InboxWindow>().Window;

        var emptyBefore = await MeasureEtlOnAsync(bench, "an empty inbox", valid, invalid);
        await bench.Database.EmptyAsync();
        bench.Report($"inbox: writing {entries} entries first sent over the last {window.TotalDays:F1} days (the window)");
        var started = Stopwatch.GetTimestamp();
        await bench.Database.PrefillInboxAsync(entries, window, written =>
            bench.Report($"inbox: {written} of {entries} entries written ({Stopwatch.GetElapsedTime(started).TotalSeconds:F0} s)"));
        var megabytesPerMillion = await bench.Database.InboxBytesAsync() / (double)entries;
        bench.Report($"inbox: {megabytesPerMillion:F1} MB per million entries");
        var prefilled = await MeasureEtlOnAsync(bench, $"{entries} entries", valid, invalid, keepInbox: true);
        var emptyAfter = await MeasureEtlOnAsync(bench, "an empty inbox again", valid, invalid);
        var reference = (emptyBefore + emptyAfter) / 2;
        return new PrefilledInboxResult(entries, Math.Round(megabytesPerMillion, 1), Math.Round(prefilled), Math.Round(emptyBefore),
            Math.Round(emptyAfter), Math.Round(prefilled / reference, 3));
    }

    static async Task<double> MeasureEtlOnAsync(BenchEnvironment bench, string inbox, int valid, int invalid, bool keepInbox = false)
    {
        if (keepInbox)
            await bench.Database.DeleteLoginsAsync();
        else
            await bench.Database.EmptyAsync();
        bench.Report($"etl on {inbox}: sending {bench.MessageCount} messages");
        await bench.SendAsync(bench.QueueUrl, bench.Traffic().Select(m => m.Body));
        var rate = (await EtlPhase.MeasureAsync(bench, valid, invalid)).Rate;
        bench.Report($"etl on {inbox}: {rate:F0} messages/s");
        return rate;
    }
}
