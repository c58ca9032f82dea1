/**
 * A registry node that starts sealed: its key is not on disk but split into Shamir shares. While sealed it holds no
 * key, opens no NATS connection, joins no queue group, appends and signs nothing; it serves only the unseal HTTP
 * API. K shares of the committed key (files given at start, or one custodian-signed HTTP call each) unseal it:
 * then it starts exactly as an unsealed node (RegistryNode, same HTTP address) with the restored key, kept in memory.
 */
import { ErrorCode, PlexusError } from "@plexus/core";
import type { KeyShare } from "@plexus/custody";
import { listen, type HttpServer } from "@plexus/http";
import { isDid, type KeyPair } from "@plexus/identity";
import { createUnsealApp } from "../http/unseal-app.js";
import { resolveOptions, type RegistryNodeOptions } from "./options.js";
import { DEFAULT_REGISTRY_HTTP, startRegistryNode, type RegistryNode } from "./registry-node.js";
import { UnsealSession, type SealedStatus } from "./unseal-session.js";

export interface SealedNodeOptions extends Omit<RegistryNodeOptions, "key"> {
  sealed: {
    /** The DID the shares must restore; taken from `shares` when absent (then at least one is needed). */
    did?: string;
    /** DIDs allowed to give a share over HTTP (each signs its request with its own key). */
    custodians?: string[];
    /** Shares the operator gave at start (trusted: no signature needed). K of them unseal at once. */
    shares?: KeyShare[];
    /** Lifetime of an unseal nonce (default 120 s). */
    nonceTtlMs?: number;
  };
}

type Phase = "sealed" | "unsealing" | "unsealed" | "stopped";

export class SealedRegistryNode {
  readonly did: string;
  readonly mesh: string;
  /** Resolves with the running node once unsealed (stays pending while sealed). */
  readonly unsealed: Promise<RegistryNode>;
  readonly #o: SealedNodeOptions;
  readonly #session: UnsealSession;
  readonly #resolve: (node: RegistryNode) => void;
  #phase: Phase = "sealed";
  #http: HttpServer | undefined;
  #listen: { host: string; port: number } | false;
  #node: RegistryNode | undefined;
  #handover: Promise<void> | undefined;

