/**
 * Part 3 of the identity benchmark: NATS user JWTs. A registry node in operator mode (in this process) trades a
 * signed `connect` request for a user JWT; measured over the mesh's bootstrap user, as an agent asks for it:
 *   natsUser   RegistryClient.natsUser(key): challenge, then the signed request, checked and answered with a JWT;
 *   challenge  the `challenge` op alone (one round trip, no signature to check, no JWT to sign): the baseline.
 * Both sequentially and with 16 in flight, fresh keys throughout. Then the whole of Agent.connect in operator mode
 * (bootstrap connection → own JWT → reconnect as the agent) against Agent.connect on the open server, alternating.
 */
import { RegistryClient } from "@plexus/anp";
import { connectBus, type MeshAuth } from "@plexus/bus";
import { BOOTSTRAP_INBOX_PREFIX } from "@plexus/bus/internal";
import { generateKeyPair, type KeyPair } from "@plexus/identity";
import { Agent } from "@plexus/sdk";
import { latencies, load, type LoadFigures } from "./a2a-load.js";
import { log, now, round } from "./lib.js";

export const USERS_CONCURRENCY = 16;

export interface UsersSizes {
  warmup: number;
  sequential: number;
  concurrent: number;
  /** The challenge op is ~100× cheaper: it gets more calls. */
  challengeSequential: number;
  challengeConcurrent: number;
  connects: number;
}

export interface UsersFigures {
  challenge: { sequential: LoadFigures; c16: LoadFigures };
  nats_user: { sequential: LoadFigures; c16: LoadFigures };
  /** natsUser / challenge in requests per second. */
  nats_user_vs_challenge: { sequential: number; c16: number };
  connect: {
    operator: { p50_ms: number; p99_ms: number; max_ms: number; n: number };
    open: { p50_ms: number; p99_ms: number; max_ms: number; n: number };
    /** operator p50 / open p50, and the difference in ms. */
    p50_x: number;
    p50_added_ms: number;
  };
}

export interface OperatorMesh {
  url: string;
  mesh: string;
  auth: MeshAuth;
}

export async function natsUsers(
  op: OperatorMesh,
  open: { url: string; mesh: string },
  sizes: UsersSizes,
): Promise<UsersFigures> {
  const nc = await connectBus({
    servers: op.url,
    name: "bench-bootstrap",
    credentials: { creds: op.auth.bootstrapCreds },
    inboxPrefix: BOOTSTRAP_INBOX_PREFIX,
  });
  try {
    const client = new RegistryClient(nc, op.mesh, { timeoutMs: 30_000 });
    const keys = (n: number): KeyPair[] => Array.from({ length: n }, () => generateKeyPair());
    const warm = keys(sizes.warmup);
    await load(warm.length, USERS_CONCURRENCY, (i) => client.natsUser(warm[i]!).then(() => undefined));
    const challengeDids = keys(sizes.challengeSequential + sizes.challengeConcurrent).map((k) => k.did);
    await load(sizes.challengeSequential, USERS_CONCURRENCY, (i) =>
      client.challenge(challengeDids[i]!).then(() => undefined),
    );
    const challenge = {
      sequential: await load(sizes.challengeSequential, 1, (i) =>
        client.challenge(challengeDids[i]!).then(() => undefined),
      ),
      c16: await load(sizes.challengeConcurrent, USERS_CONCURRENCY, (i) =>
        client.challenge(challengeDids[sizes.challengeSequential + i]!).then(() => undefined),
      ),
    };
    log(
      `identity: challenge sequential ${challenge.sequential.msgs_per_s}/s (p50 ${challenge.sequential.p50_ms} ms), c16 ${challenge.c16.msgs_per_s}/s`,
    );
    const seqKeys = keys(sizes.sequential);
    const concKeys = keys(sizes.concurrent);
    const nats_user = {
      sequential: await load(seqKeys.length, 1, (i) => client.natsUser(seqKeys[i]!).then(() => undefined)),
      c16: await load(concKeys.length, USERS_CONCURRENCY, (i) => client.natsUser(concKeys[i]!).then(() => undefined)),
    };
    log(
      `identity: natsUser sequential ${nats_user.sequential.msgs_per_s}/s (p50 ${nats_user.sequential.p50_ms} ms), c16 ${nats_user.c16.msgs_per_s}/s`,
    );
    return {
      challenge,
      nats_user,
      nats_user_vs_challenge: {
        sequential: round(nats_user.sequential.msgs_per_s / challenge.sequential.msgs_per_s, 3),
        c16: round(nats_user.c16.msgs_per_s / challenge.c16.msgs_per_s, 3),
      },
      connect: await connects(op, open, sizes.connects),
    };
  } finally {
    await nc.close();
  }
}

/** Agent.connect then close, alternating operator mode and open server; connect times only. */
async function connects(
  op: OperatorMesh,
  open: { url: string; mesh: string },
  n: number,
): Promise<UsersFigures["connect"]> {
  const times = { operator: [] as number[], open: [] as number[] };
  const once = async (mode: "operator" | "open") => {
    const key = generateKeyPair();
    const t0 = now();
    const agent =
      mode === "operator"
        ? await Agent.connect({
            key,
            nats: op.url,
            mesh: op.mesh,
            natsAuth: { bootstrapCreds: op.auth.bootstrapCreds },
          })
        : await Agent.connect({ key, nats: open.url, mesh: open.mesh });
    const ms = now() - t0;
    await agent.close();
    return ms;
  };
  for (let i = 0; i < 2; i++) for (const mode of ["operator", "open"] as const) await once(mode);
  for (let i = 0; i < n; i++) {
    for (const mode of i % 2 === 0 ? (["operator", "open"] as const) : (["open", "operator"] as const))
      times[mode].push(await once(mode));
  }
  const operator = { ...latencies(times.operator), n };
  const openFigures = { ...latencies(times.open), n };
  log(
    `identity: Agent.connect operator mode p50 ${operator.p50_ms} ms (max ${operator.max_ms}), open server p50 ${openFigures.p50_ms} ms (max ${openFigures.max_ms})`,
  );
  return {
    operator,
    open: openFigures,
    p50_x: round(operator.p50_ms / openFigures.p50_ms, 2),
    p50_added_ms: round(operator.p50_ms - openFigures.p50_ms, 2),
  };
}
