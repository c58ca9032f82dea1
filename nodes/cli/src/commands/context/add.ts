/** `plexus context add NAME [--nats URL] [--mesh ID] [--keys DIR] [--nats-auth DIR|off] [--use] [--force]`. */
import { resolve } from "node:path";
import { assertMeshId } from "@plexus/core";
import { stringOption, type CommandImpl } from "../../common-options.js";
import { CliError, UsageError } from "../../errors.js";
import { contextsFile, readContexts, writeContexts, type StoredContext } from "../../lib/context-store.js";
import { checkContextName, checkNatsUrls, COMMAND } from "./validate.js";

export const addContext: CommandImpl = {
  async run({ values, positionals, out }) {
    const name = checkContextName(positionals[0] as string);
    const context = storedFlags(values);
    const data = readContexts();
    if (Object.hasOwn(data.contexts, name) && values["force"] !== true) {
      throw new CliError(
        `a context named "${name}" exists already in ${contextsFile()} (replace it with --force, or remove it with: plexus context rm ${name})`,
      );
    }
    data.contexts[name] = context;
    if (values["use"] === true) data.current = name;
    writeContexts(data);
    const current = data.current === name;
    out.data(`stored context "${name}"${current ? " (current)" : ""} in ${contextsFile()}`, {
      name,
      context,
      current,
      file: contextsFile(),
    });
  },
};

/** The four connection flags as given on this command line (not their environment defaults). */
function storedFlags(values: Record<string, unknown>): StoredContext {
  const get = (flag: string) => stringOption(values as never, flag, COMMAND);
  const context: StoredContext = {};
  const nats = get("nats");
  if (nats !== undefined) context.nats = checkNatsUrls(nats);
  const mesh = get("mesh");
  if (mesh !== undefined) {
    try {
      assertMeshId(mesh);
    } catch (err) {
      throw new UsageError((err as Error).message, COMMAND);
    }
    context.mesh = mesh;
  }
  const keys = get("keys");
  if (keys !== undefined) context.keys = resolve(keys);
  const natsAuth = get("nats-auth");
  if (natsAuth !== undefined) context.natsAuth = natsAuth === "off" ? "off" : resolve(natsAuth);
  return context;
}
