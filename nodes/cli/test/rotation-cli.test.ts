/**
 * Issue 16 as users run it, as child processes: a refused `keys rotate` leaves no files behind, `--compromised`
 * revokes what the old key issued with the rotation, and `credential revoke` refuses (exit 8, with the reason) to
 * revoke a credential its caller did not issue, while an issuer may revoke one ahead of time by naming its file.
 */
import { copyFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ErrorCode, exitCodeFor } from "@plexus/core";
import { useTestServer } from "@plexus/testing";
import { cli, cliScopes, firstJson, json } from "./cli-process.js";

const nats = useTestServer();
const { scope } = cliScopes("rot", () => nats.url);

describe("plexus keys rotate and credential revoke without loopholes", { timeout: 120_000 }, () => {
  it("a refused rotation leaves no key file; --compromised revokes the old key's credentials; revoke refuses a non-issuer", async () => {
    const s = scope();
    const { run, start, reap } = cli();
    try {
      for (const name of ["alice", "certifier", "bob", "mallory"])
        expect((await run(s.args("keys", "new", name))).code).toBe(0);
      const registry = start(s.args("registry", "start", "--http", "off", "--data", "off", "--json"));
      await firstJson(registry);
      const cardFile = join(s.dir, "card.json");
      await writeFile(
        cardFile,
        JSON.stringify({
          name: "agent",
          description: "does things",
          version: "1.0.0",
          capabilities: [{ name: "translate" }],
        }),
      );
      // alice and bob stay members (credentials are about members); the certifier joins once and leaves.
      const members = ["alice", "bob"].map((name) => start(s.args("agent", "join", "--as", name, "--card", cardFile)));
      const certifier = start(s.args("agent", "join", "--as", "certifier", "--card", cardFile));
      await Promise.all([...members, certifier].map((p) => p.waitFor("Ctrl-C to leave")));
      certifier.child.kill("SIGINT");
      expect((await certifier.exited).code).toBe(0);
      const keyFiles = async (): Promise<string[]> =>
        (await readdir(s.keys)).filter((f) => !f.includes(".rotated-")).sort();
      const initialFiles = await keyFiles();

      // Refused (mallory never joined): exit 1 with the reason, and no mallory.next key left behind.
      const refused = await run(s.args("keys", "rotate", "mallory"));
      expect(refused.code).toBe(exitCodeFor(ErrorCode.RequestRefused));
      expect(refused.stderr).toContain("not_joined");
      expect(await keyFiles()).toEqual(initialFiles);

      // The certifier attests alice, and issues bob a credential nobody presented yet.
      const aliceCred = join(s.dir, "alice.jwt");
      const bobCred = join(s.dir, "bob.jwt");
      expect(
        (
          await run(
            s.args(
              "credential",
              "issue",
              "--as",
              "certifier",
              "--subject",
              "alice",
              "--capability",
              "translate",
              "--out",
              aliceCred,
            ),
          )
        ).code,
      ).toBe(0);
      const bobIssued = await run(
        s.args(
          "credential",
          "issue",
          "--as",
          "certifier",
          "--subject",
          "bob",
          "--capability",
          "translate",
          "--out",
          bobCred,
          "--json",
        ),
      );
      expect(bobIssued.code, bobIssued.stderr).toBe(0);
      const bobId = json<{ id: string }>(bobIssued).id;
      expect((await run(s.args("credential", "present", "--as", "alice", aliceCred))).code).toBe(0);

      // Revoking what one did not issue: refused, exit 1, with the reason (by id the registry never saw, or by file).
      const byId = await run(s.args("credential", "revoke", "--as", "bob", bobId));
      expect(byId.code).toBe(exitCodeFor(ErrorCode.RequestRefused));
      expect(byId.stderr).toContain("unknown_credential");
      const byFile = await run(s.args("credential", "revoke", "--as", "bob", bobCred));
      expect(byFile.code).toBe(exitCodeFor(ErrorCode.RequestRefused));
      expect(byFile.stderr).toContain("not_issuer");
      const someoneElses = await run(s.args("credential", "revoke", "--as", "bob", aliceCred));
      expect(someoneElses.code).toBe(exitCodeFor(ErrorCode.RequestRefused));
      expect(someoneElses.stderr).toContain("not_issuer");
      // The issuer revokes bob's ahead of time by naming the file; bob can then not present it.
      const ahead = await run(s.args("credential", "revoke", "--as", "certifier", bobCred, "--json"));
      expect(ahead.code, ahead.stderr).toBe(0);
      expect(json(ahead)).toMatchObject({ revoked: true });
      expect((await run(s.args("credential", "present", "--as", "bob", bobCred))).code).toBe(
        exitCodeFor(ErrorCode.RequestRefused),
      );

      // The certifier's key leaked: rotated with --compromised, what it issued (alice's attestation) is revoked with it.
      const verified = json<unknown[]>(await run(s.args("discover", "--verified-only", "--json")));
      expect(verified).toHaveLength(1);
      const rotated = await run(s.args("keys", "rotate", "certifier", "--compromised", "--json"));
      expect(rotated.code, rotated.stderr).toBe(0);
      expect(json(rotated)).toMatchObject({ revoked: 1 });
      expect(json<unknown[]>(await run(s.args("discover", "--verified-only", "--json")))).toEqual([]);
      // Rotating the archived old key again: refused (rotated), nothing left behind.
      const archived = (await readdir(s.keys)).find((f) => f.startsWith("certifier.rotated-"))!;
      await copyFile(join(s.keys, archived), join(s.keys, "oldcert.json"));
      const again = await run(s.args("keys", "rotate", "oldcert"));
      expect(again.code).toBe(exitCodeFor(ErrorCode.RequestRefused));
      expect(again.stderr).toContain("rotated");
      expect((await readdir(s.keys)).filter((f) => f.includes(".next"))).toEqual([]);
      expect((await run(s.args("keys", "rotate", "alice", "--registry", "--compromised"))).code).toBe(2);
    } finally {
      await reap();
    }
  });
});
