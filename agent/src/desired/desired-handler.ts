/**
 * Handles `desired` messages (Uptane director metadata): decode within the codec limits, verify the
 * director signature, addressee, expiry and every manifest against the enrolled root, refuse replays by
 * seq, refuse downgrades per model line, and record the highest accepted version of each line before any
 * byte is fetched (TUF §5.6: the version seen is remembered even if the install later fails). Every
 * rejection goes to `onRejected` and the agent keeps serving its current models. Messages are handled one
 * at a time so two documents can never interleave their trust-state updates.
 */
import {
  type Clock,
  decodeCbor,
  desiredMessageSchema,
  EdgefleetError,
  type TrustedRoot,
  verifyDesired,
} from '@edgefleet/protocol';
import type { Logger } from 'pino';
import { AgentError } from '../errors.js';
import type { InstallTarget } from '../install/installer.js';
import type { TrustState } from '../trust/trust-state.js';

export interface RejectionContext {
  readonly topic: string;
  readonly line?: string;
  readonly version?: number;
}

export interface DesiredHandlerOptions {
  readonly deviceId: string;
  readonly root: TrustedRoot;
  readonly trust: TrustState;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly onRejected: (error: EdgefleetError, context: RejectionContext) => void;
  /** Accepted targets of a verified document (possibly empty), with its seq. */
  readonly onAccepted: (targets: InstallTarget[], seq: number) => void;
}

export interface DesiredHandler {
  handle(payload: Uint8Array): Promise<void>;
}

function asEdgefleetError(error: unknown): EdgefleetError {
  if (error instanceof EdgefleetError) return error;
  return new AgentError('INTERNAL', error instanceof Error ? error.message : String(error), { cause: error });
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
      const { manifest, doc } = entry;
      try {
        await trust.accept(assignment.line, { version: manifest.version, digest: manifest.digest });
        targets.push({ line: assignment.line, manifest, manifestDoc: doc, rolloutId: body.rolloutId });
      } catch (error) {
        options.onRejected(asEdgefleetError(error), {
          topic: 'desired',
          line: assignment.line,
          version: manifest.version,
        });
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
      chain = chain.then(() =>
        process(payload).catch((error: unknown) => options.onRejected(asEdgefleetError(error), { topic: 'desired' })),
      );
      return chain;
    },
  };
}
