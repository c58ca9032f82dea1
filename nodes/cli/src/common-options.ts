/**
 * Flag parsing shared by every command (node:util parseArgs, strict): the common flags --nats, --mesh, --keys,
 * --nats-auth, --context, --json, their environment and context defaults, and small validators that turn bad input
 * into usage errors (exit 2). The common options' table and help text live in table/ (cheap to load).
 */
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { assertMeshId, Defaults } from "@plexus/core";
import { defaultKeysDir } from "@plexus/identity";
import { UsageError } from "./errors.js";
import { selectedContext } from "./lib/context-store.js";
import type { Output } from "./output.js";
import type { OptionsConfig } from "./table/types.js";

export type { CommandImpl, CommandSpec } from "./table/types.js";

export type { OptionsConfig };
export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface CommonOptions {
  /** NATS URL(s), comma-separated allowed. --nats, $PLEXUS_NATS_URL, nats://127.0.0.1:4222. */
  nats: string;
  /** Mesh id. --mesh, $PLEXUS_MESH, "default". */
  mesh: string;
  /** Key folder. --keys, $PLEXUS_KEYS, ~/.plexus/keys. */
  keys: string;
  /** Whether --keys (or $PLEXUS_KEYS) moved the key folder: hints then repeat it. */
  keysGiven: boolean;
  /** NATS auth folder (operator mode). --nats-auth, $PLEXUS_NATS_AUTH, "nats" next to the key folder; undefined: off. */
  natsAuth: string | undefined;
  json: boolean;
}

export interface CommandContext {
  common: CommonOptions;
  values: OptionValues;
  positionals: string[];
  out: Output;
}

export interface Parsed {
  common: CommonOptions;
  values: OptionValues;
  positionals: string[];
}

function env(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v.trim() === "" ? undefined : v;
}

/**
 * Parses a command's argv (everything after the command and subcommand names) with `options` (the common ones
 * included). Each connection setting comes from its flag, else its environment variable, else the selected
 * context (--context, $PLEXUS_CONTEXT or the current one), else the default.
 */
export function parseCommandArgs(command: string, options: OptionsConfig, argv: string[], useContext = true): Parsed {
  let parsed: { values: OptionValues; positionals: string[] };
  try {
    parsed = parseArgs({ args: joinDashValues(argv, options), options, allowPositionals: true, strict: true }) as {
      values: OptionValues;
      positionals: string[];
    };
  } catch (err) {
    throw new UsageError(parseArgsMessage(err), command);
  }
  const { values, positionals } = parsed;
  const flags = {
    nats: stringOption(values, "nats", command) ?? env("PLEXUS_NATS_URL"),
    mesh: stringOption(values, "mesh", command) ?? env("PLEXUS_MESH"),
    keys: stringOption(values, "keys", command) ?? env("PLEXUS_KEYS"),
    natsAuth: stringOption(values, "nats-auth", command) ?? env("PLEXUS_NATS_AUTH"),
  };
  const contextFlag = stringOption(values, "context", command);
  const complete = Object.values(flags).every((v) => v !== undefined);
  const stored =
    useContext && (contextFlag !== undefined || !complete) ? selectedContext(contextFlag)?.context : undefined;

  const mesh = flags.mesh ?? stored?.mesh ?? Defaults.mesh;
  try {
    assertMeshId(mesh);
  } catch (err) {
    throw new UsageError((err as Error).message, command);
  }
  const keys = flags.keys ?? stored?.keys ?? defaultKeysDir();
  const natsAuth = flags.natsAuth ?? stored?.natsAuth ?? join(dirname(resolve(keys)), "nats");
  const common: CommonOptions = {
    nats: flags.nats ?? stored?.nats ?? Defaults.natsUrl,
    mesh,
    keys,
    keysGiven: flags.keys !== undefined,
    natsAuth: natsAuth === "off" ? undefined : resolve(natsAuth),
    json: values["json"] === true,
  };
  return { common, values, positionals };
}

