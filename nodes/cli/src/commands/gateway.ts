/**
 * `plexus gateway start` (a thin shell over @plexus/nodes startGatewayProcess), and what `plexus up` shares with it:
 * the gateway key, the listen address, describing the gateway.
 */
import type { A2AGateway } from "@plexus/a2a";
import { KeyStore, type KeyPair } from "@plexus/identity";
import { positionalArgs, stringOption, type CommandDef, type CommonOptions, type OptionValues } from "../common-options.js";
import { CliError, UsageError } from "../errors.js";
import { checkKeyName, waitForSignal } from "../session.js";
import { portInUsePart, startGatewayProcess } from "@plexus/nodes";
import { serviceCredentials } from "../nats-auth.js";

const COMMAND = "gateway";
export const DEFAULT_GATEWAY_KEY = "gateway";
export const DEFAULT_GATEWAY_LISTEN = { host: "127.0.0.1", port: 7430 } as const;

export type GatewayListen = { host: string; port: number };

/** HOST:PORT (IPv6 as [::1]:PORT; port 0 picks a free one); `off` only where `allowOff`. */
export function listenOption(values: OptionValues, flag: string, command: string, allowOff: boolean): GatewayListen | false {
  const v = stringOption(values, flag, command);
  if (v === undefined) return { ...DEFAULT_GATEWAY_LISTEN };
  if (v === "off" && allowOff) return false;
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^\s:[\]]+):(\d{1,5})$/.exec(v);
  if (!m || Number(m[2]) > 65535) {
    throw new UsageError(`--${flag} must be HOST:PORT (such as 127.0.0.1:7430)${allowOff ? " or off" : ""}, got ${JSON.stringify(v)}`, command);
  }
  return { host: (m[1] as string).replace(/^\[(.*)\]$/, "$1"), port: Number(m[2]) };
}

/** --gateway-key NAME from the key folder, created when missing (the gateway's identity on the mesh). */
export async function gatewayKey(common: CommonOptions, values: OptionValues, command: string, info: (line: string) => void): Promise<KeyPair> {
  const name = checkKeyName(stringOption(values, "gateway-key", command) ?? DEFAULT_GATEWAY_KEY, command, "--gateway-key");
  const store = new KeyStore(common.keys);
  if (await store.has(name)) return store.load(name);
  const key = await store.create(name);
  info(`plexus: created the gateway key "${name}" (${key.did}) in ${common.keys}`);
  return key;
}

export function describeGateway(gw: A2AGateway): { human: string; json: Record<string, unknown> } {
  return {
    human: [`gateway   ${gw.did}`, `mesh      ${gw.mesh}`, `a2a       ${gw.url}/agents/<agent token>/  (list: ${gw.url}/agents)`].join("\n"),
    json: { gateway: gw.did, mesh: gw.mesh, url: gw.url, agents: `${gw.url}/agents` },
  };
}

export const gatewayCommand: CommandDef = {
  name: COMMAND,
  summary: "run the A2A gateway: agents that opt in become A2A agents over HTTP; Ctrl-C stops it",
  usage: "plexus gateway start [--http HOST:PORT] [--gateway-key NAME] [--public-url URL]",
  help: `Starts an A2A gateway for the mesh on --nats: a mesh agent of its own (it signs what it forwards) that serves
every joined agent whose card says "a2a": {"expose": true} as an A2A (protocol v1.0) agent, at
<url>/agents/<agent token>/ (agent card at .well-known/agent-card.json, JSON-RPC at jsonrpc, HTTP+JSON at rest).
An A2A message becomes an "a2a.message" to the agent's durable inbox; its replies become the task's status. Runs
until Ctrl-C (SIGINT) or SIGTERM, then stops cleanly and exits 0. Needs a registry node on the mesh to look agents up.

Prints the gateway's DID and URL; with --json one line: {"gateway","mesh","nats","url","agents"}.

Options:
  --http HOST:PORT       where to serve (default ${DEFAULT_GATEWAY_LISTEN.host}:${DEFAULT_GATEWAY_LISTEN.port}; port 0 picks a free one)
  --gateway-key NAME     the key in --keys the gateway signs with (default "${DEFAULT_GATEWAY_KEY}"; created if missing)
  --public-url URL       the base URL the agent cards advertise, when callers come through a proxy (default: the
                         listen address)`,
  options: {
    http: { type: "string" },
    "gateway-key": { type: "string" },
    "public-url": { type: "string" },
  },
  async run({ common, values, positionals, out }) {
    const [sub, ...rest] = positionals;
    if (sub === undefined) throw new UsageError("missing a subcommand: start", COMMAND);
    if (sub !== "start") throw new UsageError(`unknown subcommand ${JSON.stringify(sub)}: use start`, COMMAND);
    positionalArgs(rest, [], COMMAND);
    const http = listenOption(values, "http", COMMAND, false) as GatewayListen;
    const publicUrl = stringOption(values, "public-url", COMMAND);
    if (publicUrl !== undefined && !/^https?:\/\/\S+$/.test(publicUrl)) throw new UsageError(`--public-url must be an http(s) URL, got ${JSON.stringify(publicUrl)}`, COMMAND);
    const key = await gatewayKey(common, values, COMMAND, out.info);

    const signals = waitForSignal(out);
    let gw: A2AGateway | undefined;
    try {
      gw = await startGatewayProcess({ nats: common.nats, mesh: common.mesh, key, http, publicUrl, credentials: await serviceCredentials(common), log: out }).catch((err: unknown) => {
        if (portInUsePart(err) !== "gateway-http") throw err;
        throw new CliError(`HTTP port ${http.port} on ${http.host} is already in use (another gateway or plexus up?); choose another with --http HOST:PORT`, { cause: err });
      });
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
