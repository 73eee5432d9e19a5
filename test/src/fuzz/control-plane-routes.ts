/**
 * The control plane's JSON routes with one valid seed body each (the fuzzers mutate from there). The five
 * rollout actions share one body schema but are separate routes, so each is fuzzed.
 */
import type { ControlPlaneRoute } from './http-targets.js';

export function controlPlaneRoutes(rolloutId: string): ControlPlaneRoute[] {
  const actions = ['pause', 'resume', 'abort', 'approve', 'rollback'] as const;
  return [
    { openapiPath: '/v1/tokens', path: '/v1/tokens', auth: true, seed: { name: 'ci-bot', role: 'viewer' } },
    {
      openapiPath: '/v1/enrolment-tokens',
      path: '/v1/enrolment-tokens',
      auth: true,
      seed: { group: 'lab', tags: ['north'], ttlSec: 60 },
    },
    {
      openapiPath: '/v1/enrol',
      path: '/v1/enrol',
      auth: false,
      seed: {
        token: 'not-a-token',
        deviceId: 'dev-1',
        hardware: { platform: 'linux', arch: 'arm64', cpus: 4, memoryBytes: 1e9 },
      },
    },
    {
      openapiPath: '/v1/rollouts',
      path: '/v1/rollouts',
      auth: true,
      seed: { line: 'iris', version: 1, selector: { group: 'lab' }, waves: [{ percent: 50 }, { percent: 100 }] },
    },
    ...actions.map((a) => ({
      openapiPath: `/v1/rollouts/{id}/${a}`,
      path: `/v1/rollouts/${rolloutId}/${a}`,
      auth: true,
      seed: { reason: 'fuzz' },
    })),
    {
      openapiPath: '/v1/fl/jobs',
      path: '/v1/fl/jobs',
      auth: true,
      seed: {
        line: 'iris-fl',
        selector: { group: 'lab' },
        spec: { kind: 'mlp', layers: [4, 8, 3], activation: 'relu' },
        init: { seed: 1 },
        evalSet: 'ab'.repeat(32),
        rounds: 2,
      },
    },
  ];
}
