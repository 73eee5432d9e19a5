/**
 * The route table the OpenAPI document is generated from: every operation of the HTTP API with its role,
 * success status, response media type and the very zod schemas its handler validates with (imported from
 * the route modules, never re-declared), so the document cannot promise a body the route refuses. A test
 * compares this table with the routes registered in the Hono app, both ways.
 */
import { z } from 'zod';
import { jobConfigSchema } from '../../fl/job-config.js';
import { referenceInputSchema } from '../../registry/reference-profile.js';
import { tensorReferenceSchema } from '../../registry/reference-set.js';
import { legacyBodySchema, planSchema } from '../../rollouts/plan.js';
import { apiTokenBody, rotateKeysBody } from '../routes/admin-routes.js';
import { limitQuery } from '../routes/device-routes.js';
import { driftAlertsQuery, driftHistoryQuery } from '../routes/drift-routes.js';
import { enrolBody, enrolmentTokenBody } from '../routes/enrolment-routes.js';
import { modelMetadataSchema } from '../routes/model-routes.js';
import { ROLLOUT_ACTIONS, rolloutActionBody } from '../routes/rollout-routes.js';

/** `none`: no credential; `enrolment-token`: the one-time token travels in the body. */
export type Access = 'none' | 'enrolment-token' | 'viewer' | 'operator' | 'admin';

export type RequestBody =
  | { readonly kind: 'json'; readonly schemas: readonly z.ZodType[]; readonly optional?: boolean }
  | { readonly kind: 'model-upload' }
  | { readonly kind: 'binary'; readonly mediaType: string; readonly description: string };

export interface Operation {
  readonly method: 'get' | 'post' | 'delete';
  /** Hono path syntax (`/v1/rollouts/:id`). */
  readonly path: string;
  readonly tag: string;
  readonly summary: string;
  readonly access: Access;
  readonly status: 200 | 201 | 204;
  readonly response: 'application/json' | 'text/event-stream' | 'application/octet-stream' | 'text/plain' | 'text/html';
  readonly query?: z.ZodObject;
  readonly body?: RequestBody;
}

const json = (...schemas: z.ZodType[]): RequestBody => ({ kind: 'json', schemas });
const read = (path: string, tag: string, summary: string, extra: Partial<Operation> = {}): Operation => ({
  method: 'get',
  path,
  tag,
  summary,
  access: 'viewer',
  status: 200,
  response: 'application/json',
  ...extra,
});

export const MODEL_UPLOAD_PARTS = Object.freeze({
  metadata: modelMetadataSchema,
  reference: z.union([referenceInputSchema, tensorReferenceSchema]),
});

