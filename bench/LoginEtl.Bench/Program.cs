using LoginEtl.Bench;
using LoginEtl.Worker.Commands;

// login-etl-bench [options] [--Section:Key=value ...]: the benchmark, with login-etl's settings, exit codes and errors.
return await LoginEtlCommandLine.InvokeAsync(args, settings => new BenchCommand(settings), "login-etl-bench");
