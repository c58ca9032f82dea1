/**
 * Names the outside caller from what it presented over HTTP, for the messages the gateway signs. Nothing here is
 * verified (the gateway does not authenticate callers), and no credential is ever copied: of an Authorization header
 * only the scheme and, where it can be read without a secret, the subject it names.
 */
import type { CallerInfo } from "./conventions.js";

const MAX_FIELD = 256;

function clip(v: string | null | undefined): string | undefined {
  if (v === null || v === undefined) return undefined;
  const t = v.trim();
  return t === "" ? undefined : t.slice(0, MAX_FIELD);
}

/** The `sub` claim of a JWT, read without checking its signature (the caller's claim, not a proof). */
function jwtSubject(token: string): string | undefined {
  const payload = token.split(".")[1];
  if (payload === undefined || token.split(".").length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { sub?: unknown };
    return typeof claims.sub === "string" ? clip(claims.sub) : undefined;
  } catch {
    return undefined;
  }
}

/** The user name of Basic credentials (never the password). */
function basicUser(encoded: string): string | undefined {
  const decoded = Buffer.from(encoded, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon > 0 ? clip(decoded.slice(0, colon)) : undefined;
}

function authOf(headers: Headers): CallerInfo["auth"] {
  const header = headers.get("authorization");
  if (header) {
    const [scheme = "", credential = ""] = header.trim().split(/\s+/, 2);
    const lower = scheme.toLowerCase();
    const subject = lower === "bearer" ? jwtSubject(credential) : lower === "basic" ? basicUser(credential) : undefined;
    return { scheme: scheme.slice(0, 32), ...(subject !== undefined ? { subject } : {}) };
  }
  if (headers.has("x-api-key")) return { scheme: "api-key" };
  return undefined;
}

export function describeCaller(
  transport: CallerInfo["transport"],
  headers: Headers,
  address: string | undefined,
): CallerInfo {
  const caller: CallerInfo = { transport };
  const fields: [keyof CallerInfo, string | undefined][] = [
    ["address", clip(address)],
    ["forwardedFor", clip(headers.get("x-forwarded-for"))],
    ["userAgent", clip(headers.get("user-agent"))],
  ];
  for (const [k, v] of fields) if (v !== undefined) (caller as unknown as Record<string, string>)[k] = v;
  const auth = authOf(headers);
  if (auth) caller.auth = auth;
  return caller;
}