export const OPERATIONS: readonly Operation[] = [
  read('/v1/health', 'meta', 'Liveness', { access: 'none' }),
  read('/openapi.json', 'meta', 'This OpenAPI 3.1 document', { access: 'none' }),
  read('/docs', 'meta', 'Human-readable API reference generated from this document', {
    access: 'none',
    response: 'text/html',
  }),
  read('/v1/whoami', 'access', "The token's name and role"),
  read('/ui', 'dashboard', 'Operator dashboard (single-page app; data comes from /v1 with the bearer token)', {
    access: 'none',
    response: 'text/html',
  }),
  read('/ui/:asset', 'dashboard', 'Dashboard assets (ES modules, CSS), served locally', {
    access: 'none',
    response: 'text/plain',
  }),
  read('/metrics', 'meta', 'Prometheus exposition (text format 0.0.4)', { response: 'text/plain' }),
  {
    method: 'post',
    path: '/v1/tokens',
    tag: 'access',
    summary: 'Mint an API token (shown once, stored hashed)',
    access: 'admin',
    status: 201,
    response: 'application/json',
    body: json(apiTokenBody),
  },
  read('/v1/tokens', 'access', 'API tokens by name and role (never the secrets)', { access: 'admin' }),
  {
    method: 'delete',
    path: '/v1/tokens/:name',
    tag: 'access',
    summary: 'Revoke an API token: its next call is 401',
    access: 'admin',
    status: 204,
    response: 'application/json',
  },
  {
    method: 'post',
    path: '/v1/tokens/:name/rotate',
    tag: 'access',
    summary: 'A new secret for the token (same name and role); the old one stops working at once',
    access: 'admin',
    status: 200,
    response: 'application/json',
  },
  read('/v1/audit', 'access', 'Append-only audit log, newest first', { access: 'admin', query: limitQuery }),
  read('/v1/trust', 'access', 'The current root document: version, expiry, key ids and thresholds per role'),
  {
    method: 'post',
    path: '/v1/trust/rotate',
    tag: 'access',
    summary:
      'Rotate keys: fresh keys for the named roles, root N+1 signed by the old and new root keys, every manifest re-signed and every desired state re-issued; devices then refuse the retired keys',
    access: 'admin',
    status: 200,
    response: 'application/json',
    body: json(rotateKeysBody),
  },
  {
    method: 'post',
    path: '/v1/enrolment-tokens',
    tag: 'devices',
    summary: 'One-time enrolment token for a group',
    access: 'operator',
    status: 201,
    response: 'application/json',
    body: json(enrolmentTokenBody),
  },
  read('/v1/enrolment-tokens', 'devices', 'Enrolment tokens with expiry, state and remaining uses (never the tokens)', {
    access: 'operator',
  }),
  {
    method: 'delete',
    path: '/v1/enrolment-tokens/:id',
    tag: 'devices',
    summary: 'Revoke an unused enrolment token',
    access: 'operator',
    status: 200,
    response: 'application/json',
  },
  {
    method: 'post',
    path: '/v1/enrol',
    tag: 'devices',
    summary: 'Trade an enrolment token for device credentials and the signed root document',
    access: 'enrolment-token',
    status: 201,
    response: 'application/json',
    body: json(enrolBody),
  },
  read('/v1/devices', 'devices', 'Devices with group, tags, online state and installed versions'),
  read('/v1/devices/:id', 'devices', 'One device: reported and desired state'),
  read('/v1/devices/:id/telemetry', 'devices', 'Latency windows, newest first', { query: limitQuery }),
  read('/v1/devices/:id/events', 'devices', 'Install events and alarms, newest first', { query: limitQuery }),
  {
    method: 'post',
    path: '/v1/devices/:id/revoke',
    tag: 'devices',
    summary:
      'Revoke a device (and the children it carries): credentials and live session cut, desired state withdrawn, out of rollouts and federated rounds',
    access: 'operator',
    status: 200,
    response: 'application/json',
  },
  {
    method: 'post',
    path: '/v1/models/:line/versions',
    tag: 'models',
    summary:
      'Register a model version (multipart: model file, metadata JSON, optional samples file, optional reference JSON)',
    access: 'operator',
    status: 201,
    response: 'application/json',
    body: { kind: 'model-upload' },
  },
  {
    method: 'post',
    path: '/v1/agent-releases',
    tag: 'models',
    summary: 'Register an agent release as the next version of the line `agent` (self-update)',
    access: 'operator',
    status: 201,
    response: 'application/json',
    body: {
      kind: 'binary',
      mediaType: 'multipart/form-data',
      description:
        'part `bundle` (one bundled agent JS file) and an optional part `metadata` (JSON: version, description)',
    },
  },
  read('/v1/models', 'models', 'Model lines with their latest version'),
  read('/v1/models/:line/versions', 'models', 'Versions of a line'),
  read('/v1/models/:line/versions/:version', 'models', 'Manifest and signed manifest (base64 CBOR)'),
  {
    method: 'post',
    path: '/v1/rollouts',
    tag: 'rollouts',
    summary: 'Start a staged rollout from a plan (or the legacy one-wave body)',
    access: 'operator',
    status: 201,
    response: 'application/json',
    body: json(planSchema, legacyBodySchema),
  },
  read('/v1/rollouts', 'rollouts', 'Rollouts, newest first'),
  read('/v1/rollouts/:id', 'rollouts', 'State, plan, waves with counts and gate results, per-device status'),
  ...ROLLOUT_ACTIONS.map(
    (action): Operation => ({
      method: 'post',
      path: `/v1/rollouts/:id/${action}`,
      tag: 'rollouts',
      summary: `${action[0]?.toUpperCase()}${action.slice(1)} a rollout (409 INVALID_TRANSITION when illegal)`,
      access: 'operator',
      status: 200,
      response: 'application/json',
      body: { kind: 'json', schemas: [rolloutActionBody], optional: true },
    }),
  ),
  read('/v1/events', 'events', 'Server-Sent Events: rollout transitions, waves, gates, drift alerts, FL rounds', {
    response: 'text/event-stream',
  }),
  read('/v1/drift/alerts', 'drift', 'Cohort drift alerts and device drift alarms', { query: driftAlertsQuery }),
  read('/v1/drift/:line/:version', 'drift', 'Merged cohort drift windows vs the reference profile', {
    query: driftHistoryQuery,
  }),
  {
    method: 'post',
    path: '/v1/fl/eval-sets',
    tag: 'federated',
    summary: 'Upload a held-out evaluation set (stored by digest, never sent to devices)',
    access: 'operator',
    status: 201,
    response: 'application/json',
    body: {
      kind: 'binary',
      mediaType: 'application/cbor',
      description: 'CBOR { features, x: float32 LE bytes, y: uint8 labels }, at most 64 MiB',
    },
  },
  {
    method: 'post',
    path: '/v1/fl/jobs',
    tag: 'federated',
    summary: 'Create a federated training job',
    access: 'operator',
    status: 201,
    response: 'application/json',
    body: json(jobConfigSchema),
  },
  read('/v1/fl/jobs', 'federated', 'Federated jobs'),
  read('/v1/fl/jobs/:id', 'federated', 'One job with every round attempt and its metrics'),
  read('/v1/fl/jobs/:id/weights', 'federated', 'Global weights, float32 little-endian (?which=current|best)', {
    response: 'application/octet-stream',
  }),
  {
    method: 'post',
    path: '/v1/fl/jobs/:id/cancel',
    tag: 'federated',
    summary: 'Cancel a job',
    access: 'operator',
    status: 200,
    response: 'application/json',
  },
];
