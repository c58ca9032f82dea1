import { describe, expect, it } from "vitest";
import { generateKeyPair } from "../src/index.js";
import { openSealed, sealTo } from "../src/internal.js";

describe("sealed box", () => {
  it("opens only with the recipient's seed, and refuses an altered box", () => {
    const alice = generateKeyPair();
    const bob = generateKeyPair();
    const secret = new TextEncoder().encode("heartbeat secret of the mesh");
    const sealed = sealTo(alice.did, secret);
    expect(Buffer.from(openSealed(alice.exportSeed(), sealed)).toString()).toBe("heartbeat secret of the mesh");
    expect(() => openSealed(bob.exportSeed(), sealed)).toThrow(/not sealed to this key/);
    const bytes = Buffer.from(sealed, "base64url");
    bytes[50] = (bytes[50] as number) ^ 1;
    expect(() => openSealed(alice.exportSeed(), bytes.toString("base64url"))).toThrow(/altered/);
    expect(sealTo(alice.did, secret)).not.toBe(sealed);
  });
});
