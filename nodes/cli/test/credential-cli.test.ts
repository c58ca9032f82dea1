/**
 * `plexus credential issue|present|revoke|verify` and `plexus discover --verified-only` as users run them: child
 * processes against a real nats-server, registry node and joined agents.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ErrorCode, exitCodeFor } from "@plexus/core";
import { useTestServer } from "@plexus/testing";
import { cli, cliScopes, firstJson, json, runHere } from "./cli-process.js";

const nats = useTestServer();
const { scope } = cliScopes("cred", () => nats.url);

interface Found {
  did: string;
  name: string;
  claims: { name: string; attested: boolean; attestedBy: { issuer: string; credentialId: string }[] }[];
}

describe("plexus credential", { timeout: 120_000 }, () => {
  it("usage errors name the problem and exit 2", async () => {
    for (const [args, message] of [
      [["credential"], "missing a subcommand: issue, present, revoke or verify"],
      [["credential", "mint"], 'unknown subcommand "mint"'],
      [["credential", "issue", "--as", "a", "--subject", "b"], "missing --capability NAME"],
      [["credential", "issue", "--as", "a", "--subject", "b", "--capability", "Bad Name"], "is not a capability name"],
      [
        ["credential", "issue", "--as", "a", "--subject", "b", "--capability", "x", "--ttl", "forever"],
        "--ttl must be a duration",
      ],
      [["credential", "verify"], "missing FILE"],
      [["credential", "verify", "f", "--as", "x"], "--as does not apply to credential verify"],
      [["credential", "verify", "f", "--registry", "not a key!"], "--registry"],
      [["credential", "verify", "f", "--audience", ""], "--audience needs a value"],
      [
        ["credential", "issue", "--as", "a", "--subject", "b", "--capability", "x", "--offline"],
        "--offline does not apply to credential issue",
      ],
      [
        ["credential", "present", "--as", "a", "f", "--registry", "did:key:z6Mk"],
        "--registry does not apply to credential present",
      ],
      [["discover", "--issuer", "bob"], "--issuer must be a DID"],
    ] as const) {
      const r = await runHere([...args]);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(message);
    }
  });

  it("issue, verify, present (refused for a third party), discover --verified-only, revoke", async () => {
    const s = scope();
    const { run, start, reap } = cli();
    try {
      for (const name of ["alice", "bob", "certifier"])
        expect((await run(["keys", "new", name, "--keys", s.keys])).code).toBe(0);
      const registry = start(s.args("registry", "start", "--http", "off", "--json"));
      await firstJson(registry);
      const cards = await Promise.all(
        [
          ["alice", ["translate", "summarise"]],
          ["bob", ["translate"]],
        ].map(async ([name, caps]) => {
          const file = join(s.dir, `${name}.card.json`);
          await writeFile(
            file,
            JSON.stringify({
              name,
              description: `${name} translates`,
              version: "1.0.0",
              capabilities: (caps as string[]).map((c) => ({ name: c })),
            }),
          );
          return file;
        }),
      );
      const alice = start(s.args("agent", "join", "--as", "alice", "--card", cards[0] as string));
      const bob = start(s.args("agent", "join", "--as", "bob", "--card", cards[1] as string));
      await Promise.all([alice.waitFor("Ctrl-C to leave"), bob.waitFor("Ctrl-C to leave")]);

      const file = join(s.dir, "alice-translate.jwt");
      const issued = await run(
        s.args(
          "credential",
          "issue",
          "--as",
          "certifier",
          "--subject",
          "alice",
          "--capability",
          "translate",
          "--ttl",
          "1h",
          "--bind-mesh",
          "--out",
          file,
          "--json",
        ),
      );
      expect(issued.code, issued.stderr).toBe(0);
      const claims = json<{
        id: string;
        issuer: string;
        subject: string;
        capabilities: string[];
        mesh: string;
        expiresAt: number;
        file: string;
      }>(issued);
      expect(claims).toMatchObject({
        capabilities: ["translate"],
        mesh: s.mesh,
        file,
        id: expect.stringMatching(/^urn:uuid:/),
      });
      expect(claims.expiresAt - Date.now()).toBeGreaterThan(3_500_000);

      const verified = await run(s.args("credential", "verify", file, "--json"));
      expect(verified.code, verified.stderr).toBe(0);
      expect(json(verified)).toMatchObject({
        ok: true,
        kind: "capability",
        issuer: claims.issuer,
        claims: { subject: claims.subject },
        checks: { mesh: "match", revocation: "not_revoked" },
      });
      const jwt = (await readFile(file, "utf8")).trim();
      const [h, p, sig] = jwt.split(".") as [string, string, string];
      const payload = JSON.parse(Buffer.from(p, "base64url").toString());
      payload.vc.credentialSubject.capabilities = ["admin"];
      const tampered = join(s.dir, "tampered.jwt");
      await writeFile(tampered, `${h}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.${sig}\n`);
      const bad = await run(["credential", "verify", tampered, "--offline", "--mesh", s.mesh]);
      expect(bad.code).toBe(8); // CREDENTIAL_INVALID
      expect(bad.stderr).toContain("invalid: credential refused (bad_signature)");

      const third = await run(s.args("credential", "present", "--as", "bob", file));
      expect(third.code).toBe(exitCodeFor(ErrorCode.RequestRefused));
      expect(third.stderr).toContain("refused (credential_invalid)");
      const presented = await run(s.args("credential", "present", "--as", "alice", file, "--json"));
      expect(presented.code, presented.stderr).toBe(0);
      expect(json(presented)).toMatchObject({ id: claims.id, subject: claims.subject, issuer: claims.issuer });

      const onlyAttested = await run(s.args("discover", "--verified-only", "--json"));
      expect(onlyAttested.code, onlyAttested.stderr).toBe(0);
      const found = json<Found[]>(onlyAttested);
      expect(found.map((r) => r.name)).toEqual(["alice"]);
      expect(found[0]?.claims).toEqual([
        {
          name: "translate",
          attested: true,
          attestedBy: [expect.objectContaining({ issuer: claims.issuer, credentialId: claims.id })],
        },
        { name: "summarise", attested: false, attestedBy: [] },
      ]);
      expect(
        json<Found[]>(await run(s.args("discover", "--issuer", claims.issuer, "--json"))).map((r) => r.name),
      ).toEqual(["alice"]);
      const table = await run(s.args("discover", "--capability", "translate"));
      expect(table.stdout).toMatch(
        /alice .*translate \(attested by did:key:z6Mk\S+…\S+\), summarise \(self-declared\)/,
      );
      expect(table.stdout).toMatch(/bob .*translate \(self-declared\)/);

      const revoked = await run(
        s.args("credential", "revoke", "--as", "certifier", claims.id, "--reason", "expired certification"),
      );
      expect(revoked.code, revoked.stderr).toBe(0);
      expect(revoked.stdout).toContain(`revoked ${claims.id}`);
      expect(json<Found[]>(await run(s.args("discover", "--verified-only", "--json")))).toEqual([]);
    } finally {
      await reap();
    }
  });
});
