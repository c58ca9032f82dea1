/**
 * The sealer's Merkle tree (RFC 9162 over the mesh log, leaves = the sealed events), kept next to the hash chain by a
 * small hook in the sealer: each confirmed link's leaf hash goes in (`confirm`), and a checkpoint takes a
 * `snapshot()` (size, root, tiles) and stores its tiles before it is signed (`storeTiles`).
 *
 * At start the tree's right edge is read back from the store's tiles (a few reads); when they are missing (a chain
 * sealed before the tree existed, a tile write lost in a crash) the tree is rebuilt by replaying the mesh log up to
 * the chain's head, and the full tiles that replay produces are written with the next checkpoint (write-once: tiles
 * already stored stay). A backend without tiles replays at every start (JetStream and EventStoreDB both keep them). Tiles are not trusted
 * blindly: anyone holding the mesh's service credentials can write the tile stream, so the edge read back is believed
 * only when this sealer's key signed a checkpoint at the head's size with the very root the tiles give (a sealer that
 * stopped cleanly signed its head). Otherwise (a crash, a takeover, another key) the tree is replayed from the log.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { LeafHasher } from "../merkle/hash.js";
import { edgeTiles } from "../merkle/tiles.js";
import { isTileMissing } from "../merkle/tile-store.js";
import { TreeBuilder, type TreeSnapshot } from "../merkle/tree-builder.js";
import { readMeshLog } from "../store/mesh-log.js";
import type { AuditStore, ChainLink } from "../types.js";
import { checkpointLookup } from "../store/checkpoint-lookup.js";

export class TreeKeeper {
  readonly #tree: TreeBuilder;
  readonly #store: AuditStore;
  /** How the tree was opened: from the stored edge tiles, or by replaying the log. */
  readonly resumedBy: "empty" | "tiles" | "replay" | "off";

  private constructor(tree: TreeBuilder, store: AuditStore, resumedBy: TreeKeeper["resumedBy"]) {
    this.#tree = tree;
    this.#store = store;
    this.resumedBy = resumedBy;
  }

  /**
   * The tree over positions 1…size (the chain's confirmed head). `signer`: this sealer's DID; a rooted checkpoint it
   * signed at `size` must agree with the tiles' root.
   */
  static async open(
    nc: NatsConnection,
    mesh: string,
    store: AuditStore,
    size: number,
    signer?: string,
  ): Promise<TreeKeeper> {
    if (size === 0) return new TreeKeeper(new TreeBuilder(), store, "empty");
    if (store.tiles) {
      try {
        const edge = await Promise.all(
          edgeTiles(size).map(async (t) => ({
            level: t.level,
            index: t.index,
            hashes: await store.tiles!.readTile(t.level, t.index, t.width),
          })),
        );
        const tree = TreeBuilder.resume(size, edge);
        if (await signedByItself(store, size, signer, tree.root())) return new TreeKeeper(tree, store, "tiles");
      } catch (err) {
        if (!isTileMissing(err)) throw err;
      }
    }
    const tree = new TreeBuilder();
    const leaves = new LeafHasher();
    for await (const e of readMeshLog(nc, mesh, 1, size)) tree.push(leaves.hash(e.subject, e.data));
    if (tree.size !== size) throw new RangeError(`the mesh log holds ${tree.size} events, the chain ${size}`);
    return new TreeKeeper(tree, store, "replay");
  }

  /** An empty tree for a sealer that refuses to start (it never seals). */
  static idle(store: AuditStore): TreeKeeper {
    return new TreeKeeper(new TreeBuilder(), store, "empty");
  }

  /** No tree at all (a sealer started with `merkleTree: false`): confirms nothing, checkpoints carry no root. */
  static off(store: AuditStore): TreeKeeper {
    return new TreeKeeper(new TreeBuilder(), store, "off");
  }

  get size(): number {
    return this.#tree.size;
  }

  /** The first `count` links of `batch` are confirmed in the chain: their leaves join the tree. */
  confirm(batch: readonly ChainLink[], count: number): void {
    if (this.resumedBy === "off") return;
    for (let i = 0; i < count; i++) {
      const link = batch[i]!;
      if (link.n !== this.#tree.size + 1 || !link.leaf)
        throw new RangeError(
          `the tree has ${this.#tree.size} leaves; link ${link.n} cannot follow${link.leaf ? "" : " (no leaf hash)"}`,
        );
      this.#tree.push(link.leaf);
    }
  }

  snapshot(): TreeSnapshot {
    return this.#tree.snapshot();
  }

  /** Stores a snapshot's tiles; on failure its full tiles go back to be written with the next one. */
  async storeTiles(snapshot: TreeSnapshot): Promise<void> {
    if (!this.#store.tiles) return;
    try {
      await this.#store.tiles.writeTiles(snapshot);
    } catch (err) {
      this.#tree.restore(snapshot.full);
      throw err;
    }
  }
}

/**
 * True when `signer` signed a rooted checkpoint at `size` whose root is `root`: only then are the tiles believed. A few
 * reads on JetStream (the sealer that stopped signed its head: the newest checkpoint), a walk on other backends.
 */
async function signedByItself(
  store: AuditStore,
  size: number,
  signer: string | undefined,
  root: Uint8Array,
): Promise<boolean> {
  if (!signer) return false;
  const cp = await checkpointLookup(store, { trusted: [signer], rooted: true }).atSize(size);
  return cp !== undefined && cp.root === Buffer.from(root).toString("hex");
}
