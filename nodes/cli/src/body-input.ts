/**
 * Where `send` and `publish` take a message body from: the BODY argument, or `--body-file FILE` (`-`: standard input),
 * so that a large or binary-unsafe body does not have to fit on a command line (the shell's argument limit fails a
 * 200 kB argument before Plexus sees it). The text is read as UTF-8; the mesh's size limit still applies, with its own
 * clear error, when the message is sent. More than MAX_BODY_BYTES is refused while reading.
 */
import { ErrorCode } from "@plexus/core";
import { readFile } from "node:fs/promises";
import { stringOption, type OptionValues } from "./common-options.js";
import { CliError, UsageError } from "./errors.js";

/** Far above any message the mesh accepts: only a guard against reading an endless stream. */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** The body text: `given` (the BODY argument) or the contents of --body-file; exactly one of the two. */
export async function bodyText(
  values: OptionValues,
  given: string | undefined,
  command: string,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<string> {
  const file = stringOption(values, "body-file", command);
  if (file !== undefined && given !== undefined) throw new UsageError("give BODY or --body-file, not both", command);
  if (file === undefined) {
    if (given === undefined) throw new UsageError("missing BODY (or --body-file FILE, - for standard input)", command);
    return given;
  }
  if (file === "-") return readStream(stdin, command);
  const bytes = await readFile(file).catch((err: NodeJS.ErrnoException) => {
    throw new CliError(`--body-file ${file}: ${err.code === "ENOENT" ? "no such file" : err.message}`, {
      cause: err,
      code: ErrorCode.InvalidArgument,
    });
  });
  if (bytes.length > MAX_BODY_BYTES)
    throw new CliError(`--body-file ${file}: larger than ${MAX_BODY_BYTES} bytes`, { code: ErrorCode.InvalidArgument });
  return bytes.toString("utf8");
}

async function readStream(stdin: NodeJS.ReadableStream, command: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const b = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
    size += b.length;
    if (size > MAX_BODY_BYTES)
      throw new CliError(`--body-file -: standard input is larger than ${MAX_BODY_BYTES} bytes (${command})`, {
        code: ErrorCode.InvalidArgument,
      });
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString("utf8");
}
