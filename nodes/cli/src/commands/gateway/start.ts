/**
 * `plexus gateway start` (a thin shell over @plexus/nodes startGatewayProcess), and what `plexus up` shares with it:
 * the gateway key, the listen address, describing the gateway.
 */
import type { A2AGateway } from "@plexus/a2a";
import { KeyStore, type KeyPair } from "@plexus/identity";
import {
  positionalArgs,
  stringOption,
  type CommandImpl,
  type CommonOptions,
  type OptionValues,
} from "../../common-options.js";
import { CliError, UsageError } from "../../errors.js";
import { checkKeyName, waitForSignal } from "../../session.js";
import { portInUsePart, startGatewayProcess } from "@plexus/nodes";
import { serviceCredentials } from "../../nats-auth.js";

const COMMAND = "gateway";
import { DEFAULT_GATEWAY_KEY, DEFAULT_GATEWAY_LISTEN } from "../../lib/defaults.js";
export { DEFAULT_GATEWAY_KEY, DEFAULT_GATEWAY_LISTEN };

export type GatewayListen = { host: string; port: number };

/** HOST:PORT (IPv6 as [::1]:PORT; port 0 picks a free one); `off` only where `allowOff`. */
export function listenOption(
  values: OptionValues,
  flag: string,
  command: string,
  allowOff: boolean,
): GatewayListen | false {
  const v = stringOption(values, flag, command);
  if (v === undefined) return { ...DEFAULT_GATEWAY_LISTEN };
  if (v === "off" && allowOff) return false;
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^\s:[\]]+):(\d{1,5})$/.exec(v);
  if (!m || Number(m[2]) > 65535) {
    throw new UsageError(
      `--${flag} must be HOST:PORT (such as 127.0.0.1:7430)${allowOff ? " or off" : ""}, got ${JSON.stringify(v)}`,
      command,
    );
  }
  return { host: (m[1] as string).replace(/^\[(.*)\]$/, "$1"), port: Number(m[2]) };
}

/** --gateway-key NAME from the key folder, created when missing (the gateway's identity on the mesh). */
export async function gatewayKey(
  common: CommonOptions,
  values: OptionValues,
  command: string,
  info: (line: string) => void,
): Promise<KeyPair> {
  const name = checkKeyName(
    stringOption(values, "gateway-key", command) ?? DEFAULT_GATEWAY_KEY,
    command,
    "--gateway-key",
  );
  const store = new KeyStore(common.keys);
  if (await store.has(name)) return store.load(name);
  const key = await store.create(name);
  info(`plexus: created the gateway key "${name}" (${key.did}) in ${common.keys}`);
  return key;
}

export function describeGateway(gw: A2AGateway): { human: string; json: Record<string, unknown> } {
  return {
    human: [
      `gateway   ${gw.did}`,
      `mesh      ${gw.mesh}`,
      `a2a       ${gw.url}/agents/<agent token>/  (list: ${gw.url}/agents)`,
    ].join("\n"),
    json: { gateway: gw.did, mesh: gw.mesh, url: gw.url, agents: `${gw.url}/agents` },
  };
}

export const gatewayCommand: CommandImpl = {
  async run({ common, values, positionals, out }) {
    positionalArgs(positionals, [], COMMAND);
    const http = listenOption(values, "http", COMMAND, false) as GatewayListen;
    const publicUrl = stringOption(values, "public-url", COMMAND);
    if (publicUrl !== undefined && !/^https?:\/\/\S+$/.test(publicUrl))
      throw new UsageError(`--public-url must be an http(s) URL, got ${JSON.stringify(publicUrl)}`, COMMAND);
    const key = await gatewayKey(common, values, COMMAND, out.info);

    const signals = waitForSignal(out);
    // Ctrl-C or SIGTERM while still waiting for JetStream (a cluster without quorum) ends the wait.
    const starting = new AbortController();
    void signals.signal.then(() => starting.abort());
    let gw: A2AGateway | undefined;
    try {
      gw = await startGatewayProcess({
        nats: common.nats,
        mesh: common.mesh,
        key,
        http,
        publicUrl,
        credentials: await serviceCredentials(common),
        log: out,
        signal: starting.signal,
      }).catch((err: unknown) => {
        if (starting.signal.aborted) return undefined;
        if (portInUsePart(err) !== "gateway-http") throw err;
        throw new CliError(
          `HTTP port ${http.port} on ${http.host} is already in use (another gateway or plexus up?); choose another with --http HOST:PORT`,
          { cause: err },
        );
      });
      if (!gw) {
        out.info(`plexus: ${await signals.signal}: stopped while waiting for JetStream`);
        return 0;
      }
      const shown = describeGateway(gw);
      out.data(shown.human, { ...shown.json, nats: common.nats });
      out.info(`plexus: A2A gateway up for mesh "${common.mesh}" on ${common.nats}. Ctrl-C to stop.`);
      const signal = await signals.signal;
      out.info(`plexus: ${signal}: stopping the A2A gateway…`);
      const stopping = gw;
      gw = undefined;
      await stopping.stop();
      out.info("plexus: A2A gateway stopped");
      return 0;
    } finally {
      await gw?.stop().catch(() => undefined);
      signals.dispose();
    }
  },
};
