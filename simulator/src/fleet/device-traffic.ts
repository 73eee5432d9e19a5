/**
 * One device's calls on a traffic tick: the next inputs from the device's generator, sent to its agent the
 * way an application on the device would — `predict(line, rows)` for the iris models, `infer(line, feeds,
 * { outputs, stream })` for a model file, naming the device's stream (its id) when the cohort streams —
 * and counted into the cohort's traffic stats. Several calls per tick run one after the other, so a
 * stream's frames reach the model in order.
 */
import type { Agent } from '@edgefleet/agent';
import type { Clock } from '@edgefleet/protocol';
import type { DeviceGenerator } from '../generators/generator-types.js';
import { summariseRows, summariseTensor, type TrafficStats } from '../report/traffic-stats.js';

export type DeviceTraffic = (agent: () => Agent | null) => Promise<number>;

export function createDeviceTraffic(options: {
  line: string;
  generator: DeviceGenerator;
  stats: TrafficStats;
  clock: Clock;
  calls: number;
  /** The output the stats summarise (the only one fetched). */
  firstOutput: string;
  /** The stream the calls continue, or null for calls that carry no state. */
  stream: string | null;
}): DeviceTraffic {
  const { line, generator, stats, clock } = options;
  const inferOptions = {
    outputs: [options.firstOutput],
    ...(options.stream === null ? {} : { stream: options.stream }),
  };
  const timing = (answer: { latencyMs: number }) => ({ latencyMs: answer.latencyMs, stream: options.stream });
  async function call(agent: Agent): Promise<boolean> {
    const input = generator.next(clock.now());
    try {
      if (input.kind === 'rows') {
        const answer = await agent.predict(line, input.rows);
        stats.served({ version: answer.version, summary: summariseRows(answer.outputs), ...timing(answer) });
      } else {
        const answer = await agent.infer(line, input.feeds, inferOptions);
        const output = answer.outputs[options.firstOutput];
        if (output === undefined) throw Object.assign(new Error('missing output'), { code: 'OUTPUT_UNKNOWN' });
        stats.served({ version: answer.version, summary: summariseTensor(output), ...timing(answer) });
      }
      return true;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      const installed = agent.installed().find((m) => m.line === line)?.version ?? null;
      if (code === 'NO_MODEL' && installed === null) stats.unserved();
      else stats.failed(installed, typeof code === 'string' ? code : 'INTERNAL');
      return false;
    }
  }
  return async (agentOf) => {
    const agent = agentOf();
    let served = 0;
    // Stop when the device crashed or restarted in between: the rest of the burst belongs to no agent.
    for (let c = 0; c < options.calls && agentOf() === agent && agent !== null; c++) {
      if (await call(agent)) served++;
    }
    return served;
  };
}
