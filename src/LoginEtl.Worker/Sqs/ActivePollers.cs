namespace LoginEtl.Worker.Sqs;

/// <summary>
/// How many of the pollers receive at a time, following what their receives bring back: one more for each full
/// receive (so a backlog doubles the number every round trip), one fewer for each empty receive or one under half
/// full. A replica starts with one poller, takes a small bite before it knows the load, and an idle one keeps a
/// single long poll open instead of <see cref="SqsOptions.Pollers"/>.
/// </summary>
sealed class ActivePollers(int maximum, int fullReceive)
{
    readonly Lock _lock = new();
    int _active = 1;
    TaskCompletionSource _grown = NewSignal();

    public int Active => Volatile.Read(ref _active);

    /// <summary>Returns when <paramref name="poller"/> (0 to maximum - 1) may receive.</summary>
    public async Task WaitForTurnAsync(int poller, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task grown;
            lock (_lock)
            {
                if (poller < _active)
                    return;
                grown = _grown.Task;
            }

            await grown.WaitAsync(cancellationToken);
        }
    }

    /// <summary>A receive brought <paramref name="received"/> messages.</summary>
    public void Observe(int received)
    {
        lock (_lock)
        {
            if (received >= fullReceive && _active < maximum)
            {
                Volatile.Write(ref _active, _active + 1);
                var grown = _grown;
                _grown = NewSignal();
                grown.SetResult();
            }
            else if (received < (fullReceive + 1) / 2 && _active > 1)
            {
                Volatile.Write(ref _active, _active - 1);
            }
        }
    }

    static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
