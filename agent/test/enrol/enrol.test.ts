import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { encodeCbor, type RootKeys, type SignedDocument } from '@edgefleet/protocol';
import { tempDirs } from '@edgefleet/test-kit';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadCredentials, loadOrEnrol } from '../../src/enrol/enrol.js';
import { readJsonFile } from '../../src/storage/atomic-file.js';
import { persistedChainVersions } from '../helpers/credentials.js';
import { NOW_MS, rotationChain } from '../helpers/signed-docs.js';

const temp = tempDirs();
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  await temp.cleanup();
});

/** v2 rotates the targets and director keys; v3 also rotates the root key. */
const { keys3, v1, v2, v3 } = rotationChain();
const pinnedHex = (keys: RootKeys) => keys.root.map((k) => Buffer.from(k.publicKey).toString('hex'));
const base64 = (doc: SignedDocument) => Buffer.from(encodeCbor(doc)).toString('base64');

/** A control plane that answers POST /v1/enrol with 201 and `body`. */
async function controlPlane(body: object): Promise<string> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(201, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function enrol(response: object, rootPublicKeys: string[]) {
  const stateDir = await temp.make();
  const options = {
    stateDir,
    rootPublicKeys,
    controlPlaneUrl: await controlPlane(response),
    enrolmentToken: 'token',
    nowMs: NOW_MS,
    logger: pino({ level: 'silent' }),
  };
  return { stateDir, enrolling: loadOrEnrol(options), reload: () => loadCredentials(options) };
}

const enrolment = (rootChain?: SignedDocument[]) => ({
  deviceId: 'dev-enrol-1',
  mqtt: { url: 'mqtt://127.0.0.1:1', username: 'dev-enrol-1', password: 'x' },
  root: base64(v1.doc),
  ...(rootChain === undefined ? {} : { rootChain: rootChain.map(base64) }),
});

describe('enrolment with a root chain', () => {
  it('enrols a device provisioned with a later root key and persists the chain it was given', async () => {
    const { stateDir, enrolling, reload } = await enrol(enrolment([v2, v3]), pinnedHex(keys3));
    expect((await enrolling).root.body.version).toBe(3);
    expect(await persistedChainVersions(stateDir)).toEqual([2, 3]);
    expect((await reload())?.root.body.version).toBe(3);
  });

  it('brings a device pinned to the first root up to the newest one', async () => {
    const { enrolling } = await enrol(enrolment([v3, v2]), v1.pinnedHex);
    const { root } = await enrolling;
    expect(root.body.version).toBe(3);
    expect(root.role('director').keys.has(keys3.director[0]?.keyId ?? '')).toBe(true);
  });

  it('enrols at the first root when the response carries no chain', async () => {
    const { stateDir, enrolling } = await enrol(enrolment(), v1.pinnedHex);
    expect((await enrolling).root.body.version).toBe(1);
    expect(await readJsonFile(join(stateDir, 'credentials.json'))).toMatchObject({ rootChain: [] });
  });

  it('refuses a chain with a gap and writes no credentials', async () => {
    const { stateDir, enrolling } = await enrol(enrolment([v3]), v1.pinnedHex);
    await expect(enrolling).rejects.toMatchObject({ code: 'ROOT_CHAIN_INVALID' });
    expect(await readJsonFile(join(stateDir, 'credentials.json'))).toBeUndefined();
  });
});
