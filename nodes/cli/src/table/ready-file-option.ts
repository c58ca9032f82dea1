/** The `--ready-file` option of the long-running receivers (listen, subscribe, agent join): table text only. */
export const READY_FILE_OPTION = { "ready-file": { type: "string" } } as const;

export const READY_FILE_HELP = `  --ready-file PATH  once ready, write PATH (JSON {"ready":true,"command","pid","mesh",…}, atomically);
                     removed again when the command stops. "plexus: ready: …" on stderr says the same`;
