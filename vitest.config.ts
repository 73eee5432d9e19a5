import { defaultServerConditions } from 'vite';
import { configDefaults, defineConfig } from 'vitest/config';

// One runner for the whole workspace, in three tiers (`pnpm test` runs them all):
// - unit: the packages' own tests; no system service (PostgreSQL, Mosquitto, socat, Chromium), no child
//   processes, no rehearsals of whole virtual fleets;
// - integration: whole fleets in test/e2e, and the package tests that start PostgreSQL, socat, child
//   processes or simulator rehearsals;
// - browser: the dashboard in headless Chromium.
const PACKAGE_TESTS = '{protocol,agent,control-plane,firmware-bridge,simulator}/test/**/*.test.ts';
const PACKAGE_INTEGRATION = [
  'agent/test/service/install-service.test.ts',
  'agent/test/service/select-release.test.ts',
  'control-plane/test/cli/models-push-int8.test.ts',
  'control-plane/test/db/dialect-contract.test.ts',
  'control-plane/test/db/postgres-flows.test.ts',
  'control-plane/test/ingest/telemetry-writer.test.ts',
  'control-plane/test/scheduler/leader-election.test.ts',
  'control-plane/test/scheduler/replica-leader.test.ts',
  'firmware-bridge/test/serial/pty.test.ts',
  'simulator/test/determinism.test.ts',
  'simulator/test/fl-experiment.test.ts',
  'simulator/test/model-file-rehearsals.test.ts',
  'simulator/test/rehearsals.test.ts',
];
const BROWSER = ['test/e2e/dashboard.test.ts'];

// In-process tests import each package's TypeScript sources through this export condition (the same one
// tsconfig's customConditions names); spawned binaries run the compiled dist/, built once by globalSetup.
const SOURCE_CONDITIONS = ['@edgefleet/source', ...defaultServerConditions];

export default defineConfig({
  resolve: { conditions: SOURCE_CONDITIONS },
  ssr: { resolve: { conditions: SOURCE_CONDITIONS } },
  test: {
    globalSetup: ['scripts/build-once.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Logs are JSON lines for journald; in tests they bury the report. EDGEFLEET_LOG_LEVEL=info to see them.
    // Tests also open raw onnxruntime sessions (the baselines); telemetry stays off for those too.
    env: { EDGEFLEET_LOG_LEVEL: process.env.EDGEFLEET_LOG_LEVEL ?? 'silent', ORT_DISABLE_TELEMETRY: '1' },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [PACKAGE_TESTS],
          exclude: [...configDefaults.exclude, ...PACKAGE_INTEGRATION],
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/e2e/**/*.test.ts', ...PACKAGE_INTEGRATION],
          exclude: [...configDefaults.exclude, ...BROWSER],
        },
      },
      { extends: true, test: { name: 'browser', include: BROWSER } },
    ],
  },
});
