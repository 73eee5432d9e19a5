/**
 * `install-service`: lays out a device service. Into `prefix`: `launcher.mjs` and `agent.mjs`
 * (esbuild bundles; the base agent — what the launcher falls back to) and `node_modules/` links to this
 * install's native modules; into `unitDir`: the systemd unit; into `configDir`: `agent.json` with every
 * default (kept if it exists — an operator's file is never overwritten) and `agent.json.md`. Creates
 * `stateDir` (0700). Returns what it wrote; enabling the unit is left to the operator (systemctl).
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentError } from '../errors.js';
import { buildBundle, linkNativeModules } from './agent-build.js';
import { CONFIG_DOC, defaultConfig } from './config-template.js';
import { systemdUnit, UNIT_NAME } from './systemd-unit.js';

export interface InstallServiceOptions {
  readonly prefix: string;
  readonly unitDir: string;
  readonly configDir: string;
  readonly stateDir: string;
  readonly nodePath: string;
  readonly memoryMax: string;
  readonly user?: string | undefined;
  readonly rootPublicKeys: readonly string[];
  readonly controlPlaneUrl?: string | undefined;
  readonly enrolmentToken?: string | undefined;
}

export interface InstalledService {
  readonly unitPath: string;
  readonly configPath: string;
  readonly configWritten: boolean;
  readonly launcherPath: string;
  readonly agentPath: string;
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

export async function installService(options: InstallServiceOptions): Promise<InstalledService> {
  const configPath = join(options.configDir, 'agent.json');
  const configWritten = !(await exists(configPath));
  if (configWritten && options.rootPublicKeys.length === 0) {
    throw new AgentError('BODY_INVALID', `${configPath} does not exist yet: --root-key <hex> is required to write it`);
  }
  const launcherPath = join(options.prefix, 'launcher.mjs');
  const agentPath = join(options.prefix, 'agent.mjs');
  await buildBundle({ entry: 'launcher', outFile: launcherPath });
  await buildBundle({ entry: 'agent', outFile: agentPath });
  await linkNativeModules(options.prefix);
  await mkdir(options.stateDir, { recursive: true, mode: 0o700 });
  await mkdir(options.configDir, { recursive: true });
  if (configWritten) {
    const config = defaultConfig(options);
    await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  }
  await writeFile(join(options.configDir, 'agent.json.md'), CONFIG_DOC);
  await mkdir(options.unitDir, { recursive: true });
  const unitPath = join(options.unitDir, UNIT_NAME);
  await writeFile(
    unitPath,
    systemdUnit({
      nodePath: options.nodePath,
      launcherPath,
      baseEntry: agentPath,
      configPath,
      stateDir: options.stateDir,
      user: options.user,
      memoryMax: options.memoryMax,
    }),
  );
  return { unitPath, configPath, configWritten, launcherPath, agentPath };
}
