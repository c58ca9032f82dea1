/**
 * The `plexus keys` entry of the command table: agent keys in the key folder. Each subcommand is a file in this
 * folder (loaded on dispatch) and one entry below; its options are accepted only with it.
 */
import type { CommandImpl, CommandSpec } from "../../table/types.js";
import type { KeysSubcommand } from "./shared.js";

/** A keys subcommand's run(ctx, args) as the table's run(ctx). */
const sub = (s: KeysSubcommand): CommandImpl => ({ run: (ctx) => s.run(ctx, ctx.positionals) });

const subcommands: CommandSpec[] = [
  {
    name: "new",
    summary: "create a key and print its DID",
    usage: "plexus keys new NAME",
    options: {},
    load: () => import("./basic.js").then((m) => sub(m.newKey)),
  },
  {
    name: "show",
    summary: "print a key's DID and public key",
    usage: "plexus keys show NAME",
    options: {},
    load: () => import("./basic.js").then((m) => sub(m.showKey)),
  },
  {
    name: "list",
    summary: "list the keys in the key folder",
    usage: "plexus keys list",
    options: {},
    load: () => import("./basic.js").then((m) => sub(m.listKeys)),
  },
  {
    name: "split",
    summary: "split a key into Shamir share files",
    usage: "plexus keys split NAME --shares N --threshold K --out DIR",
    options: {
      shares: { type: "string" },
      threshold: { type: "string" },
      out: { type: "string" },
    },
    optionValues: { out: "file" },
    load: () => import("./split.js").then((m) => sub(m.splitKey)),
  },
  {
    name: "combine",
    summary: "restore a key from K share files",
    usage: "plexus keys combine SHARE... [--name NAME]",
    options: {
      name: { type: "string" },
    },
    optionValues: { out: "file" },
    load: () => import("./combine.js").then((m) => sub(m.combineKey)),
  },
  {
    name: "rotate",
    summary: "move an identity (or the registry) to a new key",
    usage:
      "plexus keys rotate NAME [--compromised] | keys rotate NAME --registry [--from-shares SHARE,...] [--shares N --threshold K --out DIR]",
    options: {
      registry: { type: "boolean" },
      compromised: { type: "boolean" },
      "from-shares": { type: "string" },
      shares: { type: "string" },
      threshold: { type: "string" },
      out: { type: "string" },
    },
    optionValues: { out: "file" },
    load: () => import("./rotate.js").then((m) => sub(m.rotateKey)),
  },
];

const HELP = `  plexus keys new NAME    create a key and print its DID            (--json: {"name","did"})
  plexus keys show NAME   print its DID and public key (multibase)  (--json: {"name","did","publicKeyMultibase","file"})
  plexus keys list        print the names and DIDs of all keys      (--json: {"dir","keys":[{"name","did"}]})
  plexus keys split NAME --shares N --threshold K --out DIR
                          split the key into N share files in DIR (mode 0600), any K of which restore it
                          (Shamir; 2 ≤ K ≤ N ≤ 255). Prints the files' paths, never key material.
                          Each share records the key's DID, so a wrong combination is refused.
                          (--json: {"name","did","splitId","threshold","shares","files"})
  plexus keys combine SHARE... [--name NAME]
                          restore a key from K share files into the key folder, under NAME (default: the
                          name it had when split). Refuses fewer than K shares, damaged or duplicate shares,
                          shares of different splits, and any result that is not the key the shares commit
                          to; never overwrites a different key. (--json: {"name","did","file","splitId","stored"})
  plexus keys rotate NAME [--compromised]
                          rotate an agent's key: the registry moves its record, card, credentials and
                          reputation to a new key (both keys sign). NAME then holds the new key; the old one is
                          kept as NAME.rotated-<time>. From then on nothing the old key signs counts (credentials
                          it issues, ratings, requests, messages: refused as rotated_key). Restart the agent's
                          processes with the new key within the suspect threshold (3 beats) and join again:
                          the switch itself is not a heartbeat lapse. --compromised: the old key leaked; every
                          credential it issued that the log holds is revoked with the rotation (one event).
                          A refused rotation leaves no files behind.
  plexus keys rotate NAME --registry [--from-shares SHARE,...] [--shares N --threshold K --out DIR]
                          rotate a registry's key: appends RegistryKeyRotated (old key signs, new key proves,
                          heartbeat secret carried over); events the old key signs later no longer count.
                          --from-shares takes the old key from K share files instead of the key folder;
                          --shares/--threshold/--out split the new key again (required with --from-shares, and
                          then the new key is written only as shares). Restart the registry nodes with it.
                          (--json: {"name","from","to","seq","archived","shares","revoked"?})`;

export const command: CommandSpec = {
  name: "keys",
  summary: `agent keys: ${subcommands.map((s) => s.name).join(", ")} (Shamir shares with split/combine; rotate moves an identity to a new key)`,
  usage: subcommands.map((s) => s.usage).join("\n  "),
  help: `Agent keys are Ed25519 key pairs stored as <keys dir>/NAME.json (mode 0600, folder 0700); an agent's
identity is the did:key of its public key.

${HELP}`,
  subcommands,
};
