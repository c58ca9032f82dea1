/** Renders a nats-server configuration file for a single local JetStream-enabled server. */

export interface ServerConfigInput {
  host: string;
  /** -1 picks a random free port. */
  port: number;
  storeDir: string;
  portsFileDir: string;
  serverName: string;
  /** "always" or a nats duration such as "2m"; undefined keeps the server default. */
  syncInterval?: string | undefined;
  maxPayload?: number | undefined;
  logFile?: string | undefined;
  debug?: boolean | undefined;
  /** Raw configuration appended verbatim. */
  extraConfig?: string | undefined;
}

/** Double-quoted config string; JSON escaping is accepted by the nats config parser. */
const q = (s: string): string => JSON.stringify(s);

export function renderServerConfig(c: ServerConfigInput): string {
  const lines = [
    `listen: ${q(`${c.host}:${c.port}`)}`,
    `server_name: ${q(c.serverName)}`,
    `ports_file_dir: ${q(c.portsFileDir)}`,
  ];
  if (c.maxPayload !== undefined) lines.push(`max_payload: ${Math.trunc(c.maxPayload)}`);
  if (c.logFile !== undefined) lines.push(`log_file: ${q(c.logFile)}`);
  if (c.debug) lines.push("debug: true");
  lines.push("jetstream {", `  store_dir: ${q(c.storeDir)}`);
  if (c.syncInterval !== undefined) {
    lines.push(`  sync_interval: ${c.syncInterval === "always" ? "always" : q(c.syncInterval)}`);
  }
  lines.push("}");
  if (c.extraConfig) lines.push(c.extraConfig);
  return `${lines.join("\n")}\n`;
}
