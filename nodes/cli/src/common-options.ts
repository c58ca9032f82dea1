/**
 * Flag parsing shared by every command (node:util parseArgs, strict): the common flags --nats, --mesh, --keys,
 * --json, --help, their environment defaults, and small validators that turn bad input into usage errors (exit 2).
 */
import { dirname, join, resolve } from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { assertMeshId, Defaults } from "@plexus/core";
import { defaultKeysDir } from "@plexus/identity";
import { UsageError } from "./errors.js";
import type { Output } from "./output.js";

export type OptionsConfig = NonNullable<ParseArgsConfig["options"]>;
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

export const COMMON_OPTIONS = {
  nats: { type: "string" },
  mesh: { type: "string" },
  keys: { type: "string" },
  "nats-auth": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies OptionsConfig;

export const COMMON_HELP = `Common options:
  --nats URL     NATS server URL(s), comma-separated (env PLEXUS_NATS_URL, default ${Defaults.natsUrl})
  --mesh ID      mesh id (env PLEXUS_MESH, default "${Defaults.mesh}")
  --keys DIR     key folder (env PLEXUS_KEYS, default ~/.plexus/keys)
  --nats-auth DIR|off
                 NATS auth folder of a server in operator mode (env PLEXUS_NATS_AUTH, default "nats" next to the
                 key folder, ~/.plexus/nats): agents get their own NATS user through it, operator commands use the
                 mesh's service user; without the mesh's files there, or with off, connections carry no credentials
  --json         machine-readable output: one JSON document per line on stdout
  -h, --help     show this help`;

export interface CommandContext {
  common: CommonOptions;
  values: OptionValues;
  positionals: string[];
  out: Output;
}

export interface CommandDef {
  name: string;
  /** One line for `plexus --help`. */
  summary: string;
  /** The usage line(s), printed with usage errors. */
  usage: string;
  /** Description and command-specific options, for `plexus CMD --help`. */
  help: string;
  options: OptionsConfig;
  /** Returns the exit code (default 0). Throws UsageError (exit 2) / CliError / anything else (the exit code of its error code). */
  run(ctx: CommandContext): Promise<number | void>;
}

export type Parsed = { help: true } | { help: false; common: CommonOptions; values: OptionValues; positionals: string[] };

function env(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v.trim() === "" ? undefined : v;
}

/** Parses a command's argv (everything after the command name). */
export function parseCommandArgs(def: CommandDef, argv: string[]): Parsed {
  const wantsHelp = argv.some((a) => a === "--help" || a === "-h");
  let parsed: { values: OptionValues; positionals: string[] };
  try {
    const options = { ...COMMON_OPTIONS, ...def.options };
    parsed = parseArgs({ args: joinDashValues(argv, options), options, allowPositionals: true, strict: true }) as {
      values: OptionValues;
      positionals: string[];
    };
  } catch (err) {
    if (wantsHelp) return { help: true };
    throw new UsageError(parseArgsMessage(err), def.name);
  }
  const { values, positionals } = parsed;
  if (values["help"] === true) return { help: true };

  const mesh = stringOption(values, "mesh", def.name) ?? env("PLEXUS_MESH") ?? Defaults.mesh;
  try {
    assertMeshId(mesh);
  } catch (err) {
    throw new UsageError((err as Error).message, def.name);
  }
  const keysFlag = stringOption(values, "keys", def.name);
  const keys = keysFlag ?? defaultKeysDir();
  const natsAuth = stringOption(values, "nats-auth", def.name) ?? env("PLEXUS_NATS_AUTH") ?? join(dirname(resolve(keys)), "nats");
  const common: CommonOptions = {
    nats: stringOption(values, "nats", def.name) ?? env("PLEXUS_NATS_URL") ?? Defaults.natsUrl,
    mesh,
    keys,
    keysGiven: keysFlag !== undefined || env("PLEXUS_KEYS") !== undefined,
    natsAuth: natsAuth === "off" ? undefined : resolve(natsAuth),
    json: values["json"] === true,
  };
  return { help: false, common, values, positionals };
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
export function intOption(values: OptionValues, name: string, command: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = stringOption(values, name, command);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v.trim()) || Number(v) < min || Number(v) > max) {
    throw new UsageError(`--${name} must be a whole number${max < Number.MAX_SAFE_INTEGER ? ` from ${min} to ${max}` : ` ≥ ${min}`}, got "${v}"`, command);
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
    const extra = positionals.slice(names.length).map((p) => JSON.stringify(p)).join(" ");
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
    throw new UsageError(`--type ${JSON.stringify(t)}: use 1-128 of A-Z a-z 0-9 . _ / -, starting with a letter or digit`, command);
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
