/**
 * Parts 4 and 5 of the identity benchmark, on the operator-mode server with its registry node:
 *   kill switch  an operator's RegistryClient.suspend(victim) until the victim's connection reports the revocation
 *                and until it is closed; baseline: revokeUser (the account JWT re-signed with the victim's user key
 *                revoked and pushed to the server, what the node does after appending AgentSuspended) called
 *                directly on a connection of a fresh agent user, until that connection reports it;
 *   rotation     RegistryClient.rotate(old, new) on agents with reputation evidence (conversations both ways, a
 *                rating each way), and until the old key's connection is revoked; baseline: RegistryClient.update
 *                (a signed card update) by the same agent just before.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import type { RegistryClient } from "@plexus/anp";
import { revokeUser } from "@plexus/bus";
import { revokedUsers } from "@plexus/bus/internal";
import { generateKeyPair, type KeyPair } from "@plexus/identity";
import { Agent, type AgentCard, type Delivery } from "@plexus/sdk";
import { latencies } from "./a2a-load.js";
import { log, now, round } from "./lib.js";
import type { OperatorMesh } from "./identity-users.js";

export interface Latency {
  n: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

const figures = (times: number[]): Latency => ({ n: times.length, ...latencies(times) });

export function card(name: string, version = "1.0.0"): AgentCard {
  return {
    name,
    description: `${name}, a benchmark agent`,
    version,
    capabilities: [{ name: "echo", input: { type: "object" }, output: { type: "object" } }],
    tags: ["bench"],
  };
}

/**
 * Resolves with the time (now()) of the first status of `nc` that reports a revocation; every status, with its time
 * from `t0()`, goes into `trace`.
 */
function revokedAt(nc: NatsConnection, trace: string[] = [], t0 = () => 0): Promise<number> {
  return new Promise((resolve) => {
    void (async () => {
      for await (const s of nc.status()) {
        const text = s.type === "error" ? `${s.type} ${(s.error as Error).message}` : s.type;
        trace.push(`${round(now() - t0(), 1)} ms ${text}`);
        if (/revoked/i.test(text)) resolve(now());
      }
    })();
  });
}

async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)),
  );
  try {
    return await Promise.race([p, expired]);
  } finally {
    clearTimeout(timer);
  }
}

export interface KillSwitchFigures {
  /** suspend call until the victim's connection reported "revoked" / was closed / the suspend call returned. */
  suspend_to_revoked: Latency;
  suspend_to_closed: Latency;
  suspend_reply: Latency;
  /** revokeUser called directly until the connection reported "revoked". */
  revoke_user_to_revoked: Latency;
  revocations_in_account_at_end: number;
  /** The victim connection's statuses in the first trial, timed from the suspend call. */
  first_trial_statuses: string[];
}

export async function killSwitch(
  op: OperatorMesh & {
    operator: KeyPair;
    client: RegistryClient;
    connectAgent: (key: KeyPair) => Promise<NatsConnection>;
  },
  trials: number,
): Promise<KillSwitchFigures> {
  const t = { revoked: [] as number[], closed: [] as number[], reply: [] as number[], baseline: [] as number[] };
  let firstTrace: string[] = [];
  for (let i = 0; i < trials; i++) {
    const victim = await Agent.connect({
      key: generateKeyPair(),
      nats: op.url,
      mesh: op.mesh,
      natsAuth: { bootstrapCreds: op.auth.bootstrapCreds },
      onError: () => undefined,
    });
    try {
      await victim.join(card(`victim-${i}`));
      const nc = victim.natsSession!.nc;
      const trace: string[] = [];
      let t0 = now();
      const revoked = revokedAt(nc, trace, () => t0);
      const closed = nc.closed().then(() => now());
      t0 = now();
      const replied = op.client.suspend(op.operator, victim.did, "benchmark").then(() => now());
      const [r, c, a] = await within(Promise.all([revoked, closed, replied]), 10_000, "the victim to be cut off");
      t.revoked.push(r - t0);
      t.closed.push(c - t0);
      t.reply.push(a - t0);
      if (i === 0) firstTrace = [...trace, `${round(c - t0, 1)} ms closed`];
    } finally {
      await victim.close().catch(() => undefined);
    }

    const key = generateKeyPair();
    const nc = await op.connectAgent(key);
    try {
      const revoked = revokedAt(nc);
      const t0 = now();
      await revokeUser({ auth: op.auth, servers: op.url, did: key.did });
      t.baseline.push((await within(revoked, 10_000, "the baseline user to be revoked")) - t0);
    } finally {
      await nc.close().catch(() => undefined);
    }
  }
  const out = {
    suspend_to_revoked: figures(t.revoked),
    suspend_to_closed: figures(t.closed),
    suspend_reply: figures(t.reply),
    revoke_user_to_revoked: figures(t.baseline),
    revocations_in_account_at_end: Object.keys(await revokedUsers({ auth: op.auth, servers: op.url })).length,
    first_trial_statuses: firstTrace,
  };
  log(
    `identity: kill switch over ${trials}: suspend → revoked p50 ${out.suspend_to_revoked.p50_ms} / max ${out.suspend_to_revoked.max_ms} ms, → closed p50 ${out.suspend_to_closed.p50_ms} ms, reply p50 ${out.suspend_reply.p50_ms} ms; ` +
      `revokeUser alone → revoked p50 ${out.revoke_user_to_revoked.p50_ms} / max ${out.revoke_user_to_revoked.max_ms} ms`,
  );
  return out;
}

