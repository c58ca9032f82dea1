/** `plexus registry start`: a registry node (and, unless --no-sealer, an audit sealer) until Ctrl-C or SIGTERM. */
import { join, resolve } from "node:path";
import type { RegistryNode, RegistryNodeOptions } from "@plexus/registry";
import { positionalArgs, secondsOption, stringOption, type CommandImpl, type CommonOptions, type OptionValues } from "../../common-options.js";
import { waitForSignal } from "../../session.js";
import { checkSealedFlags, startSealed } from "./sealed.js";
import { connectService, registryNatsAuth } from "../../nats-auth.js";
import type { NatsConnection } from "@nats-io/transport-node";
import type { SealerNode } from "@plexus/audit";
import { startMeshSealer } from "../audit/sealer-process.js";
import { resolveAgent, trustAnchorOption } from "../../lib/agent-ref.js";
import { httpOption } from "../../lib/http-option.js";
import { registryKey } from "../../lib/registry-key.js";
import { defaultRegistryDataDir, describeNode, startNode } from "../../lib/registry-node.js";

const COMMAND = "registry";
export const registryCommand: CommandImpl = {
  async run({ common, values, positionals, out }) {
    positionalArgs(positionals, [], COMMAND);
    checkSealedFlags(values, values["sealed"] === true ? "sealed" : "start");
    const http = httpOption(values, COMMAND);
    const data = stringOption(values, "data", COMMAND);
    const dataDir = data === "off" ? undefined : resolve(data ?? defaultRegistryDataDir(common));
    const tuning = await tuningOptions(common, values);
    if (values["sealed"] === true) return startSealed({ common, values, out, http, dataDir, tuning });
    const key = await registryKey(common, values, COMMAND, out.info);
    const sealing = values["no-sealer"] !== true;

    const signals = waitForSignal(out);
    let node: RegistryNode | undefined;
    let sealerNc: NatsConnection | undefined;
    let sealer: SealerNode | undefined;
    try {
      // A sealer that cannot start (NATS refusing the sealers bucket to a service user issued before it existed: run
      // plexus init) does not keep the registry down; it is said at error and /readyz answers 503 with the reason.
      let sealerFailure: { ready: false; state: "failed"; problem: { code: string; reason: string; since: number } } | undefined;
      if (sealing) {
        sealerNc = await connectService(common, "plexus registry (sealer)");
        sealer = await startMeshSealer({ nc: sealerNc, mesh: common.mesh, key, historyDir: dataDir === undefined ? undefined : join(dataDir, "sealer"), out }).catch((err: unknown) => {
          const reason = (err as Error).message;
          out.error(`audit sealer: could not start: ${reason}; not sealing here`);
          sealerFailure = { ready: false, state: "failed", problem: { code: (err as { code?: string }).code ?? "AUDIT_STORE_FAILED", reason, since: Date.now() } };
          return undefined;
        });
      }
      const sealerNode = sealer;
      const failed = sealerFailure;
      const sealerStatus = sealerNode ? () => sealerNode.status() : failed ? () => failed : undefined;
      const withSealer = sealerStatus ? { ...tuning, components: { sealer: sealerStatus } } : tuning;
      node = await startNode({ nats: common.nats, mesh: common.mesh, key, http, dataDir, out, tuning: withSealer });
      const shown = describeNode(node, { nats: common.nats, data: dataDir ?? null, sealer: sealer?.id ?? null });
      out.data(shown.human + (sealer ? `\nsealer    ${sealer.id} (${sealer.status().role === "active" ? "writing" : "standing by"})` : "\nsealer    off"), shown.json);
      out.info(`plexus: registry node up for mesh "${common.mesh}" on ${common.nats}${dataDir ? `, snapshots in ${dataDir}` : ""}. Ctrl-C to stop.`);
      const signal = await signals.signal;
      out.info(`plexus: ${signal}: stopping the registry node${sealer ? " and the sealer" : ""}…`);
      const stopping = node;
      node = undefined;
      await stopping.stop();
      await sealer?.stop();
      sealer = undefined;
      out.info("plexus: registry node stopped");
      return 0;
    } finally {
      await node?.stop().catch(() => undefined);
      await sealer?.stop().catch(() => undefined);
      if (sealerNc && !sealerNc.isClosed()) await sealerNc.close().catch(() => undefined);
      signals.dispose();
    }
  },
};

const TUNING_SECONDS = {
  heartbeat: "heartbeatIntervalMs",
  "suspect-after": "suspectAfterMs",
  "offline-after": "offlineAfterMs",
  "gone-after": "goneAfterMs",
  "credential-ttl": "credentialTtlMs",
  "half-life": "halfLifeMs",
  "nats-user-ttl": "natsUserTtlMs",
} as const;

/** The tuning flags of `registry start` as node options (seconds → ms; anchors resolved through the key folder). */
async function tuningOptions(common: CommonOptions, values: OptionValues): Promise<Partial<RegistryNodeOptions>> {
  const tuning: Partial<RegistryNodeOptions> = {};
  for (const [flag, option] of Object.entries(TUNING_SECONDS) as [keyof typeof TUNING_SECONDS, (typeof TUNING_SECONDS)[keyof typeof TUNING_SECONDS]][]) {
    const seconds = secondsOption(values, flag, COMMAND);
    if (seconds !== undefined) tuning[option] = Math.round(seconds * 1000);
  }
  const anchors = await trustAnchorOption(common, values, COMMAND);
  if (anchors) tuning.trustAnchors = anchors;
  const operators = values["operator"];
  if (Array.isArray(operators)) {
    tuning.operators = await Promise.all(operators.map((r) => resolveAgent(common, String(r), COMMAND, "--operator")));
  }
  const natsAuth = await registryNatsAuth(common);
  if (natsAuth) tuning.natsAuth = natsAuth;
  const registries = values["trust-registry"];
  if (Array.isArray(registries)) {
    tuning.trustedRegistries = await Promise.all(registries.map((r) => resolveAgent(common, String(r), COMMAND, "--trust-registry")));
  }
  return tuning;
}
