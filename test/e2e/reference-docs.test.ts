/**
 * The generated references in docs/reference/ match the code: the HTTP API a control plane serves, the
 * error codes, the MQTT topics and message schemas, the agent's configuration schema and the binaries'
 * options. A change to any of them without `pnpm docs:reference` fails here, naming the stale file.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configFileSchema } from '@edgefleet/agent';
import { ERROR_CODES, TOPIC_MESSAGES, telemetryMessageSchema } from '@edgefleet/protocol';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  renderAgentConfig,
  renderErrors,
  renderHttpApi,
  renderMqtt,
  renderReferences,
} from '../reference/render-references.js';

const DIR = fileURLToPath(new URL('../../docs/reference/', import.meta.url));

describe('generated references', () => {
  it('docs/reference/ is what the code generates now', async () => {
    const expected = await renderReferences();
    const committed = (await readdir(DIR)).filter((f) => f.endsWith('.md')).sort();
    expect(committed, 'files in docs/reference/ (run `pnpm docs:reference`)').toEqual([...expected.keys()].sort());
    for (const [file, content] of expected) {
      const onDisk = await readFile(join(DIR, file), 'utf8');
      expect(onDisk === content, `docs/reference/${file} is stale: run \`pnpm docs:reference\``).toBe(true);
    }
  }, 120_000);

  it('fails when a route, topic field, config field or error code is added without regenerating', async () => {
    const committed = (file: string) => readFile(join(DIR, file), 'utf8');
    const openapi = { paths: { '/v1/new': { get: { summary: 'new', tags: ['meta'], 'x-edgefleet-role': 'viewer' } } } };
    expect(renderHttpApi(openapi)).not.toBe(await committed('http-api.md'));
    expect(renderErrors({ ...ERROR_CODES, NEW_CODE: { http: 400, summary: 'new' } })).not.toBe(
      await committed('errors.md'),
    );
    const telemetry = { ...TOPIC_MESSAGES.telemetry, schema: telemetryMessageSchema.extend({ extra: z.string() }) };
    expect(renderMqtt({ ...TOPIC_MESSAGES, telemetry })).not.toBe(await committed('mqtt.md'));
    expect(renderAgentConfig(configFileSchema.extend({ newField: z.string().optional() }))).not.toBe(
      await committed('agent-config.md'),
    );
    // …while the unchanged inputs render exactly what is committed.
    expect(renderErrors()).toBe(await committed('errors.md'));
    expect(renderMqtt()).toBe(await committed('mqtt.md'));
    expect(renderAgentConfig()).toBe(await committed('agent-config.md'));
  });
});
