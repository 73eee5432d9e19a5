import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { buildIrisModels } from '@edgefleet/test-kit/models';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, SKIP_BROWSER } from '../src/browser.js';
import { apiClient, type Fleet, irisStream, registerModel, rolloutAndWait, startFleet, waitFor } from '../src/index.js';

/** The dashboard in a real browser (../src/browser.ts: Debian's Chromium, headless, playwright-core). */
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

let fleet: Fleet;
let browser: Browser;
let viewerToken: string;
const requests: string[] = [];

async function loggedIn(token: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`${fleet.cp.httpUrl}/ui`);
  await page.fill('#login input[name=token]', token);
  await page.click('#login button');
  return page;
}

/** A hash route of the single-page app, as a click on its link would do. */
async function navigate(page: Page, hash: string): Promise<void> {
  await page.evaluate(`location.hash = ${JSON.stringify(hash)}`);
}

describe.skipIf(SKIP_BROWSER)('dashboard in Chromium', () => {
  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    // Agent drift windows aligned with the cohort windows (2 s), so each batch of predictions below lands in the
    // cohort window it starts in (with the agents' default 60 s windows a version's first window starts at the
    // minute boundary, and a test started within 2 s of one merged both batches into one cohort window).
    fleet = await startFleet({
      agents: 2,
      agent: { drift: { windowMs: 2000 } },
      controlPlane: { rollouts: { tickMs: 100 }, drift: { windowMs: 2000, graceMs: 300, judgeIntervalMs: 100 } },
    });
    const iris = buildIrisModels({ seed: 42 });
    const reference = { rows: irisStream({ rows: 1500, seed: 1 }), featureNames: iris.meta.featureNames };
    const v1 = await registerModel(fleet.api, {
      line: 'iris',
      model: iris.fp32,
      sampleInputs: iris.meta.sampleInputs,
      reference,
    });
    await rolloutAndWait(fleet, { line: 'iris', version: v1.version, timeoutMs: 30_000 });
    const v2 = buildIrisModels({ seed: 7 });
    await registerModel(fleet.api, { line: 'iris', model: v2.fp32, sampleInputs: v2.meta.sampleInputs, reference });
    viewerToken = (await fleet.api.post<{ token: string }>('/v1/tokens', { name: 'wall', role: 'viewer' })).body.token;
    browser = await launchChromium();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await fleet?.close();
  });

  it('logs in, shows the fleet and a device, starts a rollout from the UI and follows it to completion', async () => {
    const page = await loggedIn(fleet.cp.adminToken);
    await page.waitForSelector('#devices-online b');
    await waitFor(async () => (await page.textContent('#devices-online b')) === '2', {
      what: '2 devices online in the UI',
    });
    expect(await page.textContent('#whoami')).toContain('admin');
    expect(await page.textContent('[data-view=fleet]')).toContain('iris@1');
    await page.screenshot({ path: `${ARTIFACTS}dashboard-fleet.png`, fullPage: true });
    const deviceId = fleet.agents[0]?.deviceId ?? '';
    await page.click(`a[href="#/devices/${deviceId}"]`);
    await page.waitForSelector('[data-view=devices] h1');
    expect(await page.textContent('[data-view=devices] h1')).toBe(`Device ${deviceId}`);
    expect(await page.textContent('[data-view=devices]')).toContain('"version": 1');

    await page.click('a[href="#/rollouts"]');
    await page.waitForSelector('#start-rollout');
    await page.fill('#start-rollout input[name=version]', '2');
    await page.fill('#start-rollout input[name=observationMs]', '300');
    await page.click('#start-rollout button');
    await page.waitForSelector('#rollout-state');
    expect(page.url()).toMatch(/#\/rollouts\/[\w-]+$/);
    await page.waitForSelector('#rollout-state.state-completed', { timeout: 30_000 });
    const timeline = await page.$$eval('#timeline li', (items) => items.map((li) => li.textContent ?? ''));
    expect(timeline.some((t) => t.includes('rollout.wave'))).toBe(true);
    expect(timeline.some((t) => t.includes('→ completed'))).toBe(true);
    expect(await page.$$('#actions button')).toHaveLength(5);
    await page.screenshot({ path: `${ARTIFACTS}dashboard-rollout.png`, fullPage: true });
    await page.close();
  });

  it('plots drift per cohort over time as SVG', async () => {
    const version = fleet.agents[0]?.installed().find((m) => m.line === 'iris')?.version;
    // Two cohort windows (2 s each): a clean one, then a drifted one.
    let seed = 100;
    for (const drifted of [false, true]) {
      // Start each batch in a fresh cohort window: the cohort API also lists the window still open.
      await new Promise((resolve) => setTimeout(resolve, 2000 - (Date.now() % 2000) + 50));
      const before = (await fleet.api.get<{ windows: unknown[] }>(`/v1/drift/iris/${version}`)).body.windows.length;
      for (const agent of fleet.agents) {
        await agent.predict('iris', irisStream({ rows: 300, seed: seed++, drifted }));
        await agent.flushTelemetry();
      }
      await waitFor(
        async () =>
          (await fleet.api.get<{ windows: unknown[] }>(`/v1/drift/iris/${version}`)).body.windows.length > before,
        { what: 'a new cohort drift window', timeoutMs: 15_000 },
      );
    }
    const page = await loggedIn(fleet.cp.adminToken);
    await page.waitForSelector('#nav:not([hidden])');
    await navigate(page, `#/drift?model=iris@${version}&cohort=group:lab`);
    await page.waitForSelector('#drift-svg polyline', { state: 'attached' });
    const series = await page.$$eval('#drift-svg polyline', (lines) => lines.map((l) => l.getAttribute('data-series')));
    expect(series).toEqual(['sepal_length_cm', 'sepal_width_cm', 'petal_length_cm', 'petal_width_cm']);
    const points = await page.$$eval('#drift-svg polyline', (lines) =>
      lines.map((l) => l.getAttribute('points')?.split(' ').length),
    );
    expect(points.every((n) => n !== undefined && n >= 2)).toBe(true);
    expect(await page.textContent('#drift-plot table')).toContain('alert');
    await page.screenshot({ path: `${ARTIFACTS}dashboard-drift.png`, fullPage: true });
    await page.close();
  });

  it('gives a viewer no controls, and refuses a wrong token at log-in', async () => {
    const page = await loggedIn(viewerToken);
    await page.waitForSelector('#nav:not([hidden])');
    expect(await page.textContent('#whoami')).toContain('viewer');
    await navigate(page, '#/rollouts');
    await page.waitForSelector('[data-view=rollouts] table');
    expect(await page.$('#start-rollout')).toBeNull();
    await page.close();

    const wrong = await loggedIn('eft_wrong');
    await wrong.waitForSelector('.error');
    expect(await wrong.textContent('.error')).toContain('AUTH_REQUIRED');
    await wrong.close();
  });

  it('lets an operator revoke a device from its page, after a confirmation', async () => {
    const page = await loggedIn(fleet.cp.adminToken);
    const victim = fleet.agents[1]?.deviceId ?? '';
    await page.waitForSelector('#nav:not([hidden])');
    await navigate(page, `#/devices/${victim}`);
    await page.waitForSelector('#revoke-device');
    page.once('dialog', (dialog) => void dialog.accept());
    await page.click('#revoke-device');
    await waitFor(async () => (await page.textContent('#device-state'))?.startsWith('revoked'), {
      what: 'the device page to show the revocation',
    });
    expect(await page.$('#revoke-device')).toBeNull();
    expect((await fleet.api.get(`/v1/devices/${victim}`)).body.revokedAt).toEqual(expect.any(Number));
    await page.close();
  });

  it('lets an admin rotate and revoke API tokens, rotate signing keys and revoke an enrolment token; a viewer sees no Access page', async () => {
    const spare = (await fleet.api.post<{ id: string }>('/v1/enrolment-tokens', { group: 'lab' })).body.id;
    const bot = (await fleet.api.post<{ token: string }>('/v1/tokens', { name: 'ui-bot', role: 'viewer' })).body.token;
    const page = await loggedIn(fleet.cp.adminToken);
    await page.waitForSelector('#nav:not([hidden])');
    await navigate(page, '#/access');
    await page.waitForSelector('.revoke-token[data-name="ui-bot"]');
    page.on('dialog', (dialog) => void dialog.accept());
    await page.click('.rotate-token[data-name="ui-bot"]');
    await waitFor(async () => (await apiClient(fleet.cp.httpUrl, bot).get('/v1/whoami')).status === 401, {
      what: 'the old secret refused after the rotation',
    });
    await page.waitForSelector('.revoke-token[data-name="ui-bot"]');
    await page.click('.revoke-token[data-name="ui-bot"]');
    await page.waitForSelector('.revoke-token[data-name="ui-bot"]', { state: 'detached' });
    await page.click(`.revoke-enrolment[data-id="${spare}"]`);
    await page.waitForSelector(`.revoke-enrolment[data-id="${spare}"]`, { state: 'detached' });
    const listed = (await fleet.api.get<{ id: string; state: string }[]>('/v1/enrolment-tokens')).body;
    expect(listed.find((t) => t.id === spare)?.state).toBe('revoked');
    expect((await fleet.api.get<{ name: string }[]>('/v1/tokens')).body.map((t) => t.name)).not.toContain('ui-bot');
    // Signing keys: rotating the targets role issues root v2 with a new targets key.
    const before = (await fleet.api.get<{ version: number; roles: { targets: { keyIds: string[] } } }>('/v1/trust'))
      .body;
    await page.click('.rotate-keys[data-role="targets"]');
    await page.waitForSelector(`#trust-root:has-text("root document v${before.version + 1}")`);
    const after = (await fleet.api.get<{ version: number; roles: { targets: { keyIds: string[] } } }>('/v1/trust'))
      .body;
    expect(after.roles.targets.keyIds).not.toEqual(before.roles.targets.keyIds);
    await page.screenshot({ path: `${ARTIFACTS}dashboard-access.png`, fullPage: true });
    await page.close();

    const viewer = await loggedIn(viewerToken);
    await viewer.waitForSelector('#nav:not([hidden])');
    expect(await viewer.isVisible('#nav-access')).toBe(false);
    await viewer.close();
  });

  it('loads nothing from anywhere but the control plane', () => {
    expect(requests.length).toBeGreaterThan(10);
    expect(requests.filter((url) => !url.startsWith(fleet.cp.httpUrl))).toEqual([]);
  });
});
