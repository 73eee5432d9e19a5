/**
 * The simulation report (JSON, and the input of the HTML report). Only virtual times and fleet facts go
 * in: no wall-clock times, no random ids, so the same scenario and seed give byte-identical reports.
 */

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
  readonly driftLevel: string;
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
