/**
 * @plexus/testing — the test harness (layer: packages; imports core, identity, bus; for tests only): an isolated
 * nats-server per suite (random port, temp store, operator mode on request), a JetStream cluster on loopback
 * (`startTestCluster`: kill, restart, leader lookup), hostile messages and tokens, `until`.
 */
export { startTestServer } from "./server.js";
export type { TestServer } from "./server.js";
export { startTestCluster } from "./cluster.js";
export type { TestCluster, TestClusterMember, TestClusterOptions } from "./cluster.js";
export { useTestServer } from "./vitest.js";
export type { TestServerHandle } from "./vitest.js";
export { until } from "./until.js";
export {
  joseKey,
  joseSeed,
  joseSign,
  joseMembership,
  joseCapability,
  vcPayload,
  hostileTokens,
  critTokens,
} from "./jose-tokens.js";
export type { JoseKey } from "./jose-tokens.js";
