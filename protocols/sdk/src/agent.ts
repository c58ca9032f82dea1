import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { KeyPair } from "@plexus/identity";
import {
  Outbox,
  ReceiptBatcher,
  ReceiptTracker,
  Reader,
  StreamTap,
  Subscription,
  consumerNameKey,
  managedDurable,
  topicConsumer,
  type ConsumerOwner,
  type Delivery,
  type DurableSpec,
  type Handler,
  type Listed,
  type Receipt,
  type ReceiptStatus,
  type ReaderCounts,
} from "@plexus/acp";
import { ReaderStats, inboxConsumer, listRecords } from "@plexus/acp/internal";
import { connectBus, ensureMeshStream } from "@plexus/bus";
import type {
  AgentCard,
  AnswerOf,
  AttestResult,
  DiscoverQuery,
  DiscoverResult,
  JoinResult,
  Rating,
  RegistryClient,
  RevokeResult,
} from "./registry-types.js";
import { RotationWatch, type RotationSource } from "@plexus/anp";
import { RegistryOp } from "@plexus/anp/internal";
import { Membership, type JoinOptions } from "./membership.js";
import {
  agentToken,
  assertTopic,
  ErrorCode,
  MessageKind,
  MessageType,
  meshSubjects,
  newId,
  PlexusError,
  isPlexusError,
  validateDeadLetterRecord,
  validateRejectionRecord,
  type DeadLetterRecord,
  type MeshSubjects,
  type RejectionRecord,
} from "@plexus/core";
import { resolveAgentOptions, type AgentOptions, type ResolvedAgentOptions } from "./options.js";
import { NatsSession } from "./nats-session.js";
import { ReplyWaiter } from "./reply-waiter.js";
import { A2AOutbound } from "./a2a.js";
import { KeyClaim } from "./key-claim.js";

export interface SendOptions {
  type?: string;
  conversation?: string;
  replyTo?: string;
  /** Resolve only once the recipient signed a receipt at this status (true = "processed"). */
  awaitReceipt?: boolean | ReceiptStatus;
  /** How long to wait for that receipt (ms, default 30 s). */
  receiptTimeoutMs?: number;
}

export interface SendResult {
  id: string;
  seq: number;
  streamSeq: number;
  duplicate: boolean;
  conversation: string | undefined;
  receipt?: Receipt;
}

export interface ListenOptions {
  /** Stop after this many messages. */
  max?: number;
}

export interface SubscribeOptions extends ListenOptions {
  /** A queue group: each message goes to exactly one member of the group. */
  group?: string;
}

export interface RequestOptions {
  type?: string;
  conversation?: string;
  timeoutMs?: number;
}

/**
 * An agent on the mesh: its identity, its inbox, its topics. Async messaging in ACP style: `send` resolves once the
 * mesh stored the envelope; the recipient gets it whenever it listens; receipts, replies and redelivery follow.
 */
export class Agent implements AsyncDisposable {
  readonly did: string;
  readonly mesh: string;
  readonly #o: ResolvedAgentOptions;
  readonly #nc: NatsConnection;
  readonly #ownsConnection: boolean;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #subjects: MeshSubjects;
  readonly #session: NatsSession | undefined;
  /** Names this agent's durable consumers (secret: see @plexus/acp consumers.ts). */
  readonly #owner: ConsumerOwner;
  readonly #stats = new ReaderStats();
  readonly #reader: Reader;
  /** Other agents' key rotations from the log: the reader refuses what a rotated-away key signs later. */
  readonly #rotations: RotationWatch;
  readonly #outbox: Outbox;
  readonly #receipts: ReceiptBatcher;
  readonly #tracker = new ReceiptTracker();
  readonly #replies = new ReplyWaiter();
  readonly #subscriptions = new Set<Subscription>();
  #receiptTap: Promise<StreamTap> | undefined;
  #replyTap: Promise<StreamTap> | undefined;
  #closed = false;
  /** Set when another process with this key won the claim (see key-claim.ts): everything then fails with it. */
  #lost: PlexusError | undefined;
  #claim: Promise<KeyClaim> | undefined;
  #claimed = false;
  #membership: Membership | undefined;
  #a2a: A2AOutbound | undefined;

