/**
 * What an agent learns from the mesh log about other agents' key rotations, so its reader can refuse what a key signs
 * after it was rotated away (`rotated_key`), in every mode: on an open server nothing else stops the old key from
 * publishing, and a key is often rotated because it leaked.
 *
 * It follows the KeyRotated events with an ordered consumer from the start of the log. One counts only when the
 * registry accepted it and the old key asked for it: signed by a registry key the agent trusts (the registry it joined,
 * or the keys its registry names, and their successors by RegistryKeyRotated), and holding the request the old key
 * signed with the new key's proof. So neither a forged event nor a refused request someone replays cuts anyone off, and
 * nobody but the registry can make the watch remember anything. A message is refused when the log holds its sender's
 * rotation at an earlier position. The watch learns a rotation a few milliseconds after it is logged; a message the old
 * key slipped in within that window can still be handed over (the registry's own verdict, which follows the log in
 * order, refuses it exactly). If the watch cannot start or stops (no registry answering, a timeout), the failure is
 * reported, readers go on without it, and the next message retries after a pause.
 */
import { DeliverPolicy, type ConsumerMessages, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { MeshSubjects } from "@plexus/core";
import { orderedConsumerPrefix } from "@plexus/core/internal";
import { verifySignature } from "@plexus/identity";
import { parseEvent, type RegistryEvent } from "./events.js";
import { readRegistryRotations, registrySuccessors } from "./registry-lineage.js";
import { rotationProblem } from "./rotation.js";
import { verifyDocument } from "./signed-document.js";

/** A rotation as the log holds it: the DID the key moved to and the log position of the event. */
export interface SeenRotation {
  to: string;
  seq: number;
}

/** What a reader asks: was `did` rotated away before log position `seq`? */
export interface RotationSource {
  /** Resolves once the rotations logged before the watch started are known (or the watch failed, reported). */
  ready(): Promise<void>;
  rotatedBefore(did: string, seq: number): SeenRotation | undefined;
}

export interface RotationWatchOptions {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  subjects: MeshSubjects;
  /** The registry keys this agent trusts (the one it joined, or those its registry names); may reject (then retried). */
  registries: () => Promise<Iterable<string>>;
  onError?: (err: unknown) => void;
}

/** After a failed start, the next `ready()` retries once this much time passed. */
export const ROTATION_WATCH_RETRY_MS = 250;
/** How often at most the registry's key lineage is read again, for an event signed by a key not trusted yet. */
const LINEAGE_REFRESH_MS = 2_000;

/**
 * The old DID and its rotation, when `bytes` is a KeyRotated event signed by a key `accepts` takes (checked before any
 * signature, so forgeries cost a reader no verification) that holds the request the old key signed with the new key's
 * proof; otherwise undefined.
 */
export function provenAgentRotation(
  bytes: Uint8Array,
  mesh: string,
  accepts: (by: string) => boolean = () => true,
): { from: string; to: string; by: string } | undefined {
  try {
    const parsed = parseEvent(bytes, undefined);
    const e = parsed.event as RegistryEvent<"KeyRotated">;
    if (e.type !== "KeyRotated" || !accepts(e.by) || !verifySignature(e.by, parsed.signed, parsed.signature))
      return undefined;
    const { to, request } = e.data;
    if (request.op !== "rotate" || request.mesh !== mesh || request.did !== e.agent || request.body.newDid !== to)
      return undefined;
    if (!verifyDocument(request.did, request)) return undefined;
    return rotationProblem(request.did, request.body, request.challenge) === undefined
      ? { from: request.did, to, by: e.by }
      : undefined;
  } catch {
    return undefined;
  }
}

/** The agent a KeyRotated event names, unverified (to skip a key already known before verifying anything). */
function claimedAgent(bytes: Uint8Array): string | undefined {
  try {
    const agent = parseEvent(bytes, undefined).event.agent;
    return typeof agent === "string" ? agent : undefined;
  } catch {
    return undefined;
  }
}

export class RotationWatch implements RotationSource {
  readonly #o: RotationWatchOptions;
  readonly #rotations = new Map<string, SeenRotation>();
  #trusted = new Set<string>();
  #lineageReadAt = 0;
  #ready: Promise<void> | undefined;
  #retryAt = 0;
  #messages: ConsumerMessages | undefined;
  #done: Promise<void> | undefined;
  #stopped = false;
  #ignored = 0;

  constructor(options: RotationWatchOptions) {
    this.#o = options;
  }

  /** Starts following the log on first call (again after a failure). Never rejects: a failure is reported. */
  ready(): Promise<void> {
    if (this.#ready === undefined && !this.#stopped && Date.now() >= this.#retryAt) {
      this.#ready = this.#start().catch((err: unknown) => this.#failed(err));
    }
    return this.#ready ?? Promise.resolve();
  }

  rotatedBefore(did: string, seq: number): SeenRotation | undefined {
    const r = this.#rotations.get(did);
    return r !== undefined && r.seq < seq ? r : undefined;
  }

  /** Rotations known. */
  get size(): number {
    return this.#rotations.size;
  }

  /** KeyRotated events ignored: not signed by a trusted registry key, or not what the old key asked for. */
  get ignored(): number {
    return this.#ignored;
  }

  #failed(err: unknown): void {
    this.#o.onError?.(err);
    this.#messages?.stop();
    this.#retryAt = Date.now() + ROTATION_WATCH_RETRY_MS;
    this.#ready = undefined;
  }

  async #start(): Promise<void> {
    const { js, jsm, subjects } = this.#o;
    await this.#readLineage();
    const filter = subjects.registryEvent("KeyRotated", "*");
    const info = await jsm.streams.info(subjects.stream, { subjects_filter: filter });
    const logged = Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
    if (this.#stopped) return;
    // One filter, as a string: the create request names it in its subject, where an agent's permissions pin it.
    const consumer = await js.consumers.get(subjects.stream, {
      filter_subjects: filter,
      deliver_policy: DeliverPolicy.All,
      name_prefix: orderedConsumerPrefix(),
    });
    const messages = await consumer.consume({ max_messages: 256 });
    this.#messages = messages;
    if (this.#stopped) {
      messages.stop();
      return;
    }
    let caughtUp!: () => void;
    const initial = new Promise<void>((resolve) => (caughtUp = resolve));
    if (logged === 0) caughtUp();
    this.#done = this.#follow(messages, caughtUp);
    await initial;
  }

  /** The trusted registry keys and every key they rotated to, as the log says now. */
  async #readLineage(): Promise<void> {
    this.#lineageReadAt = Date.now();
    const base = await this.#o.registries();
    this.#trusted = registrySuccessors(
      [...this.#trusted, ...base],
      await readRegistryRotations(this.#o.nc, this.#o.subjects),
    );
  }

  async #follow(messages: ConsumerMessages, caughtUp: () => void): Promise<void> {
    try {
      for await (const m of messages) {
        await this.#take(m.data, m.seq);
        if (m.info.pending === 0) caughtUp();
      }
      // The iterator ended without stop(): follow again from the start at the next ready().
      if (!this.#stopped)
        this.#failed(new Error("the rotation watch's consumer ended; it restarts at the next message"));
    } catch (err) {
      if (!this.#stopped) this.#failed(err);
    } finally {
      caughtUp();
    }
  }

  async #take(data: Uint8Array, seq: number): Promise<void> {
    // The first logged rotation of a key is the one that counts: a copy published later changes nothing.
    const agent = claimedAgent(data);
    if (agent === undefined || this.#rotations.has(agent)) {
      this.#ignored += 1;
      return;
    }
    const mesh = this.#o.subjects.mesh;
    let untrusted = false;
    let rotation = provenAgentRotation(data, mesh, (by) => {
      if (this.#trusted.has(by)) return true;
      untrusted = true;
      return false;
    });
    if (rotation === undefined && untrusted && Date.now() - this.#lineageReadAt >= LINEAGE_REFRESH_MS) {
      // Maybe signed by a successor of a registry key that rotated since: read the lineage again (rate-limited).
      await this.#readLineage().catch((err: unknown) => this.#o.onError?.(err));
      rotation = provenAgentRotation(data, mesh, (by) => this.#trusted.has(by));
    }
    if (rotation === undefined) {
      this.#ignored += 1;
      return;
    }
    this.#rotations.set(rotation.from, { to: rotation.to, seq });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#messages?.stop();
    await this.#done;
  }
}
