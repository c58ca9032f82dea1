import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { connectBus, ensureMeshStream, launchNatsServer, type NatsServerProcess } from "@plexus/bus";
import { ErrorCode, isPlexusError } from "@plexus/core";
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
  usage: "plexus up [--data DIR] [--nats-port N] [--fsync always|DURATION] [--host H]",
  help: `Starts a local nats-server with JetStream (its data in DIR), creates or updates the mesh's stream, prints the
NATS URL agents connect to, and stays up. Ctrl-C (SIGINT) or SIGTERM stops the server cleanly and exits 0.
With --json, prints one line: {"nats","mesh","stream","data","pid","version"} (pid: the nats-server process).

Options:
  --data DIR               JetStream data folder (env PLEXUS_DATA, default ~/.plexus/data)
  --nats-port N            client port (default ${DEFAULT_PORT}; 0 picks a free port)
  --host H                 listen address (default 127.0.0.1; 0.0.0.0 to accept other machines)
  --fsync always|DURATION  JetStream sync_interval. Default: the server's (2m): a crash of any process, nats-server
                           included, loses nothing acknowledged, but an OS crash or power loss can lose up to that
                           interval. "always" fsyncs before every acknowledgement, so every acknowledged write
                           survives an OS crash, at a throughput cost. A duration (30s, 500ms, 1m) sets the interval.

--nats and --keys are accepted but unused: up prints the URL it serves.`,
  options: {
    data: { type: "string" },
    "nats-port": { type: "string" },
    host: { type: "string" },
    fsync: { type: "string" },
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

    const signals = waitForSignal(out);
    let signalled = false;
    void signals.signal.then(() => (signalled = true));
    let server: NatsServerProcess | undefined;
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

      const nc = await connectBus({ servers: running.url, name: "plexus up" });
      let stream: string;
      try {
        stream = await ensureMeshStream(nc, common.mesh, { update: true });
      } finally {
        await nc.close();
      }

      out.info(
        `plexus: nats-server ${running.version} (pid ${running.pid}) is up with JetStream in ${dataDir}` +
          `${fsync !== undefined ? `, fsync ${fsync}` : ""}; mesh "${common.mesh}" (stream ${stream}). Ctrl-C to stop.`,
      );
      out.data(running.url, { nats: running.url, mesh: common.mesh, stream, data: dataDir, pid: running.pid, version: running.version });

      const why = await Promise.race([signals.signal.then((s) => ({ signal: s })), crash.then((reason) => ({ reason }))]);
      if ("reason" in why) throw new CliError(why.reason);
      out.info(`plexus: ${why.signal}: stopping nats-server…`);
      await running.stop();
      out.info("plexus: nats-server stopped");
      return 0;
    } finally {
      if (server?.running) await server.stop();
      signals.dispose();
    }
  },
};
