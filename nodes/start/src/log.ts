/**
 * Where a process's lines for people go. The CLI passes its output (stderr; `error` lines read "plexus: error: …"),
 * compose and tests whatever they collect: a start function never writes to the terminal itself.
 */
export interface NodeLog {
  /** Progress and information. */
  info(line: string): void;
  /** Something the operator should know, that does not stop the process. */
  warn(line: string): void;
  /** Something wrong the process survives and keeps saying (a refused mesh log, a sealer that cannot seal). */
  error(line: string): void;
}
