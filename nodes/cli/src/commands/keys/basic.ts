/** `plexus keys new | show | list`: create a key, show one, list them all. */
import { publicKeyMultibase } from "@plexus/identity";
import { ErrorCode, isPlexusError } from "@plexus/sdk";
import { positionalArgs } from "../../common-options.js";
import { CliError } from "../../errors.js";
import { checkKeyName, keyStore, loadKey } from "../../session.js";
import { COMMAND, type KeysSubcommand } from "./shared.js";

export const newKey: KeysSubcommand = {
  async run({ common, out }, args) {
    const [name] = positionalArgs(args, ["NAME"], COMMAND) as [string];
    checkKeyName(name, COMMAND, "NAME");
    const store = keyStore(common);
    let did: string;
    try {
      did = (await store.create(name)).did;
    } catch (err) {
      if (isPlexusError(err, ErrorCode.KeyExists)) {
        throw new CliError(
          `a key named "${name}" already exists in ${common.keys} (see it with: plexus keys show ${name})`,
          { cause: err },
        );
      }
      throw err;
    }
    out.info(`plexus: created key "${name}" in ${store.pathOf(name)}`);
    out.data(did, { name, did });
  },
};

export const showKey: KeysSubcommand = {
  async run({ common, out }, args) {
    const [name] = positionalArgs(args, ["NAME"], COMMAND) as [string];
    checkKeyName(name, COMMAND, "NAME");
    const key = await loadKey(common, name, COMMAND);
    const multibase = publicKeyMultibase(key.publicKey);
    const file = keyStore(common).pathOf(name);
    out.data(
      `name       ${name}\ndid        ${key.did}\npublicKey  ${multibase}  (Ed25519, multibase base58btc)\nfile       ${file}`,
      {
        name,
        did: key.did,
        publicKeyMultibase: multibase,
        file,
      },
    );
  },
};

export const listKeys: KeysSubcommand = {
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
