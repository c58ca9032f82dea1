/** `plexus keys split NAME --shares N --threshold K --out DIR`: Shamir shares of a key, one file each. */
import { checkSplitOptions, writeShareFiles } from "@plexus/custody";
import { intOption, positionalArgs, requiredOption, validated } from "../../common-options.js";
import { UsageError } from "../../errors.js";
import { checkKeyName, loadKey } from "../../session.js";
import { COMMAND, type KeysSubcommand } from "./shared.js";

export const splitKey: KeysSubcommand = {
  async run({ common, values, out }, args) {
    const [name] = positionalArgs(args, ["NAME"], COMMAND) as [string];
    checkKeyName(name, COMMAND, "NAME");
    const shares = intOption(values, "shares", COMMAND, 2, 255);
    const threshold = intOption(values, "threshold", COMMAND, 2, 255);
    if (shares === undefined) throw new UsageError("missing --shares N (how many share files to write)", COMMAND);
    if (threshold === undefined)
      throw new UsageError("missing --threshold K (how many shares restore the key)", COMMAND);
    const outDir = requiredOption(values, "out", "DIR (the folder for the share files)", COMMAND);
    validated(COMMAND, () => checkSplitOptions({ shares, threshold }));

    const key = await loadKey(common, name, COMMAND);
    const seed = key.exportSeed();
    let written;
    try {
      written = await writeShareFiles(seed, { shares, threshold, outDir, name });
    } finally {
      seed.fill(0);
    }
    out.info(
      `plexus: split key "${name}" (${written.did}) into ${shares} shares, any ${threshold} restore it (split ${written.splitId})`,
    );
    if (out.json)
      out.data("", { name, did: written.did, splitId: written.splitId, threshold, shares, files: written.files });
    else for (const file of written.files) out.data(file, file);
    out.info(
      `plexus: give each share to a different custodian. The key file is still in ${common.keys}; remove it if the key should exist only as shares (restore it with: plexus keys combine SHARE...)`,
    );
  },
};
