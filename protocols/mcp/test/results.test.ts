/**
 * Tool errors for every code of the error table: the text starts with the code, `_meta["plexus.dev/error"]` is the
 * wire error of ERROR_SPECS; anything that is not a PlexusError is INTERNAL and its text stays on the server.
 */
import { describe, expect, it } from "vitest";
import { ERROR_SPECS, ErrorCode, errorSpec, PlexusError } from "@plexus/core";
import { INTERNAL_MESSAGE } from "@plexus/core/internal";
import { ERROR_META_KEY } from "../src/internal.js";
import { failure, guarded } from "../src/results.js";

describe("MCP tool errors", () => {
  it("carry every code with its spec", () => {
    for (const code of Object.keys(ERROR_SPECS) as ErrorCode[]) {
      const result = failure(new PlexusError(code, "went wrong", { details: { reason: "why" } }));
      expect(result.isError, code).toBe(true);
      expect(result.content, code).toEqual([{ type: "text", text: `${code} (why): went wrong` }]);
      expect(result._meta?.[ERROR_META_KEY], code).toEqual({
        code,
        message: "went wrong",
        retryable: errorSpec(code).retryable,
        help: errorSpec(code).help,
      });
    }
  });

  it("say INTERNAL and nothing more for anything else", async () => {
    const result = await guarded(async () => {
      throw new TypeError("cannot read /srv/plexus/secret");
    });
    expect(result.content).toEqual([{ type: "text", text: `${ErrorCode.Internal}: ${INTERNAL_MESSAGE}` }]);
    expect(result._meta?.[ERROR_META_KEY]).toMatchObject({
      code: ErrorCode.Internal,
      message: INTERNAL_MESSAGE,
      retryable: false,
    });
    expect(JSON.stringify(result)).not.toContain("secret");
  });
});
