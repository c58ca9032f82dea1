/**
 * A registry node started sealed: it signs and appends nothing until custodians give k shares of its key over
 * HTTP (signed, fresh nonce each), then serves exactly as an unsealed node with the committed key.
 */
import { afterEach, describe, expect, it } from "vitest";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { RegistryClient } from "@plexus/anp";
import { decodeEvent } from "@plexus/anp/internal";
import { ErrorCode, meshSubjects } from "@plexus/core";
import {
  commitmentBinding,
  computeShareTag,
  sendUnsealShare,
  signUnsealRequest,
  splitSeed,
  type KeyShare,
} from "@plexus/custody";
import { generateKeyPair, type KeyPair } from "@plexus/identity";
import { until, useTestServer } from "@plexus/testing";
import { startSealedRegistryNode, type SealedNodeOptions, type SealedRegistryNode } from "../src/index.js";
import { card, freshMesh, meshKit } from "./fixtures.js";

const nats = useTestServer();
const kit = meshKit(() => nats.url);
const sealedNodes: SealedRegistryNode[] = [];
afterEach(async () => {
  await kit.close();
  await Promise.allSettled(sealedNodes.splice(0).map((n) => n.stop()));
});

const registry = generateKeyPair();
const shares = splitSeed(registry.exportSeed(), { shares: 5, threshold: 3, label: "registry" });
const custodians = [generateKeyPair(), generateKeyPair(), generateKeyPair(), generateKeyPair()];

async function sealed(
  mesh: string,
  sealedOptions: Partial<SealedNodeOptions["sealed"]> = {},
): Promise<SealedRegistryNode> {
  const node = await startSealedRegistryNode({
    nats: nats.url,
    mesh,
    http: { host: "127.0.0.1", port: 0 },
    refreshMs: 0,
    sealed: { did: registry.did, custodians: custodians.map((c) => c.did), ...sealedOptions },
  });
  sealedNodes.push(node);
  return node;
}

