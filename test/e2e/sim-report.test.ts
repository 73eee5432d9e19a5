import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScenario, runScenario, writeReport } from '@edgefleet/simulator';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, SKIP_BROWSER } from '../src/browser.js';

/**
 * The simulator's HTML report in a real browser: the bad-model rehearsal (24 devices) is run, its report
 * opened from disk in headless Chromium, and every plot must have rendered lines from data, and the
 * screenshot must not be blank.
 */
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const SCENARIO = fileURLToPath(new URL('../../simulator/scenarios/bad-model.yaml', import.meta.url));

describe.skipIf(SKIP_BROWSER)('simulation report in Chromium', () => {
  let browser: Browser;
  let dir: string;
  let html: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sim-report-'));
    const { report } = await runScenario(await loadScenario(SCENARIO));
    html = (await writeReport(report, join(dir, 'report'))).html;
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('renders every plot from data, shows the rollback and is not blank', async () => {
    const page = await browser.newPage({ viewport: { width: 900, height: 900 } });
    await page.goto(`file://${html}`);
    expect(await page.textContent('#rollout-state')).toBe('rolled-back');
    // In-page code as strings: this package compiles without the DOM lib (as the dashboard test does).
    const plots = (await page.evaluate(`[...document.querySelectorAll('svg')].map((svg) => {
      const lines = [...svg.querySelectorAll('polyline.series')];
      const box = svg.getBoundingClientRect();
      return {
        id: svg.id,
        width: box.width,
        series: lines.length,
        vertices: lines.reduce((n, l) => n + l.points.numberOfItems, 0),
        span: Math.max(0, ...lines.map((l) => l.getBBox().height)),
      };
    })`)) as { id: string; width: number; series: number; vertices: number; span: number }[];
    expect(plots.map((p) => p.id)).toEqual(['versions', 'waves', 'failures', 'drift', 'lag']);
    for (const plot of plots) {
      expect(plot.width, plot.id).toBeGreaterThan(300);
      expect(plot.series, plot.id).toBeGreaterThan(0);
      expect(plot.vertices, plot.id).toBeGreaterThan(10);
    }
    for (const id of ['versions', 'drift', 'lag']) {
      expect(plots.find((p) => p.id === id)?.span, id).toBeGreaterThan(5);
    }
    // The versions plot shows the champion, the candidate and the rollback version.
    const versions = await page.$$eval('#versions polyline.series', (ls) =>
      ls.map((l) => l.getAttribute('data-series')),
    );
    expect(versions.some((s) => s?.endsWith('v1'))).toBe(true);
    expect(versions.some((s) => s?.endsWith('v3'))).toBe(true);
    expect(await page.locator('#versions line.marker').count()).toBeGreaterThan(0);

    const png = await page.locator('#versions').screenshot({ path: `${ARTIFACTS}sim-report-versions.png` });
    await page.screenshot({ path: `${ARTIFACTS}sim-report.png`, fullPage: true });
    // Not blank: decode the screenshot in the page and count the distinct colours in it.
    const colours = (await page.evaluate(`(async () => {
      const image = new Image();
      image.src = 'data:image/png;base64,${png.toString('base64')}';
      await image.decode();
      const canvas = document.createElement('canvas');
      canvas.width = image.width;
      canvas.height = image.height;
      const context = canvas.getContext('2d');
      context.drawImage(image, 0, 0);
      const data = context.getImageData(0, 0, image.width, image.height).data;
      const seen = new Set();
      let ink = 0;
      for (let i = 0; i < data.length; i += 4) {
        const rgb = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
        seen.add(rgb);
        if (rgb !== 0xffffff) ink++;
      }
      return { distinct: seen.size, inkShare: ink / (data.length / 4) };
    })()`)) as { distinct: number; inkShare: number };
    expect(colours.distinct).toBeGreaterThan(5);
    expect(colours.inkShare).toBeGreaterThan(0.01);
    await page.close();
  });
});
