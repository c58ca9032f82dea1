/**
 * Share files on disk: one JSON file per share, written with mode 0600 (folder 0700 when created), never
 * overwriting; and reading them back with the file name in every message (never the content).
 */
import { chmod, mkdir, readFile, unlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import { ErrorCode, PlexusError } from "@plexus/core";
import { keyPairFromSeed } from "@plexus/identity";
import { errnoCode, writeNewPrivateFile } from "@plexus/identity/internal";
import { parseShare, serializeShare, type KeyShare } from "./share-format.js";
import { splitSeed } from "./split.js";

export interface WriteShareFilesOptions {
  /** n (2..255). */
  shares: number;
  /** k (2..n). */
  threshold: number;
  /** Folder for the files (created 0700 if missing). */
  outDir: string;
  /** The key's name: recorded in the shares and used in the file names. */
  name: string;
}

export interface WrittenShares {
  did: string;
  splitId: string;
  threshold: number;
  total: number;
  /** Absolute paths, in index order. */
  files: string[];
}

/** `NAME-<split id prefix>-share-I-of-N.json`: shares of different splits never collide. */
export function shareFileName(share: KeyShare, name: string): string {
  return `${name}-${share.splitId.slice(0, 8)}-share-${share.index}-of-${share.total}.json`;
}

/**
 * Splits `seed` and writes one file per share. Used by `plexus keys split`, and to split a key again after a
 * rotation. Nothing is overwritten: an existing file fails the call and the files written so far are removed.
 */
export async function writeShareFiles(seed: Uint8Array, o: WriteShareFilesOptions): Promise<WrittenShares> {
  const shares = splitSeed(seed, { shares: o.shares, threshold: o.threshold, label: o.name });
  const dir = resolve(o.outDir);
  if ((await mkdir(dir, { recursive: true, mode: 0o700 })) !== undefined) await chmod(dir, 0o700);
  const files: string[] = [];
  try {
    for (const share of shares) {
      const file = join(dir, shareFileName(share, o.name));
      await writePrivate(file, serializeShare(share));
      files.push(file);
    }
  } catch (err) {
    await Promise.all(files.map((f) => unlink(f).catch(() => undefined)));
    throw err;
  }
  return {
    did: keyPairFromSeed(seed).did,
    splitId: shares[0]!.splitId,
    threshold: o.threshold,
    total: o.shares,
    files,
  };
}

async function writePrivate(file: string, text: string): Promise<void> {
  try {
    await writeNewPrivateFile(file, text);
  } catch (err) {
    if (errnoCode(err) === "EEXIST")
      throw new PlexusError(ErrorCode.InvalidArgument, `${file} already exists; not overwriting a share file`, {
        details: { file },
      });
    throw err;
  }
}

/** Reads and checks one share file (SHARE_INVALID names the file; a missing file is INVALID_ARGUMENT). */
export async function readShareFile(file: string): Promise<KeyShare> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const why =
      errnoCode(err) === "ENOENT"
        ? "no such file"
        : errnoCode(err) === "EISDIR"
          ? "it is a folder"
          : (errnoCode(err) ?? "unreadable");
    throw new PlexusError(ErrorCode.InvalidArgument, `cannot read share file ${file}: ${why}`, {
      cause: err,
      details: { file },
    });
  }
  return parseShare(text, `share file ${file}`);
}

export function readShareFiles(files: readonly string[]): Promise<KeyShare[]> {
  return Promise.all(files.map(readShareFile));
}
