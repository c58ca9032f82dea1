/**
 * Human vs --json printing. Data goes to stdout (one JSON document per line with --json), progress and info to
 * stderr, so `plexus listen --json | jq` sees only data. With --json, the warnings and errors a running command
 * reports and survives are one JSON object per line on stderr too, in the shape of the failure that ends a command
 * (errors.ts): `{"error":{"code","message","retryable","help"}}` (code FAILED unless the caller names one) and
 * `{"warning":{"message"}}`; a reader tells them from the last line by the exit code. Info lines (progress,
 * "plexus: ready: …") stay text.
 */
import { ErrorCode, wireError } from "@plexus/core";
import type { Delivery } from "@plexus/sdk";
import { deliveryJson } from "@plexus/sdk/internal";

export interface Output {
  readonly json: boolean;
  /** One record on stdout: `human` as is, or `data` as one JSON line. */
  data(human: string, data: unknown): void;
  /** A line of progress or information on stderr. */
  info(line: string): void;
  /** A warning on stderr (always shown; --json: `{"warning":{"message"}}`). */
  warn(line: string): void;
  /**
   * An error a running command reports and survives (always shown), e.g. a node refusing its mesh log
   * (--json: `{"error":{…}}` with `code`, default FAILED).
   */
  error(line: string, code?: ErrorCode): void;
}

/**
 * Text another party wrote (a record's detail, a message body) reaches the terminal only without control characters:
 * an ESC sequence in a hostile record could otherwise rewrite the operator's screen. Tab and newline stay.
 */
export function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: this replaces control characters
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, "\ufffd");
}

export function createOutput(
  json: boolean,
  streams: { out?: NodeJS.WritableStream; err?: NodeJS.WritableStream } = {},
): Output {
  const out = streams.out ?? process.stdout;
  const err = streams.err ?? process.stderr;
  return {
    json,
    data(human, data) {
      out.write(`${json ? JSON.stringify(data) : printable(human)}\n`);
    },
    info(line) {
      err.write(`${line}\n`);
    },
    warn(line) {
      err.write(json ? `${JSON.stringify({ warning: { message: line } })}\n` : `plexus: warning: ${line}\n`);
    },
    error(line, code = ErrorCode.Failed) {
      err.write(json ? `${JSON.stringify({ error: wireError(code, line) })}\n` : `plexus: error: ${line}\n`);
    },
  };
}

/** `did:key:z6MkhaXg…2doK`: enough to tell agents apart on a line. */
export function shortDid(did: string): string {
  const prefix = "did:key:";
  if (!did.startsWith(prefix)) return did.length > 24 ? `${did.slice(0, 16)}…${did.slice(-4)}` : did;
  const token = did.slice(prefix.length);
  return token.length > 14 ? `${prefix}${token.slice(0, 8)}…${token.slice(-4)}` : did;
}

function compactJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? "null";
  } catch {
    return String(value);
  }
}

/** One readable line per message: time, sender, type, conversation, body JSON, and the redelivered flag. */
export function deliveryLine(d: Delivery): string {
  const parts = [
    new Date(d.ts).toISOString(),
    `from ${shortDid(d.from)}`,
    ...(d.topic !== undefined ? [`topic ${d.topic}`] : []),
    `type ${d.type}`,
    `conv ${d.conversation ?? "-"}`,
    compactJson(d.body),
  ];
  if (d.redelivered) parts.push("(redelivered)");
  return parts.join("  ");
}

export function printDelivery(out: Output, d: Delivery): void {
  out.data(deliveryLine(d), deliveryJson(d));
}

/** BODY is JSON when it parses as JSON, else the string itself. */
export function parseBody(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Messages on record subjects that were not records of their kind: one warning line each, on stderr. */
export function printInvalid(
  out: Output,
  invalid: readonly { position: number; subject: string; detail: string }[],
  kind: string,
): void {
  for (const x of invalid)
    out.warn(printable(`#${x.position} on ${x.subject} is not one of the ${kind}, skipped: ${x.detail}`));
}
