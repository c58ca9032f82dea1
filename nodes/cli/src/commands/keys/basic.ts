/** `plexus keys new | show | list`: create a key, show one, list them all. */
import { publicKeyMultibase } from "@plexus/identity";
import { ErrorCode, isPlexusError } from "@plexus/sdk";
import { positionalArgs } from "../../common-options.js";
import { CliError } from "../../errors.js";
import { checkKeyName, keyStore, loadKey } from "../../session.js";
import { COMMAND, type KeysSubcommand } from "./shared.js";

export const newKey: KeysSubcommand = {
  name: "new",
  usage: "keys new NAME",
  help: `  plexus keys new NAME    create a key and print its DID            (--json: {"name","did"})`,
  options: {},
  async run({ common, out }, args) {
    const [name] = positionalArgs(args, ["NAME"], COMMAND) as [string];
    checkKeyName(name, COMMAND, "NAME");
    const store = keyStore(common);
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
  },
};

export const showKey: KeysSubcommand = {
  name: "show",
  usage: "keys show NAME",
  help: `  plexus keys show NAME   print its DID and public key (multibase)  (--json: {"name","did","publicKeyMultibase","file"})`,
  options: {},
  async run({ common, out }, args) {
    const [name] = positionalArgs(args, ["NAME"], COMMAND) as [string];
    checkKeyName(name, COMMAND, "NAME");
    const key = await loadKey(common, name, COMMAND);
    const multibase = publicKeyMultibase(key.publicKey);
    const file = keyStore(common).pathOf(name);
    out.data(`name       ${name}\ndid        ${key.did}\npublicKey  ${multibase}  (Ed25519, multibase base58btc)\nfile       ${file}`, {
      name,
      did: key.did,
      publicKeyMultibase: multibase,
      file,
    });
  },
};

export const listKeys: KeysSubcommand = {
  name: "list",
  usage: "keys list",
  help: `  plexus keys list        print the names and DIDs of all keys      (--json: {"dir","keys":[{"name","did"}]})`,
  options: {},
  async run({ common, out }, args) {
    positionalArgs(args, [], COMMAND);
    const keys = await keyStore(common).list();
    if (out.json) out.data("", { dir: common.keys, keys });
    else if (keys.length === 0) out.info(`plexus: no keys in ${common.keys} (create one with: plexus keys new NAME)`);
    else {
      const width = Math.max(...keys.map((k) => k.name.length));
      for (const k of keys) out.data(`${k.name.padEnd(width)}  ${k.did}`, k);
    }
  },
};
