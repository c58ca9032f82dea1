import {
  AckPolicy,
  DeliverPolicy,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { publishDurably } from "@plexus/bus";
import {
  agentToken,
  checkValueLimits,
  Defaults,
  ENVELOPE_VERSION,
  ErrorCode,
  MessageKind,
  newId,
  parseJson,
  PlexusError,
  validateEnvelope,
  type Envelope,
  type MeshSubjects,
  type UnsignedEnvelope,
} from "@plexus/core";
import { randomConsumerName } from "@plexus/core/internal";
import { envelopeHash, type KeyPair } from "@plexus/identity";
import { attachSignature, signingInput, WIRE_SIGNATURE_BYTES } from "@plexus/identity/internal";
import { channelKey } from "./channel.js";

/** A head-recovery consumer is removed by the server after this long without a pull. */
const HEAD_CONSUMER_IDLE_MS = 5_000;

export interface OutboxOptions {
  nc: NatsConnection;
  js: JetStreamClient;
  subjects: MeshSubjects;
  key: KeyPair;
  maxEnvelopeBytes?: number;
  /** How long a send keeps retrying through a server outage before it fails (ms). */
  publishTimeoutMs?: number;
}

export interface OutgoingFields {
  body: unknown;
  type: string;
  conversation?: string;
  replyTo?: string;
}

/** What the sender knows once JetStream has stored an envelope. */
export interface Sent {
  id: string;
  seq: number;
  /** Position in the mesh stream. */
  streamSeq: number;
  /** True when the stream already had this id (a retried publish). */
  duplicate: boolean;
  subject: string;
  envelope: Envelope;
}

interface ChainHead {
  seq: number;
  prev: string | undefined;
}

/**
 * Signs and stores outgoing envelopes. Keeps each channel's `seq`/`prev` chain; after a restart the chain
 * resumes from the channel's last stored envelope (one lookup per channel on first use).
 */
export class Outbox {
  readonly #o: OutboxOptions;
  readonly #me: string;
  readonly #heads = new Map<string, Promise<ChainHead>>();
  #jsm: Promise<JetStreamManager> | undefined;

  constructor(options: OutboxOptions) {
    this.#o = options;
    this.#me = agentToken(options.key.did);
  }

  get did(): string {
    return this.#o.key.did;
  }

  /**
   * Signs an envelope for `kind` to `target` (a DID, or a topic name for topics) and stores it. `onSealed` sees the
   * signed envelope before it is published.
   */
  async send(
    kind: MessageKind,
    target: string,
    fields: OutgoingFields,
    onSealed?: (envelope: Envelope) => void,
  ): Promise<Sent> {
    const targetToken = kind === MessageKind.Topic ? target : agentToken(target);
    const subject = this.#o.subjects.message(kind, targetToken, this.#me);
    const { envelope, wire } = await this.#seal(kind, target, subject, fields);
    // Before the publish: an answer (a receipt) may arrive before a retried publish returns.
    onSealed?.(envelope);
    const ack = await publishDurably(this.#o.nc, this.#o.js, subject, wire, {
      msgID: envelope.id,
      timeoutMs: this.#o.publishTimeoutMs ?? 30_000,
    });
    return { id: envelope.id, seq: envelope.seq, streamSeq: ack.seq, duplicate: ack.duplicate, subject, envelope };
  }

  /**
   * Assigns the channel's next seq and prev synchronously once the head is known (so concurrent sends keep their
   * order), then has the signature made on the crypto pool's worker thread.
   */
  async #seal(kind: MessageKind, target: string, subject: string, fields: OutgoingFields) {
    const key = channelKey(kind, target);
    const head = await this.#head(key, subject);
    const unsigned: UnsignedEnvelope = {
      v: ENVELOPE_VERSION,
      id: newId(),
      from: this.#o.key.did,
      ...(kind === MessageKind.Topic ? { topic: target } : { to: target }),
      ...(fields.conversation !== undefined ? { conversation: fields.conversation } : {}),
      ...(fields.replyTo !== undefined ? { replyTo: fields.replyTo } : {}),
      type: fields.type,
      body: fields.body,
      ts: Date.now(),
      seq: head.seq + 1,
      ...(head.prev !== undefined ? { prev: head.prev } : {}),
    };
    // What every reader would refuse is refused here, at once (LIMIT_EXCEEDED naming the limit): no seq is used up.
    checkValueLimits(unsigned);
    const { bytes, hash } = signingInput(unsigned);
    const size = bytes.length + WIRE_SIGNATURE_BYTES;
    const limit = this.#o.maxEnvelopeBytes ?? Defaults.maxEnvelopeBytes;
    if (size > limit) {
      throw new PlexusError(ErrorCode.EnvelopeTooLarge, `envelope is ${size} bytes; the limit is ${limit}`, {
        details: { size, limit },
      });
    }
    head.seq = unsigned.seq;
    head.prev = hash;
    return attachSignature(unsigned, bytes, await this.#o.key.signAsync(bytes));
  }

  #head(key: string, subject: string): Promise<ChainHead> {
    let head = this.#heads.get(key);
    if (!head) {
      head = this.#recoverHead(subject);
      head.catch(() => this.#heads.delete(key));
      this.#heads.set(key, head);
    }
    return head;
  }

  /**
   * The channel's last stored envelope, read through a short-lived consumer on its subject (last per subject) rather
   * than a direct message get: an agent's NATS permissions allow consumers on what it sent, never reading any message
   * by position, and no deleting of consumers, so this one removes itself when idle (HEAD_CONSUMER_IDLE_MS).
   */
  async #recoverHead(subject: string): Promise<ChainHead> {
    const stream = this.#o.subjects.stream;
    this.#jsm ??= jetstreamManager(this.#o.nc, { checkAPI: false });
    const created = await (await this.#jsm).consumers.add(stream, {
      name: randomConsumerName("head"),
      filter_subject: subject,
      deliver_policy: DeliverPolicy.LastPerSubject,
      ack_policy: AckPolicy.None,
      inactive_threshold: HEAD_CONSUMER_IDLE_MS * 1_000_000,
      mem_storage: true,
      num_replicas: 1,
    });
    if (created.num_pending === 0) return { seq: 0, prev: undefined };
    const last = await (await this.#o.js.consumers.get(stream, created.name)).next({ expires: 5_000 });
    if (!last) throw new PlexusError(ErrorCode.Timeout, `could not read the last envelope sent on ${subject}`);
    // Only this agent may publish here in operator mode; on an open server anyone may, so it is checked all the same.
    const read = parseJson(last.data);
    if (!read.ok || !validateEnvelope(read.value)) {
      throw new PlexusError(
        ErrorCode.EnvelopeInvalid,
        `the last message stored on ${subject} (position ${last.seq}) is not an envelope: its channel cannot continue`,
      );
    }
    return { seq: read.value.seq, prev: envelopeHash(read.value) };
  }
}
