// Worker thread of the VerifierPool (plain JS so it runs without a TypeScript loader).
// A batch is one ArrayBuffer of entries [public key 32][signature 64][length u32 LE][message]; the answer is one byte
// per entry, 1 when the signature verifies. libsodium (sodium-native) when it loads, else node:crypto.
import { createPublicKey, verify } from "node:crypto";
import { createRequire } from "node:module";
import { parentPort } from "node:worker_threads";

const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
let sodium;
try {
  if (process.env.PLEXUS_ED25519 !== "node") sodium = createRequire(import.meta.url)("sodium-native");
} catch {
  sodium = undefined;
}
const keys = new Map();

function nodeVerify(pk, msg, sig) {
  const hex = pk.toString("hex");
  let key = keys.get(hex);
  if (!key) {
    if (keys.size > 10_000) keys.clear();
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pk]), format: "der", type: "spki" });
    keys.set(hex, key);
  }
  return verify(null, msg, key, sig);
}

function check(pk, msg, sig) {
  try {
    return sodium ? sodium.crypto_sign_verify_detached(sig, msg, pk) : nodeVerify(pk, msg, sig);
  } catch {
    return false;
  }
}

parentPort.on("message", ({ id, buffer, count }) => {
  const bytes = Buffer.from(buffer);
  const results = new Uint8Array(count);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const pk = bytes.subarray(at, at + 32);
    const sig = bytes.subarray(at + 32, at + 96);
    const len = bytes.readUInt32LE(at + 96);
    const msg = bytes.subarray(at + 100, at + 100 + len);
    at += 100 + len;
    results[i] = check(pk, msg, sig) ? 1 : 0;
  }
  parentPort.postMessage({ id, results }, [results.buffer]);
});
parentPort.postMessage({ ready: true, backend: sodium ? "libsodium" : "node:crypto" });
