/**
 * A child device's agent (an MCU behind a gateway) on the gateway agent's uplink, with its own temporary
 * state directory; `close()` stops it and removes the directory.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '@edgefleet/protocol';
import { pino } from 'pino';
import { type Agent, createAgent } from '../../src/index.js';

export async function startChildAgent(options: {
  gateway: Agent;
  clock: Clock;
  childName: string;
  hardware: { platform: string; arch: string; cpus: number; memoryBytes: number; profile?: string };
  version: string;
}): Promise<{ agent: Agent; close(): Promise<void> }> {
  const stateDir = await mkdtemp(join(tmpdir(), 'edgefleet-child-'));
  const agent = await createAgent({
    stateDir,
    rootPublicKeys: [],
    clock: options.clock,
    logger: pino({ level: 'silent' }),
    child: {
      uplink: options.gateway.openChild(options.childName),
      hardware: options.hardware,
      version: options.version,
    },
  });
  return {
    agent,
    async close() {
      await agent.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
