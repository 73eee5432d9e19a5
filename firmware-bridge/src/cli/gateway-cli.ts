/**
 * The `edgefleet-gateway` command: the gateway's agent plus its serial ports (DESIGN.md §6). The config file
 * holds the agent's own config (the same fields as `edgefleet-agent`'s, validated by the agent) under
 * `agent`, and the ports to watch for MCUs. Logs JSON (pino) to stdout; stops on SIGINT/SIGTERM. Exit codes:
 * 0 clean stop, 1 start-up failure, 2 bad usage or config.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfig } from '@edgefleet/agent';
import { pino } from 'pino';
import { z } from 'zod';
import { createGateway } from '../gateway/gateway.js';

const USAGE = `usage: edgefleet-gateway --config <gateway.json>

Config file (JSON):
  agent     the gateway's agent config, as for edgefleet-agent (stateDir, rootPublicKeys, controlPlaneUrl,
            enrolmentToken, ...); its local inference API is off unless agent.httpApi says otherwise
  ports     [{ "path": "/dev/ttyUSB0", "baudRate": 115200 }, ...]  serial ports to watch for MCUs
  logLevel  fatal|error|warn|info|debug|trace|silent
`;

const fileSchema = z.strictObject({
  agent: z.unknown(),
  ports: z
    .array(z.strictObject({ path: z.string().min(1), baudRate: z.int().min(300).max(4_000_000) }))
    .min(1)
    .max(64),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
});

async function loadConfig(path: string) {
  const raw: unknown = JSON.parse(await readFile(path, 'utf8'));
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(
      `invalid gateway config — ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  // Relative paths (the agent's state dir, the serial ports) are relative to the config file, as for the agent.
  const base = dirname(resolve(path));
  return {
    ...parsed.data,
    agent: parseConfig(parsed.data.agent, base),
    ports: parsed.data.ports.map((port) => ({ ...port, path: resolve(base, port.path) })),
  };
}

async function main(): Promise<number> {
  let configPath: string | undefined;
  try {
    const { values } = parseArgs({
      options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help === true) {
      process.stdout.write(USAGE);
      return 0;
    }
    configPath = values.config;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (configPath === undefined) {
    process.stderr.write(`--config is required\n${USAGE}`);
    return 2;
  }
  let config: Awaited<ReturnType<typeof loadConfig>>;
  try {
    config = await loadConfig(configPath);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  const logger = pino({ level: config.logLevel ?? config.agent.logLevel ?? process.env.EDGEFLEET_LOG_LEVEL ?? 'info' });
  const { logLevel: _level, httpApi, ...agent } = config.agent;
  let gateway: Awaited<ReturnType<typeof createGateway>>;
  try {
    gateway = await createGateway({
      agent: { ...agent, httpApi: httpApi ?? false, logger },
      ports: config.ports,
    });
  } catch (error) {
    logger.fatal({ err: error }, 'gateway failed to start');
    return 1;
  }
  logger.info({ deviceId: gateway.agent.deviceId, ports: config.ports.map((p) => p.path) }, 'gateway running');
  await new Promise<void>((done) => {
    process.once('SIGINT', () => done());
    process.once('SIGTERM', () => done());
  });
  await gateway.close();
  return 0;
}

process.exitCode = await main();
