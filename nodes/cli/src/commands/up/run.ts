import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { ensureAuditStreams, type SealerNode } from "@plexus/audit";
import { openHeartbeatBucket } from "@plexus/anp";
import {
  connectBus,
  ensureMeshAuth,
  ensureMeshStream,
  historyStreams,
  isHistoryRefusal,
  launchNatsServer,
  weakenedHistoryStreams,
  operatorModeConfig,
  readAdminCreds,
  type BusCredentials,
  type NatsServerProcess,
} from "@plexus/bus";
import { ErrorCode, isPlexusError, meshSubjects } from "@plexus/core";
import type { RegistryNode } from "@plexus/registry";
import type { A2AGateway } from "@plexus/a2a";
import type { NatsConnection } from "@nats-io/transport-node";
import { intOption, positionalArgs, stringOption, type CommandImpl } from "../../common-options.js";
import { CliError, oneLine, UsageError } from "../../errors.js";
import type { Output } from "../../output.js";
import { waitForSignal } from "../../session.js";
import { trustAnchorOption } from "../../lib/agent-ref.js";
import { httpOption } from "../../lib/http-option.js";
import { registryKey } from "../../lib/registry-key.js";
import { startNode } from "../../lib/registry-node.js";
import { startMeshSealer } from "../audit/sealer-process.js";
import { gatewayKey, listenOption, tryStartGateway } from "../gateway/start.js";

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
    if (auth) warnOpenModeHistory(dataDir, common.mesh, out.warn);

    const signals = waitForSignal(out);
    let signalled = false;
    void signals.signal.then(() => (signalled = true));
    let server: NatsServerProcess | undefined;
    let nc: NatsConnection | undefined;
    let sealer: SealerNode | undefined;
    let registry: RegistryNode | undefined;
    let gateway: A2AGateway | undefined;
    try {
      try {
        server = await launchNatsServer({
          storeDir: dataDir,
          port: port === 0 ? -1 : port,
          host,
          ...(fsync !== undefined ? { syncInterval: fsync } : {}),
          ...(auth ? { extraConfig: await operatorModeConfig(auth.dir, join(dataDir, "accounts")) } : {}),
        });
      } catch (err) {
        if (signalled) return 0;
        if (isPlexusError(err, ErrorCode.NatsServerFailed) && err.details?.["portInUse"] === true) {
          throw new CliError(`port ${port} on ${host} is already in use (another nats-server or plexus up?); choose another with --nats-port N`, { cause: err });
        }
        if (isPlexusError(err, ErrorCode.NatsServerFailed)) {
          // The launcher's message carries the server's last output on the following lines: keep its most telling line.
          const lines = err.message.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("---"));
          const fatal = lines.slice(1).reverse().find((l) => /\[(FTL|ERR)\]/.test(l));
          throw new CliError(`${oneLine(err)}${fatal ? ` (${fatal.replace(/^.*\[(FTL|ERR)\]\s*/, "")})` : ""}`, { cause: err });
        }
        throw err;
      }
      const running = server;
      let crashed!: (reason: string) => void;
      const crash = new Promise<string>((r) => (crashed = r));
      running.onExit((exit) => {
        if (exit.expected) return;
        // A terminal's Ctrl-C reaches nats-server too (same process group): give our own SIGINT a moment to count.
        setTimeout(() => {
          if (!signalled) crashed(`nats-server exited unexpectedly (${exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`})`);
        }, 250);
      });

      const admin = auth ? await readAdminCreds(auth.dir, common.mesh) : undefined;
      const stream = await provisionMesh(running.url, common.mesh, admin ? { creds: admin } : undefined, out);
      nc = await connectBus({ servers: running.url, name: "plexus up", ...(auth ? { credentials: { creds: auth.serviceCreds } } : {}) });
      if (key && sealing) sealer = await startMeshSealer({ nc, mesh: common.mesh, key, historyDir: join(dataDir, "sealer", common.mesh), out });
      if (key && registering) {
        const sealerNode = sealer;
        // The registry's /readyz answers for the sealer too: 503 with its reason when it is stalled, refused or failed.
        const components = sealerNode ? { components: { sealer: () => sealerNode.status() } } : {};
        const tuning = { ...(auth ? { natsAuth: auth } : {}), ...(trustAnchors ? { trustAnchors } : {}), ...components };
        registry = await startNode({ nats: running.url, mesh: common.mesh, key, http, dataDir: join(dataDir, "registry", common.mesh), out, tuning });
      }
      if (gwKey && gatewayHttp) {
        // On the default address a taken port is a warning (up runs without a gateway); on one asked for, an error.
        const asked = values["gateway-http"] !== undefined;
        const credentials = auth ? { creds: auth.serviceCreds } : undefined;
        const historyDir = join(dataDir, "gateway", common.mesh);
        gateway = await tryStartGateway({ nats: running.url, mesh: common.mesh, key: gwKey, http: gatewayHttp, credentials, historyDir, out }, "--gateway-http", !asked).catch(
          (err: unknown) => {
            // A refused mesh log is said loudly; up stays up so the registry's /readyz can say why too.
            if (!isHistoryRefusal(err)) throw err;
            out.error(`no A2A gateway: ${err.message} [${err.code}]`);
            return undefined;
          },
        );
      }

      out.info(
        `plexus: nats-server ${running.version} (pid ${running.pid}) is up with JetStream in ${dataDir}` +
          `${fsync !== undefined ? `, fsync ${fsync}` : ""}; mesh "${common.mesh}" (stream ${stream}); ` +
          `${registry ? `registry node ${registry.did}${registry.httpUrl ? ` on ${registry.httpUrl}` : ""}` : "no registry node"}; ` +
          `${sealer && key ? `audit sealer ${sealer.id} on (${sealer.status().role === "active" ? "writing" : "standing by"}), checkpoints signed by ${key.did}` : "audit sealer off"}; ` +
          `${gateway ? `A2A gateway ${gateway.did} on ${gateway.url}/agents` : "no A2A gateway"}; ` +
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
        gateway: gateway?.did ?? null,
        a2a: gateway?.url ?? null,
        auth: auth?.dir ?? null,
        sealer: sealer?.id ?? null,
      });

      const why = await Promise.race([signals.signal.then((s) => ({ signal: s })), crash.then((reason) => ({ reason }))]);
      if ("reason" in why) throw new CliError(why.reason);
      out.info(`plexus: ${why.signal}: stopping${gateway ? " the A2A gateway," : ""}${registry ? " the registry node," : ""}${sealer ? " the sealer and" : ""} nats-server…`);
      await gateway?.stop();
      gateway = undefined;
      await registry?.stop();
      registry = undefined;
      await sealer?.stop();
      await nc.close();
      await running.stop();
      out.info("plexus: nats-server stopped");
      return 0;
    } finally {
      await gateway?.stop().catch(() => undefined);
      await registry?.stop().catch(() => undefined);
      await sealer?.stop().catch(() => undefined);
      if (nc && !nc.isClosed()) await nc.close();
      if (server?.running) await server.stop();
      signals.dispose();
    }
  },
};

/**
 * The one-shot provisioning step: as the mesh's admin user (operator mode; no credentials on an open server), creates or
 * brings to the current settings the mesh stream, the audit streams and the heartbeat bucket, then closes the
 * connection: no long-running part of up holds the admin credentials.
 */
async function provisionMesh(url: string, mesh: string, admin: BusCredentials | undefined, out: Output): Promise<string> {
  const nc = await connectBus({ servers: url, name: "plexus up (provisioning)", ...(admin ? { credentials: admin } : {}) });
  try {
    // Settings that would let history go are put back, and said: whatever was already lost stays visible to the nodes.
    for (const weak of await weakenedHistoryStreams(nc, historyStreams(mesh))) {
      out.warn(`history stream ${weak.stream} had ${weak.settings.join(", ")}: restoring its settings`);
    }
    const stream = await ensureMeshStream(nc, mesh, { update: true });
    await ensureAuditStreams(nc, mesh, { update: true });
    await openHeartbeatBucket(nc, meshSubjects(mesh).heartbeatBucket, true);
    return stream;
  } finally {
    await nc.close();
  }
}

/**
 * A data folder used in open mode keeps the mesh's history in NATS's global account; in operator mode the mesh has
 * an account of its own, so that history is not seen. Say so rather than look empty.
 */
function warnOpenModeHistory(dataDir: string, mesh: string, warn: (line: string) => void): void {
  if (!existsSync(join(dataDir, "jetstream", "$G", "streams", meshSubjects(mesh).stream))) return;
  warn(`${dataDir} holds mesh "${mesh}" history written without NATS auth; in operator mode the mesh has its own account and starts empty (run with --no-auth to keep using that history)`);
}
