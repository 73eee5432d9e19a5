/**
 * First-start enrolment and the credentials file. The one-time enrolment token buys a device id, MQTT
 * credentials, the first root document and the later ones (`rootChain`, after key rotations); trust is
 * built from the pinned root keys before anything is persisted (TUF §5.2: the root of trust comes from
 * provisioning, never from the network). `${stateDir}/credentials.json` is written atomically with mode
 * 0600; later starts load it, rebuild trust up to the newest persisted root, and never enrol again. Root
 * documents followed later are appended to `rootChain` (`appendRootChain`).
 */
import { arch, cpus, platform, totalmem } from 'node:os';
import { join } from 'node:path';
import {
  decodeCbor,
  deviceIdSchema,
  encodeCbor,
  pinnedRootKeys,
  type SignedDocument,
  signedDocumentSchema,
  type TrustedRoot,
  trustFromPinned,
} from '@edgefleet/protocol';
import type { Logger } from 'pino';
import { z } from 'zod';
import { AgentError } from '../errors.js';
import { readJsonFile, writeFileAtomic } from '../storage/atomic-file.js';

const credentialsSchema = z.object({
  deviceId: deviceIdSchema,
  mqtt: z.object({ url: z.string().min(1), username: z.string().min(1), password: z.string().min(1) }),
  /** base64 of encodeCbor(root SignedDocument) */
  root: z.string().min(1),
  /** The root documents after `root` (v2, v3, …), same encoding; empty until the keys rotate. */
  rootChain: z.array(z.string().min(1)).default([]),
});

export type Credentials = z.infer<typeof credentialsSchema>;

export interface EnrolledIdentity {
  readonly credentials: Credentials;
  readonly root: TrustedRoot;
}

export interface EnrolOptions {
  readonly stateDir: string;
  readonly rootPublicKeys: readonly string[];
  readonly controlPlaneUrl?: string | undefined;
  readonly enrolmentToken?: string | undefined;
  readonly deviceId?: string | undefined;
  readonly nowMs: number;
  readonly logger: Logger;
}

/**
 * What the device says about its hardware; `profile` is the operator-assigned name rollouts select by
 * (reported only: 1 to 64 characters as the reported schema takes it, the config file checks the same).
 */
export function hardwareProfile(profile?: string): {
  platform: string;
  arch: string;
  cpus: number;
  memoryBytes: number;
  profile?: string;
} {
  if (profile !== undefined && (profile.length === 0 || profile.length > 64)) {
    throw new AgentError('BODY_INVALID', `hardwareProfile must be 1 to 64 characters, got ${profile.length}`);
  }
  const info = { ...detectedHardware() };
  return profile === undefined ? info : { ...info, profile };
}

// os.cpus() parses /proc/cpuinfo (~0.1 ms): read once per process, not once per agent start (the simulator
// starts thousands of agents in one process).
let detected: { platform: string; arch: string; cpus: number; memoryBytes: number } | undefined;
function detectedHardware() {
  detected ??= { platform: platform(), arch: arch(), cpus: cpus().length, memoryBytes: totalmem() };
  return detected;
}

const CREDENTIALS_FILE = 'credentials.json';

const decodeRoot = (base64: string) => decodeCbor(new Uint8Array(Buffer.from(base64, 'base64')), signedDocumentSchema);

/** The newest root that follows from the pinned keys through `root` and `rootChain`. */
function verifyRoot(credentials: Credentials, rootPublicKeys: readonly string[], nowMs: number): TrustedRoot {
  const pinned = pinnedRootKeys(rootPublicKeys.map((hex) => new Uint8Array(Buffer.from(hex, 'hex'))));
  const docs = [credentials.root, ...credentials.rootChain].map(decodeRoot);
  return trustFromPinned(docs, pinned, nowMs).root;
}

async function readCredentials(path: string): Promise<Credentials | undefined> {
  const stored = await readJsonFile(path);
  if (stored === undefined) return undefined;
  const parsed = credentialsSchema.safeParse(stored);
  if (!parsed.success) {
    throw new AgentError('SCHEMA_INVALID', `${path} is corrupt: ${parsed.error.issues[0]?.message ?? ''}`);
  }
  return parsed.data;
}

const writeCredentials = (path: string, credentials: Credentials) =>
  writeFileAtomic(path, JSON.stringify(credentials, null, 2), { modeOctal: 0o600 });

/** Appends followed root documents to the persisted `rootChain`, so the next start trusts the newest root. */
export async function appendRootChain(options: { stateDir: string; docs: readonly SignedDocument[] }): Promise<void> {
  const path = join(options.stateDir, CREDENTIALS_FILE);
  const stored = await readCredentials(path);
  if (stored === undefined) throw new AgentError('INTERNAL', `${path} is missing: cannot persist the root chain`);
  const added = options.docs.map((doc) => Buffer.from(encodeCbor(doc)).toString('base64'));
  await writeCredentials(path, { ...stored, rootChain: [...stored.rootChain, ...added] });
}

/** The persisted identity with its root re-verified, or undefined when the device is not enrolled yet. */
export async function loadCredentials(
  options: Pick<EnrolOptions, 'stateDir' | 'rootPublicKeys' | 'nowMs'>,
): Promise<EnrolledIdentity | undefined> {
  const credentials = await readCredentials(join(options.stateDir, CREDENTIALS_FILE));
  if (credentials === undefined) return undefined;
  // Re-verify on every start: the pinned keys in the config may have changed since enrolment.
  const root = verifyRoot(credentials, options.rootPublicKeys, options.nowMs);
  return { credentials, root };
}

/** Loads persisted credentials, or enrols with the control plane when there are none. */
export async function loadOrEnrol(options: EnrolOptions): Promise<EnrolledIdentity> {
  const path = join(options.stateDir, CREDENTIALS_FILE);
  const stored = await loadCredentials(options);
  if (stored !== undefined) return stored;
  if (options.controlPlaneUrl === undefined || options.enrolmentToken === undefined) {
    throw new AgentError('AUTH_REQUIRED', 'not enrolled yet: controlPlaneUrl and enrolmentToken are required');
  }
  const url = new URL('/v1/enrol', options.controlPlaneUrl);
  const body = {
    token: options.enrolmentToken,
    hardware: hardwareProfile(),
    ...(options.deviceId === undefined ? {} : { deviceId: options.deviceId }),
  };
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch (cause) {
    throw new AgentError('INTERNAL', `enrolment request to ${url.origin} failed`, { cause });
  }
  const json = (await response.json().catch(() => ({}))) as { code?: unknown; message?: unknown };
  if (response.status !== 201) {
    const code = json.code === 'ENROLMENT_TOKEN_INVALID' || json.code === 'CONFLICT' ? json.code : 'AUTH_REQUIRED';
    throw new AgentError(code, `enrolment refused (${response.status}): ${String(json.message ?? '')}`, {
      details: { status: response.status },
    });
  }
  const parsed = credentialsSchema.safeParse(json);
  if (!parsed.success) throw new AgentError('SCHEMA_INVALID', 'enrolment response does not match the contract');
  const root = verifyRoot(parsed.data, options.rootPublicKeys, options.nowMs);
  await writeCredentials(path, parsed.data);
  options.logger.info({ deviceId: parsed.data.deviceId }, 'enrolled');
  return { credentials: parsed.data, root };
}
