/** Helpers for the sealer tests: mesh traffic, and the check that a chain seals the mesh log completely. */
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { GENESIS, makeLink } from "../src/chain.js";
import { meshLogEnd, readMeshLog } from "../src/store/mesh-log.js";
import type { openJetStreamAuditStore } from "../src/store/jetstream-store.js";
import type { AuditStore } from "../src/types.js";

/** `count` events straight into the mesh stream (topic-message subjects), many publishes in flight. */
export async function publishEvents(nc: NatsConnection, mesh: string, count: number, width = 256): Promise<void> {
  const js = jetstream(nc);
  const encoder = new TextEncoder();
  for (let i = 0; i < count; i += width) {
    const n = Math.min(width, count - i);
    await Promise.all(
      Array.from({ length: n }, (_, k) =>
        js.publish(`plexus.${mesh}.acp.topic.load.t${(i + k) % 3}`, encoder.encode(`{"i":${i + k}}`)),
      ),
    );
  }
}

/**
 * `count` events, one after another, where event i has the subject and payload of event i mod `period`: the same
 * event hash every `period` positions (a replayed message, a repeated heartbeat).
 */
export async function publishRepeatingEvents(
  nc: NatsConnection,
  mesh: string,
  count: number,
  period: number,
): Promise<void> {
  const js = jetstream(nc);
  const encoder = new TextEncoder();
  for (let i = 0; i < count; i++)
    await js.publish(`plexus.${mesh}.acp.topic.load.t0`, encoder.encode(`{"i":${i % period}}`));
}

/**
 * Recomputes the chain from the raw mesh log and compares it with the stored one. Returns what is wrong (empty when
 * every event 1…end has exactly one link, at its position, with the recomputed hashes).
 */
export async function chainProblems(nc: NatsConnection, mesh: string, store: AuditStore): Promise<string[]> {
  const end = await meshLogEnd(nc, mesh);
  const problems: string[] = [];
  const head = await store.head();
  if (head.size !== end) problems.push(`chain has ${head.size} links, log has ${end} events`);
  const stored = store.links(1)[Symbol.asyncIterator]();
  let prev = GENESIS;
  for await (const event of readMeshLog(nc, mesh, 1, end)) {
    const want = makeLink(prev, event);
    prev = want.hash;
    const got = (await stored.next()).value;
    if (!got) {
      problems.push(`no link for event ${event.n}`);
      break;
    }
    if (
      got.n !== want.n ||
      got.hash !== want.hash ||
      got.event !== want.event ||
      got.subject !== want.subject ||
      got.storedAt !== want.storedAt
    ) {
      problems.push(`link ${event.n}: stored ${JSON.stringify(got)}, recomputed ${JSON.stringify(want)}`);
      if (problems.length > 5) break;
    }
  }
  const extra = await stored.next();
  if (!extra.done) problems.push(`extra link ${extra.value.n} beyond the log`);
  await stored.return?.();
  if (head.size === end && head.hash !== prev) problems.push(`head ${head.hash} is not the recomputed ${prev}`);
  return problems;
}

/** The real store with each append waiting for `before()` first (a slow or stopped disk or server), and no batch appends. */
export function delayedStore(
  real: Awaited<ReturnType<typeof openJetStreamAuditStore>>,
  before: () => Promise<unknown> | undefined,
): AuditStore & { names: typeof real.names } {
  return {
    backend: real.backend,
    names: real.names,
    head: () => real.head(),
    append: async (link, expected) => {
      await before();
      return real.append(link, expected);
    },
    links: (from, to) => real.links(from, to),
    link: (n) => real.link(n),
    appendCheckpoint: (cp) => real.appendCheckpoint(cp),
    checkpoints: () => real.checkpoints(),
    close: async () => undefined,
    [Symbol.asyncDispose]: async () => undefined,
  };
}
