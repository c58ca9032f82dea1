/**
 * One pass over an export's body feeding two async iterables, events and links, each with its own queue (each side
 * can also be taken a chunk's worth at a time, as a BatchedSource). Only the
 * sides being iterated are fed; a side must start before the pass does (both start together in verifyChain), so
 * neither misses lines the other already consumed.
 */
import { ErrorCode, PlexusError } from "@plexus/core";
import type { ChainLink, LogEvent } from "../types.js";
import { parseLine } from "./format.js";
import { ChunkReader, eachLine } from "./lines.js";

class Side<T> implements AsyncIterable<T> {
  queue: T[] = [];
  head = 0;
  open = false;
  readonly #pump: ExportPump;
  readonly #name: string;

  constructor(pump: ExportPump, name: string) {
    this.#pump = pump;
    this.#name = name;
  }

  #take(): void {
    if (this.open || this.#pump.started)
      throw new Error(`an export's ${this.#name} can only be read once, together with the other side from the start`);
    this.open = true;
  }

  #return = async (): Promise<IteratorResult<never>> => {
    this.open = false;
    this.queue = [];
    this.#pump.sideClosed();
    return { done: true, value: undefined };
  };

  /** Pulls chunks until this side has an item queued; false once the pass is over and nothing is left. */
  async #filled(): Promise<boolean> {
    while (this.head >= this.queue.length) {
      if (this.#pump.finished) return false;
      this.queue = [];
      this.head = 0;
      await this.#pump.pull();
    }
    return true;
  }

  /** The side as a BatchedSource (what verifyChain's Cursor takes): everything parsed from one chunk at once. */
  batches(): AsyncIterator<T[]> {
    this.#take();
    return {
      next: async () => {
        if (!(await this.#filled())) return { done: true, value: undefined };
        const batch = this.head === 0 ? this.queue : this.queue.slice(this.head);
        this.queue = [];
        this.head = 0;
        return { done: false, value: batch };
      },
      return: this.#return,
    };
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    this.#take();
    return {
      next: async () => {
        if (!(await this.#filled())) return { done: true, value: undefined };
        const value = this.queue[this.head] as T;
        this.queue[this.head++] = undefined as T;
        return { done: false, value };
      },
      return: this.#return,
    };
  }
}

export class ExportPump {
  readonly events: Side<LogEvent>;
  readonly links: Side<ChainLink>;
  readonly #path: string;
  readonly #checkpointLines: Set<string>;
  #reader: ChunkReader | undefined;
  #reading: Promise<void> | undefined;
  #line = 0;
  #lastN: number;
  started = false;
  finished = false;

  /** `checkpointLines`: the checkpoint lines found by the byte search (any other is a crafted file). */
  constructor(path: string, from: number, checkpointLines: Set<string>) {
    this.#path = path;
    this.#lastN = from - 1;
    this.#checkpointLines = checkpointLines;
    this.events = new Side<LogEvent>(this, "events");
    this.links = new Side<ChainLink>(this, "links");
  }

  /** Parses the next chunk of lines into the open sides' queues (one read at a time, shared by both sides). */
  pull(): Promise<void> {
    this.#reading ??= this.#read().finally(() => (this.#reading = undefined));
    return this.#reading;
  }

  sideClosed(): void {
    if (this.events.open || this.links.open) return;
    this.finished = true;
    this.#reader?.close();
  }

  async #read(): Promise<void> {
    this.started = true;
    this.#reader ??= new ChunkReader(this.#path);
    const buf = await this.#reader.next().catch((err: unknown) => {
      this.finished = true;
      throw new PlexusError(ErrorCode.InvalidArgument, `cannot read export ${this.#path}: ${(err as Error).message}`, {
        cause: err,
      });
    });
    if (buf === undefined) {
      this.finished = true;
      this.#reader.close();
      return;
    }
    eachLine(buf, (b, start, end) => this.#onLine(b.toString("utf8", start, end)));
  }

  #onLine(text: string): void {
    if (++this.#line === 1 || text.trim() === "") return; // the header (read before), blank lines
    const parsed = parseLine(text);
    switch (parsed.kind) {
      case "position":
        if (parsed.event && this.events.open) this.events.queue.push(parsed.event);
        if (parsed.link && this.links.open) this.links.queue.push(parsed.link);
        this.#lastN = (parsed.event ?? parsed.link)?.n ?? this.#lastN;
        return;
      case "checkpoint":
        if (!this.#checkpointLines.has(text)) {
          throw new PlexusError(
            ErrorCode.InvalidArgument,
            `line ${this.#line} of ${this.#path} is a checkpoint written so that a search for "checkpoint" misses it: a crafted file`,
          );
        }
        return;
      case "header":
      case "unreadable": {
        // Evidence: an unreadable position right after the last readable one.
        const n = this.#lastN + 1;
        if (this.events.open) this.events.queue.push({ n, subject: "", data: Buffer.from(text, "utf8"), storedAt: 0 });
        if (this.links.open) this.links.queue.push({ n, event: "", hash: "", subject: "", storedAt: 0 });
        return;
      }
    }
  }
}
