import { statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import {
  decodeCbor,
  desiredBodySchema,
  desiredMessageSchema,
  deviceTopic,
  pinnedRootKeys,
  signedDocumentSchema,
  trustFromPinned,
  verifyDesired,
} from '@edgefleet/protocol';
import { describe, expect, it } from 'vitest';
import { generateKeys } from '../../src/keys/key-store.js';
import { createTrustStore } from '../../src/keys/trust-store.js';
import { type Fixture, fixturesClosedAfterEach } from '../helpers/control-plane-fixture.js';
import { connectDevice } from '../helpers/mqtt.js';

const start = fixturesClosedAfterEach();

interface Summary {
  version: number;
  chainLength: number;
  roles: Record<'root' | 'targets' | 'director', { keyIds: string[]; threshold: number }>;
}

const fromBase64 = (b64: string) => decodeCbor(new Uint8Array(Buffer.from(b64, 'base64')), signedDocumentSchema);

/** The device's retained desired message, as a device subscribing now receives it. */
async function retainedDesired(f: Fixture, device: { deviceId: string; password: string }) {
  const client = await connectDevice({ url: f.cp.mqttUrl, deviceId: device.deviceId, password: device.password });
  try {
    const received = new Promise<Buffer>((resolve) => client.once('message', (_t, payload) => resolve(payload)));
    await client.subscribeAsync(deviceTopic(device.deviceId, 'desired'), { qos: 1 });
    return decodeCbor(new Uint8Array(await received), desiredMessageSchema);
  } finally {
    await client.endAsync(true);
  }
}

describe('key rotation through the HTTP API', () => {
  it('rotates targets and director, re-signs what devices verify, survives a restart, and rotates the root', async () => {
    const first = await start();
    const pinned = pinnedRootKeys(first.cp.rootPublicKeys);
    const device = await first.enrol({ deviceId: 'dev-rot' });
    expect((await first.registerIris()).status).toBe(201);
    await first.request('POST', '/v1/rollouts', { json: { line: 'iris', version: 1, group: 'lab' } });
    const v1 = (await (await first.request('GET', '/v1/trust')).json()) as Summary;
    expect(v1).toMatchObject({ version: 1, chainLength: 1 });

    const rotated = await first.request('POST', '/v1/trust/rotate', { json: { roles: ['targets', 'director'] } });
    expect(rotated.status).toBe(200);
    const result = (await rotated.json()) as Summary & {
      retiredKeyIds: string[];
      resignedManifests: number;
      reissuedDesired: number;
    };
    expect(result.version).toBe(2);
    expect(result.retiredKeyIds.sort()).toEqual([...v1.roles.targets.keyIds, ...v1.roles.director.keyIds].sort());
    expect(result.roles.root.keyIds).toEqual(v1.roles.root.keyIds);
    expect(result.resignedManifests).toBe(1);
    expect(result.reissuedDesired).toBe(1);

    // What the device receives now: the v2 root beside a document it verifies under v2 only.
    const message = await retainedDesired(first, device);
    expect(message.roots).toHaveLength(1);
    const trust = trustFromPinned(message.roots ?? [], pinned, Date.now());
    expect(trust.root.body.version).toBe(2);
    const verified = verifyDesired(message.doc, trust.root, { deviceId: device.deviceId, nowMs: Date.now() });
    expect(verified.body.seq).toBe(2);
    expect(decodeCbor(message.doc.body, desiredBodySchema).assignments[0]?.manifest.sigs[0]?.keyId).toBe(
      result.roles.targets.keyIds[0],
    );

    const audit = (await (await first.request('GET', '/v1/audit')).json()) as { action: string; target: string }[];
    expect(audit.find((a) => a.action === 'trust.rotate')).toMatchObject({ target: 'root:v2' });

    // The chain and the new keys are in the data dir; the root keys rotate under the old ones.
    await first.close({ keepDir: true });
    expect(statSync(join(first.dataDir, 'keys.json')).mode & 0o777).toBe(0o600);
    const second = await start({ dataDir: first.dataDir });
    expect(((await (await second.request('GET', '/v1/trust')).json()) as Summary).version).toBe(2);
    const rootRotation = await second.request('POST', '/v1/trust/rotate', { json: { roles: ['root'] } });
    expect(((await rootRotation.json()) as Summary).version).toBe(3);

    // A device enrolled now, pinned to the first root keys, follows v1 → v3 from the enrolment answer.
    const minted = await second.request('POST', '/v1/enrolment-tokens', { json: { group: 'lab' } });
    const { token } = (await minted.json()) as { token: string };
    const enrolled = (await (await second.request('POST', '/v1/enrol', { token: null, json: { token } })).json()) as {
      root: string;
      rootChain: string[];
    };
    expect(enrolled.rootChain).toHaveLength(2);
    const chain = [fromBase64(enrolled.root), ...enrolled.rootChain.map(fromBase64)];
    expect(trustFromPinned(chain, pinned, Date.now()).root.body.version).toBe(3);
    // …and so does one provisioned with the current root keys.
    const current = pinnedRootKeys(second.cp.rootPublicKeys);
    expect(trustFromPinned(chain, current, Date.now()).applied).toHaveLength(1);
  });

  it('refuses bad bodies and callers below admin', async () => {
    const f = await start();
    for (const json of [{ roles: ['owner'] }, { roles: ['targets', 'targets'] }, {}, { roles: [], extra: 1 }]) {
      const res = await f.request('POST', '/v1/trust/rotate', { json });
      expect(res.status, JSON.stringify(json)).toBe(400);
    }
    const operator = (
      (await (await f.request('POST', '/v1/tokens', { json: { name: 'op', role: 'operator' } })).json()) as {
        token: string;
      }
    ).token;
    expect((await f.request('POST', '/v1/trust/rotate', { token: operator, json: { roles: [] } })).status).toBe(403);
    expect((await f.request('GET', '/v1/trust', { token: operator })).status).toBe(200);
    expect(((await (await f.request('GET', '/v1/trust')).json()) as Summary).version).toBe(1);
  });
});

describe('trust store', () => {
  it('a replica sharing the data dir picks up another replica’s rotation on its next signature', async () => {
    const f = await start();
    const file = join(f.dataDir, 'keys.json');
    const a = createTrustStore({ file, ttlMs: 86_400_000, now: Date.now });
    const b = createTrustStore({ file, ttlMs: 86_400_000, now: Date.now });
    const before = b.signers('targets')[0]?.keyId;
    a.rotate(['targets']);
    // Same-millisecond writes can keep the mtime: make the change visible as a later write would.
    const later = new Date(Date.now() + 5_000);
    utimesSync(file, later, later);
    expect(b.signers('targets')[0]?.keyId).toBe(a.signers('targets')[0]?.keyId);
    expect(b.signers('targets')[0]?.keyId).not.toBe(before);
    expect(b.summary().version).toBe(2);
  });

  it('re-issues a root past half its lifetime with the same keys', () => {
    let now = 1_000_000;
    const store = createTrustStore({ keys: generateKeys(), ttlMs: 1_000, now: () => now });
    expect(store.reissueIfDue()).toBe(false);
    now += 600;
    const before = store.summary();
    expect(store.reissueIfDue()).toBe(true);
    expect(store.summary()).toMatchObject({ version: 2, roles: before.roles, expiresAt: now + 1_000 });
    expect(store.chain()).toHaveLength(2);
  });
});
