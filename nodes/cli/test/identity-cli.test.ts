/**
 * Key rotation and the kill switch as users run them, as child processes: `plexus keys rotate` for an agent and for
 * the registry (split again into shares), `plexus agent suspend|resume`.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ErrorCode, exitCodeFor } from "@plexus/core";
import { useTestServer } from "@plexus/testing";
import { cli, cliScopes, firstJson, json } from "./cli-process.js";

const nats = useTestServer();
const { scope } = cliScopes("idn", () => nats.url);

describe("plexus keys rotate, agent suspend|resume", { timeout: 120_000 }, () => {
  it("rotates an agent's key (reputation view follows), suspends and resumes it, then rotates the registry's key into new shares", async () => {
    const s = scope();
    const { run, start, reap } = cli();
    try {
      for (const name of ["reg", "alice"]) expect((await run(s.args("keys", "new", name))).code).toBe(0);
      let registry = start(
        s.args("registry", "start", "--registry-key", "reg", "--http", "off", "--data", "off", "--json"),
      );
      const node = await firstJson<{ registry: string }>(registry);
      const cardFile = join(s.dir, "alice.card.json");
      await writeFile(
        cardFile,
        JSON.stringify({
          name: "alice",
          description: "translates",
          version: "1.0.0",
          capabilities: [{ name: "translate" }],
        }),
      );
      const alice = start(s.args("agent", "join", "--as", "alice", "--card", cardFile, "--json"));
      const oldDid = (await firstJson<{ did: string }>(alice)).did;
      alice.child.kill("SIGINT");
      expect((await alice.exited).code).toBe(0);

      // Agent rotation: the key file now holds the new key; the registry knows the agent under it.
      const rotated = await run(s.args("keys", "rotate", "alice", "--json"));
      expect(rotated.code, rotated.stderr).toBe(0);
      const r = json<{ from: string; to: string; archived: string }>(rotated);
      expect(r.from).toBe(oldDid);
      expect(r.archived).toMatch(/alice\.rotated-.*\.json$/);
      expect(json<{ did: string }>(await run(s.args("keys", "show", "alice", "--json"))).did).toBe(r.to);
      const rep = await run(s.args("reputation", r.to, "--json"));
      expect(rep.code, rep.stderr).toBe(0);
      const gone = await run(s.args("reputation", oldDid));
      expect(gone.code).toBe(exitCodeFor(ErrorCode.AgentNotFound));
      expect(gone.stderr).toContain(`now ${r.to}`);

      // Kill switch: needs a reason; signed by the registry's key (always an operator); kept in the log.
      expect((await run(s.args("agent", "suspend", "alice"))).code).toBe(2);
      const suspended = await run(
        s.args("agent", "suspend", "alice", "--as", "reg", "--reason", "leaked laptop", "--json"),
      );
      expect(suspended.code, suspended.stderr).toBe(0);
      expect(json(suspended)).toMatchObject({
        agent: r.to,
        suspended: true,
        by: node.registry,
        reason: "leaked laptop",
      });
      expect((await run(s.args("agent", "resume", "alice", "--as", "alice"))).stderr).toContain("refused (suspended)");
      await run(s.args("keys", "new", "mallory"));
      const notOperator = await run(s.args("agent", "resume", "alice", "--as", "mallory"));
      expect(notOperator.code).toBe(exitCodeFor(ErrorCode.RequestRefused));
      expect(notOperator.stderr).toContain("not_operator");
      expect((await run(s.args("agent", "resume", "alice", "--as", "reg", "--json"))).code).toBe(0);

      // Registry rotation, split again into 3 shares (any 2 restore it); the key file holds the new key.
      const shares = join(s.dir, "shares");
      const reg = await run(
        s.args("keys", "rotate", "reg", "--registry", "--shares", "3", "--threshold", "2", "--out", shares, "--json"),
      );
      expect(reg.code, reg.stderr).toBe(0);
      const regRotated = json<{ from: string; to: string; shares: string[] }>(reg);
      expect(regRotated.from).toBe(node.registry);
      expect(regRotated.shares).toHaveLength(3);
      registry.child.kill("SIGTERM");
      await registry.exited;
      registry = start(
        s.args("registry", "start", "--registry-key", "reg", "--http", "off", "--data", "off", "--json"),
      );
      expect((await firstJson<{ registry: string }>(registry)).registry).toBe(regRotated.to);
      // The new node trusts the log its predecessor wrote: alice (under her new key) is still known.
      const view = await run(s.args("reputation", "alice", "--json"));
      expect(view.code, view.stderr).toBe(0);
      const restored = await run(
        s.args(
          "keys",
          "combine",
          regRotated.shares[0] as string,
          regRotated.shares[2] as string,
          "--name",
          "reg-copy",
          "--json",
        ),
      );
      expect(json<{ did: string }>(restored).did).toBe(regRotated.to);
      registry.child.kill("SIGTERM");
      expect((await registry.exited).code).toBe(0);
    } finally {
      await reap();
    }
  });
});
