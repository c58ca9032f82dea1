/**
 * Exit codes and error reporting. 0 success, 2 usage error, 1 runtime failure.
 * A failure prints ONE line on stderr (`plexus: …`); the stack and causes only with PLEXUS_DEBUG=1.
 */
import { isPlexusError } from "@plexus/core";

export const ExitCode = {
  Ok: 0,
  Failure: 1,
  Usage: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

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

/** A runtime failure with a message written for the user: exit 1. */
export class CliError extends Error {
  override readonly name = "CliError";
  readonly exitCode: ExitCode;
  constructor(message: string, options: { cause?: unknown; exitCode?: ExitCode } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.exitCode = options.exitCode ?? ExitCode.Failure;
  }
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

export function exitCodeOf(err: unknown): ExitCode {
  if (err instanceof UsageError) return ExitCode.Usage;
  if (err instanceof CliError) return err.exitCode;
  return ExitCode.Failure;
}

/** Writes the one-line report (and, with PLEXUS_DEBUG=1, the stack and causes). */
export function reportError(err: unknown, write: (s: string) => void = (s) => process.stderr.write(s)): void {
  const code = isPlexusError(err) ? ` [${err.code}]` : "";
  write(`plexus: ${oneLine(err)}\n`);
  if (!debugEnabled()) return;
  write(`--- PLEXUS_DEBUG${code} ---\n`);
  let e: unknown = err;
  for (let depth = 0; e !== undefined && depth < 8; depth++) {
    write(`${depth > 0 ? "caused by: " : ""}${e instanceof Error ? (e.stack ?? e.message) : safeString(e)}\n`);
    e = e instanceof Error ? e.cause : undefined;
  }
}