  private constructor(o: SealedNodeOptions, did: string) {
    this.#o = o;
    this.did = did;
    this.mesh = o.mesh;
    this.#listen = o.http === undefined ? { ...DEFAULT_REGISTRY_HTTP } : o.http;
    this.#session = new UnsealSession({
      did,
      custodians: o.sealed.custodians ?? [],
      ...(o.sealed.nonceTtlMs ? { nonceTtlMs: o.sealed.nonceTtlMs } : {}),
    });
    let resolve!: (node: RegistryNode) => void;
    this.unsealed = new Promise((r) => (resolve = r));
    this.#resolve = resolve;
  }

  static async start(o: SealedNodeOptions): Promise<SealedRegistryNode> {
    resolveOptions(o as unknown as RegistryNodeOptions); // bad options fail now, not at unseal time (the key is not read)
    const given = o.sealed.shares ?? [];
    const did = o.sealed.did ?? given[0]?.commitment.did;
    if (did === undefined)
      throw config("a sealed node needs the DID its shares restore (sealed.did) or at least one share");
    if (!isDid(did)) throw config(`sealed.did ${shown(did)} is not a did:key`);
    const bad = (o.sealed.custodians ?? []).find((c) => !isDid(c));
    if (bad !== undefined) throw config(`custodian ${shown(bad)} is not a did:key`);
    const node = new SealedRegistryNode(o, did);
    let key: KeyPair | undefined;
    for (const share of given) key = node.#session.add(share).keyPair ?? key;
    if (key) {
      await node.#startUnsealed(key, node.#listen);
      return node;
    }
    if (node.#session.custodians === 0)
      throw config("a sealed node with fewer than k shares needs custodians, or it could never be unsealed");
    if (node.#listen === false)
      throw config("a sealed node with fewer than k shares needs HTTP, where custodians unseal it");
    await node.#serveSealed(node.#listen);
    node.#log(
      `registry: SEALED (key ${did}); waiting for shares at ${node.httpUrl}/v1/unseal from ${node.#session.custodians} custodian(s)`,
    );
    return node;
  }

  get sealed(): boolean {
    return this.#phase === "sealed" || this.#phase === "unsealing";
  }

  /** The running node once unsealed. */
  get node(): RegistryNode | undefined {
    return this.#node;
  }

  get httpUrl(): string | undefined {
    return this.#node ? this.#node.httpUrl : this.#http?.url;
  }

  status(): SealedStatus {
    return this.#session.status(this.#phase === "unsealing");
  }

  #log(line: string): void {
    this.#o.log?.(line);
  }

  async #serveSealed(where: { host: string; port: number }): Promise<void> {
    const onError = (err: unknown) => this.#log(`registry: http: ${(err as Error).message}`);
    const app = createUnsealApp(
      {
        status: () => this.status(),
        nonce: () => ({ ...this.#session.issueNonce(), did: this.did }),
        unseal: (body) => this.#unseal(body),
      },
      { onError },
    );
    this.#http = await listen(app.fetch, where, { onError });
  }

  #unseal(body: unknown): ReturnType<Parameters<typeof createUnsealApp>[0]["unseal"]> {
    if (this.#phase !== "sealed")
      throw new PlexusError(ErrorCode.NotReady, "the node is already unsealing with the shares it was given");
    const taken = this.#session.accept(body);
    this.#log(
      `registry: unseal: share #${taken.index} accepted (${taken.keyPair ? taken.threshold : taken.received} of ${taken.threshold})`,
    );
    const answer = {
      sealed: !taken.keyPair,
      did: this.did,
      threshold: taken.threshold,
      received: taken.keyPair ? 0 : taken.received,
      index: taken.index,
    };
    const key = taken.keyPair;
    if (key) {
      this.#phase = "unsealing";
      // Answer this request first, then hand the HTTP address over to the unsealed node.
      const where = this.#http && this.#listen ? { host: this.#listen.host, port: this.#http.port } : false;
      this.#handover = new Promise((r) => setTimeout(r, 20)).then(() => this.#startUnsealed(key, where, true));
    }
    return answer;
  }

  async #startUnsealed(key: KeyPair, http: { host: string; port: number } | false, fromHttp = false): Promise<void> {
    const { sealed: _sealed, ...options } = this.#o;
    if (fromHttp) {
      await this.#http?.close();
      this.#http = undefined;
    }
    if (this.#stopped()) return;
    try {
      const node = await startRegistryNode({ ...options, key, http });
      if (this.#stopped()) return void (await node.stop());
      this.#node = node;
      this.#phase = "unsealed";
      this.#log(`registry: unsealed: serving as ${node.did}`);
      this.#resolve(node);
    } catch (err) {
      if (!fromHttp || this.#stopped()) throw err;
      this.#log(
        `registry: starting unsealed failed (${(err as Error).message}); sealed again, the shares must be given again`,
      );
      this.#phase = "sealed";
      if (http)
        await this.#serveSealed(http).catch((e: unknown) =>
          this.#log(`registry: cannot serve the unseal API again: ${(e as Error).message}`),
        );
    }
  }

  #stopped(): boolean {
    return this.#phase === "stopped";
  }

  async stop(): Promise<void> {
    if (this.#phase === "stopped") return;
    this.#phase = "stopped";
    this.#session.clear();
    await this.#handover?.catch(() => undefined);
    await this.#http?.close();
    await this.#node?.stop();
  }
}

function shown(value: unknown): string {
  return JSON.stringify(String(value).slice(0, 80));
}

function config(message: string): PlexusError {
  return new PlexusError(ErrorCode.ConfigInvalid, message);
}

export function startSealedRegistryNode(options: SealedNodeOptions): Promise<SealedRegistryNode> {
  return SealedRegistryNode.start(options);
}
