/**
 * @edgefleet/simulator — simulated fleets made of the real agent and control-plane code: rollout
 * rehearsals on virtual fleets (`edgefleet-sim run`, runScenario) with a virtual clock and network, faults
 * and drift, for the built-in iris models or any ONNX model file fed by seeded image, audio or tensor
 * generators, reported as JSON + HTML; federated experiments (`edgefleet-sim fl`, runExperiment) and the data
 * sets they partition over clients (MNIST from the `mnist` package, iris), with McMahan et al. 2017's IID
 * and pathological non-IID partitions.
 */

export { IRIS_CLASSES, IRIS_FEATURES, irisSplit } from './datasets/iris.js';
export {
  DEFAULT_MNIST_SEED,
  type LabelledImages,
  MNIST_CLASSES,
  MNIST_PIXELS,
  MNIST_TRAIN_COUNT,
  type MnistSplit,
  mnistDigits,
  mnistSplit,
  selectRows,
} from './datasets/mnist.js';
export { iidPartition, shardPartition } from './datasets/partitions.js';
export { SimulatorError, type SimulatorErrorCode } from './errors.js';
export { type Experiment, ExperimentFileError, experimentSchema, loadExperiment } from './fl/experiment-config.js';
export { type ExperimentResult, type RoundProgress, runExperiment } from './fl/run-experiment.js';
export { renderHtmlReport } from './report/html-report.js';
export type {
  CohortSample,
  CohortTraffic,
  ReportEvent,
  Sample,
  SimulationReport,
  TrafficTotals,
} from './report/report-types.js';
export type { LatencySummary } from './report/traffic-stats.js';
export { writeReport } from './report/write-report.js';
export { type RunCost, type RunPhase, runScenario } from './run/run-scenario.js';
export type { CohortData } from './scenario/data-schema.js';
export { loadScenario, parseScenario } from './scenario/load-scenario.js';
export type { ModelEntry } from './scenario/model-schema.js';
export { type Scenario, scenarioSchema } from './scenario/scenario-schema.js';