  private constructor(
    o: ResolvedAgentOptions,
    nc: NatsConnection,
    owns: boolean,
    jsm: JetStreamManager,
    session: NatsSession | undefined,
  ) {
    this.#o = o;
    this.did = o.key.did;
    this.mesh = o.mesh;
    this.#nc = nc;
    this.#ownsConnection = owns;
    this.#session = session;
    const seed = o.key.exportSeed();
    this.#owner = { did: this.did, nameKey: consumerNameKey(seed, o.mesh) };
    seed.fill(0);
    this.#js = jetstream(nc);
    this.#jsm = jsm;
    this.#subjects = meshSubjects(o.mesh);
    const common = { nc, js: this.#js, subjects: this.#subjects, onError: o.onError };
    this.#rotations = new RotationWatch({
      nc,
      js: this.#js,
      jsm,
      subjects: this.#subjects,
      registries: () => this.#trustedRegistries(),
      onError: o.onError,
    });
    this.#reader = new Reader({
      ...common,
      did: this.did,
      stats: this.#stats,
      maxEnvelopeBytes: o.maxEnvelopeBytes,
      maxClockSkewMs: o.maxClockSkewMs,
      rotations: this.#rotations,
    });
    this.#outbox = new Outbox({
      ...common,
      key: o.key,
      maxEnvelopeBytes: o.maxEnvelopeBytes,
      publishTimeoutMs: o.publishTimeoutMs,
    });
    const reader = this.#reader;
    this.#receipts = new ReceiptBatcher({
      outbox: this.#outbox,
      flushMs: o.receiptFlushMs,
      onError: o.onError,
      onStored: (to, body) => reader.noteReceipt(to, body),
    });
  }

  /**
   * Connects to NATS, makes sure the mesh's stream exists, and returns the agent. With `natsAuth` (a server in
   * operator mode) the agent gets its own user JWT from the registry first and connects with it (see NatsSession);
   * the mesh's stream must then exist already (the registry node creates it).
   */
  static async connect(options: AgentOptions): Promise<Agent> {
    const o = resolveAgentOptions(options);
    const given =
      typeof o.nats === "object" && o.nats !== null && !Array.isArray(o.nats) ? (o.nats as NatsConnection) : undefined;
    const servers = o.nats as string | string[] | undefined;
    const session =
      given || !o.natsAuth
        ? undefined
        : await NatsSession.open({
            servers,
            mesh: o.mesh,
            key: o.key,
            auth: o.natsAuth,
            ...(o.onError ? { onError: o.onError } : {}),
          });
    const nc = given ?? session?.nc ?? (await connectBus({ servers, name: `plexus-agent ${o.key.did}` }));
    try {
      const jsm = await jetstreamManager(nc);
      if (session) await requireMeshStream(jsm, o.mesh);
      else await ensureMeshStream(nc, o.mesh);
      return new Agent(o, nc, given === undefined, jsm, session);
    } catch (err) {
      if (session) await session.close();
      else if (!given) await nc.close();
      throw err;
    }
  }

  /**
   * The registry keys whose KeyRotated events this agent's reader believes: the registry it joined, else those the
   * mesh's registry names (none while no registry answers: then no rotation counts yet, and the watch asks again).
   */
  async #trustedRegistries(): Promise<string[]> {
    const joined = this.#membership?.joined?.registry;
    if (joined !== undefined) return [joined];
    try {
      const status = await this.registry.call<{ registry?: unknown; registryKeys?: unknown }>(RegistryOp.Status, {});
      const keys = Array.isArray(status.registryKeys) ? status.registryKeys : [status.registry];
      return keys.filter((k): k is string => typeof k === "string" && k.startsWith("did:key:"));
    } catch (err) {
      if (isPlexusError(err, ErrorCode.RegistryUnavailable)) return [];
      throw err;
    }
  }

  /** The key rotations this agent's readers know from the log (a reader of its own may share them). */
  get rotations(): RotationSource {
    return this.#rotations;
  }

  /** In operator mode: the agent's NATS session (its user JWT, renewals). */
  get natsSession(): NatsSession | undefined {
    return this.#session;
  }

  /** Sends a direct message to `to`'s durable inbox. Resolves once JetStream stored it (and, if asked, once a receipt came). */
  async send(to: string, body: unknown, options: SendOptions = {}): Promise<SendResult> {
    this.#open();
    if (!this.#claimed) await this.#claimKey();
    await this.#ensureTap("receipt");
    const fields = {
      body,
      type: options.type ?? MessageType.Message,
      ...(options.conversation !== undefined ? { conversation: options.conversation } : {}),
      ...(options.replyTo !== undefined ? { replyTo: options.replyTo } : {}),
    };
    const sent = await this.#signed(MessageKind.Inbox, to, fields, (e) => this.#tracker.expect(e.id, to, e.seq));
    const result: SendResult = {
      id: sent.id,
      seq: sent.seq,
      streamSeq: sent.streamSeq,
      duplicate: sent.duplicate,
      conversation: options.conversation,
    };
    if (options.awaitReceipt) {
      const want = options.awaitReceipt === true ? "processed" : options.awaitReceipt;
      result.receipt = await this.waitForReceipt(sent.id, { status: want, timeoutMs: options.receiptTimeoutMs });
    }
    return result;
  }

  /** Waits for the recipient's signed receipt of a message this agent sent (default: processed, 30 s). */
  waitForReceipt(id: string, options: { status?: ReceiptStatus; timeoutMs?: number } = {}): Promise<Receipt> {
    return this.#tracker.wait(id, options.status ?? "processed", options.timeoutMs ?? 30_000);
  }

  /** Publishes to a topic: every subscription gets it; within a group, one member does. */
  async publish(
    topic: string,
    body: unknown,
    options: { type?: string; conversation?: string } = {},
  ): Promise<SendResult> {
    this.#open();
    assertTopic(topic);
    if (!this.#claimed) await this.#claimKey();
    const sent = await this.#signed(MessageKind.Topic, topic, {
      body,
      type: options.type ?? MessageType.Message,
      ...(options.conversation !== undefined ? { conversation: options.conversation } : {}),
    });
    return {
      id: sent.id,
      seq: sent.seq,
      streamSeq: sent.streamSeq,
      duplicate: sent.duplicate,
      conversation: options.conversation,
    };
  }

  /** Handles this agent's inbox, including what arrived while it was away. */
  listen(handler: Handler, options: ListenOptions = {}): Promise<Subscription> {
    return this.#subscribe(
      inboxConsumer(this.#subjects, this.#owner, { ackWaitMs: this.#o.ackWaitMs }),
      handler,
      options,
      true,
    );
  }

  /**
   * A durable topic subscription: it also receives what was published while it was away. With `group`, the group's
   * members share one durable and each message goes to one of them. On a NATS server in operator mode the durable is
   * the registry's to make (agents may only pull and ack on topic durables, so no member can re-tune or delete a
   * group's): the agent asks with a signed request and reads the durable it is told (a registry node must run).
   */
  async subscribe(topic: string, handler: Handler, options: SubscribeOptions = {}): Promise<Subscription> {
    this.#open();
    if (this.#nc.info?.auth_required === true) {
      assertTopic(topic);
      const grant = await this.registry.topicDurable(this.#o.key, {
        topic,
        ...(options.group !== undefined ? { group: options.group } : {}),
        ackWaitMs: this.#o.ackWaitMs,
      });
      return this.#subscribe(managedDurable(grant.stream, grant.name), handler, options, false);
    }
    const spec = topicConsumer(this.#subjects, this.#owner, topic, options.group, { ackWaitMs: this.#o.ackWaitMs });
    return this.#subscribe(spec, handler, options, false);
  }

  /** Sends and waits for the reply in the same conversation. A timeout is a TIMEOUT error. */
  async request(to: string, body: unknown, options: RequestOptions = {}): Promise<Delivery> {
    this.#open();
    await this.#ensureTap("reply");
    const conversation = options.conversation ?? newId();
    const timeoutMs = options.timeoutMs ?? 10_000;
    const sent = await this.send(to, body, { type: options.type ?? MessageType.Message, conversation });
    return this.#replies.wait(
      sent.id,
      timeoutMs,
      () => `no reply from ${to} within ${timeoutMs} ms (conversation ${conversation})`,
    );
  }

  /** Answers a message: the reply goes to its sender, in its conversation, naming it in `replyTo`. */
  async reply(to: Delivery, body: unknown, options: { type?: string } = {}): Promise<SendResult> {
    this.#open();
    if (!this.#claimed) await this.#claimKey();
    const conversation = to.conversation ?? to.id;
    const sent = await this.#signed(MessageKind.Reply, to.from, {
      body,
      type: options.type ?? MessageType.Reply,
      conversation,
      replyTo: to.id,
    });
    return { id: sent.id, seq: sent.seq, streamSeq: sent.streamSeq, duplicate: sent.duplicate, conversation };
  }

  /**
   * Rejected envelopes kept by this mesh's readers (all agents), newest `limit`, with their reasons. In NATS operator
   * mode only this agent's own records: its permissions let it read no other reader's.
   */
  rejected(options: { limit?: number } = {}): Promise<Listed<RejectionRecord>> {
    const filter = this.#session ? this.#subjects.rejected(agentToken(this.did)) : this.#subjects.rejectedAll;
    return listRecords(this.#nc, this.#subjects, filter, validateRejectionRecord, options);
  }

  /** Dead letters kept for this agent: messages its handlers failed on every attempt. */
  deadLetters(options: { limit?: number } = {}): Promise<Listed<DeadLetterRecord>> {
    return listRecords(
      this.#nc,
      this.#subjects,
      this.#subjects.dead(agentToken(this.did)),
      validateDeadLetterRecord,
      options,
    );
  }

  #member(): Membership {
    this.#open();
    this.#membership ??= new Membership(this.#nc, this.#o.mesh, this.#o.key, this.#o.onError);
    return this.#membership;
  }

  /** The mesh's registry, over this agent's connection: discover, agents, agent, reputation. */
  get registry(): RegistryClient {
    return this.#member().registry;
  }

  /**
   * Joins the mesh: proves the key with the registry's challenge, presents the signed card, gets a membership
   * credential, and heart-beats until `leave()` or `close()`.
   */
  join(card: AgentCard, options: JoinOptions = {}): Promise<JoinResult> {
    return this.#member().join(card, options);
  }

  /**
   * Moves this agent's identity to `newKey`: the registry moves its record, card, credentials and reputation (the old
   * key signs, the new key proves). This agent is closed, since its key may act no more; the returned one is
   * connected with the new key and, when this one had joined, has joined again with the same card (a fresh membership
   * credential and heartbeat key). Listeners and subscriptions are not carried over: set them up on the new agent.
   */
  async rotateKey(newKey: KeyPair, joinOptions: JoinOptions = {}): Promise<Agent> {
    this.#open();
    if (typeof this.#o.nats === "object" && this.#o.nats !== null && !Array.isArray(this.#o.nats)) {
      throw new PlexusError(
        ErrorCode.InvalidArgument,
        "rotateKey needs an agent with a connection of its own (connected with a server URL)",
      );
    }
    const card = this.#membership?.card;
    await this.registry.rotate(this.#o.key, newKey);
    await this.close();
    const next = await Agent.connect({ ...this.#o, key: newKey });
    if (card) await next.join(card, joinOptions);
    return next;
  }

  /** Presents a new signed card (the agent must have joined). */
  updateCard(card: AgentCard): Promise<{ seq: number }> {
    return this.#member().update(card);
  }

  /** Stops heart-beating without leaving (what a crash looks like to the registry). */
  stopHeartbeats(): void {
    this.#membership?.stop();
  }

  /** Stops heart-beating and tells the registry the agent left. */
  async leave(): Promise<void> {
    await this.#membership?.leave();
  }

  /** Calls outside A2A agents by URL (`agent.a2a.send(url, message)`); each exchange is recorded in the mesh log. */
  get a2a(): A2AOutbound {
    this.#open();
    this.#a2a ??= new A2AOutbound(this);
    return this.#a2a;
  }

  /** Reputation-weighted discovery (see DiscoverQuery). */
  async discover(query: DiscoverQuery = {}): Promise<AnswerOf<DiscoverResult[]>> {
    return this.registry.discover(query);
  }

  /** Rates another agent for one conversation the two had; refused unless the log holds messages both ways in it. */
  rate(rating: Rating): Promise<{ seq: number }> {
    return this.registry.rate(this.#o.key, rating);
  }

  /**
   * Presents a capability credential (a VC-JWT about this agent, or one this agent issued) to the registry, which
   * verifies it and records the attestation: discovery then shows those capabilities as attested by its issuer.
   * Refused (REQUEST_REFUSED, reason credential_invalid) when it does not verify.
   */
  presentCredential(jwt: string): Promise<AttestResult> {
    return this.registry.attest(this.#o.key, jwt);
  }

  /**
   * Revokes a credential this agent issued (by its id, urn:uuid:…); it stops counting at once. One the registry has
   * not seen yet is revoked ahead of time only with `options.credential`, the VC-JWT itself, which shows who issued it
   * (refused as unknown_credential otherwise).
   */
  revokeCredential(
    credentialId: string,
    reason?: string,
    options: { credential?: string } = {},
  ): Promise<RevokeResult> {
    return this.registry.revoke(this.#o.key, credentialId, reason, options.credential);
  }

  stats(): ReaderCounts {
    return this.#stats.snapshot();
  }

  /**
   * Before this agent first signs on a channel of its own (send, publish, reply, listen): claims its key on the mesh,
   * or fails with KEY_IN_USE while another process runs it (see key-claim.ts). An agent that only joins, discovers or
   * subscribes to topics claims nothing.
   */
  async #claimKey(): Promise<void> {
    if (this.#claimed) return;
    this.#claim ??= KeyClaim.take(this.#nc, this.#o.key, this.mesh, (err) => this.#loseKey(err));
    try {
      await this.#claim;
      this.#claimed = true;
    } catch (err) {
      // Free again once the other process ends: a later call asks again.
      this.#claim = undefined;
      throw err;
    }
    this.#open();
  }

  /** Sends through the outbox; when the key was lost meanwhile, the failure is KEY_IN_USE rather than a closed connection. */
  #signed(...args: Parameters<Outbox["send"]>): ReturnType<Outbox["send"]> {
    return this.#outbox.send(...args).catch((err: unknown) => {
      throw this.#lost ?? err;
    });
  }

  /** Another process with this key started at the same moment and won: this agent stops (see key-claim.ts). */
  #loseKey(err: PlexusError): void {
    this.#lost = err;
    this.#o.onError?.(err);
    void this.close();
  }

  /** Stops every subscription, sends the last receipts, and closes the connection if the agent opened it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#claim?.then(
      (c) => c.release(),
      () => undefined,
    );
    this.#membership?.stop();
    await Promise.all([...this.#subscriptions].map((s) => s.stop()));
    await this.#receipts.close();
    const taps = [this.#receiptTap, this.#replyTap].filter((t) => t !== undefined);
    await Promise.all(taps.map(async (t) => (await t.catch(() => undefined))?.stop()));
    await this.#rotations.stop();
    this.#replies.cancelAll(new PlexusError(ErrorCode.Closed, "the agent was closed"));
    if (this.#session) await this.#session.close();
    else if (this.#ownsConnection) await this.#nc.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #subscribe(
    spec: DurableSpec,
    handler: Handler,
    options: ListenOptions,
    direct: boolean,
  ): Promise<Subscription> {
    this.#open();
    // Its inbox: it signs receipts, on channels of its own.
    if (direct && !this.#claimed) await this.#claimKey();
    const sub = new Subscription({
      nc: this.#nc,
      js: this.#js,
      jsm: this.#jsm,
      subjects: this.#subjects,
      reader: this.#reader,
      spec,
      handler,
      ...(direct ? { receipts: this.#receipts } : {}),
      maxAttempts: this.#o.maxAttempts,
      backoffMs: this.#o.backoffMs,
      ackWaitMs: this.#o.ackWaitMs,
      ...(options.max !== undefined ? { max: options.max } : {}),
      onError: this.#o.onError,
    });
    this.#subscriptions.add(sub);
    void sub.finished.then(() => this.#subscriptions.delete(sub));
    return sub.start();
  }

  #ensureTap(kind: "receipt" | "reply"): Promise<StreamTap> {
    const existing = kind === "receipt" ? this.#receiptTap : this.#replyTap;
    if (existing) return existing;
    const me = agentToken(this.did);
    const tap = new StreamTap({
      js: this.#js,
      jsm: this.#jsm,
      subjects: this.#subjects,
      reader: this.#reader,
      filter: this.#subjects.filter(kind === "receipt" ? MessageKind.Receipt : MessageKind.Reply, me),
      onAccepted: (a) => (kind === "receipt" ? this.#tracker.apply(a.envelope) : this.#replies.resolve(a)),
      onError: this.#o.onError,
    }).start();
    tap.catch(() => (kind === "receipt" ? (this.#receiptTap = undefined) : (this.#replyTap = undefined)));
    if (kind === "receipt") this.#receiptTap = tap;
    else this.#replyTap = tap;
    return tap;
  }

  #open(): void {
    if (this.#lost) throw this.#lost;
    if (this.#closed) throw new PlexusError(ErrorCode.Closed, "the agent was closed");
  }
}

/** The mesh's stream must exist (agents in operator mode may not create it). */
async function requireMeshStream(jsm: JetStreamManager, mesh: string): Promise<void> {
  const stream = meshSubjects(mesh).stream;
  try {
    await jsm.streams.info(stream);
  } catch (err) {
    if ((err as { name?: string }).name !== "StreamNotFoundError") throw err;
    throw new PlexusError(
      ErrorCode.MeshNotFound,
      `no mesh "${mesh}" on this NATS (stream ${stream} does not exist): a registry node creates it (plexus up)`,
      { cause: err },
    );
  }
}
