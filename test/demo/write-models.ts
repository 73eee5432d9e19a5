/**
 * `pnpm models [dir]`: writes the iris fixture models (fp32 + int8 ONNX) and their metadata (sample inputs
 * for the self-test vectors, test set) to a directory, for trying the control plane and agent by hand.
 */
import { resolve } from 'node:path';
import { writeIrisModels } from '@edgefleet/test/models';

const dir = resolve(process.cwd(), '..', process.argv[2] ?? '.data/models');
const written = await writeIrisModels(dir);
console.log(`wrote ${written.fp32Path}\n      ${written.int8Path}\n      ${written.metaPath}`);
