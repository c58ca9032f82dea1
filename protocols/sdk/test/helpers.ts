import { generateKeyPair } from "@plexus/identity";
import { Agent, type AgentOptions } from "../src/index.js";

let meshCounter = 0;

/** A mesh id of its own per test, so tests on one server never see each other's messages. */
export function freshMesh(): string {
  return `t${process.pid}-${++meshCounter}`;
}

/** Connects agents with new keys; `close` closes them all (call it in a finally or afterEach). */
export function agentFactory(url: () => string) {
  const agents: Agent[] = [];
  const make = async (mesh: string, extra: Partial<AgentOptions> = {}) => {
    const agent = await Agent.connect({ key: generateKeyPair(), nats: url(), mesh, ...extra });
    agents.push(agent);
    return agent;
  };
  const close = async () => {
    await Promise.allSettled(agents.splice(0).map((a) => a.close()));
  };
  return { make, close };
}

export function deferred<T = void>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export { until } from "@plexus/testing";
