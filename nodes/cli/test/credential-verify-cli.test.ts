/**
 * `plexus credential verify` against a real nats-server and registry node, with credentials built by an independent
 * JOSE library (panva/jose; the registry's and the certifier's keys are jose keys stored in the key folder, so the
 * registry signs its own events with the key jose signs the hand-built tokens with). Each case: online (the registry
 * names its keys and the revocations) or offline (--offline / --registry), the exit code and the reason or checks.
 * Table cases run in this process (runCli, as `plexus` would); a few run as child processes for the real exit code
 * and the human output.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ErrorCode, exitCodeFor } from "@plexus/core";
import { connectBus } from "@plexus/bus";
import { RegistryClient } from "@plexus/anp";
import { generateKeyPair, KeyStore, keyPairFromSeed } from "@plexus/identity";
import { rotateRegistryKey } from "@plexus/registry";
import {
  hostileTokens,
  joseCapability,
  joseKey,
  joseMembership,
  joseSeed,
  joseSign,
  useTestServer,
  vcPayload,
  type JoseKey,
} from "@plexus/testing";
import { JOSE_MEMBERSHIP_TYPE } from "@plexus/testing/internal";
import { cli, cliScopes, firstJson, runHere, type Scope } from "./cli-process.js";

const nats = useTestServer();
const { scope } = cliScopes("credv", () => nats.url);

interface Verdict {
  ok: boolean;
  reason?: string;
  message?: string;
  kind?: string;
  issuer?: string;
  online?: boolean;
  checks?: { issuer: string; mesh: string; audience: string; revocation: string };
  revocation?: { revokedBy: string; reason: string };
}

async function store(s: Scope, name: string, key: JoseKey): Promise<void> {
  await new KeyStore(s.keys).add(name, keyPairFromSeed(await joseSeed(key)));
}

/** Writes `jwt` to a file of the scope and verifies it (in this process) with `extra` arguments (--mesh too); online unless told. */
async function verifier(s: Scope) {
  let n = 0;
  return async (
    jwt: string,
    extra: string[] = [],
  ): Promise<{ code: number | null; verdict: Verdict; stderr: string }> => {
    const file = join(s.dir, `token-${++n}.jwt`);
    await writeFile(file, `${jwt}\n`);
    const mesh = extra.includes("--mesh") ? [] : ["--mesh", s.mesh];
    const r = await runHere([
      "credential",
      "verify",
      file,
      "--json",
      "--keys",
      s.keys,
      "--nats",
      nats.url,
      ...mesh,
      ...extra,
    ]);
    return { code: r.code, verdict: (r.stdout.trim() ? JSON.parse(r.stdout) : {}) as Verdict, stderr: r.stderr };
  };
}

