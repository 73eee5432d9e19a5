import { describe, expect, it } from 'vitest';
import { createStagedClock } from '../src/clock/staged-clock.js';
import { createVirtualClock } from '../src/clock/virtual-clock.js';

describe('staged clock', () => {
  it('holds timers until release, then registers them in creation order per device and release order across devices', async () => {
    const clock = createVirtualClock({ startMs: 0 });
    const a = createStagedClock(clock);
    const b = createStagedClock(clock);
    const ran: string[] = [];
    // Created interleaved (as concurrent boots would), all due at the same instant.
    b.setTimer(10, () => ran.push('b1'));
    a.setTimer(10, () => ran.push('a1'));
    b.setTimer(10, () => ran.push('b2'));
    a.setTimer(10, () => ran.push('a2'));
    expect(clock.pending).toBe(0);
    a.release();
    b.release();
    expect(clock.pending).toBe(4);
    await clock.runUntil(10);
    expect(ran).toEqual(['a1', 'a2', 'b1', 'b2']);
  });

  it('drops a timer cancelled while held, cancels one cancelled after release, and passes through afterwards', async () => {
    const clock = createVirtualClock({ startMs: 0 });
    const staged = createStagedClock(clock);
    const ran: string[] = [];
    const cancelHeld = staged.setTimer(5, () => ran.push('held-cancelled'));
    const cancelLater = staged.setTimer(5, () => ran.push('cancelled-after-release'));
    staged.setTimer(5, () => ran.push('kept'));
    cancelHeld();
    staged.release();
    cancelLater();
    staged.setTimer(7, () => ran.push('direct'));
    expect(clock.pending).toBe(2);
    await clock.runUntil(10);
    expect(ran).toEqual(['kept', 'direct']);
  });

  it('refuses to release once virtual time has moved: the held delays would land late', async () => {
    const clock = createVirtualClock({ startMs: 0 });
    const staged = createStagedClock(clock);
    staged.setTimer(5, () => undefined);
    clock.setTimer(1, () => undefined);
    await clock.runUntil(1);
    expect(() => staged.release()).toThrow(/virtual time moved/);
  });
});
