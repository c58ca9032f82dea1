/** `plexus keys combine SHARE... [--name NAME]`: restore a split key into the key folder. */
import { readShareFiles, restoreKeyPair } from "@plexus/custody";
import { ErrorCode, isPlexusError } from "@plexus/core";
import { stringOption } from "../../common-options.js";
import { CliError, UsageError } from "../../errors.js";
import { checkKeyName, keyStore } from "../../session.js";
import { COMMAND, type KeysSubcommand } from "./shared.js";

export const combineKey: KeysSubcommand = {
  async run({ common, values, out }, args) {
    if (args.length === 0)
      throw new UsageError("missing SHARE (give the share files, at least the threshold of them)", COMMAND);
    const nameFlag = stringOption(values, "name", COMMAND);
    if (nameFlag !== undefined) checkKeyName(nameFlag, COMMAND, "--name");

    let restored;
    try {
      restored = restoreKeyPair(await readShareFiles(args));
    } catch (err) {
      if (isPlexusError(err))
        throw new CliError(`cannot restore the key: ${err.message} [${err.code}]`, { cause: err });
      throw err;
    }
    const { keyPair, splitId } = restored;
    const name = nameFlag ?? restored.label;
    if (name === undefined) throw new UsageError("the shares record no key name: give --name NAME", COMMAND);

    const store = keyStore(common);
    const file = store.pathOf(name);
    let stored = true;
    if (await store.has(name)) {
      const existing = await store.load(name);
      if (existing.did !== keyPair.did) {
        throw new CliError(
          `a different key named "${name}" (${existing.did}) is already in ${common.keys}; not overwriting it: choose another --name`,
          { code: ErrorCode.KeyExists },
        );
      }
      stored = false;
      out.info(`plexus: the key "${name}" in ${common.keys} is already this key; left as it is`);
    } else {
      await store.add(name, keyPair);
      out.info(`plexus: restored key "${name}" from ${args.length} shares of split ${splitId} into ${file}`);
    }
    out.data(keyPair.did, { name, did: keyPair.did, file, splitId, stored });
  },
};