describe("plexus credential verify", { timeout: 120_000 }, () => {
  it("checks issuer, mesh and audience with the registry online and offline; every hostile variant refused", async () => {
    const s = scope();
    const { run, start, reap } = cli();
    try {
      const [registryKey, certifier, self, subject] = await Promise.all([joseKey(), joseKey(), joseKey(), joseKey()]);
      await store(s, "registry", registryKey);
      await store(s, "certifier", certifier);
      const registry = start(s.args("registry", "start", "--http", "off", "--json"));
      expect((await firstJson<{ registry: string }>(registry)).registry).toBe(registryKey.did);
      const verify = await verifier(s);

      const membership = await joseMembership(registryKey, subject.did, s.mesh);
      const selfIssued = await joseMembership(self, self.did, s.mesh);
      const otherMesh = await joseMembership(registryKey, subject.did, "elsewhere");
      const capability = await joseCapability(certifier, subject.did, ["translate"]);
      const forRegistry = await joseCapability(certifier, subject.did, ["translate"], { aud: registryKey.did });
      const forCertifier = await joseCapability(certifier, subject.did, ["translate"], { aud: certifier.did });
      const boundElsewhere = await joseCapability(certifier, subject.did, ["translate"], { mesh: "elsewhere" });
      const bound = await joseCapability(certifier, subject.did, ["translate"], { mesh: s.mesh });

      const OFF = ["--offline"];
      const REG = ["--registry", registryKey.did];
      const valid = (checks: Partial<NonNullable<Verdict["checks"]>>) => ({
        code: 0,
        verdict: { ok: true, checks: expect.objectContaining(checks) },
      });
      const refused = (reason: string) => ({ code: 8, verdict: { ok: false, reason } });
      const cases: [string, string, string[], { code: number; verdict: object }][] = [
        [
          "registry's membership, online",
          membership,
          [],
          valid({ issuer: "registry_key", mesh: "match", revocation: "not_revoked" }),
        ],
        [
          "registry's membership, offline with --registry",
          membership,
          REG,
          valid({ issuer: "registry_key", revocation: "not_checked" }),
        ],
        [
          "registry's membership, --registry given as a key name",
          membership,
          ["--registry", "registry"],
          valid({ issuer: "registry_key" }),
        ],
        ["registry's membership, offline without --registry", membership, OFF, refused("issuer_untrusted")],
        ["self-issued membership, online", selfIssued, [], refused("issuer_untrusted")],
        ["self-issued membership, offline", selfIssued, OFF, refused("issuer_untrusted")],
        ["self-issued membership, offline with the registry's key", selfIssued, REG, refused("issuer_untrusted")],
        [
          "self-issued membership, offline with its own key as --registry",
          selfIssued,
          ["--registry", self.did],
          valid({ issuer: "registry_key" }),
        ],
        ["membership for another mesh, online", otherMesh, [], refused("wrong_mesh")],
        ["membership for another mesh, offline", otherMesh, REG, refused("wrong_mesh")],
        [
          "membership for another mesh, --mesh names it",
          otherMesh,
          [...REG, "--mesh", "elsewhere"],
          valid({ mesh: "match" }),
        ],
        ["membership for another mesh, offline without --registry", otherMesh, OFF, refused("wrong_mesh")],
        [
          "self-issued membership for another mesh, online",
          await joseMembership(self, self.did, "elsewhere"),
          [],
          refused("wrong_mesh"),
        ],
        [
          "capability, online",
          capability,
          [],
          valid({ issuer: "not_required", mesh: "unbound", audience: "none", revocation: "not_revoked" }),
        ],
        ["capability, offline", capability, OFF, valid({ revocation: "not_checked" })],
        ["capability bound to this mesh", bound, OFF, valid({ mesh: "match" })],
        ["capability bound to another mesh", boundElsewhere, OFF, refused("wrong_mesh")],
        ["capability bound to another mesh, online", boundElsewhere, [], refused("wrong_mesh")],
        ["addressed to the registry, online", forRegistry, [], valid({ audience: "match" })],
        ["addressed to the registry, offline", forRegistry, OFF, refused("wrong_audience")],
        [
          "addressed to the registry, offline with --audience",
          forRegistry,
          [...OFF, "--audience", registryKey.did],
          valid({ audience: "match" }),
        ],
        ["addressed to the registry, offline with --registry", forRegistry, REG, valid({ audience: "match" })],
        ["addressed to someone else, online", forCertifier, [], refused("wrong_audience")],
        [
          "addressed to someone else, online with --audience",
          forCertifier,
          ["--audience", certifier.did],
          valid({ audience: "match" }),
        ],
      ];
      for (const [name, jwt, extra, expected] of cases) {
        const got = await verify(jwt, extra);
        expect(got.stderr, name).toBe("");
        expect({ code: got.code, verdict: got.verdict }, name).toMatchObject(expected);
      }

      // Every hostile variant of the registry's membership credential, online and offline.
      const payload = vcPayload({
        issuer: registryKey.did,
        subject: subject.did,
        type: JOSE_MEMBERSHIP_TYPE,
        claims: { mesh: s.mesh, name: "alice" },
      });
      expect((await verify(await joseSign(registryKey, payload))).verdict).toMatchObject({ ok: true });
      const hostile = await hostileTokens(registryKey, self, payload);
      for (const t of hostile) {
        for (const extra of [[], REG]) {
          const got = await verify(t.jwt, extra);
          expect({ code: got.code, reason: got.verdict.reason }, `${t.name} ${extra.join(" ")}`).toEqual({
            code: 8,
            reason: t.reason,
          });
        }
      }

      // As users run it: the human lines and the exit code.
      const selfFile = join(s.dir, "self.jwt");
      await writeFile(selfFile, selfIssued);
      const untrusted = await run(s.args("credential", "verify", selfFile, "--offline"));
      expect(untrusted.code).toBe(exitCodeFor(ErrorCode.CredentialInvalid));
      expect(untrusted.stderr).toContain("issuer_untrusted");
      expect(untrusted.stderr).toContain("--registry DID");
      // An invalid credential is the command's failure, said as an error, not a warning.
      expect(untrusted.stderr).toMatch(/^plexus: error: \S+self\.jwt: invalid: /);
      expect(untrusted.stdout).toBe("");
    } finally {
      await reap();
    }
  });

  it("what the log says: revoked (online; not checked offline), a suspended agent's, a rotated key's, a retired registry key's", async () => {
    const s = scope();
    const { run, start, reap } = cli();
    try {
      const [oldKey, newKey, subject, aliceKey, certifier] = await Promise.all([
        joseKey(),
        joseKey(),
        joseKey(),
        joseKey(),
        joseKey(),
      ]);
      await store(s, "registry", oldKey);
      await store(s, "registry2", newKey);
      await store(s, "alice", aliceKey);
      await store(s, "certifier", certifier);
      const first = start(s.args("registry", "start", "--http", "off", "--json"));
      await firstJson(first);
      const cardFile = join(s.dir, "alice.card.json");
      await writeFile(
        cardFile,
        JSON.stringify({
          name: "alice",
          description: "alice translates",
          version: "1.0.0",
          capabilities: [{ name: "translate" }],
        }),
      );
      const alice = start(s.args("agent", "join", "--as", "alice", "--card", cardFile, "--json"));
      const joined = await firstJson<{ did: string; credential: string; registry: string }>(alice);
      expect(joined.registry).toBe(oldKey.did);

      const nc = await connectBus({ servers: nats.url });
      try {
        const keys = new KeyStore(s.keys);
        await rotateRegistryKey(nc, s.mesh, await keys.load("registry"), await keys.load("registry2"));
      } finally {
        await nc.close();
      }
      first.child.kill("SIGTERM");
      await first.exited;
      const second = start(s.args("registry", "start", "--http", "off", "--json", "--registry-key", "registry2"));
      expect((await firstJson<{ registry: string }>(second)).registry).toBe(newKey.did);

      const verify = await verifier(s);
      const recorded = await verify(joined.credential);
      expect(recorded, recorded.stderr).toMatchObject({
        code: 0,
        verdict: {
          ok: true,
          kind: "membership",
          issuer: oldKey.did,
          checks: { issuer: "registry_key", revocation: "not_revoked" },
        },
      });
      // The retired key signing a new membership (a leaked key) is not a registry key of the mesh any more.
      expect(await verify(await joseMembership(oldKey, subject.did, s.mesh))).toMatchObject({
        code: 8,
        verdict: { reason: "issuer_untrusted" },
      });
      expect(await verify(await joseMembership(newKey, subject.did, s.mesh))).toMatchObject({
        code: 0,
        verdict: { ok: true },
      });
      // Offline the user says which keys count.
      expect(await verify(joined.credential, ["--registry", newKey.did])).toMatchObject({
        code: 8,
        verdict: { reason: "issuer_untrusted" },
      });
      expect(await verify(joined.credential, ["--registry", oldKey.did])).toMatchObject({
        code: 0,
        verdict: { ok: true, checks: { revocation: "not_checked" } },
      });

      // A capability credential the registry recorded, then its issuer revoked: refused online, "not checked" offline.
      const revokedFile = join(s.dir, "revoked.jwt");
      await writeFile(
        revokedFile,
        await joseCapability(certifier, joined.did, ["translate"], {
          id: "urn:uuid:0c5f6d8e-0000-4000-8000-00000000dead",
        }),
      );
      const presented = await run(s.args("credential", "present", "--as", "alice", revokedFile));
      expect(presented.code, presented.stderr).toBe(0);
      expect(await verify(await readFile(revokedFile, "utf8"))).toMatchObject({
        code: 0,
        verdict: { ok: true, checks: { revocation: "not_revoked" } },
      });
      const revocation = await run(
        s.args(
          "credential",
          "revoke",
          "--as",
          "certifier",
          "urn:uuid:0c5f6d8e-0000-4000-8000-00000000dead",
          "--reason",
          "withdrawn",
        ),
      );
      expect(revocation.code, revocation.stderr).toBe(0);
      expect(await verify(await readFile(revokedFile, "utf8"))).toMatchObject({
        code: 8,
        verdict: {
          ok: false,
          reason: "revoked",
          revocation: expect.objectContaining({ revokedBy: certifier.did, reason: "withdrawn" }),
        },
      });
      const online = await run(s.args("credential", "verify", revokedFile));
      expect(online.code).toBe(exitCodeFor(ErrorCode.CredentialInvalid));
      expect(online.stderr).toMatch(
        /invalid: credential urn:uuid:\S+dead was revoked by did:key:\S+ at \S+ \("withdrawn"\)/,
      );
      const offline = await run(s.args("credential", "verify", revokedFile, "--offline"));
      expect(offline.code, offline.stderr).toBe(0);
      expect(offline.stdout).toContain("valid: credential urn:uuid:0c5f6d8e-0000-4000-8000-00000000dead");
      expect(offline.stdout).toContain("revocation: not checked (offline)");

      // The kill switch: while alice is suspended her membership credential does not count.
      const suspended = await run(s.args("agent", "suspend", "alice", "--reason", "spamming", "--as", "registry2"));
      expect(suspended.code, suspended.stderr).toBe(0);
      expect(await verify(joined.credential)).toMatchObject({
        code: 8,
        verdict: { ok: false, reason: "suspended", suspension: { by: newKey.did, reason: "spamming" } },
      });
      expect((await run(s.args("agent", "resume", "alice", "--as", "registry2"))).code).toBe(0);
      expect(await verify(joined.credential)).toMatchObject({ code: 0, verdict: { ok: true } });

      // alice rotates her key: her old DID's membership credential, and what her old key signed that the log never
      // recorded, stop counting (the registry refuses both as rotated_key).
      const unrecorded = await joseCapability(aliceKey, subject.did, ["translate"]);
      expect(await verify(unrecorded)).toMatchObject({ code: 0, verdict: { ok: true } });
      const rc = await connectBus({ servers: nats.url });
      try {
        await new RegistryClient(rc, s.mesh).rotate(await new KeyStore(s.keys).load("alice"), generateKeyPair());
      } finally {
        await rc.close();
      }
      expect(await verify(joined.credential)).toMatchObject({
        code: 8,
        verdict: { ok: false, reason: "rotated_key", message: expect.stringContaining("rotated its key") },
      });
      expect(await verify(unrecorded)).toMatchObject({
        code: 8,
        verdict: { ok: false, reason: "rotated_key", message: expect.stringContaining("was rotated away") },
      });
      // Offline none of this can be seen, and it says so.
      expect(await verify(unrecorded, ["--offline"])).toMatchObject({
        code: 0,
        verdict: { checks: { revocation: "not_checked" } },
      });
    } finally {
      await reap();
    }
  });

  it("without a registry to ask it fails, pointing at --registry and --offline", async () => {
    const s = scope();
    const issuer = await joseKey();
    const file = join(s.dir, "cap.jwt");
    await writeFile(file, await joseCapability(issuer, issuer.did, ["translate"]));
    const noRegistry = await runHere(s.args("credential", "verify", file));
    expect(noRegistry.code).toBe(exitCodeFor(ErrorCode.RegistryUnavailable));
    expect(noRegistry.stderr).toContain("no registry node answered");
    expect(noRegistry.stderr).toContain("--registry DID (or use --offline)");
    expect(noRegistry.stdout).toBe("");
    const noNats = await runHere(["credential", "verify", file, "--nats", "nats://127.0.0.1:1", "--keys", s.keys]);
    expect(noNats.code).toBe(exitCodeFor(ErrorCode.NatsUnavailable));
    expect(noNats.stderr).toContain("cannot reach NATS");
    expect(noNats.stderr).toContain("--offline");
    // A token that is not a JWT is refused before anything connects.
    await writeFile(file, "not a token");
    const junk = await runHere(["credential", "verify", file, "--nats", "nats://127.0.0.1:1", "--json"]);
    expect(junk.code).toBe(exitCodeFor(ErrorCode.CredentialInvalid));
    expect(JSON.parse(junk.stdout)).toMatchObject({ ok: false, reason: "malformed" });
  });
});
