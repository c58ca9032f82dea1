import { publicKeyMultibase } from "@plexus/identity";
import { ErrorCode, isPlexusError } from "@plexus/sdk";
import { positionalArgs, type CommandDef } from "../common-options.js";
import { CliError, UsageError } from "../errors.js";
import { checkKeyName, keyStore, loadKey } from "../session.js";

export const keysCommand: CommandDef = {
  name: "keys",
  summary: "create, show and list agent keys (new NAME | show NAME | list)",
  usage: "plexus keys new NAME | plexus keys show NAME | plexus keys list",
  help: `Agent keys are Ed25519 key pairs stored as <keys dir>/NAME.json (mode 0600, folder 0700); an agent's
identity is the did:key of its public key.

  plexus keys new NAME    create a key and print its DID            (--json: {"name","did"})
  plexus keys show NAME   print its DID and public key (multibase)  (--json: {"name","did","publicKeyMultibase","file"})
  plexus keys list        print the names and DIDs of all keys      (--json: {"dir","keys":[{"name","did"}]})`,
  options: {},
  async run({ common, positionals, out }) {
    const [sub, ...rest] = positionals;
    const store = keyStore(common);
    switch (sub) {
      case "new": {
        const [name] = positionalArgs(rest, ["NAME"], "keys") as [string];
        checkKeyName(name, "keys", "NAME");
        let did: string;
        try {
          did = (await store.create(name)).did;
        } catch (err) {
          if (isPlexusError(err, ErrorCode.KeyExists)) {
            throw new CliError(`a key named "${name}" already exists in ${common.keys} (see it with: plexus keys show ${name})`, { cause: err });
          }
          throw err;
        }
        out.info(`plexus: created key "${name}" in ${store.pathOf(name)}`);
        out.data(did, { name, did });
        return;
      }
      case "show": {
        const [name] = positionalArgs(rest, ["NAME"], "keys") as [string];
        checkKeyName(name, "keys", "NAME");
        const key = await loadKey(common, name, "keys");
        const multibase = publicKeyMultibase(key.publicKey);
        const file = store.pathOf(name);
        out.data(`name       ${name}\ndid        ${key.did}\npublicKey  ${multibase}  (Ed25519, multibase base58btc)\nfile       ${file}`, {
          name,
          did: key.did,
          publicKeyMultibase: multibase,
          file,
        });
        return;
      }
      case "list": {
        positionalArgs(rest, [], "keys");
        const keys = await store.list();
        if (out.json) out.data("", { dir: common.keys, keys });
        else if (keys.length === 0) out.info(`plexus: no keys in ${common.keys} (create one with: plexus keys new NAME)`);
        else {
          const width = Math.max(...keys.map((k) => k.name.length));
          for (const k of keys) out.data(`${k.name.padEnd(width)}  ${k.did}`, k);
        }
        return;
      }
      case undefined:
        throw new UsageError("missing a subcommand: new, show or list", "keys");
      default:
        throw new UsageError(`unknown subcommand ${JSON.stringify(sub)}: use new, show or list`, "keys");
    }
  },
};
