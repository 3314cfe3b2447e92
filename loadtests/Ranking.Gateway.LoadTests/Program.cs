using System.Runtime.InteropServices;
using Ranking.Gateway.LoadTests.Cli;
using Ranking.Gateway.LoadTests.Hosting;
using Ranking.Gateway.LoadTests.Report;
using Ranking.Gateway.LoadTests.Scenarios;

return await RunnerCommand.InvokeAsync(RunnerCommand.Create(RunAsync), args);

async Task<int> RunAsync(Arguments arguments)
{
    if (arguments.Pin && !CpuPinning.IsPinned)
    {
        return await CpuPinning.RunPinnedAsync(args);
    }

    AppDomain.CurrentDomain.UnhandledException += (_, _) => ChildProcess.KillAll();
    AppDomain.CurrentDomain.ProcessExit += (_, _) => ChildProcess.KillAll();

    using var cancel = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        cancel.Cancel();
    };

    // SIGTERM too (timeout, kill, the --pin wrapper passing one on): stop the gateways as on Ctrl+C, not leave them running.
    using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
    {
        context.Cancel = true;
        cancel.Cancel();
    });

    try
    {
        var report = await ScenarioRunner.RunAsync(arguments, args, cancel.Token);
        ConsoleReport.Print(report);
        Console.WriteLine($"Report: {Path.GetRelativePath(Directory.GetCurrentDirectory(), await MarkdownReport.WriteAsync(report))}");
        return report.Passed ? 0 : 1;
    }
    catch (SetupException ex)
    {
        await Console.Error.WriteLineAsync($"error: {ex.Message}");
        return 3;
    }
    catch (OperationCanceledException) when (cancel.IsCancellationRequested)
    {
        await Console.Error.WriteLineAsync("cancelled; the gateways the runner started have been stopped.");
        return 130;
    }
}