export interface RotationFigures {
  rotate: Latency;
  update: Latency;
  /** rotate call until the old key's connection reported "revoked" (the node cuts it off after answering). */
  rotate_to_old_key_revoked: Latency;
  /** rotate p50 / update p50, and the difference in ms. */
  p50_x: number;
  p50_added_ms: number;
  evidence_per_agent: { conversations: number; ratings: number };
}

/** One exchange in its own conversation: `from` asks, `to` answers (a reply naming the request). */
async function converse(from: Agent, to: Agent, conversation: string): Promise<void> {
  const sent = await from.send(to.did, { ask: conversation }, { conversation });
  await to.reply({ from: from.did, id: sent.id, conversation } as Delivery, { answer: conversation });
}

export async function rotation(op: OperatorMesh & { client: RegistryClient }, n: number): Promise<RotationFigures> {
  const connect = (key: KeyPair) =>
    Agent.connect({
      key,
      nats: op.url,
      mesh: op.mesh,
      natsAuth: { bootstrapCreds: op.auth.bootstrapCreds },
      onError: () => undefined,
    });
  const agents: Agent[] = [];
  try {
    const peer = await connect(generateKeyPair());
    agents.push(peer);
    await peer.join(card("peer"));
    const keys = Array.from({ length: n }, () => generateKeyPair());
    for (const [i, key] of keys.entries()) {
      const a = await connect(key);
      agents.push(a);
      await a.join(card(`rotating-${i}`));
      await converse(peer, a, `peer-${i}`);
      await converse(a, peer, `agent-${i}`);
      await peer.rate({ ratee: a.did, conversation: `peer-${i}`, score: 0.8, factor: "quality" });
      await a.rate({ ratee: peer.did, conversation: `agent-${i}`, score: 0.9, factor: "reliability" });
    }
    log(`identity: ${n} agents joined, each with 2 conversations and 2 ratings`);
    const times = { rotate: [] as number[], update: [] as number[], cut: [] as number[] };
    for (const [i, key] of keys.entries()) {
      let t0 = now();
      await op.client.update(key, card(`rotating-${i}`, "1.0.1"));
      times.update.push(now() - t0);
      const revoked = revokedAt(agents[i + 1]!.natsSession!.nc);
      t0 = now();
      const moved = await op.client.rotate(key, generateKeyPair());
      times.rotate.push(now() - t0);
      if (moved.from !== key.did) throw new Error(`rotation answered for ${moved.from}, not ${key.did}`);
      times.cut.push((await within(revoked, 10_000, "the old key's connection to be revoked")) - t0);
      // Closed at once: its client would otherwise retry twice with the revoked key (~0.25 and ~0.6 s later), each
      // retry an nkey signature (tweetnacl, ~12 ms) on this event loop, which the registry node shares here.
      await agents[i + 1]!.close().catch(() => undefined);
    }
    const rotate = figures(times.rotate);
    const update = figures(times.update);
    const cut = figures(times.cut);
    log(
      `identity: rotate p50 ${rotate.p50_ms} / max ${rotate.max_ms} ms (old key's connection revoked after p50 ${cut.p50_ms} / max ${cut.max_ms} ms); update p50 ${update.p50_ms} / max ${update.max_ms} ms`,
    );
    return {
      rotate,
      update,
      rotate_to_old_key_revoked: cut,
      p50_x: round(rotate.p50_ms / update.p50_ms, 2),
      p50_added_ms: round(rotate.p50_ms - update.p50_ms, 2),
      evidence_per_agent: { conversations: 2, ratings: 2 },
    };
  } finally {
    await Promise.allSettled(agents.map((a) => a.close()));
  }
}
