import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tempDirs } from '@edgefleet/test-kit';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSampleStore, lazySampleStore, type SampleStore } from '../../src/fl/sample-store.js';

describe('FL sample store', () => {
  const dirs = tempDirs();
  const open: SampleStore[] = [];
  let path: string;
  function store(maxRows = 100): SampleStore {
    const created = createSampleStore({ path, maxRows });
    open.push(created);
    return created;
  }
  const row = (i: number, width = 3) => ({
    features: Array.from({ length: width }, (_, j) => i + j / 4),
    label: i % 3,
  });

  beforeEach(async () => {
    path = join(await dirs.make(), 'samples.sqlite');
  });
  afterEach(async () => {
    for (const s of open.splice(0)) s.close();
    await dirs.cleanup();
  });

  it('opened lazily: no file until the first use, one store for every call, refused after close', () => {
    let opens = 0;
    const lazy = lazySampleStore(() => {
      opens++;
      return store();
    });
    expect(existsSync(path)).toBe(false);
    lazy.add('iris', [row(1), row(2)]);
    expect(existsSync(path)).toBe(true);
    expect(lazy.count('iris')).toBe(2);
    expect(lazy.read('iris').n).toBe(2);
    expect(opens).toBe(1);
    lazy.close();
    expect(() => lazy.count('iris')).toThrow(/closed/);
    // Closed without ever being used: nothing is opened.
    const unused = lazySampleStore(() => {
      opens++;
      return store();
    });
    unused.close();
    expect(opens).toBe(1);
  });

  it('reads a line back as row-major features and labels, oldest first', () => {
    const samples = store();
    expect(samples.add('digits', [row(0), row(1)])).toEqual({ added: 2, dropped: 0 });
    samples.add('digits', [row(2)]);
    const read = samples.read('digits');
    expect(read.n).toBe(3);
    expect(read.featureCount).toBe(3);
    expect(Array.from(read.x)).toEqual([0, 0.25, 0.5, 1, 1.25, 1.5, 2, 2.25, 2.5]);
    expect(Array.from(read.y)).toEqual([0, 1, 2]);
    expect(samples.count('digits')).toBe(3);
  });

  it('keeps model lines apart, each with its own feature width', () => {
    const samples = store();
    samples.add('digits', [row(0, 4)]);
    samples.add('iris', [row(5, 2), row(6, 2)]);
    expect(samples.read('digits')).toMatchObject({ n: 1, featureCount: 4 });
    expect(samples.read('iris')).toMatchObject({ n: 2, featureCount: 2, y: Int32Array.from([2, 0]) });
    expect(samples.read('unknown')).toEqual({ x: new Float32Array(0), y: new Int32Array(0), n: 0, featureCount: 0 });
  });

  it('drops the oldest samples of a full line and counts them, across a reopen', () => {
    let samples = store(3);
    samples.add('digits', [row(0), row(1)]);
    expect(samples.add('digits', [row(2), row(3), row(4)])).toEqual({ added: 3, dropped: 2 });
    samples.add('other', [row(9)]);
    expect(samples.count('digits')).toBe(3);
    expect(Array.from(samples.read('digits').y)).toEqual([2, 0, 1]);
    samples.close();
    samples = store(3);
    expect(samples.count('digits')).toBe(3);
    expect(samples.dropped('digits')).toBe(2);
    expect(samples.dropped('other')).toBe(0);
    samples.add('digits', [row(5)]);
    expect(samples.dropped('digits')).toBe(3);
    expect(Array.from(samples.read('digits').x.subarray(0, 1))).toEqual([3]);
  });

  it('rejects a batch whose width differs from the line and stores none of it', () => {
    const samples = store();
    samples.add('digits', [row(0)]);
    expect(() => samples.add('digits', [row(1), row(2, 4)])).toThrow(
      expect.objectContaining({ code: 'SAMPLES_INVALID' }),
    );
    expect(samples.count('digits')).toBe(1);
  });

  it.each([
    ['an empty batch', []],
    ['a non-finite feature', [{ features: [1, Number.NaN], label: 0 }]],
    ['a negative label', [{ features: [1, 2], label: -1 }]],
    ['a fractional label', [{ features: [1, 2], label: 0.5 }]],
    ['a sample without features', [{ features: [], label: 1 }]],
  ])('rejects %s', (_name, rows) => {
    const samples = store();
    expect(() => samples.add('digits', rows)).toThrow(expect.objectContaining({ code: 'SAMPLES_INVALID' }));
    expect(samples.count('digits')).toBe(0);
  });

  it('rejects a model line that could not name a slot directory', () => {
    expect(() => store().add('../etc', [row(0)])).toThrow(expect.objectContaining({ code: 'SAMPLES_INVALID' }));
  });

  it('refuses to read a feature blob damaged on disk', () => {
    const samples = store();
    samples.add('digits', [row(0)]);
    samples.close();
    const db = new Database(path);
    db.prepare('UPDATE fl_samples SET features = ?').run(Buffer.from([1, 2, 3]));
    db.close();
    expect(() => store().read('digits')).toThrow(expect.objectContaining({ code: 'SAMPLES_INVALID' }));
  });

  it('refuses every call once closed', () => {
    const samples = store();
    samples.close();
    expect(() => samples.count('digits')).toThrow(expect.objectContaining({ code: 'INVALID_TRANSITION' }));
  });
});
