/**
 * The device's current root of trust, one per enrolled device (its child devices share it). It is a
 * `TrustedRoot` whose keys are always the newest root's, so every verifier holding it sees a rotation at
 * once, and `follow` moves it forward along root documents from the control plane (TUF §5.3, through
 * protocol's `followRootChain`). The documents are appended to the credentials file before the root is
 * swapped: after a crash the device trusts at most what it persisted. Follows run one at a time.
 */
import { type Clock, followRootChain, type SignedDocument, type TrustedRoot } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import { appendRootChain } from '../enrol/enrol.js';

export interface RootOfTrust extends TrustedRoot {
  /** Follows the root documents newer than the current root; resolves to how many were applied. */
  follow(docs: readonly SignedDocument[]): Promise<number>;
}

export function createRootOfTrust(options: {
  readonly root: TrustedRoot;
  /** Where credentials.json lives (the enrolled device's state directory). */
  readonly stateDir: string;
  readonly clock: Clock;
  readonly logger: Logger;
}): RootOfTrust {
  let current = options.root;
  let queue: Promise<unknown> = Promise.resolve();

  async function step(docs: readonly SignedDocument[]): Promise<number> {
    const { root, applied } = followRootChain(current, docs, options.clock.now());
    if (applied.length === 0) return 0;
    await appendRootChain({ stateDir: options.stateDir, docs: applied });
    const from = current.body.version;
    current = root;
    options.logger.info({ from, to: root.body.version }, 'root of trust rotated');
    return applied.length;
  }

  return {
    get body() {
      return current.body;
    },
    role: (name) => current.role(name),
    follow(docs) {
      const run = queue.then(() => step(docs));
      queue = run.catch(() => undefined);
      return run;
    },
  };
}
