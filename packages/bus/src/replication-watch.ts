/**
 * What a node (registry node, sealer) knows of its mesh's replication: the report read at start and again every
 * `intervalMs` (default 30 s), for its status, and one log line per warning when it first appears (at start: every
 * stream below what the mesh asks). A warning that goes away is said too, once. Reading never stops the node: a
 * failed read keeps the last report and is logged once.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { replicationReport, type ReplicationReport } from "./replication-report.js";

export interface ReplicationWatchOptions {
  nc: NatsConnection;
  mesh: string;
  /** Lines for people: "warn" for a stream below what the mesh asks. */
  log?: (level: "info" | "warn", line: string) => void;
  /** Read again this often (ms; default 30 000; 0: only at start). */
  intervalMs?: number;
}

export interface ReplicationWatch {
  /** The last report read (undefined until the first read succeeded). */
  current(): ReplicationReport | undefined;
  /** Reads now (what the timer does). */
  refresh(): Promise<ReplicationReport | undefined>;
  stop(): void;
}

/** Starts watching: the first read is done when this resolves. */
export async function watchReplication(o: ReplicationWatchOptions): Promise<ReplicationWatch> {
  const watch = new Watch(o);
  await watch.refresh();
  const every = o.intervalMs ?? 30_000;
  if (every > 0) watch.schedule(every);
  return watch;
}

class Watch implements ReplicationWatch {
  readonly #o: ReplicationWatchOptions;
  #report: ReplicationReport | undefined;
  #said = new Set<string>();
  #failing = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(o: ReplicationWatchOptions) {
    this.#o = o;
  }

  current(): ReplicationReport | undefined {
    return this.#report;
  }

  schedule(ms: number): void {
    this.#timer = setInterval(() => void this.refresh(), ms);
    this.#timer.unref();
  }

  async refresh(): Promise<ReplicationReport | undefined> {
    try {
      const report = await replicationReport(this.#o.nc, this.#o.mesh);
      this.#failing = false;
      this.#say(report);
      this.#report = report;
    } catch (err) {
      if (!this.#failing)
        this.#o.log?.("warn", `cannot read the replication of mesh "${this.#o.mesh}": ${(err as Error).message}`);
      this.#failing = true;
    }
    return this.#report;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #say(report: ReplicationReport): void {
    const now = new Set(report.warnings);
    for (const line of now) if (!this.#said.has(line)) this.#o.log?.("warn", `replication: ${line}`);
    for (const line of this.#said) if (!now.has(line)) this.#o.log?.("info", `replication: resolved: ${line}`);
    this.#said = now;
  }
}