/** `--since -15m`: a value that starts with "-" and a digit (a time ago) is the flag's value, not another flag. */
function joinDashValues(argv: string[], options: OptionsConfig): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const next = argv[i + 1];
    if (arg === "--") return [...out, ...argv.slice(i)];
    if (arg.startsWith("--") && options[arg.slice(2)]?.type === "string" && next !== undefined && /^-\d/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/** parseArgs's messages are long and mention `strict`; keep the part the user needs. */
function parseArgsMessage(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: string }).code;
  const unknown = /Unknown option '([^']+)'/.exec(msg);
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && unknown) return `unknown option ${unknown[1]}`;
  const missing = /Option '([^']+)' argument missing/.exec(msg);
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && missing) return `option ${missing[1]} needs a value`;
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") return msg.split(".")[0] ?? msg;
  return msg.split("\n")[0] ?? msg;
}

/** A string option; a repeated flag is a usage error rather than a silent "last one wins". */
export function stringOption(values: OptionValues, name: string, command: string): string | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) throw new UsageError(`--${name} given more than once`, command);
  if (typeof v !== "string") throw new UsageError(`--${name} needs a value`, command);
  return v;
}

export function requiredOption(values: OptionValues, name: string, what: string, command: string): string {
  const v = stringOption(values, name, command);
  if (v === undefined || v === "") throw new UsageError(`missing --${name} ${what}`, command);
  return v;
}

/** A whole number in [min, max]. */
export function intOption(
  values: OptionValues,
  name: string,
  command: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  const v = stringOption(values, name, command);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v.trim()) || Number(v) < min || Number(v) > max) {
    throw new UsageError(
      `--${name} must be a whole number${max < Number.MAX_SAFE_INTEGER ? ` from ${min} to ${max}` : ` ≥ ${min}`}, got "${v}"`,
      command,
    );
  }
  return Number(v);
}

/** Seconds, fractions allowed, > 0. */
export function secondsOption(values: OptionValues, name: string, command: string): number | undefined {
  const v = stringOption(values, name, command);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n <= 0 || n > 2_000_000) {
    throw new UsageError(`--${name} must be a number of seconds > 0, got "${v}"`, command);
  }
  return n;
}

/** Exactly these positional arguments, by name (for the messages). */
export function positionalArgs(positionals: string[], names: string[], command: string): string[] {
  if (positionals.length < names.length) {
    throw new UsageError(`missing ${names.slice(positionals.length).join(" and ")}`, command);
  }
  if (positionals.length > names.length) {
    const extra = positionals
      .slice(names.length)
      .map((p) => JSON.stringify(p))
      .join(" ");
    throw new UsageError(`unexpected argument${positionals.length - names.length > 1 ? "s" : ""} ${extra}`, command);
  }
  return positionals;
}

/** Runs a validator from another package; its PlexusError becomes a usage error. */
export function validated<T>(command: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err), command);
  }
}

/** The envelope schema's patterns (schemas/envelope.json), checked before anything connects. */
const TYPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/;
const CONVERSATION_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export function typeOption(values: OptionValues, command: string): string | undefined {
  const t = stringOption(values, "type", command);
  if (t !== undefined && !TYPE_PATTERN.test(t)) {
    throw new UsageError(
      `--type ${JSON.stringify(t)}: use 1-128 of A-Z a-z 0-9 . _ / -, starting with a letter or digit`,
      command,
    );
  }
  return t;
}

export function conversationOption(values: OptionValues, command: string): string | undefined {
  const c = stringOption(values, "conversation", command);
  if (c !== undefined && !CONVERSATION_PATTERN.test(c)) {
    throw new UsageError(`--conversation ${JSON.stringify(c)}: use 1-128 of A-Z a-z 0-9 . _ : -`, command);
  }
  return c;
}
