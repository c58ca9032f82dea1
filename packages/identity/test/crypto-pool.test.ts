import { execFile } from "node:child_process";
import { describe, expect, it } from "vitest";
import { generateKeyPair, verifySignature } from "../src/index.js";
import { ed25519Backend, CryptoPool } from "../src/internal.js";

const msg = new TextEncoder().encode("the signed bytes of an envelope");

async function checkPool(pool: CryptoPool): Promise<void> {
  const alice = generateKeyPair();
  const bob = generateKeyPair();
  const good = alice.sign(msg);
  const flipped = Uint8Array.from(good);
  flipped[10]! ^= 1;
  const results = await Promise.all([
    pool.verify(alice.publicKey, msg, good),
    pool.verify(bob.publicKey, msg, good),
    pool.verify(alice.publicKey, msg, flipped),
    pool.verify(alice.publicKey, new TextEncoder().encode("other bytes"), good),
    pool.verify(alice.publicKey, msg, good.subarray(0, 63)),
    pool.verify(new Uint8Array(31), msg, good),
  ]);
  expect(results).toEqual([true, false, false, false, false, false]);
  // Signatures made on the pool are the ones the key makes itself, for several keys in one batch.
  const viaPool = await Promise.all([alice, bob, alice].map((k) => k.signAsync(msg, pool)));
  expect(viaPool).toEqual([alice, bob, alice].map((k) => Buffer.from(k.sign(msg)).toString("base64url")));
  // A batch larger than one worker message, mixed good and bad, answers each in place.
  const many = await Promise.all(
    Array.from({ length: 1500 }, (_, i) => pool.verify(alice.publicKey, msg, i % 7 === 0 ? flipped : good)),
  );
  expect(many.every((ok, i) => ok === (i % 7 !== 0))).toBe(true);
}

describe("CryptoPool", () => {
  it("signs and verifies on worker threads in batches: right answers for good and bad signatures", async () => {
    const pool = new CryptoPool(2);
    try {
      expect(["libsodium", "node:crypto"]).toContain(await pool.backend);
      await checkPool(pool);
    } finally {
      await pool.close();
    }
  });

  it("gives the same answers on the node:crypto fallback (PLEXUS_ED25519=node)", async () => {
    const before = process.env.PLEXUS_ED25519;
    process.env.PLEXUS_ED25519 = "node";
    const pool = new CryptoPool(1);
    try {
      expect(await pool.backend).toBe("node:crypto");
      await checkPool(pool);
    } finally {
      if (before === undefined) delete process.env.PLEXUS_ED25519;
      else process.env.PLEXUS_ED25519 = before;
      await pool.close();
    }
  });

  it("after close, checks run inline and stay correct", async () => {
    const pool = new CryptoPool(1);
    await pool.close();
    const k = generateKeyPair();
    expect(await pool.verify(k.publicKey, msg, k.sign(msg))).toBe(true);
    expect(await pool.verify(k.publicKey, msg, new Uint8Array(64))).toBe(false);
    expect(await k.signAsync(msg, pool)).toBe(Buffer.from(k.sign(msg)).toString("base64url"));
  });
});

describe("the shared pool in a process of its own", () => {
  it("never keeps the process alive: it exits after signing one message (inline, the workers idle)", async () => {
    const script = `
      import { generateKeyPair } from "@plexus/identity";
      const key = generateKeyPair();
      const msg = new TextEncoder().encode("x");
      const sig = await key.signAsync(msg);
      process.stdout.write(String(sig.length > 0));`;
    // The child runs the sources as the tests do (NODE_OPTIONS carries the "@plexus/source" condition).
    const result = await new Promise<{ code: number | null; out: string; killed: boolean }>((resolve) =>
      execFile(
        process.execPath,
        ["--import", "tsx", "--input-type=module", "-e", script],
        { timeout: 30_000, encoding: "utf8" },
        (err, out) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, out, killed: err?.killed === true }),
      ),
    );
    expect(result).toEqual({ code: 0, out: "true", killed: false });
  }, 40_000);
});

describe("Ed25519 backends interoperate", () => {
  it("libsodium and node:crypto produce byte-identical signatures that each other verifies", () => {
    const k = generateKeyPair();
    const viaBackend = Buffer.from(k.signBase64url(msg), "base64url");
    const viaNode = k.sign(msg); // always node:crypto
    expect(Buffer.from(viaBackend).equals(Buffer.from(viaNode))).toBe(true);
    expect(verifySignature(k.did, msg, viaBackend)).toBe(true);
    expect(["libsodium", "node:crypto"]).toContain(ed25519Backend());
  });
});
