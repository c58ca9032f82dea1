/**
 * Writing the registry benchmark's mesh log fast: core NATS publishes into the stream's subjects, each with a reply
 * subject on one wildcard subscription, and at most `window` JetStream PubAcks outstanding (no timer or promise per
 * message, about twice what pipelined `js.publish` reaches). Every PubAck is checked; a missing one stops the write.
 *
 * `MeshLog` composes the log: AgentJoined events for new agents, interleaved at random with ACP traffic among the
 * active agents already joined and a few other registry events (card updates, liveness lapses and recoveries,
 * leaves), and writes each agent's heartbeat into the bucket so the node sees it alive.
 */
import { createInbox, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { encodeEvent, heartbeatSecret, makeEvent, openHeartbeatBucket, type RegistryEvent } from "@plexus/anp/internal";
import { ensureMeshStream } from "@plexus/bus";
import { meshSubjects } from "@plexus/core";
import type { KeyPair } from "@plexus/identity";
import { log, now, rate } from "./lib.js";
import { beatMaker, joinEvent, prng, type Population, type SyntheticAgent } from "./registry-population.js";
import { TrafficGenerator } from "./registry-traffic.js";

export interface LogEntry {
  subject: string;
  data: Uint8Array;
}

/** 's' of {"stream":...}: a PubAck; {"error":...} has 'e' there. */
const PUBACK_MARK = 0x73;

export class LogWriter {
  readonly nc: NatsConnection;
  readonly #window: number;
  readonly #stallMs: number;

  constructor(nc: NatsConnection, options: { window?: number; stallMs?: number } = {}) {
    this.nc = nc;
    this.#window = options.window ?? 2_048;
    this.#stallMs = options.stallMs ?? 30_000;
  }

  /** Publishes every entry and resolves once all are stored; `label` turns on progress lines. */
  async write(entries: Iterable<LogEntry>, label?: string): Promise<number> {
    const prefix = createInbox();
    let sent = 0;
    let acked = 0;
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    const sub: Subscription = this.nc.subscribe(`${prefix}.*`, {
      callback: (_err, m) => {
        if (m.data.length === 0 || m.data[2] !== PUBACK_MARK)
          failure ??= new Error(
            `a publish was refused: ${new TextDecoder().decode(m.data) || m.headers?.description || "no answer"}`,
          );
        acked += 1;
        if (wake && (failure || sent - acked <= this.#window / 2)) {
          const w = wake;
          wake = undefined;
          w();
        }
      },
    });
    const wait = () =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no PubAck for ${this.#stallMs} ms (${acked} of ${sent} acknowledged)`)),
          this.#stallMs,
        );
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    const started = now();
    try {
      for (const e of entries) {
        if (sent - acked >= this.#window) await wait();
        if (failure) throw failure;
        this.nc.publish(e.subject, e.data, { reply: `${prefix}.${sent}` });
        sent += 1;
        if (label && sent % 200_000 === 0)
          log(`registry: ${label}: ${sent} written (${rate(sent, now() - started)}/s)`);
      }
      while (acked < sent && !failure) await wait();
      if (failure) throw failure;
      return sent;
    } finally {
      sub.unsubscribe();
    }
  }
}

/** What a log holds, by kind. */
export interface Composition {
  joins: number;
  updates: number;
  liveness: number;
  leaves: number;
  acp: number;
}

export interface StagePlan {
  /** Agents that join now: indexes [joined, joinTo). */
  joinTo: number;
  /** ACP messages to interleave. */
  traffic: number;
  /** Other registry events: updates, leaves, and liveness lapses with their recovery (two events). */
  extras: number;
  /** Store a fresh beat of every joined agent afterwards (default true). */
  beats?: boolean;
}

export class MeshLog {
  readonly mesh: string;
  readonly composition: Composition = { joins: 0, updates: 0, liveness: 0, leaves: 0, acp: 0 };
  readonly population: Population;
  readonly #registry: KeyPair;
  readonly #activeCount: number;
  readonly #traffic: TrafficGenerator;
  readonly #random = prng(99);
  readonly #left = new Set<number>();
  readonly #joinedAt: number;
  #joined = 0;

  constructor(options: { mesh: string; registry: KeyPair; population: Population; activeCount: number }) {
    this.mesh = options.mesh;
    this.#registry = options.registry;
    this.population = options.population;
    this.#activeCount = options.activeCount;
    this.#traffic = new TrafficGenerator(options.mesh);
    this.#joinedAt = Date.now();
  }

  get joined(): number {
    return this.#joined;
  }

  get total(): number {
    const c = this.composition;
    return c.joins + c.updates + c.liveness + c.leaves + c.acp;
  }

  /** Agents joined and not left: what discovery can list. */
  get present(): number {
    return this.#joined - this.#left.size;
  }

  /** Appends one stage (see StagePlan) and then a fresh heartbeat of every agent joined so far. */
  async append(writer: LogWriter, plan: StagePlan, label: string): Promise<void> {
    if (this.total === 0) {
      // What a registry node creates on start, with the same settings.
      await ensureMeshStream(writer.nc, this.mesh);
      await openHeartbeatBucket(writer.nc, meshSubjects(this.mesh).heartbeatBucket, true);
    }
    this.population.grow(plan.joinTo);
    await writer.write(this.#entries(plan), label);
    if (plan.beats !== false) await this.beatAll(writer);
  }

  /** One beat per joined agent, stored now (the node then counts them alive). */
  async beatAll(writer: LogWriter): Promise<void> {
    const agents = this.population.agents.slice(0, this.#joined);
    const secret = heartbeatSecret(this.#registry.exportSeed(), this.mesh);
    const beat = beatMaker(secret, meshSubjects(this.mesh).heartbeatBucket, agents);
    await writer.write(
      (function* () {
        for (let i = 0; i < agents.length; i++) yield beat(i, 1);
      })(),
    );
  }

  *#entries(plan: StagePlan): Generator<LogEntry> {
    let traffic = plan.traffic;
    let extras = plan.extras;
    while (this.#joined < plan.joinTo || traffic > 0 || extras > 0) {
      const joins = plan.joinTo - this.#joined;
      const u = this.#random() * (joins + traffic + extras);
      if (joins > 0 && (u < joins || (u < joins + traffic && !this.#traffic.ready))) {
        yield this.#join();
      } else if (u < joins + traffic && this.#traffic.ready) {
        traffic -= 1;
        this.composition.acp += 1;
        yield this.#traffic.next();
      } else if (extras > 0 && this.#joined > this.#activeCount) {
        const events = [...this.#extra(extras)];
        extras -= events.length;
        yield* events;
      } else if (joins === 0) {
        throw new Error(
          `stage cannot continue: ${traffic} messages and ${extras} events left with ${this.#joined} agents joined`,
        );
      } else {
        yield this.#join();
      }
    }
  }

  #join(): LogEntry {
    const i = this.#joined++;
    this.composition.joins += 1;
    if (i < this.#activeCount) this.#traffic.setAgents(this.population.agents.slice(0, i + 1));
    return joinEvent(
      this.#registry,
      this.mesh,
      this.population.agents[i] as SyntheticAgent,
      this.population.joinedAt(i, this.#joinedAt),
    );
  }

  /** An update (50%), a liveness lapse and recovery (40%) or a leave (10%) of a joined agent that does not talk. */
  *#extra(budget: number): Generator<LogEntry> {
    const r = budget >= 2 ? this.#random() : 0;
    let i = this.#activeCount + Math.floor(this.#random() * (this.#joined - this.#activeCount));
    while (this.#left.has(i))
      i = this.#activeCount + ((i + 1 - this.#activeCount) % (this.#joined - this.#activeCount));
    const agent = this.population.agents[i] as SyntheticAgent;
    const at = Date.now();
    if (r < 0.5) {
      this.composition.updates += 1;
      agent.card = { ...agent.card, version: `2.${Math.floor(this.#random() * 100)}.0` };
      yield this.#event("AgentUpdated", agent, { card: agent.card }, at);
    } else if (r < 0.9) {
      this.composition.liveness += 2;
      yield this.#event("LivenessChanged", agent, { from: "alive", to: "suspect", lastHeartbeat: at - 16_000 }, at);
      yield this.#event("LivenessChanged", agent, { from: "suspect", to: "alive", lastHeartbeat: at }, at);
    } else {
      this.composition.leaves += 1;
      this.#left.add(i);
      yield this.#event("AgentLeft", agent, { reason: "leave" }, at);
    }
  }

  #event<T extends "AgentUpdated" | "LivenessChanged" | "AgentLeft">(
    type: T,
    agent: SyntheticAgent,
    data: RegistryEvent<T>["data"],
    at: number,
  ): LogEntry {
    const event = makeEvent(this.#registry, type, agent.did, data, at);
    return { subject: `plexus.${this.mesh}.registry.${type}.${agent.token}`, data: encodeEvent(event) };
  }
}
