import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import envelopeSchema from "../schemas/envelope.json" with { type: "json" };
import receiptSchema from "../schemas/receipt.json" with { type: "json" };
import rejectionSchema from "../schemas/rejection.json" with { type: "json" };
import deadLetterSchema from "../schemas/dead-letter.json" with { type: "json" };
import agentCardSchema from "../schemas/agent-card.json" with { type: "json" };
import registryEventSchema from "../schemas/registry-event.json" with { type: "json" };
import registryRequestSchema from "../schemas/registry-request.json" with { type: "json" };
import ratingSchema from "../schemas/rating.json" with { type: "json" };
import addFormats from "ajv-formats";
import type { DeadLetterRecord, Envelope, ReceiptBody, RejectionRecord } from "./envelope.js";

/**
 * Validators compiled once from schemas/ (the single source of truth for what crosses a process boundary).
 * `../schemas/` is the package's own copy of the repository's schemas/, made by the build (scripts/build-assets.mjs,
 * also run by vitest.config.ts) so that the packed @plexus/core carries them; the same relative path holds from
 * src/ and from dist/.
 */
const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: false });
addFormats.default(ajv, ["uri"]);

export interface Validator<T> {
  (value: unknown): value is T;
  /** A one-line description of why the last value failed. */
  explain(): string;
}

function validator<T>(schema: object): Validator<T> {
  const fn: ValidateFunction = ajv.compile(schema);
  const check = ((value: unknown) => fn(value)) as Validator<T>;
  check.explain = () => describeErrors(fn.errors);
  return check;
}

function describeErrors(errors: ErrorObject[] | null | undefined): string {
  if (!errors || errors.length === 0) return "invalid";
  return errors
    .slice(0, 3)
    .map(
      (e) =>
        `${e.instancePath || "/"} ${e.message ?? "is invalid"}${e.params && "additionalProperty" in e.params ? ` (${String(e.params.additionalProperty)})` : ""}`,
    )
    .join("; ");
}

export const validateEnvelope: Validator<Envelope> = validator<Envelope>(envelopeSchema);
export const validateReceiptBody: Validator<ReceiptBody> = validator<ReceiptBody>(receiptSchema);
export const validateRejectionRecord: Validator<RejectionRecord> = validator<RejectionRecord>(rejectionSchema);
export const validateDeadLetterRecord: Validator<DeadLetterRecord> = validator<DeadLetterRecord>(deadLetterSchema);

/** Registry protocol documents (types live in @plexus/anp; core only knows their shape). */
export const validateAgentCard: Validator<unknown> = validator<unknown>(agentCardSchema);
export const validateRegistryEvent: Validator<unknown> = validator<unknown>(registryEventSchema);
export const validateRegistryRequest: Validator<unknown> = validator<unknown>(registryRequestSchema);
export const validateRating: Validator<unknown> = validator<unknown>(ratingSchema);

/** True when `schema` is itself a valid JSON Schema (2020-12), for the input/output schemas inside agent cards. */
export function isJsonSchema(schema: unknown): boolean {
  try {
    return ajv.validateSchema(schema as object) === true;
  } catch {
    return false;
  }
}
