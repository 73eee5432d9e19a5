/**
 * The installer's contract (DESIGN.md §4 Install): what it is asked to install, what it reports, and what
 * it is built from. Kept apart from installer.ts (the install steps) so the contract reads on one page.
 */
import type { ManifestBody, OutputComparison, SignedDocument } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import type { AgentError } from '../errors.js';
import type { Fetcher } from '../fetch/fetcher.js';
import type { InferenceService } from '../inference/inference-service.js';
import type { Runtime } from '../runtime/runtime.js';
import type { SelfUpdate } from '../self-update/self-update.js';
import type { ShadowRunner } from '../shadow/shadow-runner.js';
import type { InstallRole, TrustState } from '../trust/trust-state.js';
import type { ResourceGate } from './resource-gate.js';
import type { SlotStore } from './slot-store.js';

export interface InstallTarget {
  readonly line: string;
  readonly manifest: ManifestBody;
  readonly manifestDoc: SignedDocument;
  readonly rolloutId: string | null;
  readonly role: InstallRole;
  /** A shadow target's comparison with the champion (desired-state `compare`). */
  readonly compare?: OutputComparison | undefined;
}

export type InstallEvent =
  | { kind: 'install-started' | 'install-verified' | 'install-completed'; line: string; version: number }
  /** A challenger began (or stopped) running in shadow; no protocol event kind, the reported state shows it. */
  | { kind: 'shadow-started' | 'shadow-retired'; line: string; version: number }
  | { kind: 'install-failed'; line: string; version: number; error: AgentError }
  | { kind: 'install-reverted'; line: string; version: number };

export interface InstallProgress {
  readonly line: string;
  readonly version: number;
  readonly phase: 'fetching' | 'verifying' | 'installing' | 'self-testing';
  readonly chunksDone: number;
  readonly chunksTotal: number;
}

export interface Installer {
  /**
   * Queues the accepted targets of one desired document. The document is the whole desired state: a shadow
   * running (or queued) for a line it names no shadow for is retired.
   */
  enqueue(targets: readonly InstallTarget[]): void;
  progress(): InstallProgress | null;
  /** Resolves when the queue is empty and no install runs. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export interface InstallerOptions {
  readonly fetcher: Fetcher;
  readonly slots: SlotStore;
  readonly runtime: Runtime;
  readonly service: InferenceService;
  readonly shadows: ShadowRunner;
  readonly trust: TrustState;
  readonly logger: Logger;
  readonly removePart: (path: string) => Promise<void>;
  /** Free disk and memory checks before a fetch. */
  readonly resources: ResourceGate;
  /** Agent releases: staged for a restart instead of loaded. */
  readonly releases: SelfUpdate;
  /** A release is staged: the process should exit so systemd restarts it into the release. */
  readonly onRestart: () => void;
  readonly onEvent: (event: InstallEvent) => void;
  /** Called on every phase change and on (unthrottled) fetch progress. */
  readonly onProgress: (progress: InstallProgress | null) => void;
}
