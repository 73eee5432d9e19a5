/**
 * First-start enrolment and the credentials file. The one-time enrolment token buys a device id, MQTT
 * credentials and the root document; the root document is verified against the pinned root keys before
 * anything is persisted (TUF §5.2: the root of trust comes from provisioning, never from the network).
 * `${stateDir}/credentials.json` is written atomically with mode 0600; later starts load it, re-verify the
 * root, and never enrol again.
 */
import { arch, cpus, platform, totalmem } from 'node:os';
import { join } from 'node:path';
import {
  decodeCbor,
  deviceIdSchema,
  pinnedRootKeys,
  signedDocumentSchema,
  type TrustedRoot,
  verifyRootDocument,
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

function verifyRoot(rootBase64: string, rootPublicKeys: readonly string[], nowMs: number): TrustedRoot {
  const pinned = pinnedRootKeys(rootPublicKeys.map((hex) => new Uint8Array(Buffer.from(hex, 'hex'))));
  const doc = decodeCbor(new Uint8Array(Buffer.from(rootBase64, 'base64')), signedDocumentSchema);
  return verifyRootDocument(doc, pinned, nowMs);
}

/** The persisted identity with its root re-verified, or undefined when the device is not enrolled yet. */
export async function loadCredentials(
  options: Pick<EnrolOptions, 'stateDir' | 'rootPublicKeys' | 'nowMs'>,
): Promise<EnrolledIdentity | undefined> {
  const path = join(options.stateDir, 'credentials.json');
  const stored = await readJsonFile(path);
  if (stored === undefined) return undefined;
  const parsed = credentialsSchema.safeParse(stored);
  if (!parsed.success) {
    throw new AgentError('SCHEMA_INVALID', `${path} is corrupt: ${parsed.error.issues[0]?.message ?? ''}`);
  }
  // Re-verify on every start: the pinned keys in the config may have changed since enrolment.
  const root = verifyRoot(parsed.data.root, options.rootPublicKeys, options.nowMs);
  return { credentials: parsed.data, root };
}

/** Loads persisted credentials, or enrols with the control plane when there are none. */
export async function loadOrEnrol(options: EnrolOptions): Promise<EnrolledIdentity> {
  const path = join(options.stateDir, 'credentials.json');
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
  const root = verifyRoot(parsed.data.root, options.rootPublicKeys, options.nowMs);
  await writeFileAtomic(path, JSON.stringify(parsed.data, null, 2), { modeOctal: 0o600 });
  options.logger.info({ deviceId: parsed.data.deviceId }, 'enrolled');
  return { credentials: parsed.data, root };
}
