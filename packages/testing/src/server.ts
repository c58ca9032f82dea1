/** A throwaway JetStream server for tests: fresh temp store, random port, full cleanup. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchNatsServer, operatorModeConfig } from "@plexus/bus";
import { ensureOperator } from "@plexus/bus/internal";
import type { LaunchOptions, NatsServerProcess } from "@plexus/bus";
import { operatorAuth, type OperatorAuth } from "./operator.js";
import { ServerProcessView } from "./server-process-view.js";

export interface TestServerOptions {
  /** JetStream fsync interval ("always" or a duration like "2m"); server default when omitted. */
  syncInterval?: LaunchOptions["syncInterval"];
  maxPayload?: number;
  /** Echo server output to stderr and enable its debug log. */
  debug?: boolean;
  /** Operator mode (NATS decentralized auth): a temporary auth folder; see `TestServer.auth`. */
  operator?: boolean;
}

export interface TestServer extends NatsServerProcess {
  /** Temp folder holding the store (removed by cleanup()). */
  readonly tempDir: string;
  /** Operator-mode helpers (service and agent users); throws when the server was not started with `operator: true`. */
  readonly auth: OperatorAuth;
  /** Stops the server and removes the temp folder; safe to call more than once. */
  cleanup(): Promise<void>;
}

export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const tempDir = await mkdtemp(join(tmpdir(), "plexus-nst-"));
  try {
    const authDir = join(tempDir, "auth");
    if (opts.operator) await ensureOperator(authDir);
    const server = await launchNatsServer({
      storeDir: join(tempDir, "jetstream"),
      port: -1,
      ...(opts.syncInterval !== undefined ? { syncInterval: opts.syncInterval } : {}),
      ...(opts.maxPayload !== undefined ? { maxPayload: opts.maxPayload } : {}),
      ...(opts.debug ? { debug: true } : {}),
      ...(opts.operator ? { extraConfig: await operatorModeConfig(authDir, join(tempDir, "resolver")) } : {}),
    });
    return new TestServerImpl(server, tempDir, opts.operator ? operatorAuth(authDir, () => server.url) : undefined);
  } catch (err) {
    await rm(tempDir, { recursive: true, force: true });
    throw err;
  }
}

class TestServerImpl extends ServerProcessView implements TestServer {
  readonly #server: NatsServerProcess;
  readonly tempDir: string;
  readonly #auth: OperatorAuth | undefined;
  #cleanup: Promise<void> | undefined;

  constructor(server: NatsServerProcess, tempDir: string, auth: OperatorAuth | undefined) {
    super(server);
    this.#server = server;
    this.tempDir = tempDir;
    this.#auth = auth;
  }

  get auth(): OperatorAuth {
    if (!this.#auth) throw new Error("this test server runs without auth: start it with { operator: true }");
    return this.#auth;
  }

  cleanup(): Promise<void> {
    this.#cleanup ??= (async () => {
      try {
        await this.#server.stop();
      } finally {
        await rm(this.tempDir, { recursive: true, force: true });
      }
    })();
    return this.#cleanup;
  }
  override [Symbol.asyncDispose](): Promise<void> {
    return this.cleanup();
  }
}
