/** The registry's signing key (registry start, up, audit seal): --registry-key NAME, created when missing. */
import { KeyStore, type KeyPair } from "@plexus/identity";
import { stringOption, type CommonOptions, type OptionValues } from "../common-options.js";
import { checkKeyName } from "../session.js";
import { DEFAULT_REGISTRY_KEY } from "./defaults.js";

export { DEFAULT_REGISTRY_KEY };

/** --registry-key NAME from the key folder, created when missing (the registry's and the audit sealer's identity). */
export async function registryKey(
  common: CommonOptions,
  values: OptionValues,
  command: string,
  info: (line: string) => void,
): Promise<KeyPair> {
  const name = checkKeyName(
    stringOption(values, "registry-key", command) ?? DEFAULT_REGISTRY_KEY,
    command,
    "--registry-key",
  );
  const store = new KeyStore(common.keys);
  if (await store.has(name)) return store.load(name);
  const key = await store.create(name);
  info(`plexus: created the registry key "${name}" (${key.did}) in ${common.keys}`);
  return key;
}
