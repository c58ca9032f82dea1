/**
 * The error table: every code has a complete spec, the classes are consistent (one exit code per class, its JSON-RPC
 * code one-to-one with it, retryable exactly for "unavailable", statuses that fit the class), and toWireError keeps
 * a PlexusError's code and message while saying nothing about anything else.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ERROR_SPECS,
  ErrorCode,
  ExitCode,
  errorSpec,
  exitCodeFor,
  httpStatusFor,
  isErrorCode,
  isRetryable,
  jsonRpcCodeFor,
  PlexusError,
  toWireError,
} from "../src/index.js";
import { INTERNAL_MESSAGE } from "../src/internal.js";
import { JSON_RPC_CODE_OF_EXIT } from "../src/error-spec.js";

const CODES = Object.values(ErrorCode);
const anyCode = fc.constantFrom(...CODES);

/** The HTTP statuses each exit class may use. */
const STATUSES_OF_EXIT: Record<number, readonly number[]> = {
  [ExitCode.Failure]: [500],
  [ExitCode.Usage]: [400],
  [ExitCode.HistoryBroken]: [409, 503],
  [ExitCode.SealerStalled]: [503],
  [ExitCode.NotPinned]: [422],
  [ExitCode.InvalidInput]: [400, 405, 413],
  [ExitCode.NotFound]: [404],
  [ExitCode.Refused]: [401, 403, 422],
  [ExitCode.Conflict]: [409],
  [ExitCode.Unavailable]: [429, 503, 504],
};

describe("ERROR_SPECS", () => {
  it("has exactly one complete spec per code", () => {
    expect(Object.keys(ERROR_SPECS).sort()).toEqual([...CODES].sort());
    for (const code of CODES) {
      const s = errorSpec(code);
      expect(Number.isInteger(s.exitCode) && s.exitCode >= 1 && s.exitCode <= 125, code).toBe(true);
      expect(s.httpStatus >= 400 && s.httpStatus <= 599, code).toBe(true);
      expect(Number.isInteger(s.jsonRpcCode) && s.jsonRpcCode <= -32000 && s.jsonRpcCode >= -32768, code).toBe(true);
      expect(typeof s.retryable, code).toBe("boolean");
      expect(s.help.length > 0 && !s.help.includes("\n") && s.help.length <= 120, code).toBe(true);
    }
  });

  it("keeps INTERNAL, USAGE, NOT_FOUND and METHOD_NOT_ALLOWED in the table", () => {
    for (const code of ["INTERNAL", "USAGE", "NOT_FOUND", "METHOD_NOT_ALLOWED"])
      expect(isErrorCode(code), code).toBe(true);
    expect(isErrorCode("NO_SUCH_CODE")).toBe(false);
    expect(isErrorCode(42)).toBe(false);
  });

  it("gives each class one exit code and one JSON-RPC code, one-to-one", () => {
    for (const code of CODES)
      expect(jsonRpcCodeFor(code), code).toBe(JSON_RPC_CODE_OF_EXIT[exitCodeFor(code) as Exclude<ExitCode, 0>]);
    const rpc = Object.values(JSON_RPC_CODE_OF_EXIT);
    expect(new Set(rpc).size).toBe(rpc.length);
    const exits = Object.values(ExitCode);
    expect(new Set(exits).size).toBe(exits.length);
    for (const exit of exits.filter((e) => e !== ExitCode.Ok))
      expect(
        CODES.some((c) => exitCodeFor(c) === exit),
        `exit ${exit} is used`,
      ).toBe(true);
  });

  it("retryable exactly for the unavailable class, whose statuses say try again", () => {
    for (const code of CODES) {
      expect(isRetryable(code), code).toBe(exitCodeFor(code) === ExitCode.Unavailable);
      if (isRetryable(code)) expect([429, 503, 504], code).toContain(httpStatusFor(code));
    }
  });

  it("uses an HTTP status that fits the class", () => {
    for (const code of CODES) expect(STATUSES_OF_EXIT[exitCodeFor(code)], code).toContain(httpStatusFor(code));
  });

  it("maps an invalid DID and an unknown key name alike (invalid input), and keeps the audit verdicts 3, 4 and 5", () => {
    expect(exitCodeFor(ErrorCode.InvalidDid)).toBe(ExitCode.InvalidInput);
    expect(exitCodeFor(ErrorCode.KeyNotFound)).toBe(ExitCode.InvalidInput);
    expect(httpStatusFor(ErrorCode.KeyNotFound)).toBe(httpStatusFor(ErrorCode.InvalidDid));
    expect(exitCodeFor(ErrorCode.AuditTampered)).toBe(3);
    expect(exitCodeFor(ErrorCode.AuditSealerStalled)).toBe(4);
    expect(exitCodeFor(ErrorCode.ProofNotPinned)).toBe(5);
    expect(exitCodeFor(ErrorCode.Usage)).toBe(2);
    expect(exitCodeFor(ErrorCode.Internal)).toBe(1);
  });
});

describe("toWireError", () => {
  it("round-trips any code and message of a PlexusError", () => {
    fc.assert(
      fc.property(anyCode, fc.string(), (code, message) => {
        const wire = toWireError(new PlexusError(code, message, { details: { secret: "x" } }));
        expect(wire).toEqual({ code, message, retryable: errorSpec(code).retryable, help: errorSpec(code).help });
        expect(JSON.parse(JSON.stringify(wire))).toEqual(wire);
      }),
    );
  });

  it("turns anything else into INTERNAL without its text", () => {
    const thrown = fc.oneof(
      fc.string().map((s) => new Error(`/home/op/secret ${s}`)),
      fc.string(),
      fc.constant(undefined),
      fc.constant(null),
      fc.integer(),
      fc.object(),
    );
    fc.assert(
      fc.property(thrown, (err) => {
        const wire = toWireError(err);
        expect(wire).toEqual({
          code: ErrorCode.Internal,
          message: INTERNAL_MESSAGE,
          retryable: false,
          help: errorSpec(ErrorCode.Internal).help,
        });
      }),
    );
  });
});
