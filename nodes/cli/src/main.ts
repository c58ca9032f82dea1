/** The `plexus` process: runs the command line, sets the exit code, and makes sure the process ends. */
import { fastPath } from "./fast-path.js";

// --version and --help answer without loading the commands' dependencies (fast-path.ts).
const fast = await fastPath(process.argv.slice(2));
if (fast !== undefined) process.exit(fast);
const { runCli } = await import("./cli.js");
const { ExitCode, reportError, reportFatal } = await import("./errors.js");

// `plexus listen | head -1`: a closed stdout ends the command quietly.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(ExitCode.Ok);
  reportError(err);
  process.exit(ExitCode.Failure);
});

const fatal = (err: unknown) => process.exit(reportFatal(err, process.argv.slice(2)));
process.on("uncaughtException", fatal);
process.on("unhandledRejection", fatal);

const code = await runCli(process.argv.slice(2));
process.exitCode = code;
// Commands close what they opened, so the process normally ends here on its own; if a library left a handle open,
// do not hang: exit shortly after (the timer itself does not keep the process alive).
setTimeout(() => process.exit(code), 2_000).unref();
