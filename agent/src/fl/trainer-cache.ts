/**
 * One tfjs trainer per model spec, created on the first task that needs it and kept for the next rounds
 * (building the wasm backend and the graph costs more than a round's local epoch on small models).
 */
import type { MlpSpec } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import { createMlpTrainer, type MlpTrainer } from './mlp-trainer.js';
import type { TrainingBackend } from './tfjs-engine.js';

export function createTrainerCache(options: { backend: TrainingBackend; logger: Logger }) {
  const trainers = new Map<string, Promise<MlpTrainer>>();
  return {
    get(spec: MlpSpec): Promise<MlpTrainer> {
      const key = `${spec.activation}:${spec.layers.join('-')}`;
      let trainer = trainers.get(key);
      if (trainer === undefined) {
        trainer = createMlpTrainer({ spec, backend: options.backend, logger: options.logger });
        trainers.set(key, trainer);
        trainer.catch(() => trainers.delete(key));
      }
      return trainer;
    },
    dispose(): void {
      for (const trainer of trainers.values())
        void trainer.then(
          (t) => t.dispose(),
          () => undefined,
        );
      trainers.clear();
    },
  };
}
