/** `plexus registry start`: a registry node (and, unless --no-sealer, an audit sealer) until Ctrl-C or SIGTERM. */
import { join, resolve } from "node:path";
import type { RegistryNodeOptions } from "@plexus/registry";
import {
  intOption,
  positionalArgs,
  secondsOption,
  stringOption,
  type CommandImpl,
  type CommonOptions,
  type OptionValues,
} from "../../common-options.js";
import { waitForSignal } from "../../session.js";
import { checkSealedFlags, startSealed } from "./sealed.js";
import { explainRefusal, registryNatsAuth, serviceCredentials } from "../../nats-auth.js";
import { loadRegistryMcp, portInUsePart, startRegistryProcess, type RegistryProcess } from "@plexus/nodes";
import { CliError } from "../../errors.js";
import { resolveAgent, trustAnchorOption } from "../../lib/agent-ref.js";
import { httpOption } from "../../lib/http-option.js";
import { publicUrlHosts } from "../../lib/public-url-option.js";
import { registryKey } from "../../lib/registry-key.js";
import { defaultRegistryDataDir, describeNode } from "../../lib/registry-node.js";

const COMMAND = "registry";
export const registryCommand: CommandImpl = {
  async run({ common, values, positionals, out }) {
    positionalArgs(positionals, [], COMMAND);
    checkSealedFlags(values, values["sealed"] === true ? "sealed" : "start");
    const http = httpOption(values, COMMAND);
    const data = stringOption(values, "data", COMMAND);
    const dataDir = data === "off" ? undefined : resolve(data ?? defaultRegistryDataDir(common));
    const tuning = await tuningOptions(common, values);
    tuning.mcp = await loadRegistryMcp({ allowedHosts: publicUrlHosts(values, COMMAND) });
    if (values["sealed"] === true) return startSealed({ common, values, out, http, dataDir, tuning });
    const key = await registryKey(common, values, COMMAND, out.info);
    const sealing = values["no-sealer"] !== true;

    const signals = waitForSignal(out);
    // Ctrl-C while the node still waits for JetStream (a cluster without quorum) ends the wait.
    const starting = new AbortController();
    void signals.signal.then(() => starting.abort());
    let running: RegistryProcess | undefined;
    try {
      const credentials = sealing ? await serviceCredentials(common) : undefined;
      const sealer = sealing
        ? { credentials, historyDir: dataDir === undefined ? undefined : join(dataDir, "sealer") }
        : false;
      running = await startRegistryProcess({
        nats: common.nats,
        mesh: common.mesh,
        key,
        http,
        dataDir,
        tuning,
        sealer,
        log: out,
        signal: starting.signal,
      }).catch(async (err: unknown) => {
        if (starting.signal.aborted) return undefined;
        if (http && portInUsePart(err) === "registry-http") {
          throw new CliError(
            `HTTP port ${http.port} on ${http.host} is already in use (another registry or plexus up?); choose another with --http HOST:PORT, or --http off`,
            { cause: err },
          );
        }
        throw await explainRefusal(common, err);
      });
      if (!running) {
        out.info(`plexus: ${await signals.signal}: stopped while waiting for JetStream`);
        return 0;
      }
      const { node, sealer: sealerNode } = running;
      const shown = describeNode(node, { nats: common.nats, data: dataDir ?? null, sealer: sealerNode?.id ?? null });
      out.data(
        shown.human +
          (sealerNode
            ? `\nsealer    ${sealerNode.id} (${sealerNode.status().role === "active" ? "writing" : "standing by"})`
            : "\nsealer    off"),
        shown.json,
      );
      out.info(
        `plexus: registry node up for mesh "${common.mesh}" on ${common.nats}${dataDir ? `, snapshots in ${dataDir}` : ""}. Ctrl-C to stop.`,
      );
      const signal = await signals.signal;
      out.info(`plexus: ${signal}: stopping the registry node${sealerNode ? " and the sealer" : ""}…`);
      const stopping = running;
      running = undefined;
      await stopping.stop();
      out.info("plexus: registry node stopped");
      return 0;
    } finally {
      await running?.stop().catch(() => undefined);
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
  for (const [flag, option] of Object.entries(TUNING_SECONDS) as [
    keyof typeof TUNING_SECONDS,
    (typeof TUNING_SECONDS)[keyof typeof TUNING_SECONDS],
  ][]) {
    const seconds = secondsOption(values, flag, COMMAND);
    if (seconds !== undefined) tuning[option] = Math.round(seconds * 1000);
  }
  const maxLagEvents = intOption(values, "max-lag-events", COMMAND, 0);
  if (maxLagEvents !== undefined) tuning.maxLagEvents = maxLagEvents;
  const maxLagSeconds = values["max-lag-seconds"] === "0" ? 0 : secondsOption(values, "max-lag-seconds", COMMAND);
  if (maxLagSeconds !== undefined) tuning.maxLagSeconds = maxLagSeconds;
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
    tuning.trustedRegistries = await Promise.all(
      registries.map((r) => resolveAgent(common, String(r), COMMAND, "--trust-registry")),
    );
  }
  return tuning;
}
