/** What the messaging commands share: loading the caller's key, resolving a recipient, connecting, signals. */
import { Agent, ErrorCode, isPlexusError, KeyStore, type KeyPair } from "@plexus/sdk";
import { resolveAgentRef } from "@plexus/identity";
import { KEY_NAME_PATTERN } from "@plexus/identity/internal";
import type { CommonOptions } from "./common-options.js";
import { CliError, oneLine, UsageError } from "./errors.js";
import type { Output } from "./output.js";
import { agentNatsAuth, explainRefusal } from "./nats-auth.js";
import { watchWrapper } from "./wrapper-watch.js";

export function keyStore(common: CommonOptions): KeyStore {
  return new KeyStore(common.keys);
}

/** How to create a missing key, repeating --keys when the folder is not the default one. */
export function createHint(common: CommonOptions, name: string): string {
  return `plexus keys new ${name}${common.keysGiven ? ` --keys ${common.keys}` : ""}`;
}

export function checkKeyName(name: string, command: string, flag = "--as"): string {
  if (!KEY_NAME_PATTERN.test(name)) {
    throw new UsageError(
      `${flag} ${JSON.stringify(name)} is not a key name: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
      command,
    );
  }
  return name;
}

/** Loads a named key; a missing one is one line saying where it looked and how to create it. */
export async function loadKey(common: CommonOptions, name: string, command: string): Promise<KeyPair> {
  checkKeyName(name, command);
  try {
    return await keyStore(common).load(name);
  } catch (err) {
    if (isPlexusError(err, ErrorCode.KeyNotFound)) {
      throw new CliError(`no key named "${name}" in ${common.keys} (create it with: ${createHint(common, name)})`, {
        cause: err,
      });
    }
    throw err;
  }
}

/** --to: a did:key as is, or a key name in the key folder. */
export async function resolveRecipient(common: CommonOptions, ref: string, command: string): Promise<string> {
  if (!ref.startsWith("did:")) checkKeyName(ref, command, "--to");
  try {
    return await resolveAgentRef(ref, keyStore(common));
  } catch (err) {
    if (isPlexusError(err, ErrorCode.InvalidDid)) throw new CliError(`--to: ${err.message}`, { cause: err });
    if (isPlexusError(err, ErrorCode.KeyNotFound)) {
      throw new CliError(
        `--to ${ref}: not a DID, and no key named "${ref}" in ${common.keys} (pass a did:key:…, or create it with: ${createHint(common, ref)})`,
        {
          cause: err,
        },
      );
    }
    throw err;
  }
}

/** Connects an agent; errors with no caller (a receipt that could not be stored, say) become warnings. */
export async function connectAgent(common: CommonOptions, key: KeyPair, out: Output): Promise<Agent> {
  const natsAuth = await agentNatsAuth(common);
  return Agent.connect({
    key,
    nats: common.nats,
    mesh: common.mesh,
    ...(natsAuth ? { natsAuth } : {}),
    onError: (err) => out.warn(oneLine(err)),
  }).catch(async (err: unknown) => {
    throw await explainRefusal(common, err);
  });
}

export interface SignalWait {
  /** Resolves with the first SIGINT/SIGTERM. */
  readonly signal: Promise<NodeJS.Signals>;
  /** Removes the handlers. */
  dispose(): void;
}

/**
 * Handles SIGINT/SIGTERM: the first one resolves `signal` so the command can close cleanly; a second one while
 * closing exits at once (130).
 */
export function waitForSignal(out: Output): SignalWait {
  let resolve!: (s: NodeJS.Signals) => void;
  const signal = new Promise<NodeJS.Signals>((r) => (resolve = r));
  let count = 0;
  const handler = (s: NodeJS.Signals) => {
    count++;
    if (count === 1) {
      resolve(s);
      return;
    }
    out.info(`plexus: ${s} again: exiting without a clean shutdown`);
    process.exit(130);
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  // Started through npm/npx: the wrapper's end is a SIGTERM that never reached us (wrapper-watch.ts).
  const stopWatch = watchWrapper((pid) => {
    out.info(`plexus: the npm/npx process that started this one (pid ${pid}) exited: stopping`);
    handler("SIGTERM");
  });
  return {
    signal,
    dispose() {
      stopWatch();
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}

/** Resolves after `seconds` (never, when undefined); `cancel` clears the timer. */
export function timeoutAfter(seconds: number | undefined): { promise: Promise<"timeout">; cancel(): void } {
  if (seconds === undefined) return { promise: new Promise<"timeout">(() => undefined), cancel: () => undefined };
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), seconds * 1000)));
  return { promise, cancel: () => clearTimeout(timer) };
}
