using LoginEtl.Worker.Commands;

// login-etl <command> [options] [--Section:Key=value ...]: the commands are in Commands/, one file each.
return await LoginEtlCommandLine.InvokeAsync(args);
