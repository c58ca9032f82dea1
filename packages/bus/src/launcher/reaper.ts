/**
 * Makes sure launched servers do not outlive this process: on 'exit' (and on SIGINT/SIGTERM/SIGHUP, which skip
 * 'exit' by default) every live child gets SIGTERM. Signal handlers are installed only while children are alive and,
 * when no one else listens for that signal, the signal is re-raised so the default behaviour (exit) still happens.
 */
import type { ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";

interface Tracked {
  child: ChildProcess;
  /** Scratch folder to remove on exit (config and ports file). */
  scratchDir: string;
}

const live = new Set<Tracked>();
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
let installed = false;

function killAll(): void {
  for (const t of live) {
    try {
      t.child.kill("SIGTERM");
    } catch {
      // already gone
    }
    try {
      rmSync(t.scratchDir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
  live.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  killAll();
  uninstall();
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on("exit", killAll);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off("exit", killAll);
  for (const s of SIGNALS) process.off(s, onSignal);
}

/** Tracks a child until release() is called (when it has exited). */
export function trackChild(child: ChildProcess, scratchDir: string): () => void {
  const t: Tracked = { child, scratchDir };
  live.add(t);
  install();
  return () => {
    live.delete(t);
    if (live.size === 0) uninstall();
  };
}
