/**
 * Handles `desired` messages (Uptane director metadata): decode within the codec limits, follow the root
 * documents the message carries (key rotation, TUF §5.3), verify the director signature, addressee, expiry
 * and every manifest against the current root — a retired key signs nothing here — refuse replays by
 * seq, refuse downgrades per model line, and record the highest accepted version of each line before any
 * byte is fetched (TUF §5.6: the version seen is remembered even if the install later fails). A shadow
 * challenger becomes a `role: 'shadow'` target, with the assignment's output comparison, only if
 * it is newer than the line's live version, and it is never recorded as accepted (see `assertShadowNewer`).
 * Every rejection goes to `onRejected` and the agent keeps serving its current models. Messages are handled
 * one at a time so two documents can never interleave their trust-state updates.
 */
import { type Clock, decodeCbor, desiredMessageSchema, EdgefleetError, verifyDesired } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import { AgentError } from '../errors.js';
import type { InstallTarget } from '../install/installer.js';
import type { RootOfTrust } from '../trust/root-of-trust.js';
import type { TrustState } from '../trust/trust-state.js';

export interface RejectionContext {
  readonly topic: string;
  readonly line?: string;
  readonly version?: number;
}

export interface DesiredHandlerOptions {
  readonly deviceId: string;
  readonly root: RootOfTrust;
  readonly trust: TrustState;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly onRejected: (error: EdgefleetError, context: RejectionContext) => void;
  /** Accepted targets of a verified document (possibly empty), with its seq. */
  readonly onAccepted: (targets: InstallTarget[], seq: number) => void;
}

export interface DesiredHandler {
  /** Queues a payload; the returned promise never rejects (outcomes go to onAccepted / onRejected). */
  handle(payload: Uint8Array): Promise<void>;
  /** Resolves once every queued payload has been handled (shutdown waits for it). */
  idle(): Promise<void>;
}

function asEdgefleetError(error: unknown): EdgefleetError {
  if (error instanceof EdgefleetError) return error;
  return new AgentError('INTERNAL', error instanceof Error ? error.message : String(error), { cause: error });
}

/**
 * Anti-rollback for challengers: a shadow must be newer than the highest live version accepted for its line
 * (never an old model passed off as a challenger, then promoted). It is deliberately NOT recorded as the
 * line's highest accepted version: the champion stays assigned while the challenger is observed, and
 * raising `highest` to the challenger would make that still-valid champion (and any re-delivery of this
 * same document) look like a downgrade. The challenger's answers never reach a caller, so it needs no
 * rollback protection of its own; promotion arrives later as a normal champion assignment whose version is
 * then checked and recorded by `trust.accept` like any other.
 */
function assertShadowNewer(line: string, liveVersion: number | undefined, shadowVersion: number): void {
  if (liveVersion === undefined || shadowVersion > liveVersion) return;
  throw new AgentError('DOWNGRADE', `${line} shadow v${shadowVersion} is not newer than live v${liveVersion}`, {
    details: { line, version: shadowVersion, highest: liveVersion },
  });
}

export function createDesiredHandler(options: DesiredHandlerOptions): DesiredHandler {
  const { trust, logger, deviceId } = options;
  let chain: Promise<void> = Promise.resolve();

  async function process(payload: Uint8Array): Promise<void> {
    let verified: ReturnType<typeof verifyDesired>;
    let signedBody: Uint8Array;
    let verdict: 'new' | 'same';
    try {
      const message = decodeCbor(payload, desiredMessageSchema);
      // Before `doc`: it may be signed by a key only the new root names.
      if (message.roots !== undefined && message.roots.length > 0) await options.root.follow(message.roots);
      verified = verifyDesired(message.doc, options.root, { deviceId, nowMs: options.clock.now() });
      signedBody = message.doc.body;
      verdict = trust.checkDesired(verified.body.seq, signedBody);
    } catch (error) {
      options.onRejected(asEdgefleetError(error), { topic: 'desired' });
      return;
    }
    const { body } = verified;
    const targets: InstallTarget[] = [];
    for (const assignment of body.assignments) {
      const entry = verified.manifests.get(assignment.line);
      if (entry === undefined) continue;
      const { manifest, doc, shadow } = entry;
      const { line } = assignment;
      try {
        await trust.accept(line, { version: manifest.version, digest: manifest.digest });
        targets.push({ line, manifest, manifestDoc: doc, rolloutId: body.rolloutId, role: 'champion' });
      } catch (error) {
        options.onRejected(asEdgefleetError(error), { topic: 'desired', line, version: manifest.version });
      }
      if (shadow === undefined) continue;
      try {
        assertShadowNewer(line, trust.highest(line)?.version, shadow.manifest.version);
        const { manifest: challenger, doc: challengerDoc } = shadow;
        targets.push({
          line,
          manifest: challenger,
          manifestDoc: challengerDoc,
          rolloutId: body.rolloutId,
          role: 'shadow',
          compare: assignment.compare,
        });
      } catch (error) {
        options.onRejected(asEdgefleetError(error), { topic: 'desired', line, version: shadow.manifest.version });
      }
    }
    if (verdict === 'new') await trust.recordDesired(body.seq, signedBody);
    logger.info(
      { rolloutId: body.rolloutId, seq: body.seq, verdict, targets: targets.length },
      'desired state accepted',
    );
    options.onAccepted(targets, body.seq);
  }

  return {
    handle(payload) {
      chain = chain
        .then(() =>
          process(payload).catch((error: unknown) => options.onRejected(asEdgefleetError(error), { topic: 'desired' })),
        )
        // The session does not await this chain: a throwing callback must be logged, never left unhandled
        // (Node exits on an unhandled rejection).
        .catch((error: unknown) => options.logger.error({ err: error }, 'desired-state outcome handler failed'));
      return chain;
    },
    idle: () => chain,
  };
}
