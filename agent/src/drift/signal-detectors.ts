/**
 * The pair of streaming change detectors that watch one signal of one model version: ADWIN (a window whose
 * mean changed) and Page-Hinkley (a cumulative deviation from the running mean). Either one firing is an
 * alarm; both may fire on the same sample and then report separately, because they see different things.
 * Confidence can drift either way (Page-Hinkley both-sided); an error rate only matters when it rises.
 */
import type { DriftAlarm } from '@edgefleet/protocol';
import type { DriftOptions, DriftSignal } from '../config.js';
import { createAdwin } from './adwin.js';
import { createPageHinkley } from './page-hinkley.js';

export interface SignalDetectors {
  readonly signal: DriftSignal;
  /** Feeds one sample; calls `onAlarm` for each detector that fires. */
  update(x: number): void;
}

export function createSignalDetectors(options: {
  readonly signal: DriftSignal;
  readonly settings: DriftOptions;
  readonly onAlarm: (alarm: DriftAlarm) => void;
}): SignalDetectors {
  const { signal, settings, onAlarm } = options;
  const adwin = createAdwin({ delta: settings.adwin.delta });
  const pageHinkley = createPageHinkley({ ...settings.pageHinkley, mode: signal === 'error' ? 'up' : 'both' });
  let samples = 0;
  return {
    signal,
    update(x) {
      samples += 1;
      if (adwin.update(x)) onAlarm({ detector: 'adwin', signal, estimate: adwin.estimation, samples });
      // Page-Hinkley's estimate is its running mean since its last reset (River keeps no post-change mean).
      if (pageHinkley.update(x))
        onAlarm({ detector: 'page-hinkley', signal, estimate: pageHinkley.estimation, samples });
    },
  };
}
