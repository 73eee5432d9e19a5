/**
 * Where the CLI finds its server and token: flags beat environment (`EDGEFLEET_SERVER`, `EDGEFLEET_TOKEN`),
 * which beat the config file `~/.config/edgefleet/config.json` (or `$EDGEFLEET_CONFIG`) written by
 * `edgefleet login` with mode 0600 — it holds a bearer token. The file is validated like any other input.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { ControlPlaneError } from '../errors.js';

export const CLI_DEFAULTS = Object.freeze({ server: 'http://127.0.0.1:8080' });

const configSchema = z.strictObject({ server: z.url().optional(), token: z.string().min(1).optional() });
export type CliConfig = z.infer<typeof configSchema>;

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.EDGEFLEET_CONFIG ?? join(homedir(), '.config', 'edgefleet', 'config.json');
}

export function readConfig(file: string): CliConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ControlPlaneError('USAGE_INVALID', `cannot read ${file}`, { cause });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new ControlPlaneError('USAGE_INVALID', `${file} is not valid JSON`, { cause });
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ControlPlaneError('USAGE_INVALID', `${file}: ${issue?.path.join('.')} ${issue?.message}`);
  }
  return parsed.data;
}

export function writeConfig(file: string, config: CliConfig): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
}

export interface Target {
  readonly server: string;
  readonly token: string | null;
}

/** The server and token one command uses, by precedence flag > env > config file > default. */
export function resolveTarget(
  flags: { server?: string; token?: string },
  env: NodeJS.ProcessEnv = process.env,
): Target {
  const file = readConfig(configPath(env));
  // An empty variable (`EDGEFLEET_TOKEN= edgefleet …`) counts as unset, as in most CLIs.
  const fromEnv = (name: string) => (env[name] === '' ? undefined : env[name]);
  const server = flags.server ?? fromEnv('EDGEFLEET_SERVER') ?? file.server ?? CLI_DEFAULTS.server;
  return { server: server.replace(/\/+$/, ''), token: flags.token ?? fromEnv('EDGEFLEET_TOKEN') ?? file.token ?? null };
}
