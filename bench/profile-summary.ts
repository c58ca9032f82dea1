/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof --cpu-prof-dir=DIR --import tsx bench/run.ts acp --quick`):
 * top functions by self time, self time by module, and inclusive ("total") time of functions whose name matches
 * --focus patterns.
 *
 *   node --import tsx bench/profile-summary.ts DIR/CPU.*.cpuprofile [--top 25] [--focus name1,name2,...]
 */
import { readFileSync } from "node:fs";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const DEFAULT_FOCUS = [
  "checkInbound",
  "verifyEnvelope",
  "signEnvelope",
  "verifySignature",
  "canonicalize",
  "canonicalBytes",
  "validateEnvelope",
  "validateReceiptBody",
  "publishDurably",
  "#seal",
  "accept",
  "#one",
  "toDelivery",
  "apply",
  "flush",
  "newId",
  "agentToken",
  "parse",
  "processMsg",
  "publish",
];

function shortUrl(url: string): string {
  if (!url) return "(native)";
  const u = url.replace(/^file:\/\//, "");
  const nm = u.lastIndexOf("node_modules/");
  if (nm >= 0) return u.slice(nm + "node_modules/".length);
  const root = u.indexOf("/work/main/");
  return root >= 0 ? u.slice(root + "/work/main/".length) : u;
}

function moduleOf(url: string): string {
  if (!url) return "(native / vm)";
  const s = shortUrl(url);
  if (s.startsWith("node:")) return s.split("/").slice(0, 3).join("/");
  const parts = s.split("/");
  if (parts[0]?.startsWith("@")) return parts.slice(0, 2).join("/");
  if (parts[0] === "packages" || parts[0] === "protocols") return parts.slice(0, 2).join("/");
  return parts[0] ?? s;
}

function main(argv: string[]): void {
  const file = argv.find((a) => !a.startsWith("--"));
  if (!file) {
    process.stderr.write("usage: profile-summary.ts FILE.cpuprofile [--top N] [--focus a,b,c]\n");
    process.exitCode = 2;
    return;
  }
  const topIdx = argv.indexOf("--top");
  const top = topIdx >= 0 ? Number(argv[topIdx + 1]) : 25;
  const focusIdx = argv.indexOf("--focus");
  const focus = focusIdx >= 0 ? (argv[focusIdx + 1] ?? "").split(",") : DEFAULT_FOCUS;

  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const c of node.children ?? []) parent.set(c, node.id);
  }
  const key = (n: ProfileNode) =>
    `${n.callFrame.functionName || "(anonymous)"}  ${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;

  const self = new Map<string, number>();
  const selfByModule = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    const node = byId.get(id);
    if (!node) return;
    total += dt;
    const name = node.callFrame.functionName;
    if (name === "(idle)") idle += dt;
    self.set(key(node), (self.get(key(node)) ?? 0) + dt);
    const mod = name.startsWith("(") ? name : moduleOf(node.callFrame.url);
    selfByModule.set(mod, (selfByModule.get(mod) ?? 0) + dt);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const fn = byId.get(cur)?.callFrame.functionName ?? "";
      if (!focus.includes(fn) || seen.has(fn)) continue;
      seen.add(fn);
      inclusive.set(fn, (inclusive.get(fn) ?? 0) + dt);
    }
  });
  const busy = total - idle;
  const pct = (ms: number) => `${((100 * ms) / busy).toFixed(1).padStart(5)}%`;
  const ms = (v: number) => `${v.toFixed(0).padStart(7)} ms`;
  const out: string[] = [];
  out.push(`profile: ${file}`);
  out.push(
    `sampled ${total.toFixed(0)} ms, idle ${idle.toFixed(0)} ms, busy ${busy.toFixed(0)} ms (percentages are of busy time)`,
  );
  out.push("", `top ${top} functions by self time:`);
  for (const [k, v] of [...self]
    .filter(([k]) => !k.startsWith("(idle)"))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)) {
    out.push(`${ms(v)} ${pct(v)}  ${k}`);
  }
  out.push("", "self time by module:");
  for (const [k, v] of [...selfByModule]
    .filter(([k]) => k !== "(idle)")
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)) {
    out.push(`${ms(v)} ${pct(v)}  ${k}`);
  }
  out.push("", "inclusive time of focus functions (any frame with that name):");
  for (const [k, v] of [...inclusive].sort((a, b) => b[1] - a[1])) out.push(`${ms(v)} ${pct(v)}  ${k}`);
  process.stdout.write(`${out.join("\n")}\n`);
}

main(process.argv.slice(2));
