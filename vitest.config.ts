import { defineConfig } from 'vitest/config';

// One runner for the whole workspace: every package's test/ folder, plus the e2e package.
export default defineConfig({
  test: {
    include: ['{protocol,agent,control-plane,firmware-bridge,simulator}/test/**/*.test.ts', 'test/e2e/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Logs are JSON lines for journald; in tests they bury the report. EDGEFLEET_LOG_LEVEL=info to see them.
    // Tests also open raw onnxruntime sessions (the baselines); telemetry stays off for those too.
    env: { EDGEFLEET_LOG_LEVEL: process.env.EDGEFLEET_LOG_LEVEL ?? 'silent', ORT_DISABLE_TELEMETRY: '1' },
  },
});
