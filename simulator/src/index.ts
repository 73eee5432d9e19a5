/**
 * @edgefleet/simulator — simulated fleets made of the real agent and control-plane code. Today: federated
 * experiments (`edgefleet-sim fl`, runExperiment) and the data sets they partition over clients (MNIST from
 * the `mnist` package, iris), with McMahan et al. 2017's IID and pathological non-IID partitions.
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
export { type Experiment, ExperimentFileError, experimentSchema, loadExperiment } from './fl/experiment-config.js';
export { type ExperimentResult, type RoundProgress, runExperiment } from './fl/run-experiment.js';
