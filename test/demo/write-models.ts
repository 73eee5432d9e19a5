/**
 * `pnpm models [dir]`: writes the iris fixture models (fp32 + int8 ONNX) and their metadata (sample inputs
 * for the self-test vectors, test set) to a directory, for trying the control plane and agent by hand, and the
 * iris `mcu-int8` image for the firmware bridge (`iris-mcu.efm`, its sample inputs in `iris-mcu-meta.json`).
 */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { buildIrisMcuModel, writeIrisModels } from '@edgefleet/test-kit/models';

const dir = resolve(process.cwd(), '..', process.argv[2] ?? '.data/models');
const written = await writeIrisModels(dir);
const mcu = buildIrisMcuModel();
const mcuPath = join(dir, 'iris-mcu.efm');
await writeFile(mcuPath, mcu.bytes);
const mcuMeta = { featureNames: mcu.featureNames, sampleInputs: mcu.sampleInputs, int8Accuracy: mcu.int8Accuracy };
await writeFile(join(dir, 'iris-mcu-meta.json'), `${JSON.stringify(mcuMeta, null, 2)}\n`);
console.log(`wrote ${written.fp32Path}\n      ${written.int8Path}\n      ${written.metaPath}\n      ${mcuPath}`);
