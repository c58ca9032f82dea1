/**
 * Cross-check of inclusion AND consistency proofs with a second independent implementation: the RFC 6962 Merkle
 * verifier of Google's certificate-transparency Go code, as Debian packages it
 * (`apt-get install golang-go golang-github-google-certificate-transparency-dev`). The test links the package's two
 * pure-Go files (merkle_verifier.go, tree_hasher.go; the rest of the package needs its C++ library) into a temporary
 * GOPATH, builds fixtures/ct-verify/main.go against them, and feeds it proofs made here: valid ones must pass there,
 * tampered ones must fail there, exactly as here. Skipped (saying why) where Go or the package is not installed.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink, copyFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { leafHash, leafInput } from "../src/merkle/hash.js";
import { MemoryTree } from "../src/merkle/memory.js";
import { consistencyPath, inclusionPath, rootAt } from "../src/merkle/tree.js";
import { verifyConsistency, verifyInclusion } from "../src/merkle/verify.js";

const CT = "/usr/share/gocode/src/github.com/google/certificate-transparency/go/merkletree";
const goFound = spawnSync("go", ["version"]).status === 0;
const ready = goFound && existsSync(join(CT, "merkle_verifier.go"));
const why = goFound
  ? `${CT} missing (apt-get install golang-github-google-certificate-transparency-dev)`
  : "no Go toolchain (apt-get install golang-go)";

const inputs = Array.from({ length: 2000 }, (_, i) => leafInput(`plexus.ct.t${i % 5}`, Buffer.from(`event ${i}`)));
const tree = new MemoryTree(inputs.map(leafHash));
const b64 = (h: Uint8Array) => Buffer.from(h).toString("base64");

describe.skipIf(!ready)(
  `proofs checked by certificate-transparency's Go verifier (Debian)${ready ? "" : `: skipped, ${why}`}`,
  () => {
    let dir: string;
    let bin: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "plexus-ct-"));
      const pkg = join(dir, "src/github.com/google/certificate-transparency/go/merkletree");
      await mkdir(pkg, { recursive: true });
      for (const f of ["merkle_verifier.go", "tree_hasher.go"]) await symlink(join(CT, f), join(pkg, f));
      const main = join(dir, "src/ctverify");
      await mkdir(main, { recursive: true });
      await copyFile(
        join(dirname(fileURLToPath(import.meta.url)), "fixtures/ct-verify/main.go"),
        join(main, "main.go"),
      );
      bin = join(dir, "ct-verify");
      execFileSync("go", ["build", "-o", bin, "ctverify"], {
        env: {
          ...process.env,
          GOPATH: dir,
          GO111MODULE: "off",
          GOFLAGS: "",
          CGO_ENABLED: "0",
          GOCACHE: join(dir, "cache"),
        },
        stdio: "pipe",
      });
    }, 120_000);
    afterAll(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    /** The Go verifier's verdict on each request, in order. */
    function ct(requests: object[]): boolean[] {
      const out = execFileSync(bin, {
        input: `${requests.map((r) => JSON.stringify(r)).join("\n")}\n`,
        encoding: "utf8",
      });
      return out
        .trim()
        .split("\n")
        .map((l) => l === "ok");
    }

    it("inclusion proofs of random positions pass there; a flipped hash, another index or another leaf fail there too", () => {
      const requests: object[] = [];
      const expected: boolean[] = [];
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 2000 }), fc.nat(), fc.nat(), (size, i, byte) => {
          const index = i % size;
          const path = inclusionPath(tree, index, size);
          const root = rootAt(tree, size);
          const good = {
            kind: "inclusion",
            index,
            size,
            leaf: b64(inputs[index]!),
            root: b64(root),
            proof: path.map(b64),
          };
          requests.push(good);
          expected.push(verifyInclusion(leafHash(inputs[index]!), index, size, path, root));
          requests.push({ ...good, leaf: b64(inputs[(index + 1) % 2000]!) });
          expected.push(false);
          if (path.length > 0) {
            const bad = path.map((h, k) =>
              k === byte % path.length ? Uint8Array.from(h, (x, j) => (j === 0 ? x ^ 1 : x)) : h,
            );
            requests.push({ ...good, proof: bad.map(b64) });
            expected.push(verifyInclusion(leafHash(inputs[index]!), index, size, bad, root));
          }
        }),
        { numRuns: 300 },
      );
      expect(expected.filter(Boolean).length).toBe(300);
      expect(ct(requests)).toEqual(expected);
    });

    it("consistency proofs between random sizes pass there; a flipped hash or a forked older tree fail there too", () => {
      const forked = new MemoryTree(inputs.map((x, i) => leafHash(i === 3 ? Buffer.from("rewritten") : x)));
      const requests: object[] = [];
      const expected: boolean[] = [];
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 1, max: 2000 }), fc.nat(), (a, b, byte) => {
          const [m, n] = a <= b ? [a, b] : [b, a];
          if (m === n) return;
          const proof = consistencyPath(tree, m, n);
          const good = {
            kind: "consistency",
            first: m,
            size: n,
            root1: b64(rootAt(tree, m)),
            root: b64(rootAt(tree, n)),
            proof: proof.map(b64),
          };
          requests.push(good);
          expected.push(verifyConsistency(m, n, proof, rootAt(tree, m), rootAt(tree, n)));
          const bad = proof.map((h, k) =>
            k === byte % proof.length ? Uint8Array.from(h, (x, j) => (j === 31 ? x ^ 0x80 : x)) : h,
          );
          requests.push({ ...good, proof: bad.map(b64) });
          expected.push(verifyConsistency(m, n, bad, rootAt(tree, m), rootAt(tree, n)));
          if (m > 3) {
            requests.push({ ...good, root1: b64(rootAt(forked, m)) });
            expected.push(false);
          }
        }),
        { numRuns: 300 },
      );
      expect(expected.filter(Boolean).length).toBeGreaterThan(250);
      expect(ct(requests)).toEqual(expected);
    });
  },
);
