/**
 * The gateway on the mesh: an Agent with its own DID that signs what it forwards, a durable consumer of the replies
 * addressed to it, and a watch on the receipts for what it forwarded. Replies (and direct messages agents send it)
 * reach `onAgentMessage` in stream order, including those stored while the gateway was down.
 */
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  consumerNameKey,
  Reader,
  Subscription,
  type ConsumerOwner,
  type Delivery,
  type DurableSpec,
} from "@plexus/acp";
import { ReaderStats, secretName } from "@plexus/acp/internal";
import { agentToken, MessageKind, meshSubjects, type MeshSubjects } from "@plexus/core";
import type { KeyPair } from "@plexus/identity";
import { Agent, type SendResult, type Subscription as AgentSubscription } from "@plexus/sdk";
import { ReceiptWatch, type ReceiptOutcome } from "./receipt-watch.js";

const NANOS = 1_000_000;
/**
 * How long a reply the server handed to a gateway stays with it unacknowledged before it goes to the next reader: a
 * gateway killed (SIGKILL) while holding one leaves it there, and the gateway started in its place (same key) gets it
 * only after this. Short, so a task in flight completes within seconds of the replacement; safe, because the handler
 * is short (one task record written), a message waiting or being handled is kept with `working()` every half of it
 * (@plexus/acp Subscription), and a reply handled twice changes nothing (transitions.ts applyReply).
 */
export const ACK_WAIT_MS = 5_000;

/**
 * The gateway's durable consumer of replies addressed to it (from the start of the stream: replies are idempotent).
 * Its name is a secret derived from the gateway's key (like an agent's, see @plexus/acp consumers.ts): agents may pull
 * and ack on any consumer whose name they know, and the old `a2a_replies_<gateway token>` let any of them take replies
 * meant for outside callers. A durable under the old name is taken over (from its ack floor) and deleted.
 */
export function replyConsumer(subjects: MeshSubjects, owner: ConsumerOwner): DurableSpec {
  const me = agentToken(owner.did);
  const name = `a2a_replies_${secretName(owner.nameKey, "a2a/replies")}`;
  return {
    name,
    legacyName: `a2a_replies_${me}`,
    config: {
      durable_name: name,
      filter_subject: subjects.filter(MessageKind.Reply, me),
      deliver_policy: DeliverPolicy.All,
      ack_policy: AckPolicy.Explicit,
      ack_wait: ACK_WAIT_MS * NANOS,
      max_deliver: -1,
      max_ack_pending: 1_024,
    },
  };
}

export interface MeshLinkOptions {
  nc: NatsConnection;
  mesh: string;
  key: KeyPair;
  onAgentMessage: (d: Delivery) => Promise<void>;
  onError?: (err: unknown) => void;
}

interface Parts {
  agent: Agent;
  replies: Subscription;
  receipts: ReceiptWatch;
  inbox: AgentSubscription;
}

export class MeshLink {
  readonly agent: Agent;
  readonly #p: Parts;

  private constructor(p: Parts) {
    this.agent = p.agent;
    this.#p = p;
  }

  static async open(o: MeshLinkOptions): Promise<MeshLink> {
    const onError = o.onError ?? (() => undefined);
    const agent = await Agent.connect({ key: o.key, nats: o.nc, mesh: o.mesh, onError });
    const started: { stop(): Promise<void> }[] = [];
    try {
      const subjects = meshSubjects(o.mesh);
      const js = jetstream(o.nc);
      const jsm = await jetstreamManager(o.nc);
      // The agent's own view of key rotations (stopped with the agent).
      const reader = new Reader({
        nc: o.nc,
        js,
        subjects,
        did: o.key.did,
        stats: new ReaderStats(),
        rotations: agent.rotations,
        onError,
      });
      const receipts = await new ReceiptWatch({ js, jsm, subjects, reader, did: o.key.did, onError }).start();
      started.push(receipts);
      const seed = o.key.exportSeed();
      const spec = replyConsumer(subjects, { did: o.key.did, nameKey: consumerNameKey(seed, o.mesh) });
      seed.fill(0);
      const replies = await new Subscription({
        nc: o.nc,
        js,
        jsm,
        subjects,
        reader,
        spec,
        handler: o.onAgentMessage,
        ackWaitMs: ACK_WAIT_MS,
        onError,
      }).start();
      started.push(replies);
      const inbox = await agent.listen(o.onAgentMessage);
      return new MeshLink({ agent, replies, receipts, inbox });
    } catch (err) {
      await Promise.allSettled(started.map((s) => s.stop()));
      await agent.close();
      throw err;
    }
  }

  get did(): string {
    return this.agent.did;
  }

  /**
   * A signed direct message to an agent's durable inbox; resolves once stored. `onReceipt` hears when the agent took
   * it, and if its handler gave up on it.
   */
  async send(
    to: string,
    body: unknown,
    options: { type: string; conversation: string; replyTo?: string },
    onReceipt?: (outcome: ReceiptOutcome) => void,
  ): Promise<SendResult> {
    const sent = await this.agent.send(to, body, options);
    if (onReceipt) this.#p.receipts.expect(to, sent.seq, { id: sent.id, onReceipt });
    return sent;
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.#p.replies.stop(), this.#p.inbox.stop(), this.#p.receipts.stop()]);
    await this.agent.close();
  }
}
