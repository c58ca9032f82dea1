/**
 * Identity and trust (issue 5), each figure against a baseline measured in the same run:
 *   1. ACP one-way messaging with NATS-enforced permissions (operator mode, one user JWT per agent) vs an open server;
 *   2. capability credential verification: the strict verifier vs did-jwt-vc alone vs a bare Ed25519 check;
 *   3. NATS user JWT issuance (natsUser) vs the challenge op alone; Agent.connect in operator mode vs open;
 *   4. the kill switch: suspend until the victim is cut off, vs the account revocation push alone;
 *   5. agent key rotation vs a card update.
 * Two nats-servers (one open, one in operator mode, both from @plexus/testing); a registry node on the operator-mode
 * one, in this process.
 */
import { RegistryClient } from "@plexus/anp";
import { generateKeyPair } from "@plexus/identity";
import { startRegistryNode, type RegistryNode } from "@plexus/registry";
import { startTestServer, type TestServer } from "@plexus/testing";
import { credentials } from "./identity-credentials.js";
import { messaging, MESSAGING_CONCURRENCY, type MessagingSizes } from "./identity-messaging.js";
import { killSwitch, rotation } from "./identity-switch.js";
import { natsUsers, USERS_CONCURRENCY, type UsersSizes } from "./identity-users.js";
import { environment, log, type BenchOptions, type BenchResult } from "./lib.js";

export const description =
  "identity and trust: ACP messaging with NATS-enforced permissions vs an open server; credential verification vs did-jwt-vc vs Ed25519; NATS user JWTs vs challenge; kill switch vs revocation push; key rotation vs card update";

const REGISTRY_MESH = "identity";
const MESSAGING_MESH = "identity-msg";

interface Sizes {
  messaging: MessagingSizes;
  users: UsersSizes;
  killSwitchTrials: number;
  rotations: number;
}

function sizes(quick: boolean): Sizes {
  return quick
    ? {
        messaging: { warmup: 1_000, sequential: 300, concurrent: 2_000, rounds: 2 },
        users: {
          warmup: 20,
          sequential: 50,
          concurrent: 100,
          challengeSequential: 500,
          challengeConcurrent: 2_000,
          connects: 5,
        },
        killSwitchTrials: 3,
        rotations: 5,
      }
    : {
        messaging: { warmup: 3_000, sequential: 2_000, concurrent: 10_000, rounds: 4 },
        users: {
          warmup: 50,
          sequential: 200,
          concurrent: 400,
          challengeSequential: 2_000,
          challengeConcurrent: 10_000,
          connects: 20,
        },
        killSwitchTrials: 15,
        rotations: 20,
      };
}

export async function run(options: BenchOptions): Promise<BenchResult> {
  const s = sizes(options.quick);
  const env = environment();
  const credentialFigures = await credentials(options.quick);

  const servers: TestServer[] = [];
  let node: RegistryNode | undefined;
  const closers: (() => Promise<unknown>)[] = [];
  try {
    const open = await startTestServer();
    servers.push(open);
    const operatorServer = await startTestServer({ operator: true });
    servers.push(operatorServer);
    log(
      `identity: nats-server ${open.version}: open at ${open.url}, operator mode at ${operatorServer.url}${options.quick ? " (quick)" : ""}`,
    );

    const messagingFigures = await messaging({ open, operator: operatorServer }, s.messaging);

    const auth = await operatorServer.auth.mesh(REGISTRY_MESH);
    const operator = generateKeyPair();
    node = await startRegistryNode({
      nats: operatorServer.url,
      mesh: REGISTRY_MESH,
      key: generateKeyPair(),
      http: false,
      natsAuth: auth,
      operators: [operator.did],
      log: (line) => log(`identity: node: ${line}`),
    });
    const service = await operatorServer.auth.connectService(REGISTRY_MESH);
    closers.push(() => service.close());
    const client = new RegistryClient(service, REGISTRY_MESH, { timeoutMs: 30_000 });
    const op = { url: operatorServer.url, mesh: REGISTRY_MESH, auth };

    const usersFigures = await natsUsers(op, { url: open.url, mesh: MESSAGING_MESH }, s.users);
    const killFigures = await killSwitch(
      { ...op, operator, client, connectAgent: (key) => operatorServer.auth.connectAgent(REGISTRY_MESH, key) },
      s.killSwitchTrials,
    );
    const rotationFigures = await rotation({ ...op, client }, s.rotations);

    return {
      bench: "identity",
      messaging: { concurrency: MESSAGING_CONCURRENCY, ...s.messaging, ...messagingFigures },
      credentials: credentialFigures,
      nats_users: { concurrency: USERS_CONCURRENCY, ...usersFigures },
      kill_switch: { trials: s.killSwitchTrials, ...killFigures },
      rotation: { agents: s.rotations, ...rotationFigures },
      registry_counters: node.status().counters,
      quick: options.quick,
      node: env.node,
      nats_server: open.version,
      cpu: env.cpu,
      cores: env.cores,
      platform: env.platform,
      date: new Date().toISOString(),
    };
  } finally {
    for (const c of closers) await c().catch(() => undefined);
    await node?.stop().catch(() => undefined);
    await Promise.allSettled(servers.map((x) => x.cleanup()));
    log("identity: servers stopped");
  }
}
