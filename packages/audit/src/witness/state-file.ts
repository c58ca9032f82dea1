/**
 * A witness's state on disk: one JSON file per (witness, log), written atomically (a 0600 temporary file in the same
 * folder, synced, then renamed over the old one) so a crash leaves the old state or the new one, never half of
 * either. This file is the witness's copy outside the mesh's account: what `audit verify --witness` reads.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { ErrorCode, PlexusError } from "@plexus/core";
import { WITNESS_STATE_FORMAT, type WitnessState } from "./witness.js";

/** The state file's name inside a witness's folder. */
export const WITNESS_STATE_FILE = "state.json";

/** FILE itself, or DIR/state.json when `path` is a folder. */
export async function witnessStatePath(path: string): Promise<string> {
  const s = await stat(path).catch(() => undefined);
  return s?.isDirectory() ? join(path, WITNESS_STATE_FILE) : path;
}

/** The state in `file`, undefined when there is none; a file that is not a witness state throws WITNESS_STATE_INVALID. */
export async function loadWitnessState(file: string): Promise<WitnessState | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return undefined;
    throw err;
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw invalid(file, "not JSON");
  }
  const s = v as Partial<WitnessState>;
  if (s?.format !== WITNESS_STATE_FORMAT) throw invalid(file, `not a ${WITNESS_STATE_FORMAT} file`);
  if (
    typeof s.name !== "string" ||
    typeof s.did !== "string" ||
    typeof s.origin !== "string" ||
    !Array.isArray(s.logKeys) ||
    !Number.isSafeInteger(s.size) ||
    (s.size as number) < 0
  ) {
    throw invalid(file, "missing or malformed name, did, origin, logKeys or size");
  }
  if ((s.size as number) > 0 && (typeof s.root !== "string" || typeof s.note !== "string"))
    throw invalid(file, "a size without root and note");
  return s as WitnessState;
}

/** Writes `state` to `file` atomically, mode 0600 (its folder created 0700 when missing). */
export async function saveWitnessState(file: string, state: WitnessState, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${WITNESS_STATE_FILE}.${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(tmp, "wx", 0o600);
  try {
    await handle.chmod(0o600);
    await handle.writeFile(`${JSON.stringify(state, null, 2)}\n`, "utf8");
    await handle.sync();
    await handle.close();
    await rename(tmp, file);
  } catch (err) {
    await handle.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

function invalid(file: string, why: string): PlexusError {
  return new PlexusError(ErrorCode.InvalidArgument, `${file} is not a witness state: ${why}`, {
    details: { reason: "witness_state", file },
  });
}
