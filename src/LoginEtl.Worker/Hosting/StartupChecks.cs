using System.Net.Sockets;
using System.Text.RegularExpressions;
using LoginEtl.Worker.Persistence;
using LoginEtl.Worker.Sqs;
using Microsoft.Extensions.Options;
using Npgsql;

namespace LoginEtl.Worker.Hosting;

/// <summary>
/// What a command checks before it does anything, <c>login-etl run</c> before it takes a message: every setting
/// valid, the database reachable and migrated, both queues there. Each failure is a <see cref="StartupException"/>
/// with one line to read.
/// </summary>
public static partial class StartupChecks
{
    /// <summary>
    /// Every options type registered with <c>ValidateOnStart</c>, bound and validated through the host's startup
    /// validator (the one <c>IHost.StartAsync</c> runs): a value of the wrong type or out of range names its
    /// setting in the <c>Section__Key</c> form.
    /// </summary>
    public static void ValidateSettings(IServiceProvider services)
    {
        try
        {
            services.GetService<IStartupValidator>()?.Validate();
        }
        catch (OptionsValidationException ex)
        {
            throw new StartupException(string.Join("; ", ex.Failures), ex);
        }
        catch (AggregateException ex) when (ex.InnerExceptions.All(e => e is OptionsValidationException))
        {
            throw new StartupException(string.Join("; ", ex.InnerExceptions.SelectMany(e => ((OptionsValidationException)e).Failures)), ex);
        }
        catch (InvalidOperationException ex)
        {
            throw new StartupException(DescribeBindingFailure(ex.Message), ex);
        }
    }

    // The configuration binder names the setting only in its message, "Failed to convert configuration value '...'
    // at 'Sqs:Pollers' to type 'System.Int32'.": read it from there, and leave the value out (it may be a secret).
    static string DescribeBindingFailure(string message)
    {
        if (BindingFailure().Match(message) is not { Success: true } match)
            return message;

        var setting = match.Groups["path"].Value.Replace(":", "__", StringComparison.Ordinal);
        return match.Groups["type"].Value switch
        {
            "System.Boolean" => $"{setting} must be true or false",
            "System.Int32" or "System.Int64" => $"{setting} must be a whole number",
            "System.Double" => $"{setting} must be a number",
            "System.TimeSpan" => $"{setting} must be a time span such as 00:00:05 (hh:mm:ss) or 1.00:00:00 (one day)",
            var type => $"{setting} is not a valid {type}",
        };
    }

    /// <summary>The database answers and has every migration of this build (read without EF Core: <see cref="MigrationHistory"/>).</summary>
    public static async Task EnsureDatabaseReadyAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        try
        {
            var pending = await MigrationHistory.PendingAsync(services.GetRequiredService<NpgsqlDataSource>(), cancellationToken);
            if (pending.Count > 0)
                throw new StartupException("the database is not migrated: run `login-etl migrate` first");
        }
        catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException)
        {
            throw new StartupException($"cannot reach PostgreSQL (ConnectionStrings__LoginDb): {ex.Message}", ex);
        }
    }

    public static async Task EnsureQueuesExistAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var queues = services.GetRequiredService<SqsQueues>();
        await queues.ResolveAsync(cancellationToken);
        EnsureInboxCoversRedeliveries(services.GetRequiredService<IOptions<InboxOptions>>().Value, queues);
    }

    /// <summary>
    /// An <c>Inbox__Window</c> shorter than what the queues can still deliver would store a late redelivery or a redrive
    /// of a stored message a second time.
    /// </summary>
    public static void EnsureInboxCoversRedeliveries(InboxOptions inbox, IRedeliveryHorizon horizon)
    {
        var covered = horizon.RedeliveryHorizon > InboxLayout.MaxWindow ? InboxLayout.MaxWindow : horizon.RedeliveryHorizon;
        if (inbox.Window is { } window && window < covered)
        {
            throw new StartupException($"Inbox__Window ({window}) is shorter than the queues can still deliver a message ({covered}: the " +
                "queue's MessageRetentionPeriod plus the dead-letter queue's); a redelivery or redrive later than the window would be " +
                "stored twice: leave Inbox__Window unset, or shorten the retentions first");
        }
    }

    [GeneratedRegex(@" at '(?<path>[^']+)' to type '(?<type>[^']+)'\.$")]
    private static partial Regex BindingFailure();
}
