/** What `context add` checks before it stores anything: the name and the NATS URLs (usage errors, exit 2). */
import { UsageError } from "../../errors.js";
import { CONTEXT_NAME_PATTERN } from "../../lib/context-store.js";

export const COMMAND = "context";

export function checkContextName(name: string): string {
  if (!CONTEXT_NAME_PATTERN.test(name)) {
    throw new UsageError(
      `${JSON.stringify(name)} is not a context name: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
      COMMAND,
    );
  }
  return name;
}

const SCHEMES = ["nats:", "tls:", "ws:", "wss:"];

/** --nats: one URL or several, comma-separated, each nats://, tls://, ws:// or wss:// with a host. */
export function checkNatsUrls(value: string): string {
  const parts = value.split(",").map((p) => p.trim());
  for (const part of parts) {
    let url: URL | undefined;
    try {
      url = new URL(part);
    } catch {
      url = undefined;
    }
    if (!url || !SCHEMES.includes(url.protocol) || url.hostname === "") {
      throw new UsageError(
        `--nats ${JSON.stringify(part)} is not a NATS URL: use nats://HOST:PORT (or tls://, ws://, wss://), several comma-separated`,
        COMMAND,
      );
    }
  }
  return parts.join(",");
}
