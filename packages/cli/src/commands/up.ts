import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { openJetStreamAuditStore, startSealer, type Sealer } from "@plexus/audit";
import { connectBus, ensureMeshStream, launchNatsServer, type NatsServerProcess } from "@plexus/bus";
import { ErrorCode, isPlexusError } from "@plexus/core";
import { KeyStore, type KeyPair } from "@plexus/identity";
import type { NatsConnection } from "@nats-io/transport-node";
import { intOption, positionalArgs, stringOption, type CommandDef } from "../common-options.js";
import { CliError, oneLine, UsageError } from "../errors.js";
import { waitForSignal } from "../session.js";

const DEFAULT_PORT = 4222;
/** "always", or a Go duration as nats-server reads it: 2m, 30s, 500ms, 1m30s. */
const FSYNC_PATTERN = /^(always|(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+)$/;

function defaultDataDir(): string {
  const fromEnv = process.env["PLEXUS_DATA"];
  return fromEnv && fromEnv.trim() !== "" ? fromEnv : join(homedir(), ".plexus", "data");
}

export const upCommand: CommandDef = {
  name: "up",
  summary: "run a managed nats-server with JetStream and the mesh stream; Ctrl-C stops it",
  usage: "plexus up [--data DIR] [--nats-port N] [--fsync always|DURATION] [--host H] [--registry-key NAME] [--no-sealer]",
  help: `Starts a local nats-server with JetStream (its data in DIR), creates or updates the mesh's stream, starts the
audit sealer (every event of the mesh gets a link in the hash chain; checkpoints are signed with the registry key),
prints the NATS URL agents connect to, and stays up. Ctrl-C (SIGINT) or SIGTERM stops the sealer and the server
cleanly and exits 0. With --json, prints one line: {"nats","mesh","stream","data","pid","version","registry"}
(pid: the nats-server process; registry: the DID that signs audit checkpoints, or null with --no-sealer).

Options:
  --data DIR               JetStream data folder (env PLEXUS_DATA, default ~/.plexus/data)
  --nats-port N            client port (default ${DEFAULT_PORT}; 0 picks a free port)
  --host H                 listen address (default 127.0.0.1; 0.0.0.0 to accept other machines)
  --fsync always|DURATION  JetStream sync_interval. Default: the server's (2m): a crash of any process, nats-server
                           included, loses nothing acknowledged, but an OS crash or power loss can lose up to that
                           interval. "always" fsyncs before every acknowledgement, so every acknowledged write
                           survives an OS crash, at a throughput cost. A duration (30s, 500ms, 1m) sets the interval.
  --registry-key NAME      the key in --keys that signs audit checkpoints (default "registry"; created if missing)
  --no-sealer              do not run the audit sealer here (another node runs it)

--nats is accepted but unused: up prints the URL it serves.`,
  options: {
    data: { type: "string" },
    "nats-port": { type: "string" },
    host: { type: "string" },
    fsync: { type: "string" },
    "registry-key": { type: "string" },
    "no-sealer": { type: "boolean" },
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
    const registryKey = sealing ? await loadOrCreateKey(common.keys, stringOption(values, "registry-key", "up") ?? "registry", out.info) : undefined;

    const signals = waitForSignal(out);
    let signalled = false;
    void signals.signal.then(() => (signalled = true));
    let server: NatsServerProcess | undefined;
    let nc: NatsConnection | undefined;
    let sealer: Sealer | undefined;
    try {
      try {
        server = await launchNatsServer({
          storeDir: dataDir,
          port: port === 0 ? -1 : port,
          host,
          ...(fsync !== undefined ? { syncInterval: fsync } : {}),
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

      nc = await connectBus({ servers: running.url, name: "plexus up" });
      const stream = await ensureMeshStream(nc, common.mesh, { update: true });
      if (registryKey) sealer = await startMeshSealer(nc, common.mesh, registryKey, out.info);

      out.info(
        `plexus: nats-server ${running.version} (pid ${running.pid}) is up with JetStream in ${dataDir}` +
          `${fsync !== undefined ? `, fsync ${fsync}` : ""}; mesh "${common.mesh}" (stream ${stream}); ` +
          `${registryKey ? `audit sealer on, checkpoints signed by ${registryKey.did}` : "audit sealer off"}. Ctrl-C to stop.`,
      );
      out.data(running.url, {
        nats: running.url,
        mesh: common.mesh,
        stream,
        data: dataDir,
        pid: running.pid,
        version: running.version,
        registry: registryKey?.did ?? null,
      });

      const why = await Promise.race([signals.signal.then((s) => ({ signal: s })), crash.then((reason) => ({ reason }))]);
      if ("reason" in why) throw new CliError(why.reason);
      out.info(`plexus: ${why.signal}: stopping${sealer ? " the sealer and" : ""} nats-server…`);
      await sealer?.stop();
      await nc.close();
      await running.stop();
      out.info("plexus: nats-server stopped");
      return 0;
    } finally {
      await sealer?.stop().catch(() => undefined);
      if (nc && !nc.isClosed()) await nc.close();
      if (server?.running) await server.stop();
      signals.dispose();
    }
  },
};

async function loadOrCreateKey(dir: string, name: string, info: (line: string) => void): Promise<KeyPair> {
  const store = new KeyStore(dir);
  if (await store.has(name)) return store.load(name);
  const key = await store.create(name);
  info(`plexus: created the registry key "${name}" (${key.did}) in ${dir}`);
  return key;
}

/** The sealer runs for the life of `up`; errors it survives are reported, a fork stops it and is reported too. */
async function startMeshSealer(nc: NatsConnection, mesh: string, key: KeyPair, info: (line: string) => void): Promise<Sealer> {
  const store = await openJetStreamAuditStore({ nc, mesh });
  return startSealer({ nc, mesh, store, key, onError: (err) => info(`plexus: audit sealer: ${(err as Error).message}`) });
}
