/**
 * The simulation report (JSON, and the input of the HTML report). Only virtual times and fleet facts go
 * in: no wall-clock times, no random ids, so the same scenario and seed give byte-identical reports.
 */
import type { TensorSpec } from '@edgefleet/protocol';

export interface CohortSample {
  /** Devices per installed version of the line ("none" = no model yet). */
  readonly versions: Record<string, number>;
  readonly online: number;
  /** Telemetry and event records waiting in device outboxes (the telemetry lag). */
  readonly backlog: number;
  /** Install failures so far (cumulative). */
  readonly installFailures: number;
  /** Worst feature PSI of the cohort's merged drift windows vs the model's reference, null = no data. */
  readonly driftPsi: number | null;
  /** The control plane's drift level; "no-profile" for a model file (drift profiles are tabular). */
  readonly driftLevel: string;
  /** Calls served since the previous sample (any version). */
  readonly served: number;
  /** Calls that failed since the previous sample (calls made before the device had a model excluded). */
  readonly errors: number;
  /** Share of each argmax class of the first output since the previous sample; null: no classifier, or nothing served. */
  readonly classShare: Record<string, number> | null;
  /** Mean of the first output since the previous sample (single-score models); null otherwise. */
  readonly meanScore: number | null;
}

/** What one model version answered a cohort's calls over the whole run. */
export interface TrafficTotals {
  readonly served: number;
  /** Rows of the first output (batch × leading axes) over the served calls. */
  readonly rows: number;
  /** Failed calls by error code. */
  readonly errors: Record<string, number>;
  readonly classShare: Record<string, number> | null;
  readonly meanScore: number | null;
}

export interface CohortTraffic {
  readonly cohort: string;
  readonly generator: string;
  /** Calls made before the device had any model (NO_MODEL). */
  readonly noModel: number;
  /** Distinct state streams the served calls continued (one per device when the cohort streams). */
  readonly streams: number;
  /** Per version ("none": failures on a device with no model installed). */
  readonly byVersion: Record<string, TrafficTotals>;
}

export interface Sample {
  readonly atMin: number;
  readonly cohorts: Record<string, CohortSample>;
  readonly rollout: { readonly state: string; readonly wave: number | null; readonly installed: number } | null;
}

export interface ReportEvent {
  readonly atMin: number;
  readonly type: string;
  readonly summary: string;
}

export interface SimulationReport {
  readonly scenario: string;
  readonly seed: number;
  readonly devices: number;
  readonly cohorts: {
    readonly name: string;
    readonly devices: number;
    readonly hardware: string;
    readonly network: string;
  }[];
  readonly durationMin: number;
  /** The line rolled out, where its models came from, its inputs and the output the traffic columns summarise. */
  readonly model: {
    readonly line: string;
    readonly kind: 'iris' | 'file';
    readonly inputs: readonly TensorSpec[];
    readonly output: string;
  };
  readonly models: { readonly champion: number; readonly candidate: number; readonly rollback: number | null };
  readonly rollout: {
    readonly state: string;
    readonly waves: {
      readonly index: number;
      readonly state: string;
      readonly devices: number;
      readonly gates: unknown;
    }[];
    readonly reason: string | null;
  };
  readonly driftAlerts: { readonly atMin: number; readonly cohort: string; readonly version: number }[];
  /** Per cohort, champion vs candidate (and rollback): served calls, errors and what the model answered. */
  readonly traffic: CohortTraffic[];
  readonly events: ReportEvent[];
  readonly samples: Sample[];
  readonly final: {
    readonly byVersion: Record<string, number>;
    /** Devices whose active model is not a registered version's exact bundle (must be 0). */
    readonly notOnRegisteredBundle: number;
    readonly installFailures: number;
    readonly crashes: number;
    readonly links: { connects: number; refused: number; cuts: number; corrupted: number };
    /** Devices that lost their link at least twice. */
    readonly devicesCutRepeatedly: number;
  };
}
