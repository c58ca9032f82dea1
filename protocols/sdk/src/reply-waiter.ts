import type { Accepted, Delivery } from "@plexus/acp";
import { toDelivery } from "@plexus/acp/internal";
import { ErrorCode, PlexusError } from "@plexus/core";

interface Pending {
  resolve: (d: Delivery) => void;
  reject: (err: unknown) => void;
  timer: NodeJS.Timeout;
}

/** Matches replies (by `replyTo`) to the requests waiting for them. */
export class ReplyWaiter {
  readonly #pending = new Map<string, Pending>();

  wait(requestId: string, timeoutMs: number, describe: () => string): Promise<Delivery> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(requestId);
        reject(new PlexusError(ErrorCode.Timeout, describe(), { details: { requestId, timeoutMs } }));
      }, timeoutMs);
      this.#pending.set(requestId, { resolve, reject, timer });
    });
  }

  resolve(accepted: Accepted): void {
    const id = accepted.envelope.replyTo;
    const p = id !== undefined ? this.#pending.get(id) : undefined;
    if (!p || id === undefined) return;
    this.#pending.delete(id);
    clearTimeout(p.timer);
    p.resolve(toDelivery(accepted));
  }

  cancelAll(err: unknown): void {
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(err);
      this.#pending.delete(id);
    }
  }
}
