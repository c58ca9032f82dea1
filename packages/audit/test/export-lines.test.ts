/** grepLines finds exactly the lines holding the needle (it searches for the needle's tail first, then checks). */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grepLines } from "../src/export/lines.js";
import { tempDir } from "./helpers.js";

let dir: { path: string; cleanup(): Promise<void> };
beforeAll(async () => {
  dir = await tempDir();
});
afterAll(async () => {
  await dir?.cleanup();
});

describe("grepLines", () => {
  it("property: the lines containing the needle, in order, whatever else holds its tail", async () => {
    const piece = fc.constantFrom(
      "checkpoint",
      "kpoint",
      "ckpoint",
      "heckpoin",
      "point",
      '"type":"checkpoint"',
      "x",
      "ab",
      "é",
      "\n",
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(piece, { maxLength: 40 }),
        fc.constantFrom("checkpoint", "kpoint", "oint"),
        async (pieces, needle) => {
          const text = pieces.join("");
          const path = join(dir.path, `g-${++run}.txt`);
          await writeFile(path, text);
          const hits: string[] = [];
          await grepLines(path, needle, (line) => hits.push(line));
          expect(hits).toEqual(text.split("\n").filter((line) => line.includes(needle)));
        },
      ),
      { numRuns: 300 },
    );
  });
});
