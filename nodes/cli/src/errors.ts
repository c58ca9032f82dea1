/**
 * Exit codes and error reporting, from the one error table in @plexus/core (ERROR_SPECS): every failure exits with
 * its code's exit code (0 success, 1 failure, 2 usage, 3 history does not hold, 4 sealer stalled, 5 proof not
 * pinned, 6 invalid input, 7 not found, 8 refused, 9 conflict, 10 unavailable: retry). A failure prints ONE line on
 * stderr (`plexus: …`); with --json instead ONE JSON object on one line, also on stderr (stdout carries only data, so
 * `plexus … --json | jq` never mistakes an error for a record): `{"error":{"code","message","retryable","help"}}`.
 * The stack and causes only with PLEXUS_DEBUG=1.
 */
import { ErrorCode, errorSpec, ExitCode, isPlexusError, wireError, type WireError } from "@plexus/core";

export { ExitCode };

/** Wrong flags or arguments: exit 2, with the command's usage line. */
export class UsageError extends Error {
  override readonly name = "UsageError";
  /** The command whose usage line to print (undefined: the general one). */
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message);
    this.command = command;
  }
}

/**
 * A runtime failure with a message written for the user. Its code: `code` if given, else that of the first
 * PlexusError among its causes, else FAILED; its exit code: `exitCode` if given, else the code's.
 */
export class CliError extends Error {
  override readonly name = "CliError";
  readonly code: ErrorCode;
  readonly exitCode: number;
  constructor(message: string, options: { cause?: unknown; exitCode?: number; code?: ErrorCode } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code ?? plexusCause(options.cause)?.code ?? ErrorCode.Failed;
    this.exitCode = options.exitCode ?? errorSpec(this.code).exitCode;
  }
}

function plexusCause(err: unknown): { code: ErrorCode } | undefined {
  for (let e = err, depth = 0; e !== undefined && depth < 8; depth++) {
    if (isPlexusError(e)) return e;
    e = e instanceof Error ? e.cause : undefined;
  }
  return undefined;
}

export function debugEnabled(): boolean {
  const v = process.env["PLEXUS_DEBUG"];
  return v !== undefined && v !== "" && v !== "0" && v !== "false";
}

/** The first non-empty line of an error's message (launcher errors append the server's output on later lines). */
export function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : typeof err === "string" ? err : safeString(err);
  const line = text.split("\n").find((l) => l.trim() !== "") ?? "";
  return line.trim() || (err instanceof Error ? err.name : "unknown error");
}

function safeString(v: unknown): string {
  try {
    return typeof v === "object" ? JSON.stringify(v) : String(v);
  } catch {
    return String(v);
  }
}

/** The code a failure reports: USAGE, a CliError's or PlexusError's own, else INTERNAL (a bug or an unexpected error). */
export function errorCodeOf(err: unknown): ErrorCode {
  if (err instanceof UsageError) return ErrorCode.Usage;
  if (err instanceof CliError || isPlexusError(err)) return err.code;
  return ErrorCode.Internal;
}

export function exitCodeOf(err: unknown): number {
  return err instanceof CliError ? err.exitCode : errorSpec(errorCodeOf(err)).exitCode;
}

/** The failure as the wire error object (the local user sees every message, INTERNAL ones too). */
export function cliWireError(err: unknown): WireError {
  return wireError(errorCodeOf(err), oneLine(err));
}

/** Writes the one-line report (and, with PLEXUS_DEBUG=1, the stack and causes). */
export function reportError(err: unknown, write: (s: string) => void = (s) => process.stderr.write(s)): void {
  write(`plexus: ${oneLine(err)}\n`);
  writeDebug(err, write);
}

/** --json: the failure as one JSON object on one line (then, with PLEXUS_DEBUG=1, the stack); returns the exit code. */
export function reportJsonError(err: unknown, write: (s: string) => void): number {
  write(`${JSON.stringify({ error: cliWireError(err) })}\n`);
  writeDebug(err, write);
  return exitCodeOf(err);
}

/** Reports an error that escaped the command (uncaught) as the command line asked (--json or not); returns the exit code. */
export function reportFatal(
  err: unknown,
  argv: readonly string[],
  write: (s: string) => void = (s) => process.stderr.write(s),
): number {
  if (wantsJson(argv)) return reportJsonError(err, write);
  reportError(err, write);
  return exitCodeOf(err);
}

/** Whether a command line asks for --json (read from argv: a usage error can come before the options are parsed). */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end === -1 ? argv : argv.slice(0, end)).includes("--json");
}

function writeDebug(err: unknown, write: (s: string) => void): void {
  if (!debugEnabled()) return;
  write(`--- PLEXUS_DEBUG [${errorCodeOf(err)}] ---\n`);
  let e: unknown = err;
  for (let depth = 0; e !== undefined && depth < 8; depth++) {
    write(`${depth > 0 ? "caused by: " : ""}${e instanceof Error ? (e.stack ?? e.message) : safeString(e)}\n`);
    e = e instanceof Error ? e.cause : undefined;
  }
}
