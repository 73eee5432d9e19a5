/**
 * The agent's version, as the device reports it and self-update compares it. A constant rather than an import
 * of `package.json`: the compiled package keeps `src/` as its root (package.json lies outside it), and the
 * esbuild release bundle must carry the version inside. `test/version.test.ts` holds it equal to package.json.
 */
export const AGENT_VERSION = '0.1.0';
