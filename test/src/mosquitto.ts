/**
 * A real Mosquitto (Debian's `mosquitto` package, installed by .ci/run) for the external-broker tests and
 * benchmark: a config in a temp directory with one listener on a free port, no anonymous access and the
 * dynamic-security plugin, whose JSON is initialised with `mosquitto_ctrl dynsec init` (one admin client).
 * The control plane logs in as that admin and grants itself the fleet's topics (dynsec-credentials.ts).
 * `restart()` stops and starts the same broker on the same port: dynamic-security state survives (the plugin
 * saves its JSON on every change), retained messages and sessions do not unless `persistence` is on.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BROKER_LIMIT_DEFAULTS, mosquittoBoundsConfig } from '@edgefleet/control-plane';
import { freePort, waitFor } from '@edgefleet/test-kit';
import mqtt from 'mqtt';

// /usr/sbin is not on every user's PATH.
const MOSQUITTO_BIN = existsSync('/usr/sbin/mosquitto') ? '/usr/sbin/mosquitto' : 'mosquitto';
const DYNSEC_PLUGIN = process.env.MOSQUITTO_DYNSEC_PLUGIN ?? '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so';

export interface Mosquitto {
  readonly url: string;
  readonly port: number;
  readonly admin: { readonly username: string; readonly password: string };
  /** Everything the broker wrote to stderr (its log), for failing tests. */
  log(): string;
  restart(): Promise<void>;
  /** Stops the broker, keeping its state for `up()` (an outage). */
  down(): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
}

export async function startMosquitto(
  options: {
    maxQueuedMessages?: number;
    /** Save sessions, subscriptions, queued and retained messages across `restart()` (Mosquitto's own file). */
    persistence?: boolean;
  } = {},
): Promise<Mosquitto> {
  if (!existsSync(DYNSEC_PLUGIN)) {
    throw new Error(`Mosquitto's dynamic-security plugin is missing at ${DYNSEC_PLUGIN} (apt install mosquitto)`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'edgefleet-mosquitto-'));
  const port = await freePort();
  const admin = { username: 'edgefleet-admin', password: `pw-${Math.random().toString(36).slice(2)}` };
  const dynsec = join(dir, 'dynamic-security.json');
  await promisify(execFile)('mosquitto_ctrl', ['dynsec', 'init', dynsec, admin.username, admin.password]);
  const config = join(dir, 'mosquitto.conf');
  await writeFile(
    config,
    [
      // Started as root, mosquitto drops to the `mosquitto` user, which could not read our 0700 temp dir.
      `user ${userInfo().username}`,
      'per_listener_settings false',
      `listener ${port} 127.0.0.1`,
      'allow_anonymous false',
      `plugin ${DYNSEC_PLUGIN}`,
      `plugin_opt_config_file ${dynsec}`,
      ...(options.persistence === true ? ['persistence true', `persistence_location ${dir}/`] : ['persistence false']),
      `max_queued_messages ${options.maxQueuedMessages ?? 100_000}`,
      mosquittoBoundsConfig(BROKER_LIMIT_DEFAULTS),
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      '',
    ].join('\n'),
  );
  const url = `mqtt://127.0.0.1:${port}`;
  let log = '';
  let child: ChildProcess | null = null;

  const start = async () => {
    const proc = spawn(MOSQUITTO_BIN, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    proc.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
    });
    child = proc;
    await waitFor(
      async () => {
        if (proc.exitCode !== null) throw new Error(`mosquitto exited with ${proc.exitCode}: ${log}`);
        const probe = await mqtt.connectAsync(url, { ...admin, reconnectPeriod: 0, connectTimeout: 1_000 }, false);
        await probe.endAsync();
        return true;
      },
      { what: `mosquitto to accept connections on ${url}`, timeoutMs: 10_000, intervalMs: 50 },
    );
  };
  const halt = async () => {
    const proc = child;
    child = null;
    if (proc === null || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    await exited;
  };

  try {
    await start();
  } catch (error) {
    await halt();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    port,
    admin,
    log: () => log,
    async restart() {
      await halt();
      await start();
    },
    down: () => halt(),
    up: () => start(),
    async stop() {
      await halt();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
