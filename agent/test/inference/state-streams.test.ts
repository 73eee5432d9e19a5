import type { Tensor } from '@edgefleet/protocol';
import { tempDirs } from '@edgefleet/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import type { InferenceService } from '../../src/inference/inference-service.js';
import { createStateStreams, type StateStreams } from '../../src/inference/state-streams.js';
import { manualClock } from '../helpers/manual-clock.js';
import { f32, tinyService, values } from './tiny-models.js';

type State = Record<string, Tensor> | undefined;

const countOf = (state: State) => (state?.h?.data[0] as number | undefined) ?? 0;

/** One call of a counting stream: answers the count its state holds and leaves count + 1. */
const bump = (streams: StateStreams, stream: string, line = 'iris') =>
  streams.run(line, stream, async (state) => ({
    result: countOf(state),
    state: { h: f32([countOf(state) + 1], [1]) },
  }));

/** A call that waits until `open()`; `seen` is the state it was given (undefined until it starts). */
function heldCall(streams: StateStreams, stream: string) {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const held = {
    started: false,
    seen: undefined as State,
    open: () => open(),
    done: undefined as unknown as Promise<number>,
  };
  held.done = streams.run('iris', stream, async (state) => {
    held.started = true;
    held.seen = state;
    await gate;
    return { result: countOf(state), state: { h: f32([countOf(state) + 1], [1]) } };
  });
  return held;
}

/** Settles whatever is queued on the microtask queue and timers of this turn. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** Calls `run` and hands back its outcome as a promise, whether it throws or rejects. */
const attempt = <T>(run: () => Promise<T>): Promise<T> => Promise.resolve().then(run);

describe('state streams', () => {
  it('keeps each stream its own state: two streams, or two lines, never see each other’s', async () => {
    const streams = createStateStreams({ clock: manualClock() });
    expect([await bump(streams, 'a'), await bump(streams, 'a'), await bump(streams, 'a')]).toEqual([0, 1, 2]);
    expect(await bump(streams, 'b')).toBe(0);
    expect(await bump(streams, 'a', 'other-line')).toBe(0);
    expect(await bump(streams, 'a')).toBe(3);
    expect(streams.count()).toBe(3);
  });

  it('runs the calls of one stream one after another, each seeing the state the previous one left', async () => {
    const streams = createStateStreams({ clock: manualClock() });
    const first = heldCall(streams, 'a');
    const second = bump(streams, 'a');
    const other = bump(streams, 'b');
    await settle();
    expect(first.started).toBe(true);
    // Another stream is not held up by stream a.
    expect(await other).toBe(0);
    first.open();
    expect(await first.done).toBe(0);
    expect(await second).toBe(1);
  });

  it('keeps the previous state when a call fails, and runs the next call', async () => {
    const streams = createStateStreams({ clock: manualClock() });
    await bump(streams, 'a');
    const failing = streams.run('iris', 'a', async () => {
      throw new Error('engine exploded');
    });
    const next = bump(streams, 'a');
    await expect(failing).rejects.toThrow('engine exploded');
    expect(await next).toBe(1);
  });

  it('evicts the least recently used idle stream for a new one beyond maxStreams', async () => {
    const streams = createStateStreams({ clock: manualClock(), maxStreams: 2 });
    await bump(streams, 'a');
    await bump(streams, 'b');
    await bump(streams, 'a'); // a is now the most recently used
    await bump(streams, 'c'); // evicts b
    expect(streams.count()).toBe(2);
    expect(await bump(streams, 'a')).toBe(2);
    expect(await bump(streams, 'b')).toBe(0); // b starts over; c (least recent) made room
    expect(await bump(streams, 'a')).toBe(3);
  });

  it('refuses a new stream with STREAM_LIMIT while every stream is busy, and admits it once one is idle', async () => {
    const streams = createStateStreams({ clock: manualClock(), maxStreams: 2 });
    const a = heldCall(streams, 'a');
    const b = heldCall(streams, 'b');
    await expect(attempt(() => bump(streams, 'c'))).rejects.toMatchObject({
      code: 'STREAM_LIMIT',
      details: { maxStreams: 2 },
    });
    // Known streams still queue their calls.
    const again = bump(streams, 'a');
    a.open();
    await a.done;
    expect(await again).toBe(1);
    expect(await bump(streams, 'c')).toBe(0); // a was idle: evicted for c
    b.open();
    expect(await b.done).toBe(0);
  });

  it('expires a stream unused for ttlMs, and keeps one used within it', async () => {
    const clock = manualClock();
    const streams = createStateStreams({ clock, ttlMs: 1000 });
    await bump(streams, 'a');
    await bump(streams, 'kept');
    clock.advance(600);
    await bump(streams, 'kept');
    clock.advance(401);
    expect(await bump(streams, 'a')).toBe(0);
    expect(await bump(streams, 'kept')).toBe(2);
  });

  it('does not expire a stream while a call on it runs', async () => {
    const clock = manualClock();
    const streams = createStateStreams({ clock, ttlMs: 1000 });
    await bump(streams, 'a');
    const held = heldCall(streams, 'a');
    await settle();
    clock.advance(5000);
    await bump(streams, 'b');
    expect(streams.count()).toBe(2);
    held.open();
    expect(await held.done).toBe(1);
    expect(await bump(streams, 'a')).toBe(2);
  });

  it('forgets a stream on reset (false for an unknown one), even while a call on it runs', async () => {
    const streams = createStateStreams({ clock: manualClock() });
    await bump(streams, 'a');
    expect(streams.reset('iris', 'a')).toBe(true);
    expect(streams.reset('iris', 'a')).toBe(false);
    expect(await bump(streams, 'a')).toBe(0);
    const held = heldCall(streams, 'a');
    await settle();
    expect(streams.reset('iris', 'a')).toBe(true);
    held.open();
    await held.done;
    // The call that ran across the reset does not bring its state back.
    expect(await bump(streams, 'a')).toBe(0);
  });

  it('clears every stream of one line and no other', async () => {
    const streams = createStateStreams({ clock: manualClock() });
    await bump(streams, 'a');
    await bump(streams, 'b');
    await bump(streams, 'a', 'other-line');
    streams.clearLine('iris');
    expect(await bump(streams, 'a')).toBe(0);
    expect(await bump(streams, 'b')).toBe(0);
    expect(await bump(streams, 'a', 'other-line')).toBe(1);
  });
});

