/**
 * Named Ed25519 keys on disk: `<dir>/<name>.json`, written with mode 0600 in a 0700 directory.
 * Errors name the file and folder but never include file contents (the seed).
 */
import { chmod, mkdir, readFile, readdir, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { PlexusError, ErrorCode } from "@plexus/core";
import { DID_KEY_PREFIX, publicKeyFromDid, publicKeyMultibase } from "./did-key.js";
import { generateKeyPair, keyPairFromSeed } from "./keypair.js";
import type { KeyPair } from "./keypair.js";
import { errnoCode, writeNewPrivateFile } from "./private-file.js";

export const KEY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const KEY_FILE_VERSION = 1;

/** The JSON stored in a key file. */
export interface KeyFile {
  version: 1;
  name: string;
  did: string;
  publicKeyMultibase: string;
  /** base64url (no padding) of the 32-byte Ed25519 seed. */
  seed: string;
  /** ISO 8601 creation time. */
  created: string;
}

export interface KeyListEntry {
  name: string;
  did: string;
}

/** `$PLEXUS_KEYS` if set, else `~/.plexus/keys`. */
export function defaultKeysDir(): string {
  const fromEnv = process.env["PLEXUS_KEYS"];
  return fromEnv ? fromEnv : join(homedir(), ".plexus", "keys");
}

function checkName(name: string): void {
  if (typeof name !== "string" || !KEY_NAME_PATTERN.test(name)) {
    const shown = typeof name === "string" ? JSON.stringify(name.slice(0, 80)) : typeof name;
    throw new PlexusError(
      ErrorCode.InvalidArgument,
      `invalid key name ${shown}: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
}

const SEED_BASE64URL = /^[A-Za-z0-9_-]{43}$/;

export class KeyStore {
  readonly dir: string;

  constructor(dir: string = defaultKeysDir()) {
    this.dir = dir;
  }

  /** Path of the key file for `name` (validated). */
  pathOf(name: string): string {
    checkName(name);
    return join(this.dir, `${name}.json`);
  }

  /** Creates and stores a new random key. Throws KEY_EXISTS if `name` is taken. */
  async create(name: string): Promise<KeyPair> {
    const keyPair = generateKeyPair();
    await this.add(name, keyPair);
    return keyPair;
  }

  /** Stores a given key (one restored from Shamir shares, say) under `name`. Throws KEY_EXISTS if `name` is taken. */
  async add(name: string, keyPair: KeyPair): Promise<void> {
    const file = this.pathOf(name);
    const created = await mkdir(this.dir, { recursive: true, mode: 0o700 });
    if (created !== undefined) {
      // mkdir's mode is filtered by the umask; make the folder we created private regardless.
      await chmod(this.dir, 0o700);
    }

    const seed = keyPair.exportSeed();
    const content: KeyFile = {
      version: KEY_FILE_VERSION,
      name,
      did: keyPair.did,
      publicKeyMultibase: publicKeyMultibase(keyPair.publicKey),
      seed: Buffer.from(seed).toString("base64url"),
      created: new Date().toISOString(),
    };
    seed.fill(0);

    try {
      await writeNewPrivateFile(file, `${JSON.stringify(content, null, 2)}\n`);
    } catch (err) {
      if (errnoCode(err) === "EEXIST") {
        throw new PlexusError(ErrorCode.KeyExists, `a key named "${name}" already exists in ${this.dir}`, {
          details: { name, file },
        });
      }
      throw err;
    }
  }

  /**
   * Loads a stored key. Throws KEY_NOT_FOUND if there is no such key, KEY_FILE_INVALID if the file is corrupt
   * or its DID does not match its seed.
   */
  async load(name: string): Promise<KeyPair> {
    const file = this.pathOf(name);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      if (errnoCode(err) === "ENOENT") {
        throw new PlexusError(
          ErrorCode.KeyNotFound,
          `no key named "${name}" in ${this.dir}; create one with \`plexus keys new ${name}\``,
          { details: { name, dir: this.dir } },
        );
      }
      throw err;
    }
    return parseKeyFile(text, name, file);
  }

  /** Whether a key file exists for `name` (validated). */
  async has(name: string): Promise<boolean> {
    const file = this.pathOf(name);
    try {
      return (await stat(file)).isFile();
    } catch (err) {
      if (errnoCode(err) === "ENOENT") return false;
      throw err;
    }
  }

  /** Valid keys in the folder, sorted by name. Files that are not valid key files are skipped. */
  async list(): Promise<KeyListEntry[]> {
    let entries: string[];
    try {
      entries = await readdir(this.dir);
    } catch (err) {
      if (errnoCode(err) === "ENOENT") return [];
      throw err;
    }
    const names = entries
      .filter((f) => f.endsWith(".json"))
      .map((f) => f.slice(0, -".json".length))
      .filter((n) => KEY_NAME_PATTERN.test(n))
      .sort();
    const out: KeyListEntry[] = [];
    for (const name of names) {
      try {
        const keyPair = await this.load(name);
        out.push({ name, did: keyPair.did });
      } catch (err) {
        if (err instanceof PlexusError) continue;
        if (errnoCode(err) === "EISDIR") continue;
        throw err;
      }
    }
    return out;
  }
}

function parseKeyFile(text: string, name: string, file: string): KeyPair {
  // Never attach the parser's error or the content: either could carry the seed.
  const invalid = (why: string): PlexusError =>
    new PlexusError(ErrorCode.KeyFileInvalid, `key file ${file} is invalid: ${why}`, { details: { name, file } });

  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw invalid("not valid JSON");
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) throw invalid("not a JSON object");
  const record = data as Record<string, unknown>;
  if (record["version"] !== KEY_FILE_VERSION) throw invalid(`unsupported version (expected ${KEY_FILE_VERSION})`);
  const { did, seed } = record;
  if (typeof did !== "string" || !did.startsWith(DID_KEY_PREFIX)) throw invalid(`"did" is not a did:key`);
  if (typeof seed !== "string" || !SEED_BASE64URL.test(seed)) throw invalid(`"seed" is not a base64url 32-byte seed`);

  const seedBytes = Buffer.from(seed, "base64url");
  let keyPair: KeyPair;
  try {
    keyPair = keyPairFromSeed(seedBytes);
  } finally {
    seedBytes.fill(0);
  }
  if (keyPair.did !== did) throw invalid(`its DID ${JSON.stringify(did.slice(0, 80))} does not match its seed`);
  const multibase = record["publicKeyMultibase"];
  if (multibase !== undefined && multibase !== did.slice(DID_KEY_PREFIX.length)) {
    throw invalid(`"publicKeyMultibase" does not match its seed`);
  }
  return keyPair;
}

/** A did:key is returned as is (validated); anything else is taken as a key name in `store` and resolved to its DID. */
export async function resolveAgentRef(ref: string, store: KeyStore = new KeyStore()): Promise<string> {
  if (typeof ref === "string" && ref.startsWith("did:")) {
    publicKeyFromDid(ref); // throws INVALID_DID with the specific reason
    return ref;
  }
  return (await store.load(ref)).did;
}
