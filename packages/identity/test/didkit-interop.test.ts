/**
 * Interoperability: DIDKit (Spruce's Rust implementation, compiled to WASM) verifies the VC-JWTs we issue, and
 * refuses them once tampered with. An independent verifier, not our own code checking itself.
 */
import { describe, expect, it } from "vitest";
import { generateKeyPair, issueCapabilityCredential, issueMembershipCredential } from "../src/index.js";
import { newCredentialId } from "../src/vc-issue.js";

type DidKit = typeof import("@spruceid/didkit-wasm-node");

let didkit: DidKit | undefined;
let unavailable: string | undefined;
try {
  didkit = await import("@spruceid/didkit-wasm-node");
  didkit.getVersion();
} catch (err) {
  unavailable = `DIDKit (@spruceid/didkit-wasm-node) cannot load on this machine: ${(err as Error).message}`;
}

interface DidKitResult {
  checks: string[];
  warnings: string[];
  errors: string[];
}

async function didkitVerify(jwt: string): Promise<DidKitResult> {
  const raw = await (didkit as DidKit).verifyCredential(jwt, '{"proofFormat":"jwt"}');
  return (typeof raw === "string" ? JSON.parse(raw) : raw) as DidKitResult;
}

/** The same token with one claim of its payload changed and the original signature kept. */
function tamper(jwt: string, change: (payload: Record<string, any>) => void): string {
  const [h, p, s] = jwt.split(".") as [string, string, string];
  const payload = JSON.parse(Buffer.from(p, "base64url").toString("utf8"));
  change(payload);
  return `${h}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.${s}`;
}

(unavailable ? describe.skip : describe)(unavailable ?? "DIDKit verifies our VC-JWTs", () => {
  const registry = generateKeyPair();
  const issuer = generateKeyPair();
  const agent = generateKeyPair();

  it("a membership credential verifies with no errors; a tampered one fails", async () => {
    const now = Date.now();
    const jwt = await issueMembershipCredential(registry, {
      id: newCredentialId(),
      subject: agent.did,
      mesh: "interop",
      name: "alice",
      issuedAt: now,
      expiresAt: now + 3_600_000,
    });
    const ok = await didkitVerify(jwt);
    expect(ok.errors).toEqual([]);
    expect(ok.checks).toContain("JWS");
    const bad = await didkitVerify(tamper(jwt, (p) => (p.vc.credentialSubject.name = "mallory")));
    expect(bad.errors.length).toBeGreaterThan(0);
  });

  it("a capability credential verifies with no errors; a tampered one and one signed by another key fail", async () => {
    const { jwt } = await issueCapabilityCredential(issuer, {
      subject: agent.did,
      capabilities: ["translate", "summarise"],
      ttlMs: 3_600_000,
      mesh: "interop",
    });
    const ok = await didkitVerify(jwt);
    expect(ok.errors).toEqual([]);
    expect(ok.checks).toContain("JWS");
    const bad = await didkitVerify(tamper(jwt, (p) => p.vc.credentialSubject.capabilities.push("admin")));
    expect(bad.errors.length).toBeGreaterThan(0);
    const { jwt: other } = await issueCapabilityCredential(generateKeyPair(), {
      subject: agent.did,
      capabilities: ["translate"],
      ttlMs: 3_600_000,
    });
    const [h, p] = jwt.split(".");
    const swapped = await didkitVerify(`${h}.${p}.${other.split(".")[2]}`);
    expect(swapped.errors.length).toBeGreaterThan(0);
  });
});