describe('state streams through the inference service (a recurrent accumulator)', () => {
  const temp = tempDirs();
  const services: InferenceService[] = [];
  afterEach(async () => {
    for (const service of services.splice(0)) await service.close();
    await temp.cleanup();
  });

  async function setup() {
    const made = await tinyService(temp);
    services.push(made.service);
    const add = async (stream: string, x: number[], outputs?: string[]) =>
      (
        await made.service.infer(
          'sum',
          { x: f32(x, [1, 2]) },
          { stream, ...(outputs === undefined ? {} : { outputs }) },
        )
      ).outputs;
    return { ...made, add };
  }

  it('feeds each stream its own state back: running sums per stream', async () => {
    const { add } = await setup();
    expect(values((await add('a', [1, 2])).total)).toEqual([1, 2]);
    expect(values((await add('b', [100, 100])).total)).toEqual([100, 100]);
    expect(values((await add('a', [10, 20])).total)).toEqual([11, 22]);
    expect(values((await add('b', [1, 1])).total)).toEqual([101, 101]);
  });

  it('returns only the outputs asked for, and still carries the state', async () => {
    const { add } = await setup();
    expect(Object.keys(await add('a', [1, 1], ['total']))).toEqual(['total']);
    expect(values((await add('a', [1, 1], ['total'])).total)).toEqual([2, 2]);
  });

  it('needs a stream name, unless the caller feeds the state input itself', async () => {
    const { service } = await setup();
    await expect(service.infer('sum', { x: f32([1, 1], [1, 2]) })).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    const stateless = await service.infer('sum', { x: f32([1, 1], [1, 2]), h: f32([5, 5], [1, 2]) });
    expect(values(stateless.outputs.total)).toEqual([6, 6]);
  });

  it('starts a stream over after resetStream', async () => {
    const { service, add } = await setup();
    await add('a', [1, 1]);
    expect(service.resetStream('sum', 'a')).toBe(true);
    expect(service.resetStream('sum', 'a')).toBe(false);
    expect(values((await add('a', [1, 1])).total)).toEqual([1, 1]);
  });

  it('starts every stream of the line over when another version is activated', async () => {
    const { add, activateSum } = await setup();
    await add('a', [5, 5]);
    await (await activateSum(2))?.retire();
    expect(values((await add('a', [1, 1])).total)).toEqual([1, 1]);
  });
});
