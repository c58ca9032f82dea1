/**
 * The `plexus context` entry of the command table: named sets of connection flags, like the `nats` CLI's contexts.
 * One file per subcommand in this folder, loaded on dispatch.
 */
import type { CommandSpec } from "../../table/types.js";

const NAME = [{ name: "NAME", complete: "context" }] as const;

const subcommands: CommandSpec[] = [
  {
    name: "add",
    summary: "store a context (--force replaces one of that name)",
    usage: "plexus context add NAME [--nats URL] [--mesh ID] [--keys DIR] [--nats-auth DIR|off] [--use] [--force]",
    help: `Stores the connection flags given as the context NAME (1-64 of A-Z a-z 0-9 . _ -, starting with a letter or
digit): the NATS URL(s), the mesh, the key folder and the NATS auth folder; a flag left out keeps its usual default
when the context is used. Folders are stored as absolute paths. A context of that name already stored is refused
unless --force. --use makes it the current context as well. --json: {"name","context","current","file"}.

Options:
  --force        replace a context of the same name
  --use          make it the current context`,
    options: { force: { type: "boolean" }, use: { type: "boolean" } },
    args: [{ name: "NAME" }],
    load: () => import("./add.js").then((m) => m.addContext),
  },
  {
    name: "use",
    summary: "make a stored context the current one",
    usage: "plexus context use NAME",
    help: `Makes NAME the current context: commands then take --nats, --mesh, --keys and --nats-auth from it unless
the flag or its environment variable is given. --json: {"current","file"}.`,
    args: NAME,
    load: () => import("./use.js").then((m) => m.useContext),
  },
  {
    name: "ls",
    summary: "list the stored contexts, the current one marked *",
    usage: "plexus context ls",
    help: `Lists the stored contexts, one a line, the current one marked with *. --json: one object
{"current","file","contexts":[{"name","current","nats","mesh","keys","natsAuth"}]}.`,
    args: [],
    load: () => import("./list.js").then((m) => m.listContexts),
  },
  {
    name: "show",
    summary: "show a stored context (default: the current one)",
    usage: "plexus context show [NAME]",
    help: `Shows the context NAME, or the current one: what it stores, and what a command run with it would use for the
settings it leaves out. --json: {"name","current","stored":{…},"effective":{"nats","mesh","keys","natsAuth"},"file"}.`,
    args: [{ name: "NAME", optional: true, complete: "context" }],
    load: () => import("./show.js").then((m) => m.showContext),
  },
  {
    name: "rm",
    summary: "remove a stored context",
    usage: "plexus context rm NAME",
    help: `Removes the context NAME; when it was the current one, no context is current afterwards. --json: {"removed","current","file"}.`,
    args: NAME,
    load: () => import("./rm.js").then((m) => m.removeContext),
  },
];

export const command: CommandSpec = {
  name: "context",
  summary: "stored connection settings (NATS URL, mesh, key folder, auth folder): add, use, ls, show, rm",
  usage: subcommands.map((s) => s.usage).join("\n  "),
  help: `A context is a named set of the connection flags --nats, --mesh, --keys and --nats-auth, so they need not be
repeated. Which one applies: --context NAME, else $PLEXUS_CONTEXT, else the current one (context use). Each
setting comes from its flag, else its environment variable (PLEXUS_NATS_URL, PLEXUS_MESH, PLEXUS_KEYS,
PLEXUS_NATS_AUTH), else the context, else the default.

Contexts are kept in contexts.json in $PLEXUS_CONFIG_HOME, else $XDG_CONFIG_HOME/plexus, else ~/.config/plexus
(written atomically, mode 0600).

${subcommands.map((s) => `  ${s.name.padEnd(5)} ${s.summary}`).join("\n")}

Run "plexus context SUBCOMMAND --help" for a subcommand's options.`,
  contextFree: true,
  subcommands,
};
