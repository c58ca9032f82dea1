import { open, unlink } from "node:fs/promises";

/**
 * Writes `text` to a file that must not exist yet (an existing one is never overwritten: its EEXIST error is thrown as
 * is), readable by its owner only (mode 0600, set again after open to beat the umask and inherited ACL defaults) and
 * synced to disk. A write that fails part-way removes the file. For key files and key shares.
 */
export async function writeNewPrivateFile(file: string, text: string): Promise<void> {
  const handle = await open(file, "wx", 0o600);
  try {
    await handle.chmod(0o600);
    await handle.writeFile(text, "utf8");
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await unlink(file).catch(() => undefined);
    throw err;
  }
  await handle.close();
}

/** The errno code of a file-system error (EEXIST, ENOENT…), if it has one. */
export function errnoCode(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err ? String((err as { code: unknown }).code) : undefined;
}
