/**
 * Puts a network profile's scheduled outages and flapping on the virtual clock for one link: down at the
 * start of each outage, up at its end; a flapping link goes down for `downMin` every `periodMin`, its phase
 * drawn from the device's own random stream so the fleet does not flap in lockstep.
 */
import type { Clock, Rng } from '@edgefleet/protocol';
import type { NetworkProfile } from '../scenario/scenario-schema.js';
import type { SimLink } from './sim-link.js';

const MINUTE_MS = 60_000;

export function scheduleLink(options: {
  clock: Clock;
  link: SimLink;
  profile: NetworkProfile;
  rng: Rng;
  untilMs: number;
}): void {
  const { clock, link, profile } = options;
  const at = (ms: number, up: boolean) => {
    if (ms < options.untilMs) clock.setTimer(ms - clock.now(), () => link.setUp(up));
  };
  for (const outage of profile.outages) {
    const start = clock.now() + outage.atMin * MINUTE_MS;
    at(start, false);
    at(start + outage.durationMin * MINUTE_MS, true);
  }
  const flap = profile.flapping;
  if (flap === undefined) return;
  const period = flap.periodMin * MINUTE_MS;
  const down = Math.min(flap.downMin * MINUTE_MS, period);
  // One timer at a time: each down schedules its own up and the next down, so a long run holds no backlog.
  const cycle = (start: number) => {
    if (start >= options.untilMs) return;
    clock.setTimer(start - clock.now(), () => {
      link.setUp(false);
      clock.setTimer(down, () => {
        link.setUp(true);
        cycle(start + period);
      });
    });
  };
  cycle(clock.now() + Math.floor(options.rng() * period));
}
