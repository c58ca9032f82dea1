/**
 * `plexus audit seal [--registry-key NAME] [--data DIR|off] [--http HOST:PORT|off] [--id ID]`: runs one sealer for the
 * mesh until SIGINT/SIGTERM. Several may run on one mesh (other hosts, `plexus up`, `registry start`): one writes, the
 * others stand by and take over within seconds when it stops. Prints one line (--json: one object) once started.
 * A thin shell over @plexus/nodes startSealerProcess.
 */
import { dirname, join, resolve } from "node:path";
import { portInUsePart, startSealerProcess, type SealerProcess } from "@plexus/nodes";
import { stringOption, type CommandContext, type CommonOptions } from "../../common-options.js";
import { CliError, UsageError } from "../../errors.js";
import { explainRefusal, serviceCredentials } from "../../nats-auth.js";
import { waitForSignal } from "../../session.js";
import { httpOption } from "../../lib/http-option.js";
import { registryKey } from "../../lib/registry-key.js";
import { COMMAND } from "./shared.js";
import { describeSealer } from "./sealer-process.js";

/** Default folder of the sealer's history anchors: sealer/<mesh> next to the key folder. */
export function defaultSealerDataDir(common: CommonOptions): string {
  return join(dirname(resolve(common.keys)), "sealer", common.mesh);
}

export async function sealAudit({ common, values, out }: CommandContext): Promise<number> {
  const data = stringOption(values, "data", COMMAND);
  const dataDir = data === "off" ? undefined : resolve(data ?? defaultSealerDataDir(common));
  const http = values["http"] === undefined ? false : httpOption(values, COMMAND);
  const id = stringOption(values, "id", COMMAND);
  if (id !== undefined && !/^[A-Za-z0-9_-]{1,128}$/.test(id))
    throw new UsageError(`--id ${JSON.stringify(id)}: use 1 to 128 letters, digits, '-' or '_'`, COMMAND);
  const key = await registryKey(common, values, COMMAND, out.info);

  const signals = waitForSignal(out);
  // Ctrl-C or SIGTERM while still waiting for JetStream (a cluster without quorum) ends the wait.
  const starting = new AbortController();
  void signals.signal.then(() => starting.abort());
  let running: SealerProcess | undefined;
  try {
    const credentials = await serviceCredentials(common);
    running = await startSealerProcess({
      nats: common.nats,
      credentials,
      mesh: common.mesh,
      key,
      historyDir: dataDir,
      http,
      log: out,
      signal: starting.signal,
      ...(id !== undefined ? { id } : {}),
    }).catch(async (err: unknown) => {
      if (starting.signal.aborted) return undefined;
      if (http && portInUsePart(err) === "sealer-http")
        throw new CliError(`--http: port ${http.port} on ${http.host} is already in use`, { cause: err });
      throw await explainRefusal(common, err);
    });
    if (!running) {
      out.info(`plexus: ${await signals.signal}: stopped while waiting for JetStream`);
      return 0;
    }
    const { node, health } = running;
    const s = node.status();
    out.data(describeSealer(node), {
      sealer: s.id,
      mesh: common.mesh,
      nats: common.nats,
      signer: s.signer,
      role: s.role,
      state: s.state,
      http: health?.url ?? null,
      data: dataDir ?? null,
    });
    out.info(
      `plexus: audit sealer ${s.id} up for mesh "${common.mesh}" on ${common.nats}${health ? `, /readyz on ${health.url}` : ""}. Ctrl-C to stop.`,
    );
    const signal = await signals.signal;
    out.info(`plexus: ${signal}: stopping the audit sealer…`);
    const stopping = running;
    running = undefined;
    await stopping.stop();
    out.info("plexus: audit sealer stopped");
    return 0;
  } finally {
    await running?.stop().catch(() => undefined);
    signals.dispose();
  }
}
