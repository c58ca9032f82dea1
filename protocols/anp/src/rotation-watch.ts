/**
 * What an agent learns from the mesh log about other agents' key rotations, so its reader can refuse what a key signs
 * after it was rotated away (`rotated_key`), in every mode: on an open server nothing else stops the old key from
 * publishing, and a key is often rotated because it leaked.
 *
 * It follows the KeyRotated events with an ordered consumer from the start of the log. Each counts only when it proves
 * itself: the request inside is signed by the old key and carries the new key's proof, so no one but the old key's
 * holder can declare it rotated (the registry's signature is not needed, and a forged event cannot cut anyone off).
 * A message is refused when the log holds its sender's rotation at an earlier position. The watch learns rotations a
 * few milliseconds after they are logged; a message the old key slipped in within that window can still be handed
 * over (the registry's own verdict, which follows the log in order, refuses it exactly).
 */
import { DeliverPolicy, type ConsumerMessages, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { orderedConsumerPrefix, type MeshSubjects } from "@plexus/core";
import { parseEvent, type RegistryEvent } from "./events.js";
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
  js: JetStreamClient;
  jsm: JetStreamManager;
  subjects: MeshSubjects;
  onError?: (err: unknown) => void;
}

/** Rotations remembered at most (each needs a real key pair's signatures; an open server lets anyone publish them). */
export const MAX_WATCHED_ROTATIONS = 200_000;

/** The old DID and its rotation, when `bytes` is a KeyRotated event that proves itself; otherwise undefined. */
export function provenAgentRotation(bytes: Uint8Array, mesh: string): { from: string; to: string } | undefined {
  try {
    const e = parseEvent(bytes, undefined).event as RegistryEvent<"KeyRotated">;
    if (e.type !== "KeyRotated") return undefined;
    const { to, request } = e.data;
    if (request.op !== "rotate" || request.mesh !== mesh || request.did !== e.agent || request.body.newDid !== to) return undefined;
    if (!verifyDocument(request.did, request)) return undefined;
    return rotationProblem(request.did, request.body, request.challenge) === undefined ? { from: request.did, to } : undefined;
  } catch {
    return undefined;
  }
}

export class RotationWatch implements RotationSource {
  readonly #o: RotationWatchOptions;
  readonly #rotations = new Map<string, SeenRotation>();
  #ready: Promise<void> | undefined;
  #messages: ConsumerMessages | undefined;
  #done: Promise<void> | undefined;
  #stopped = false;

  constructor(options: RotationWatchOptions) {
    this.#o = options;
  }

  /** Starts following the log on first call. Never rejects: a failure is reported and readers go on without it. */
  ready(): Promise<void> {
    this.#ready ??= this.#start().catch((err: unknown) => this.#o.onError?.(err));
    return this.#ready;
  }

  rotatedBefore(did: string, seq: number): SeenRotation | undefined {
    const r = this.#rotations.get(did);
    return r !== undefined && r.seq < seq ? r : undefined;
  }

  get size(): number {
    return this.#rotations.size;
  }

  async #start(): Promise<void> {
    const { js, jsm, subjects } = this.#o;
    const filter = subjects.registryEvent("KeyRotated", "*");
    const info = await jsm.streams.info(subjects.stream, { subjects_filter: filter });
    const logged = Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
    if (this.#stopped) return;
    // One filter, as a string: the create request names it in its subject, where an agent's permissions pin it.
    const consumer = await js.consumers.get(subjects.stream, { filter_subjects: filter, deliver_policy: DeliverPolicy.All, name_prefix: orderedConsumerPrefix() });
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

  async #follow(messages: ConsumerMessages, caughtUp: () => void): Promise<void> {
    try {
      for await (const m of messages) {
        const rotation = provenAgentRotation(m.data, this.#o.subjects.mesh);
        if (rotation && !this.#rotations.has(rotation.from) && this.#rotations.size < MAX_WATCHED_ROTATIONS) {
          this.#rotations.set(rotation.from, { to: rotation.to, seq: m.seq });
        }
        if (m.info.pending === 0) caughtUp();
      }
    } catch (err) {
      this.#o.onError?.(err);
    } finally {
      caughtUp();
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#messages?.stop();
    await this.#done;
  }
}
