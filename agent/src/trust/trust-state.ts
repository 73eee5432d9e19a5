/**
 * Persisted anti-rollback state (TUF §5.6 / Uptane: a client never goes below what it has accepted). Per
 * model line: the highest manifest {version, digest} ever accepted — recorded on acceptance, even when the
 * install later fails, so a failed v5 can never be displaced by a replayed v4. Also the last applied
 * desired document (seq + sha256 of its signed body) for replay detection, and the versions whose install
 * failed (champions and shadow challengers kept apart) so a re-delivered retained document does not retry
 * them forever. Written atomically (with fsync unless the state directory is in RAM: `durability`).
 */
import { createHash } from 'node:crypto';
import { type AcceptedVersion, assertUpgradeAllowed, ProtocolError } from '@edgefleet/protocol';
import { z } from 'zod';
import { AgentError } from '../errors.js';
import { type Durability, readJsonFile, writeFileAtomic } from '../storage/atomic-file.js';

const acceptedSchema = z.object({ version: z.int().min(1), digest: z.string() });
const fileSchema = z.object({
  highest: z.record(z.string(), acceptedSchema),
  failed: z.record(z.string(), acceptedSchema),
  /** Shadow challengers whose install failed, kept apart so they never mask a champion's failure. */
  failedShadow: z.record(z.string(), acceptedSchema).default({}),
  desired: z.object({ seq: z.int().min(1), bodySha256: z.string() }).nullable(),
});
type TrustFile = z.infer<typeof fileSchema>;

export type DesiredVerdict = 'new' | 'same';
/** Which model of a line an install is for: the one answering, or a challenger run in shadow. */
export type InstallRole = 'champion' | 'shadow';

export interface TrustState {
  highest(line: string): AcceptedVersion | undefined;
  /** Throws DOWNGRADE unless `next` may be accepted for `line`. */
  assertUpgrade(line: string, next: AcceptedVersion): void;
  /** Records `next` as accepted when it is higher than what is stored. */
  accept(line: string, next: AcceptedVersion): Promise<void>;
  /** 'new' for a higher seq, 'same' for the applied one re-delivered; throws DOCUMENT_REPLAYED otherwise. */
  checkDesired(seq: number, body: Uint8Array): DesiredVerdict;
  recordDesired(seq: number, body: Uint8Array): Promise<void>;
  appliedSeq(): number | null;
  markFailed(line: string, target: AcceptedVersion, role?: InstallRole): Promise<void>;
  hasFailed(line: string, target: AcceptedVersion, role?: InstallRole): boolean;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function openTrustState(options: { path: string; durability?: Durability }): Promise<TrustState> {
  const raw = await readJsonFile(options.path);
  let state: TrustFile = { highest: {}, failed: {}, failedShadow: {}, desired: null };
  if (raw !== undefined) {
    const parsed = fileSchema.safeParse(raw);
    // A corrupt anti-rollback file must not silently reset protection: refuse to start.
    if (!parsed.success) throw new AgentError('SCHEMA_INVALID', `${options.path} is corrupt; refusing to start`);
    state = parsed.data;
  }
  // Saves are chained so an older snapshot can never be renamed over a newer one.
  let saving: Promise<void> = Promise.resolve();
  const save = () => {
    const text = JSON.stringify(state, null, 2);
    saving = saving
      .catch(() => undefined)
      .then(() => writeFileAtomic(options.path, text, { durability: options.durability }));
    return saving;
  };

  return {
    highest: (line) => state.highest[line],
    assertUpgrade(line, next) {
      assertUpgradeAllowed(line, state.highest[line], next);
    },
    async accept(line, next) {
      assertUpgradeAllowed(line, state.highest[line], next);
      const current = state.highest[line];
      if (current !== undefined && current.version === next.version) return;
      state = { ...state, highest: { ...state.highest, [line]: { version: next.version, digest: next.digest } } };
      await save();
    },
    checkDesired(seq, body) {
      const applied = state.desired;
      if (applied === null || seq > applied.seq) return 'new';
      if (seq === applied.seq && sha256(body) === applied.bodySha256) return 'same';
      throw new ProtocolError('DOCUMENT_REPLAYED', `desired seq ${seq} is not newer than applied ${applied.seq}`, {
        details: { seq, applied: applied.seq },
      });
    },
    async recordDesired(seq, body) {
      state = { ...state, desired: { seq, bodySha256: sha256(body) } };
      await save();
    },
    appliedSeq: () => state.desired?.seq ?? null,
    async markFailed(line, target, role = 'champion') {
      const key = role === 'champion' ? 'failed' : 'failedShadow';
      state = { ...state, [key]: { ...state[key], [line]: { version: target.version, digest: target.digest } } };
      await save();
    },
    hasFailed(line, target, role = 'champion') {
      const failed = (role === 'champion' ? state.failed : state.failedShadow)[line];
      return failed !== undefined && failed.version === target.version && failed.digest === target.digest;
    },
  };
}
