/**
 * The lines a running command reports and survives: text for people, and with --json one JSON object per line on
 * stderr in the shape of the failure that ends a command (`{"error":{code,message,retryable,help}}`), warnings as
 * `{"warning":{"message"}}`; info lines stay text and stdout carries only data. The child-process side of this is in
 * audit-witness-cli, sealer-cli and operator-cli (a refusal, SEALER STALLED, a warning, under --json).
 */
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { ErrorCode, errorSpec } from "@plexus/core";
import { createOutput } from "../src/output.js";

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write: (c, _e, done) => {
      chunks.push(String(c));
      done();
    },
  });
  return { stream, text: () => chunks.join("") };
}

function printed(json: boolean): { out: string; err: string } {
  const out = sink();
  const err = sink();
  const o = createOutput(json, { out: out.stream, err: err.stream });
  o.info("plexus: ready: x");
  o.warn('did:key:z6Mk has never joined mesh "m"');
  o.error("audit sealer: history stream gone");
  o.error("SEALER STALLED: nothing seals", ErrorCode.AuditSealerStalled);
  o.data("a record", { a: 1 });
  return { out: out.text(), err: err.text() };
}

describe("Output", () => {
  it("without --json: text lines on stderr, prefixed by their level", () => {
    const { out, err } = printed(false);
    expect(out).toBe("a record\n");
    expect(err.split("\n")).toEqual([
      "plexus: ready: x",
      'plexus: warning: did:key:z6Mk has never joined mesh "m"',
      "plexus: error: audit sealer: history stream gone",
      "plexus: error: SEALER STALLED: nothing seals",
      "",
    ]);
  });

  it("with --json: warnings and errors are one JSON object per line on stderr (code FAILED unless named), info stays text", () => {
    const { out, err } = printed(true);
    expect(out).toBe('{"a":1}\n');
    const [info, ...rest] = err.trimEnd().split("\n");
    expect(info).toBe("plexus: ready: x");
    expect(rest.map((l) => JSON.parse(l))).toEqual([
      { warning: { message: 'did:key:z6Mk has never joined mesh "m"' } },
      {
        error: {
          code: ErrorCode.Failed,
          message: "audit sealer: history stream gone",
          retryable: false,
          help: errorSpec(ErrorCode.Failed).help,
        },
      },
      {
        error: {
          code: ErrorCode.AuditSealerStalled,
          message: "SEALER STALLED: nothing seals",
          retryable: false,
          help: errorSpec(ErrorCode.AuditSealerStalled).help,
        },
      },
    ]);
  });
});
