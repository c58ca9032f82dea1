/** The receive loop behind `listen` and `subscribe`: print each message, stop on count, timeout or a signal. */
import type { Agent, Delivery, Handler, Subscription } from "@plexus/sdk";
import type { CommonOptions } from "./common-options.js";
import { CliError, oneLine } from "./errors.js";
import { printDelivery, type Output } from "./output.js";
import type { ReadyReport } from "./ready-report.js";
import { connectAgent, timeoutAfter, waitForSignal } from "./session.js";
import type { KeyPair } from "@plexus/sdk";

export interface ReceiveOptions {
  common: CommonOptions;
  out: Output;
  /** Resolves the key (loading it may fail before anything connects). */
  key: () => Promise<KeyPair>;
  /** Starts the subscription on the connected agent. */
  start: (agent: Agent, handler: Handler, max: number | undefined) => Promise<Subscription>;
  /** "inbox of did:key:…" — for the progress line. */
  describe: (agent: Agent) => string;
  count: number | undefined;
  timeoutSeconds: number | undefined;
  /** Told once the subscription exists (ready-report.ts); `what` is what describe() said. */
  ready: ReadyReport;
  /** The ready file's fields naming what is received (e.g. {"topic":"news"}). */
  readyDetails: (agent: Agent) => Record<string, unknown>;
}

export async function receive(o: ReceiveOptions): Promise<number> {
  const { out, count, timeoutSeconds } = o;
  const signals = waitForSignal(out);
  const timer = timeoutAfter(timeoutSeconds);
  const stop = signals.signal.then(() => "signal" as const);
  let agent: Agent | undefined;
  let received = 0;
  let lastError: unknown;
  // --timeout bounds the whole run, connecting and subscribing included: nothing waits forever when asked not to.
  const timedOutEarly = (): number => {
    if (count !== undefined)
      throw new CliError(
        `timed out after ${timeoutSeconds} s with 0 of ${count} messages (before the subscription was ready)`,
      );
    return 0;
  };
  try {
    const key = await o.key();
    const connecting = connectAgent(o.common, key, {
      ...out,
      warn: (line) => {
        lastError = line;
        out.warn(line);
      },
    });
    const connectedOrNot = await Promise.race([connecting, stop, timer.promise]);
    if (connectedOrNot === "signal" || connectedOrNot === "timeout") {
      // Whatever connects late is closed at once, so it keeps nothing open.
      void connecting.then((a) => a.close()).catch(() => undefined);
      return connectedOrNot === "signal" ? 0 : timedOutEarly();
    }
    agent = connectedOrNot;
    const connected = agent;
    const handler = (d: Delivery) => {
      received++;
      printDelivery(out, d);
    };
    const started = o.start(connected, handler, count);
    const sub = await Promise.race([started, stop, timer.promise]);
    if (sub === "signal") return 0;
    if (sub === "timeout") {
      void started.then((s) => s.stop()).catch(() => undefined);
      return timedOutEarly();
    }
    const limits = [
      count !== undefined ? `${count} message${count === 1 ? "" : "s"}` : "",
      timeoutSeconds !== undefined ? `${timeoutSeconds} s` : "",
    ].filter(Boolean);
    // From here on nothing sent or published is missed: say so (stderr, and --ready-file).
    await o.ready.ready(
      `listening on the ${o.describe(connected)} in mesh "${o.common.mesh}" (${limits.length ? `stops after ${limits.join(" or ")}; ` : ""}Ctrl-C to stop)`,
      o.readyDetails(connected),
    );
    const why = await Promise.race([sub.finished.then(() => "finished" as const), timer.promise, stop]);
    if (why === "timeout" && count !== undefined && received < count) {
      throw new CliError(`timed out after ${timeoutSeconds} s with ${received} of ${count} messages`);
    }
    if (why === "finished" && (count === undefined || received < count)) {
      throw new CliError(
        `the subscription ended after ${received} message${received === 1 ? "" : "s"}${lastError !== undefined ? `: ${oneLine(lastError)}` : ""}`,
      );
    }
    return 0;
  } finally {
    timer.cancel();
    // Stops the subscription (unhandled buffered messages go back to the server) and flushes receipts.
    if (agent) await agent.close();
    await o.ready.stopped();
    signals.dispose();
  }
}
