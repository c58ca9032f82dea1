/**
 * The --public-url URL flag of registry start (repeatable): where clients reach the node's HTTP when that is not the
 * address it listens on (a published container port, a proxy, a DNS name). Its /mcp then accepts that URL's host:port
 * as Host, as a browser sends it (the default port left out). Each is one exact name: a wildcard or a URL with
 * credentials is refused, so DNS-rebinding protection keeps meaning something on a non-loopback bind.
 */
import type { OptionValues } from "../common-options.js";
import { UsageError } from "../errors.js";

/** The Host values (host[:port], lower case) of the --public-url flags; [] when none was given. */
export function publicUrlHosts(values: OptionValues, command: string): string[] {
  const given = values["public-url"];
  const list = given === undefined ? [] : Array.isArray(given) ? given : [given];
  return list.map((raw) => {
    const bad = (why: string) =>
      new UsageError(`--public-url must be an http(s) URL ${why}, got ${JSON.stringify(raw)}`, command);
    if (typeof raw !== "string") throw bad("");
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw bad("such as http://localhost:7421");
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw bad("(http or https)");
    if (url.username || url.password) throw bad("without credentials");
    if (url.host === "" || url.host.includes("*")) throw bad("naming one host");
    return url.host;
  });
}
