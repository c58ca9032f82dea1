/**
 * did-jwt-vc, loaded on first use (most processes never issue or verify a VC) and once: a dynamic `import()` per call
 * costs ~0.2 ms under a loader such as tsx.
 */
let loaded: Promise<typeof import("did-jwt-vc")> | undefined;

export function didJwtVc(): Promise<typeof import("did-jwt-vc")> {
  loaded ??= import("did-jwt-vc");
  return loaded;
}
