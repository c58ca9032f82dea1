/** Vitest helper: one test server per test file (or describe block), torn down even when tests fail. */
import { afterAll, beforeAll } from "vitest";
import { startTestServer, type TestServer, type TestServerOptions } from "./server.js";

export interface TestServerHandle {
  /** The running server; throws when read before beforeAll has run. */
  readonly server: TestServer;
  readonly url: string;
}

export function useTestServer(opts: TestServerOptions = {}): TestServerHandle {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startTestServer(opts);
  }, 30_000);
  afterAll(async () => {
    const s = server;
    server = undefined;
    if (s) await s.cleanup();
  }, 30_000);
  return {
    get server(): TestServer {
      if (!server)
        throw new Error("useTestServer(): the server is only available inside tests and hooks after beforeAll");
      return server;
    },
    get url(): string {
      return this.server.url;
    },
  };
}
