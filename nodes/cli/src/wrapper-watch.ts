/**
 * A CLI process started through npm or npx (`npx plexus agent join … &`, `npm start`) runs under a wrapper process:
 * killing the wrapper (`kill $(jobs -p)`, SIGTERM to `npm start`) does not reach the CLI, which lives on, joined and
 * holding its ports. So a long-running command watches the nearest npm/npx ancestor (up to three levels up, through
 * an `sh -c` npm runs scripts with) and stops cleanly, as on SIGTERM, once that process is gone. A CLI started any
 * other way (a shell, nohup, a service manager, a test) watches nothing. Linux only (/proc); elsewhere nothing.
 */
import { readFileSync } from "node:fs";

const WRAPPER = /(^|[/\s])(npm|npx)(-cli\.js)?(\s|$)|npm-cli\.js|npx-cli\.js/;

/** The pid of the npm/npx process this one runs under, if any. */
export function wrapperAncestor(start = process.ppid): number | undefined {
  let pid = start;
  for (let level = 0; level < 3 && pid > 1; level++) {
    const cmdline = read(`/proc/${pid}/cmdline`)?.replace(/\0/g, " ");
    if (cmdline === undefined) return undefined;
    if (WRAPPER.test(cmdline)) return pid;
    // /proc/<pid>/stat: "pid (comm) state ppid …", comm may hold spaces and parentheses.
    const stat = read(`/proc/${pid}/stat`);
    const ppid = stat === undefined ? NaN : Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (!Number.isInteger(ppid)) return undefined;
    pid = ppid;
  }
  return undefined;
}

/** Calls `onGone` once the wrapper this process runs under has exited (polled every `everyMs`); returns a stop. */
export function watchWrapper(onGone: (pid: number) => void, everyMs = 1_000): () => void {
  const pid = wrapperAncestor();
  if (pid === undefined) return () => undefined;
  const timer = setInterval(() => {
    if (alive(pid)) return;
    clearInterval(timer);
    onGone(pid);
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}
