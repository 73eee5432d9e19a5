/**
 * Builds the OpenAPI 3.1 document from the route table (operations.ts). Request schemas come from
 * `z.toJSONSchema` (zod 4) in its `input` view — defaults make a field optional for the caller — with
 * JSON Schema draft 2020-12, which is OpenAPI 3.1's dialect, so the schemas are embedded as they are.
 * Refinements zod cannot express (e.g. "percentages must strictly increase") are enforced by the route
 * only; the document states the structure. Every error answers the same error schema.
 */
import { ERROR_CODES } from '@edgefleet/protocol';
import { z } from 'zod';
import { type Access, MODEL_UPLOAD_PARTS, OPERATIONS, type Operation, type RequestBody } from './operations.js';

type JsonSchema = Record<string, unknown>;

export function toJsonSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return rest;
}

/** `/v1/rollouts/:id` → `/v1/rollouts/{id}` (OpenAPI path templating). */
export function openApiPath(honoPath: string): string {
  return honoPath.replace(/:([A-Za-z_]\w*)/g, '{$1}');
}

const ERROR_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', enum: Object.keys(ERROR_CODES) },
        message: { type: 'string' },
        details: { type: 'object' },
      },
    },
  },
};

function requestBody(body: RequestBody) {
  if (body.kind === 'json') {
    const [first, ...more] = body.schemas.map(toJsonSchema);
    const schema = more.length === 0 ? first : { oneOf: [first, ...more] };
    return { required: body.optional !== true, content: { 'application/json': { schema } } };
  }
  if (body.kind === 'binary') {
    return {
      required: true,
      description: body.description,
      content: { [body.mediaType]: { schema: { type: 'string', contentMediaType: body.mediaType } } },
    };
  }
  return {
    required: true,
    content: {
      'multipart/form-data': {
        schema: {
          type: 'object',
          required: ['model', 'metadata'],
          properties: {
            model: { type: 'string', contentMediaType: 'application/octet-stream', description: 'the .onnx file' },
            metadata: toJsonSchema(MODEL_UPLOAD_PARTS.metadata),
            reference: toJsonSchema(MODEL_UPLOAD_PARTS.reference),
            samples: {
              type: 'string',
              contentMediaType: 'application/octet-stream',
              description:
                'sample inputs as a .npy file (single-input models) or CBOR { samples: [{ name: { dtype, dims, data } }] }; instead of metadata samples or sampleInputs',
            },
            evaluation: {
              type: 'string',
              contentMediaType: 'application/octet-stream',
              description:
                'with metadata int8Variant: more inputs the int8 variant is measured on, in the forms of part samples (up to 1024); instead of metadata evaluationSamples',
            },
            referenceSamples: {
              type: 'string',
              contentMediaType: 'application/octet-stream',
              description:
                'the drift reference set as a .npy file (samples on the first axis) or CBOR { samples: [...] }; with a reference part that has driftFeatures and no samples',
            },
          },
        },
        encoding: { metadata: { contentType: 'application/json' }, reference: { contentType: 'application/json' } },
      },
    },
  };
}

function parameters(op: Operation) {
  const inPath = [...op.path.matchAll(/:([A-Za-z_]\w*)/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  const query = op.query === undefined ? {} : (toJsonSchema(op.query) as { properties?: Record<string, JsonSchema> });
  const inQuery = Object.entries(query.properties ?? {}).map(([name, schema]) => ({
    name,
    in: 'query',
    required: false,
    schema,
  }));
  return [...inPath, ...inQuery];
}

const security = (access: Access) => (access === 'none' || access === 'enrolment-token' ? [] : [{ bearer: [] }]);

function operationObject(op: Operation) {
  const params = parameters(op);
  return {
    operationId: `${op.method}${openApiPath(op.path)
      .replace(/[{}]/g, '')
      .replace(/[^A-Za-z0-9]+(.)?/g, (_m, c?: string) => (c ?? '').toUpperCase())}`,
    tags: [op.tag],
    summary: op.summary,
    'x-edgefleet-role': op.access,
    security: security(op.access),
    ...(params.length === 0 ? {} : { parameters: params }),
    ...(op.body === undefined ? {} : { requestBody: requestBody(op.body) }),
    responses: {
      [String(op.status)]:
        op.status === 204
          ? { description: 'done, no content' }
          : { description: 'success', content: { [op.response]: {} } },
      default: {
        description: 'error (status from the error-code table)',
        // Inlined rather than $ref'd: Ajv's $dynamicRef support trips over `$ref` in the 3.1 meta-schema.
        content: { 'application/json': { schema: ERROR_SCHEMA } },
      },
    },
  };
}

export function buildOpenApiDocument(options: { version: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const path = openApiPath(op.path);
    paths[path] = { ...paths[path], [op.method]: operationObject(op) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'edgefleet control plane',
      version: options.version,
      description:
        'Ships signed ML models to edge fleets: registry, devices, staged rollouts gated on model health, fleet drift, federated learning. Bearer tokens with roles admin > operator > viewer.',
    },
    servers: [{ url: '/' }],
    tags: [...new Set(OPERATIONS.map((o) => o.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
  };
}

export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;
