/** The --http HOST:PORT|off flag of registry start, up and audit seal. */
import { stringOption, type OptionValues } from "../common-options.js";
import { UsageError } from "../errors.js";
import { DEFAULT_HTTP } from "./defaults.js";

export { DEFAULT_HTTP };

export type HttpListen = { host: string; port: number } | false;

/** --http HOST:PORT (IPv6 as [::1]:PORT; port 0 picks a free one) or "off". */
export function httpOption(values: OptionValues, command: string): HttpListen {
  const v = stringOption(values, "http", command);
  if (v === undefined) return { ...DEFAULT_HTTP };
  if (v === "off") return false;
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^\s:[\]]+):(\d{1,5})$/.exec(v);
  if (!m || Number(m[2]) > 65535)
    throw new UsageError(`--http must be HOST:PORT (such as 127.0.0.1:7420) or off, got ${JSON.stringify(v)}`, command);
  return { host: (m[1] as string).replace(/^\[(.*)\]$/, "$1"), port: Number(m[2]) };
}
