import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { ensureMeshAuth } from "@plexus/bus";
import { ErrorCode, isPlexusError } from "@plexus/core";
import { portInUsePart, startLocalMesh, warnOpenModeHistory, type LocalMesh } from "@plexus/nodes";
import { intOption, positionalArgs, stringOption, type CommandDef } from "../common-options.js";
import { CliError, oneLine, UsageError } from "../errors.js";
import { waitForSignal } from "../session.js";
import { DEFAULT_HTTP, DEFAULT_REGISTRY_KEY, httpOption, registryKey, trustAnchorOption, type HttpListen } from "./registry.js";
import { DEFAULT_GATEWAY_KEY, DEFAULT_GATEWAY_LISTEN, gatewayKey, listenOption, type GatewayListen } from "./gateway.js";

const DEFAULT_PORT = 4222;
/** "always", or a Go duration as nats-server reads it: 2m, 30s, 500ms, 1m30s. */
const FSYNC_PATTERN = /^(always|(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+)$/;

function defaultDataDir(): string {
  const fromEnv = process.env["PLEXUS_DATA"];
  return fromEnv && fromEnv.trim() !== "" ? fromEnv : join(homedir(), ".plexus", "data");
}

export const upCommand: CommandDef = {
  name: "up",
  summary: "run a managed nats-server with JetStream, the mesh stream, a registry node, the sealer and the A2A gateway; Ctrl-C stops it",
  usage:
    "plexus up [--data DIR] [--nats-port N] [--fsync always|DURATION] [--host H] [--no-auth] [--registry-key NAME] [--http HOST:PORT|off] [--trust-anchor DID]... [--no-registry] [--no-sealer] [--gateway-key NAME] [--gateway-http HOST:PORT|off] [--no-gateway]",
  help: `Starts a local nats-server with JetStream (its data in DIR), creates or updates the mesh's stream, starts a
registry node (agents join it; it serves discovery and reputation on NATS and HTTP), starts an audit sealer (every
event of the mesh gets a link in the hash chain; checkpoints are signed with the registry key; like plexus audit seal,
it writes while it holds the mesh's writer lease and stands by while another sealer does, and a stalled sealer makes
the registry's /readyz answer 503 with the reason), starts the A2A
gateway (agents whose card opts in are served as A2A agents over HTTP), prints the NATS URL agents connect to, and
stays up. Ctrl-C (SIGINT) or SIGTERM stops the gateway, the registry, the sealer and the server cleanly and exits 0.

The server runs in NATS operator mode: on first run up creates an operator, a system account and an account for the
mesh in the NATS auth folder (--nats-auth, default ~/.plexus/nats; see plexus init). Before starting anything up
provisions the mesh as its admin user (creates or updates the mesh stream, the audit streams and the heartbeat bucket
with their settings) and closes that connection; the registry, the sealer and the gateway then connect as the mesh's
service user, which cannot update, purge or delete streams or messages. Each of them checks that the mesh's history
streams keep their history and are the streams it saw before (creation times remembered under DIR); one that finds a
stream weakened, cut or recreated says so on stderr ("plexus: error: …") and stops using it: the registry's /readyz
answers 503 with the reason. An agent (plexus send, listen, … or the SDK with natsAuth) gets its
own short-lived user JWT from the registry, which lets it publish only as itself and read only its own inbox,
replies and receipts and the topics. --no-auth runs an open server instead (anyone who reaches it can do anything).

With --json, prints one line: {"nats","mesh","stream","data","pid","version","registry","http","gateway","a2a","auth","sealer"}
(pid: the nats-server process; registry: the registry key's DID, or null with --no-registry and --no-sealer;
http: the registry's HTTP URL, or null; gateway: the gateway key's DID and a2a its URL, or null with --no-gateway;
auth: the NATS auth folder, or null with --no-auth; sealer: the sealer's id, or null with --no-sealer).

Options:
  --data DIR               JetStream data folder (env PLEXUS_DATA, default ~/.plexus/data)
  --nats-port N            client port (default ${DEFAULT_PORT}; 0 picks a free port)
  --host H                 listen address (default 127.0.0.1; 0.0.0.0 to accept other machines)
  --no-auth                open server: no operator mode, no NATS users (what up ran before operator mode)
  --fsync always|DURATION  JetStream sync_interval. Default: the server's (2m): a crash of any process, nats-server
                           included, loses nothing acknowledged, but an OS crash or power loss can lose up to that
                           interval. "always" fsyncs before every acknowledgement, so every acknowledged write
                           survives an OS crash, at a throughput cost. A duration (30s, 500ms, 1m) sets the interval.
  --registry-key NAME      the key in --keys the registry node and the audit checkpoints sign with (default
                           "${DEFAULT_REGISTRY_KEY}"; created if missing)
  --http HOST:PORT|off     the registry's HTTP API (default ${DEFAULT_HTTP.host}:${DEFAULT_HTTP.port}; port 0 picks a free one)
  --trust-anchor DID       make DID a trust anchor of the mesh (repeatable; a key name in --keys works too): the
                           registry node records it in the log once caught up (as registry start --trust-anchor);
                           dropping the flag later removes nothing: use plexus trust remove
  --no-registry            do not run a registry node here (run "plexus registry start" elsewhere)
  --no-sealer              do not run the audit sealer here (another node runs it)
  --gateway-key NAME       the key in --keys the A2A gateway signs with (default "${DEFAULT_GATEWAY_KEY}"; created if missing)
  --gateway-http HOST:PORT|off
                           the A2A gateway's address (default ${DEFAULT_GATEWAY_LISTEN.host}:${DEFAULT_GATEWAY_LISTEN.port}, and if that port is
                           taken up warns and runs without a gateway; port 0 picks a free one; off: no gateway)
  --no-gateway             do not run the A2A gateway here (run "plexus gateway start" elsewhere)

Registry snapshots go to DIR/registry/<mesh>, next to the JetStream data they were computed from.

--nats is accepted but unused: up prints the URL it serves.`,
  options: {
    data: { type: "string" },
    "nats-port": { type: "string" },
    host: { type: "string" },
    fsync: { type: "string" },
    "no-auth": { type: "boolean" },
    "registry-key": { type: "string" },
    http: { type: "string" },
    "trust-anchor": { type: "string", multiple: true },
    "no-registry": { type: "boolean" },
    "no-sealer": { type: "boolean" },
    "gateway-key": { type: "string" },
    "gateway-http": { type: "string" },
    "no-gateway": { type: "boolean" },
  },
  async run({ common, values, positionals, out }) {
    const dataDir = resolve(stringOption(values, "data", "up") ?? defaultDataDir());
    const port = intOption(values, "nats-port", "up", 0, 65535) ?? DEFAULT_PORT;
    const host = stringOption(values, "host", "up") ?? "127.0.0.1";
    const fsync = stringOption(values, "fsync", "up");
    if (fsync !== undefined && !FSYNC_PATTERN.test(fsync)) {
      throw new UsageError(`--fsync must be "always" or a duration such as 2m, 30s or 500ms, got "${fsync}"`, "up");
    }
    positionalArgs(positionals, [], "up");
    const sealing = values["no-sealer"] !== true;
    const registering = values["no-registry"] !== true;
    const http = httpOption(values, "up");
    const trustAnchors = await trustAnchorOption(common, values, "up");
    if (trustAnchors && !registering) throw new UsageError("--trust-anchor needs the registry node (drop --no-registry)", "up");
    const key = sealing || registering ? await registryKey(common, values, "up", out.info) : undefined;
    const gatewayHttp = values["no-gateway"] === true ? false : listenOption(values, "gateway-http", "up", true);
    const gwKey = gatewayHttp ? await gatewayKey(common, values, "up", out.info) : undefined;
    const authDir = values["no-auth"] === true ? undefined : common.natsAuth;
    const auth = authDir ? await ensureMeshAuth(authDir, common.mesh) : undefined;
    if (auth) warnOpenModeHistory(dataDir, common.mesh, out);

    const signals = waitForSignal(out);
    let signalled = false;
    void signals.signal.then(() => (signalled = true));
    let mesh: LocalMesh | undefined;
    try {
      // On the default address a taken gateway port is a warning (up runs without a gateway); on one asked for, an error.
      const hint = "; choose another with --gateway-http HOST:PORT";
      const gateway = gwKey && gatewayHttp ? { key: gwKey, http: gatewayHttp, skipIfPortInUse: values["gateway-http"] === undefined ? { hint } : undefined } : undefined;
      mesh = await startLocalMesh({
        mesh: common.mesh,
        dataDir,
        port,
        host,
        fsync,
        auth,
        sealer: key && sealing ? { key } : undefined,
        registry: key && registering ? { key, http, trustAnchors } : undefined,
        gateway,
        shutdown: signals.signal,
        log: out,
      }).catch((err: unknown) => {
        if (signalled && portInUsePart(err) !== "registry-http" && portInUsePart(err) !== "gateway-http") return undefined;
        throw upError(err, { port, host, http, gatewayHttp });
      });
      if (!mesh) return 0;
      const { server: running, stream, registry, sealer, gateway: gw } = mesh;
      out.info(
        `plexus: nats-server ${running.version} (pid ${running.pid}) is up with JetStream in ${dataDir}` +
          `${fsync !== undefined ? `, fsync ${fsync}` : ""}; mesh "${common.mesh}" (stream ${stream}); ` +
          `${registry ? `registry node ${registry.did}${registry.httpUrl ? ` on ${registry.httpUrl}` : ""}` : "no registry node"}; ` +
          `${sealer && key ? `audit sealer ${sealer.id} on (${sealer.status().role === "active" ? "writing" : "standing by"}), checkpoints signed by ${key.did}` : "audit sealer off"}; ` +
          `${gw ? `A2A gateway ${gw.did} on ${gw.url}/agents` : "no A2A gateway"}; ` +
          `${auth ? `NATS operator mode (auth folder ${auth.dir})` : "open NATS (no auth)"}. Ctrl-C to stop.`,
      );
      out.data(running.url, {
        nats: running.url,
        mesh: common.mesh,
        stream,
        data: dataDir,
        pid: running.pid,
        version: running.version,
        registry: key?.did ?? null,
        http: registry?.httpUrl ?? null,
        gateway: gw?.did ?? null,
        a2a: gw?.url ?? null,
        auth: auth?.dir ?? null,
        sealer: sealer?.id ?? null,
      });

      const why = await Promise.race([signals.signal.then((s) => ({ signal: s })), mesh.crashed.then((reason) => ({ reason }))]);
      if ("reason" in why) throw new CliError(why.reason);
      out.info(`plexus: ${why.signal}: stopping${gw ? " the A2A gateway," : ""}${registry ? " the registry node," : ""}${sealer ? " the sealer and" : ""} nats-server…`);
      const stopping = mesh;
      mesh = undefined;
      await stopping.stop();
      out.info("plexus: nats-server stopped");
      return 0;
    } finally {
      await mesh?.stop().catch(() => undefined);
      signals.dispose();
    }
  },
};

/** A failure to start, as the line for people: a taken port names the flag that moves it. */
function upError(err: unknown, { port, host, http, gatewayHttp }: { port: number; host: string; http: HttpListen; gatewayHttp: GatewayListen | false }): unknown {
  const part = portInUsePart(err);
  if (part === "nats") {
    return new CliError(`port ${port} on ${host} is already in use (another nats-server or plexus up?); choose another with --nats-port N`, { cause: err });
  }
  if (part === "registry-http" && http) {
    return new CliError(`HTTP port ${http.port} on ${http.host} is already in use (another registry or plexus up?); choose another with --http HOST:PORT, or --http off`, { cause: err });
  }
  if (part === "gateway-http" && gatewayHttp) {
    return new CliError(`HTTP port ${gatewayHttp.port} on ${gatewayHttp.host} is already in use (another gateway or plexus up?); choose another with --gateway-http HOST:PORT`, { cause: err });
  }
  if (isPlexusError(err, ErrorCode.NatsServerFailed)) {
    // The launcher's message carries the server's last output on the following lines: keep its most telling line.
    const lines = err.message.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("---"));
    const fatal = lines.slice(1).reverse().find((l) => /\[(FTL|ERR)\]/.test(l));
    return new CliError(`${oneLine(err)}${fatal ? ` (${fatal.replace(/^.*\[(FTL|ERR)\]\s*/, "")})` : ""}`, { cause: err });
  }
  return err;
}