async function getJson(url: string): Promise<{ status: number; body: Record<string, any> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

async function post(url: string, body: unknown): Promise<{ status: number; body: Record<string, any> }> {
  const res = await fetch(`${url}/v1/unseal`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

async function signedRequest(url: string, key: KeyPair, share: KeyShare) {
  const { body } = await getJson(`${url}/v1/unseal/nonce`);
  expect(body.did).toBe(registry.did);
  return signUnsealRequest(key, { node: registry.did, nonce: body.nonce as string, share });
}

/** A share changed on purpose and re-tagged, as a forger would: it passes the integrity check. */
function forged(share: KeyShare): KeyShare {
  const data = share.share.slice(3);
  const s = { ...share, share: share.share.slice(0, 3) + (data[0] === "0" ? "1" : "0") + data.slice(1) };
  s.commitment = {
    did: s.commitment.did,
    binding: commitmentBinding({ did: s.commitment.did, splitId: s.splitId, threshold: s.threshold, total: s.total }),
  };
  return { ...s, tag: computeShareTag(s) };
}

async function lastSeq(mesh: string): Promise<number> {
  const nc = await connect({ servers: nats.url });
  try {
    return (await (await jetstreamManager(nc)).streams.info(meshSubjects(mesh).stream)).state.last_seq;
  } finally {
    await nc.close();
  }
}

describe("sealed registry node", () => {
  it("signs nothing while sealed; k custodian-signed shares unseal it; it then admits a join whose events verify against the committed DID", async () => {
    const mesh = freshMesh();
    const agent = await kit.agent(mesh); // creates the mesh stream
    const node = await sealed(mesh);
    const url = node.httpUrl!;
    expect(node.sealed).toBe(true);
    expect((await getJson(`${url}/healthz`)).status).toBe(200);
    expect(await getJson(`${url}/v1/status`)).toEqual({
      status: 200,
      body: {
        data: expect.objectContaining({ sealed: true, did: registry.did, threshold: null, received: 0 }),
        asOf: { seq: 0, at: expect.any(Number) },
      },
    });
    expect((await getJson(`${url}/readyz`)).status).toBe(503);
    expect(await getJson(`${url}/v1/agents`)).toMatchObject({
      status: 503,
      body: { error: { code: ErrorCode.Sealed } },
    });

    // Nothing answers registry requests: no join, no challenge, no query.
    const before = await lastSeq(mesh);
    await expect(agent.join(card("early"))).rejects.toMatchObject({ code: ErrorCode.RegistryUnavailable });
    const nc = await connect({ servers: nats.url });
    try {
      await expect(new RegistryClient(nc, mesh, { timeoutMs: 1_000 }).agents()).rejects.toMatchObject({
        code: ErrorCode.RegistryUnavailable,
      });
    } finally {
      await nc.close();
    }

    // A non-custodian is refused; a custodian's share counts once; its replay is refused.
    const outsider = sendUnsealShare({ url, share: shares[0]!, key: generateKeyPair() });
    await expect(outsider).rejects.toMatchObject({ code: ErrorCode.UnsealUnauthorized });
    const first = await signedRequest(url, custodians[0]!, shares[0]!);
    expect(await post(url, first)).toEqual({
      status: 200,
      body: { sealed: true, did: registry.did, threshold: 3, received: 1, index: 1 },
    });
    expect(await post(url, first)).toMatchObject({
      status: 401,
      body: { error: { code: ErrorCode.UnsealNonceInvalid } },
    });
    expect(await post(url, await signedRequest(url, custodians[0]!, shares[3]!))).toMatchObject({
      status: 409,
      body: { error: { code: ErrorCode.ShareDuplicate } },
    });
    const tampered = { ...(await signedRequest(url, custodians[1]!, shares[1]!)), share: shares[4]! };
    expect(await post(url, tampered)).toMatchObject({
      status: 403,
      body: { error: { code: ErrorCode.UnsealUnauthorized } },
    });
    const otherSplit = splitSeed(registry.exportSeed(), { shares: 5, threshold: 3 });
    await expect(sendUnsealShare({ url, share: otherSplit[1]!, key: custodians[1]! })).rejects.toMatchObject({
      code: ErrorCode.ShareSplitMismatch,
    });
    expect(await sendUnsealShare({ url, share: shares[1]!, key: custodians[1]! })).toMatchObject({
      sealed: true,
      received: 2,
    });
    expect((await getJson(`${url}/v1/status`)).body.data).toMatchObject({
      sealed: true,
      threshold: 3,
      total: 5,
      received: 2,
      splitId: shares[0]!.splitId,
    });
    expect(await lastSeq(mesh)).toBe(before); // nothing appended while sealed

    expect(await sendUnsealShare({ url, share: shares[4]!, key: custodians[2]! })).toMatchObject({
      sealed: false,
      did: registry.did,
    });
    const running = await Promise.race([
      node.unsealed,
      new Promise<never>((_, r) => setTimeout(() => r(new Error("not unsealed in 15 s")), 15_000)),
    ]);
    expect(running.did).toBe(registry.did);
    expect(node.sealed).toBe(false);
    expect(node.httpUrl).toBe(url); // the same address, now the normal API
    await until(
      async () => (await getJson(`${url}/readyz`).catch(() => ({ status: 0 }))).status === 200,
      10_000,
      "readyz 200 after unseal",
    );
    expect((await getJson(`${url}/v1/status`)).body.data).toMatchObject({ registry: registry.did, ready: true });

    const joined = await agent.join(card("late"));
    expect(joined.registry).toBe(registry.did);
    const jnc = await connect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(jnc);
      const { state } = await jsm.streams.info(meshSubjects(mesh).stream);
      const types: string[] = [];
      for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
        const msg = await jsm.streams.getMessage(meshSubjects(mesh).stream, { seq });
        if (!msg?.subject.startsWith(`plexus.${mesh}.registry.`)) continue;
        types.push(decodeEvent(msg.data, new Set([registry.did])).type); // throws unless signed by the committed key
      }
      expect(types).toContain("AgentJoined");
    } finally {
      await jnc.close();
    }
  });

  it("refuses a wrong share set (commitment mismatch), clears the shares and stays sealed", async () => {
    const mesh = freshMesh();
    const node = await sealed(mesh);
    const url = node.httpUrl!;
    await sendUnsealShare({ url, share: shares[0]!, key: custodians[0]! });
    await sendUnsealShare({ url, share: shares[1]!, key: custodians[1]! });
    const refused = sendUnsealShare({ url, share: forged(shares[2]!), key: custodians[2]! });
    await expect(refused).rejects.toMatchObject({
      code: ErrorCode.ShareCommitmentMismatch,
      message: expect.stringContaining(registry.did),
    });
    expect((await getJson(`${url}/v1/status`)).body.data).toMatchObject({ sealed: true, received: 0, threshold: null });
    expect(node.sealed).toBe(true);
    // A share of another key is refused at once.
    const stranger = splitSeed(generateKeyPair().exportSeed(), { shares: 3, threshold: 2 });
    await expect(sendUnsealShare({ url, share: stranger[0]!, key: custodians[0]! })).rejects.toMatchObject({
      code: ErrorCode.ShareCommitmentMismatch,
    });
    // The right shares still unseal it.
    for (const [i, c] of [3, 2, 1].entries()) await sendUnsealShare({ url, share: shares[c]!, key: custodians[i]! });
    expect((await node.unsealed).did).toBe(registry.did);
  });

  it("unseals at start from k share files' contents; refuses bad sealed configurations", async () => {
    const mesh = freshMesh();
    const direct = await sealed(mesh, { did: undefined, custodians: [], shares: [shares[4]!, shares[0]!, shares[2]!] });
    expect(direct.sealed).toBe(false);
    expect(direct.node?.did).toBe(registry.did);
    await until(() => direct.node!.ready, 5_000, "ready");

    const config = (o: Partial<SealedNodeOptions["sealed"]>) =>
      expect(sealed(freshMesh(), o)).rejects.toMatchObject({ code: ErrorCode.ConfigInvalid });
    await config({ did: undefined });
    await config({ custodians: [] });
    await config({ did: "did:example:123" });
    await config({ custodians: ["not a did"] });
    await expect(sealed(freshMesh(), { shares: [shares[0]!, shares[1]!, forged(shares[2]!)] })).rejects.toMatchObject({
      code: ErrorCode.ShareCommitmentMismatch,
    });
    await expect(sealed(freshMesh(), { shares: [shares[0]!, shares[0]!] })).rejects.toMatchObject({
      code: ErrorCode.ShareDuplicate,
    });
    await expect(sealed(freshMesh(), { did: generateKeyPair().did, shares: [shares[0]!] })).rejects.toMatchObject({
      code: ErrorCode.ShareCommitmentMismatch,
    });
    // Fewer than k files: sealed, with those shares held.
    const partial = await sealed(freshMesh(), { shares: [shares[0]!, shares[1]!] });
    expect(partial.status()).toMatchObject({ sealed: true, received: 2, threshold: 3 });
  });
});
