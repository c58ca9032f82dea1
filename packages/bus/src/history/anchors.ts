/**
 * The identity anchor of history streams: the server's `created` time of each stream, remembered by a node the first
 * time it sees the stream. A stream deleted and created again under the same name gets a new creation time (the server
 * sets it; a client cannot choose it), so a node comparing it with what it remembered knows the log it follows is not
 * the one it built its state, chain or tasks on, even when the new stream has the right settings and, by now, as many
 * messages. STREAM.UPDATE keeps the creation time, so a legitimate settings change by the operator does not trip it.
 *
 * With a folder the anchors survive restarts (`<dir>/history-anchors.json`, 0600): a stream recreated while the node
 * was down is caught at its next start. Without one they live in memory and catch a recreation during the run (at
 * reconnect or the periodic check). An operator who recreates a stream on purpose (restoring a backup) deletes the
 * file; the node then trusts the stream it finds, as on its first start.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";

export const ANCHORS_FILE = "history-anchors.json";

export interface StreamAnchor {
  /** The stream's creation time as the server reports it (ISO 8601). */
  created: string;
  /** When this node first saw the stream (ISO 8601). */
  firstSeen: string;
}

/** "new" on first sight (now remembered), "same", or the anchor the stream no longer matches. */
export type AnchorMatch = "new" | "same" | { remembered: StreamAnchor };

export class HistoryAnchors {
  readonly #dir: string | undefined;
  #anchors: Record<string, StreamAnchor> | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  /** Anchors kept in `dir` (created when missing), or in memory without one. */
  constructor(dir?: string) {
    this.#dir = dir;
  }

  /** The file, or undefined for memory-only anchors. */
  get file(): string | undefined {
    return this.#dir === undefined ? undefined : join(this.#dir, ANCHORS_FILE);
  }

  /**
   * Remembers `created` for `stream` unless an anchor is already there (an older record of the same stream, such as a
   * snapshot's header, taken as the first sight).
   */
  seed(stream: string, created: string, seenAt: string = new Date().toISOString()): Promise<void> {
    const run = this.#queue.then(async () => {
      const anchors = (this.#anchors ??= await this.#load());
      if (anchors[stream]) return;
      anchors[stream] = { created, firstSeen: seenAt };
      await this.#save(anchors);
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Compares `created` with the anchor of `stream`, remembering it on first sight. One call at a time. */
  match(stream: string, created: string): Promise<AnchorMatch> {
    const run = this.#queue.then(() => this.#match(stream, created));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #match(stream: string, created: string): Promise<AnchorMatch> {
    const anchors = (this.#anchors ??= await this.#load());
    const remembered = anchors[stream];
    if (remembered) return remembered.created === created ? "same" : { remembered };
    anchors[stream] = { created, firstSeen: new Date().toISOString() };
    await this.#save(anchors);
    return "new";
  }

  async #load(): Promise<Record<string, StreamAnchor>> {
    const file = this.file;
    if (!file) return {};
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
      throw err;
    }
    // A file this node wrote; one it cannot read is not silently replaced (that would forget the anchors).
    const parsed = JSON.parse(text) as { version?: number; streams?: Record<string, StreamAnchor> };
    return { ...(parsed.streams ?? {}) };
  }

  async #save(anchors: Record<string, StreamAnchor>): Promise<void> {
    const file = this.file;
    if (!file || !this.#dir) return;
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.tmp`;
    await writeFile(tmp, `${JSON.stringify({ version: 1, streams: anchors }, null, 2)}\n`, { mode: 0o600 });
    await rename(tmp, file);
  }
}
