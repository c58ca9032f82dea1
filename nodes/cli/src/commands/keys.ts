/**
 * `plexus keys`: agent keys in the key folder. Each subcommand is a file in ./keys/ and one entry in SUBCOMMANDS;
 * its options are accepted only with it.
 */
import type { CommandDef, OptionsConfig } from "../common-options.js";
import { UsageError } from "../errors.js";
import { listKeys, newKey, showKey } from "./keys/basic.js";
import { combineKey } from "./keys/combine.js";
import { rotateKey } from "./keys/rotate.js";
import { COMMAND, type KeysSubcommand } from "./keys/shared.js";
import { splitKey } from "./keys/split.js";

const SUBCOMMANDS: readonly KeysSubcommand[] = [newKey, showKey, listKeys, splitKey, combineKey, rotateKey];

const names = SUBCOMMANDS.map((s) => s.name);
const namesText = `${names.slice(0, -1).join(", ")} or ${names.at(-1)}`;

function checkOptions(sub: KeysSubcommand, values: Record<string, unknown>): void {
  for (const other of SUBCOMMANDS) {
    if (other === sub) continue;
    for (const name of Object.keys(other.options)) {
      if (values[name] !== undefined && !(name in sub.options)) throw new UsageError(`--${name} is not an option of "plexus keys ${sub.name}"`, COMMAND);
    }
  }
}

export const keysCommand: CommandDef = {
  name: COMMAND,
  summary: `agent keys: ${names.join(", ")} (Shamir shares with split/combine; rotate moves an identity to a new key)`,
  usage: SUBCOMMANDS.map((s) => `plexus ${s.usage}`).join("\n  "),
  help: `Agent keys are Ed25519 key pairs stored as <keys dir>/NAME.json (mode 0600, folder 0700); an agent's
identity is the did:key of its public key.

${SUBCOMMANDS.map((s) => s.help).join("\n")}`,
  options: Object.assign({}, ...SUBCOMMANDS.map((s) => s.options)) as OptionsConfig,
  async run(ctx) {
    const [name, ...rest] = ctx.positionals;
    if (name === undefined) throw new UsageError(`missing a subcommand: ${namesText}`, COMMAND);
    const sub = SUBCOMMANDS.find((s) => s.name === name);
    if (!sub) throw new UsageError(`unknown subcommand ${JSON.stringify(name)}: use ${namesText}`, COMMAND);
    checkOptions(sub, ctx.values);
    return sub.run(ctx, rest);
  },
};
