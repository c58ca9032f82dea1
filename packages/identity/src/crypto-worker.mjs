// Worker thread of the CryptoPool (plain JS so it runs without a TypeScript loader). libsodium (sodium-native) when it
// loads and PLEXUS_ED25519 is not "node", else node:crypto; the signatures are byte-identical either way.
//   { op: "key", key, seed }           remember a signing key under a number
//   { op: "verify", id, buffer, count } entries [public key 32][signature 64][length u32 LE][message] -> one byte each
//   { op: "sign", id, buffer, count }   entries [key u32 LE][length u32 LE][message] -> 64 bytes each
import { createPrivateKey, createPublicKey, sign, verify } from "node:crypto";
import { createRequire } from "node:module";
import { parentPort } from "node:worker_threads";

const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
let sodium;
try {
  if (process.env.PLEXUS_ED25519 !== "node") sodium = createRequire(import.meta.url)("sodium-native");
} catch {
  sodium = undefined;
}
const publicKeys = new Map();
const signers = new Map();

function publicKey(pk) {
  const hex = pk.toString("hex");
  let key = publicKeys.get(hex);
  if (!key) {
    if (publicKeys.size > 10_000) publicKeys.clear();
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pk]), format: "der", type: "spki" });
    publicKeys.set(hex, key);
  }
  return key;
}

function check(pk, msg, sig) {
  try {
    return sodium ? sodium.crypto_sign_verify_detached(sig, msg, pk) : verify(null, msg, publicKey(pk), sig);
  } catch {
    return false;
  }
}

function addKey(key, seed) {
  const seedBuf = Buffer.from(seed);
  if (sodium) {
    const sk = Buffer.alloc(64);
    sodium.crypto_sign_seed_keypair(Buffer.alloc(32), sk, seedBuf);
    signers.set(key, (msg, out) => sodium.crypto_sign_detached(out, msg, sk));
  } else {
    const der = Buffer.concat([PKCS8_PREFIX, seedBuf]);
    const priv = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
    der.fill(0);
    signers.set(key, (msg, out) => out.set(sign(null, msg, priv)));
  }
  seedBuf.fill(0);
}

function verifyBatch(bytes, count) {
  const results = new Uint8Array(count);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const len = bytes.readUInt32LE(at + 96);
    results[i] = check(
      bytes.subarray(at, at + 32),
      bytes.subarray(at + 100, at + 100 + len),
      bytes.subarray(at + 32, at + 96),
    )
      ? 1
      : 0;
    at += 100 + len;
  }
  return results;
}

function signBatch(bytes, count) {
  const out = Buffer.alloc(64 * count);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const key = bytes.readUInt32LE(at);
    const len = bytes.readUInt32LE(at + 4);
    signers.get(key)?.(bytes.subarray(at + 8, at + 8 + len), out.subarray(i * 64, i * 64 + 64));
    at += 8 + len;
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

parentPort.on("message", (m) => {
  if (m.op === "key") return addKey(m.key, m.seed);
  const bytes = Buffer.from(m.buffer);
  const results = m.op === "sign" ? signBatch(bytes, m.count) : verifyBatch(bytes, m.count);
  parentPort.postMessage({ id: m.id, results }, [results.buffer]);
});
parentPort.postMessage({ ready: true, backend: sodium ? "libsodium" : "node:crypto" });
