/**
 * Public surface of the data sets the FL experiments and tests use: the MNIST digits the `mnist` package ships,
 * their fixed train/test split, and the IID / pathological non-IID client partitions of McMahan et al. 2017.
 */
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
} from './mnist.js';
export { iidPartition, shardPartition } from './partitions.js';
