/**
 * The contract every AuditStore backend passes (run by jetstream-store.test.ts and eventstore-store.test.ts).
 * `setup` gives a store over a fresh, empty chain; `reopen` a second store object over the same backing chain.
 * Stores with `tiles` also pass the tile part (tile-store.contract.ts): the Merkle tree is part of the contract.
 */
import { describe, expect, it } from "vitest";
import { GENESIS, makeLink } from "../src/chain.js";
import type { AuditStore, ChainLink, Checkpoint } from "../src/types.js";
import { tileStoreContract } from "./tile-store.contract.js";

export interface ContractSubject {
  store: AuditStore;
  /** Another store object over the same chain (a second process would see the same). */
  reopen(): Promise<AuditStore>;
  cleanup(): Promise<void>;
}

/** `count` links sealing made-up events 1…count. */
export function sampleLinks(count: number): ChainLink[] {
  const links: ChainLink[] = [];
  let prev = GENESIS;
  for (let n = 1; n <= count; n++) {
    const link = makeLink(prev, {
      n,
      subject: `plexus.m.acp.inbox.a.b${n % 3}`,
      data: new TextEncoder().encode(`{"n":${n}}`),
      storedAt: 1_700_000_000_000 + n,
    });
    links.push(link);
    prev = link.hash;
  }
  return links;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function appendAll(store: AuditStore, links: ChainLink[]): Promise<void> {
  for (const link of links) expect(await store.append(link, link.n - 1)).toEqual({ ok: true, size: link.n });
}

export function auditStoreContract(name: string, setup: () => Promise<ContractSubject>): void {
  describe(`AuditStore contract: ${name}`, () => {
    const withStore = (fn: (s: ContractSubject) => Promise<void>) => async () => {
      const subject = await setup();
      try {
        await fn(subject);
      } finally {
        await subject.cleanup();
      }
    };

    it(
      "an empty chain has size 0 and head h_0",
      withStore(async ({ store }) => {
        expect(await store.head()).toEqual({ size: 0, hash: GENESIS });
        expect(await store.link(1)).toBeUndefined();
        expect(await collect(store.links(1))).toEqual([]);
        expect(await collect(store.checkpoints())).toEqual([]);
      }),
    );

    it(
      "appends in order and moves the head",
      withStore(async ({ store }) => {
        const links = sampleLinks(5);
        await appendAll(store, links);
        expect(await store.head()).toEqual({ size: 5, hash: links[4]!.hash });
      }),
    );

    it(
      "a stale expected size is a conflict that reports the real size and changes nothing",
      withStore(async ({ store }) => {
        const links = sampleLinks(4);
        await appendAll(store, links.slice(0, 3));
        const rival = { ...links[1]!, hash: "f".repeat(64) };
        expect(await store.append(rival, 1)).toEqual({ ok: false, conflict: true, size: 3 });
        expect(await store.append({ ...links[0]!, hash: "e".repeat(64) }, 0)).toEqual({
          ok: false,
          conflict: true,
          size: 3,
        });
        expect(await store.head()).toEqual({ size: 3, hash: links[2]!.hash });
        expect(await collect(store.links(1))).toEqual(links.slice(0, 3));
        expect(await store.append(links[3]!, 3)).toEqual({ ok: true, size: 4 });
      }),
    );

    it(
      "refuses a link whose position does not follow the expected size",
      withStore(async ({ store }) => {
        const [first, second] = sampleLinks(2);
        await expect(store.append(second!, 0)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
        expect(await store.append(first!, 0)).toEqual({ ok: true, size: 1 });
      }),
    );

    it(
      "links() and link() read back exactly what was written",
      withStore(async ({ store }) => {
        const links = sampleLinks(12);
        await appendAll(store, links);
        expect(await collect(store.links(1))).toEqual(links);
        expect(await collect(store.links(4, 7))).toEqual(links.slice(3, 7));
        expect(await collect(store.links(10, 50))).toEqual(links.slice(9));
        expect(await collect(store.links(13))).toEqual([]);
        expect(await store.link(1)).toEqual(links[0]);
        expect(await store.link(12)).toEqual(links[11]);
        expect(await store.link(13)).toBeUndefined();
        expect(await store.link(0)).toBeUndefined();
      }),
    );

    it(
      "checkpoints round-trip in order",
      withStore(async ({ store }) => {
        const links = sampleLinks(3);
        await appendAll(store, links);
        const cps: Checkpoint[] = [
          { size: 2, head: links[1]!.hash, at: 1_700_000_000_100, signer: "did:key:z6MkA", sig: "c2ln" },
          { size: 3, head: links[2]!.hash, at: 1_700_000_000_200, signer: "did:key:z6MkB", sig: "c2lnMg" },
        ];
        for (const cp of cps) await store.appendCheckpoint(cp);
        expect(await collect(store.checkpoints())).toEqual(cps);
      }),
    );

    it(
      "a fresh store object over the same chain sees the same head, links and checkpoints",
      withStore(async ({ store, reopen }) => {
        const links = sampleLinks(6);
        await appendAll(store, links);
        const cp: Checkpoint = { size: 6, head: links[5]!.hash, at: 1, signer: "did:key:z6MkA", sig: "c2ln" };
        await store.appendCheckpoint(cp);
        const again = await reopen();
        try {
          expect(await again.head()).toEqual({ size: 6, hash: links[5]!.hash });
          expect(await collect(again.links(1))).toEqual(links);
          expect(await collect(again.checkpoints())).toEqual([cp]);
          expect(await again.append(links[0]!, 0)).toEqual({ ok: false, conflict: true, size: 6 });
        } finally {
          await again.close();
        }
      }),
    );

    tileStoreContract(setup);
  });
}
