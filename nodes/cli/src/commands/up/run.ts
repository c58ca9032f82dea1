import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { ensureMeshAuth, MAX_REPLICAS } from "@plexus/bus";
import { ErrorCode, isPlexusError } from "@plexus/core";
import { portInUsePart, startLocalMesh, type LocalMesh } from "@plexus/nodes";
import { warnOpenModeHistory } from "@plexus/nodes/internal";
import { intOption, positionalArgs, stringOption, type CommandImpl } from "../../common-options.js";
import { CliError, oneLine, UsageError } from "../../errors.js";
import { waitForSignal } from "../../session.js";
import { trustAnchorOption } from "../../lib/agent-ref.js";
import { httpOption, type HttpListen } from "../../lib/http-option.js";
import { registryKey } from "../../lib/registry-key.js";
import { gatewayKey, listenOption, type GatewayListen } from "../gateway/start.js";

import { DEFAULT_PORT } from "./command.js";
/** "always", or a Go duration as nats-server reads it: 2m, 30s, 500ms, 1m30s. */
const FSYNC_PATTERN = /^(always|(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+)$/;

function defaultDataDir(): string {
  const fromEnv = process.env["PLEXUS_DATA"];
  return fromEnv && fromEnv.trim() !== "" ? fromEnv : join(homedir(), ".plexus", "data");
}

export const upCommand: CommandImpl = {
  async run({ common, values, positionals, out }) {
    const dataDir = resolve(stringOption(values, "data", "up") ?? defaultDataDir());
    const port = intOption(values, "nats-port", "up", 0, 65535) ?? DEFAULT_PORT;
    const host = stringOption(values, "host", "up") ?? "127.0.0.1";
    const fsync = stringOption(values, "fsync", "up");
    if (fsync !== undefined && !FSYNC_PATTERN.test(fsync)) {
      throw new UsageError(`--fsync must be "always" or a duration such as 2m, 30s or 500ms, got "${fsync}"`, "up");
    }
    const replicas = intOption(values, "replicas", "up", 1, MAX_REPLICAS);
    positionalArgs(positionals, [], "up");
    const sealing = values["no-sealer"] !== true;
    const registering = values["no-registry"] !== true;
    const http = httpOption(values, "up");
    const trustAnchors = await trustAnchorOption(common, values, "up");
    if (trustAnchors && !registering)
      throw new UsageError("--trust-anchor needs the registry node (drop --no-registry)", "up");
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
      const gateway =
        gwKey && gatewayHttp
          ? {
              key: gwKey,
              http: gatewayHttp,
              skipIfPortInUse: values["gateway-http"] === undefined ? { hint } : undefined,
            }
          : undefined;
      mesh = await startLocalMesh({
        mesh: common.mesh,
        dataDir,
        port,
        host,
        fsync,
        replicas,
        auth,
        sealer: key && sealing ? { key } : undefined,
        registry: key && registering ? { key, http, trustAnchors } : undefined,
        gateway,
        shutdown: signals.signal,
        log: out,
      }).catch((err: unknown) => {
        if (signalled && portInUsePart(err) !== "registry-http" && portInUsePart(err) !== "gateway-http")
          return undefined;
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

      const why = await Promise.race([
        signals.signal.then((s) => ({ signal: s })),
        mesh.crashed.then((reason) => ({ reason })),
      ]);
      if ("reason" in why) throw new CliError(why.reason);
      out.info(
        `plexus: ${why.signal}: stopping${gw ? " the A2A gateway," : ""}${registry ? " the registry node," : ""}${sealer ? " the sealer and" : ""} nats-server…`,
      );
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
function upError(
  err: unknown,
  {
    port,
    host,
    http,
    gatewayHttp,
  }: { port: number; host: string; http: HttpListen; gatewayHttp: GatewayListen | false },
): unknown {
  const part = portInUsePart(err);
  if (part === "nats") {
    return new CliError(
      `port ${port} on ${host} is already in use (another nats-server or plexus up?); choose another with --nats-port N`,
      { cause: err },
    );
  }
  if (part === "registry-http" && http) {
    return new CliError(
      `HTTP port ${http.port} on ${http.host} is already in use (another registry or plexus up?); choose another with --http HOST:PORT, or --http off`,
      { cause: err },
    );
  }
  if (part === "gateway-http" && gatewayHttp) {
    return new CliError(
      `HTTP port ${gatewayHttp.port} on ${gatewayHttp.host} is already in use (another gateway or plexus up?); choose another with --gateway-http HOST:PORT`,
      { cause: err },
    );
  }
  if (isPlexusError(err, ErrorCode.NatsServerFailed)) {
    // The launcher's message carries the server's last output on the following lines: keep its most telling line.
    const lines = err.message.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("---"));
    const fatal = lines
      .slice(1)
      .reverse()
      .find((l) => /\[(FTL|ERR)\]/.test(l));
    return new CliError(`${oneLine(err)}${fatal ? ` (${fatal.replace(/^.*\[(FTL|ERR)\]\s*/, "")})` : ""}`, {
      cause: err,
    });
  }
  return err;
}
