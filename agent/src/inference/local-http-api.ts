/**
 * The local inference HTTP API (DESIGN.md §4 Inference) for applications on the same device. Plain
 * node:http, no framework, because it runs on a Raspberry Pi. Binds to 127.0.0.1 by default: the device's
 * models are not offered to the network; beyond loopback it needs a bearer token, and every call is checked
 * for its Host and Origin (local-api-guard.ts). Besides predictions it takes label feedback for the drift monitor's
 * 'error' signal (202: the labels are queued for the detectors, not a result). Errors are `{ error: { code, message } }` with the status from
 * protocol's error table; rejections are logged and counted by code.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EdgefleetError, type ErrorCode, httpStatusOf } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import { z } from 'zod';
import { AgentError } from '../errors.js';
import { inferCbor, inferJson } from './infer-route.js';
import type { InferenceService } from './inference-service.js';
import { createLocalApiGuard } from './local-api-guard.js';

const DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 0,
  maxBodyBytes: 1024 * 1024,
});

const predictBodySchema = z.object({ inputs: z.array(z.array(z.number())) });
const MODEL_ROUTE = /^\/v1\/models\/([^/]+)\/(predict|infer|feedback|samples)$/;
const STREAM_ROUTE = /^\/v1\/models\/([^/]+)\/streams\/([^/]+)$/;

export interface LocalHttpApiOptions {
  readonly service: InferenceService;
  readonly status: () => unknown;
  /** Label feedback for drift detection (`POST /v1/models/:line/feedback`); absent = no such route. */
  readonly feedback?: (line: string, body: unknown) => { accepted: number };
  /** Labelled samples for federated training (`POST /v1/models/:line/samples`); absent = no such route. */
  readonly samples?: (line: string, body: unknown) => { added: number; dropped: number };
  readonly logger: Logger;
  /** Defaults to 127.0.0.1; pass another address only on purpose. */
  readonly host?: string;
  /** 0 picks an ephemeral port (tests). */
  readonly port?: number;
  readonly maxBodyBytes?: number;
  /** Bearer token for every call but GET /v1/health; required when `host` is not a loopback address. */
  readonly token?: string | undefined;
  /** Host names callers may use besides loopback names and the bound address. */
  readonly allowedHosts?: readonly string[] | undefined;
}

export interface LocalHttpApi {
  readonly url: string;
  /** Rejected requests so far, by error code. */
  rejections(): Readonly<Partial<Record<ErrorCode, number>>>;
  close(): Promise<void>;
}

export async function createLocalHttpApi(options: LocalHttpApiOptions): Promise<LocalHttpApi> {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULTS.maxBodyBytes;
  const rejections: Partial<Record<ErrorCode, number>> = {};
  const guard = createLocalApiGuard({
    bindHost: options.host ?? DEFAULTS.host,
    token: options.token,
    allowedHosts: options.allowedHosts,
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    guard(req, path);
    if (req.method === 'GET' && path === '/v1/health') return sendJson(res, 200, options.status());
    if (req.method === 'GET' && path === '/v1/models') return sendJson(res, 200, { models: options.service.active() });
    const stream = req.method === 'DELETE' ? STREAM_ROUTE.exec(path) : null;
    if (stream !== null) {
      const reset = options.service.resetStream(decodeLine(stream[1] as string), decodeLine(stream[2] as string));
      if (!reset) throw new AgentError('NOT_FOUND', 'no such stream');
      res.writeHead(204).end();
      return;
    }
    const match = req.method === 'POST' ? MODEL_ROUTE.exec(path) : null;
    if (match?.[2] === 'infer') {
      const line = decodeLine(match[1] as string);
      const cbor = isCbor(req);
      if (!cbor) requireJson(req);
      const body = await readBody(req, maxBodyBytes);
      const reply = cbor
        ? await inferCbor(
            options.service,
            line,
            new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
            maxBodyBytes,
          )
        : await inferJson(options.service, line, parseJson(body));
      res.writeHead(200, { 'content-type': reply.contentType, 'content-length': Buffer.byteLength(reply.body) });
      res.end(reply.body);
      return;
    }
    const handler = match?.[2] === 'feedback' ? options.feedback : match?.[2] === 'samples' ? options.samples : null;
    if (match === null || handler === undefined) throw new AgentError('NOT_FOUND', `no route ${req.method} ${path}`);
    const line = decodeLine(match[1] as string);
    requireJson(req);
    if (handler !== null) {
      options.service.contractOf(line); // labels and training samples only for a model this device runs (NO_MODEL)
      return sendJson(res, 202, handler(line, parseJson(await readBody(req, maxBodyBytes))));
    }
    const body = predictBodySchema.safeParse(parseJson(await readBody(req, maxBodyBytes)));
    if (!body.success) {
      const issue = body.error.issues[0];
      throw new AgentError('INPUT_INVALID', `body must be { inputs: number[][] }: ${issue?.message ?? ''}`);
    }
    const prediction = await options.service.predict(line, body.data.inputs);
    return sendJson(res, 200, prediction);
  }

  function fail(req: IncomingMessage, res: ServerResponse, error: unknown): void {
    const known = error instanceof EdgefleetError;
    const code: ErrorCode = known ? error.code : 'INTERNAL';
    rejections[code] = (rejections[code] ?? 0) + 1;
    const context = { code, method: req.method, url: req.url };
    if (known && code !== 'INTERNAL') options.logger.warn(context, `local API rejected request: ${error.message}`);
    else options.logger.error({ ...context, err: error }, 'local API request failed');
    const message = known ? error.message : 'internal error';
    sendJson(res, httpStatusOf(code), { error: { code, message } });
    // After a 413 the rest of the body is unread; closing the connection stops the client from sending it.
    if (code === 'MESSAGE_TOO_LARGE') res.once('finish', () => req.destroy());
  }

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => fail(req, res, error));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULTS.port, options.host ?? DEFAULTS.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    rejections: () => ({ ...rejections }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        // Keep-alive sockets (fetch keeps them) would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}

function contentType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
}

function isCbor(req: IncomingMessage): boolean {
  return contentType(req) === 'application/cbor';
}

/** JSON only as application/json: a text/plain or form post is what a browser sends cross-origin unasked. */
function requireJson(req: IncomingMessage): void {
  const type = contentType(req);
  if (type === 'application/json') return;
  throw new AgentError('CONTENT_TYPE_UNSUPPORTED', 'this route takes application/json', {
    details: { contentType: type || null },
  });
}

function decodeLine(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch (cause) {
    throw new AgentError('NOT_FOUND', 'model line is not valid percent-encoding', { cause });
  }
}

function readBody(req: IncomingMessage, maxBodyBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBodyBytes) return Promise.reject(tooLarge(maxBodyBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxBodyBytes) {
        req.removeAllListeners('data');
        req.pause();
        reject(tooLarge(maxBodyBytes));
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function tooLarge(maxBodyBytes: number): AgentError {
  return new AgentError('MESSAGE_TOO_LARGE', `request body exceeds ${maxBodyBytes} bytes`);
}

// fatal: JSON text must be UTF-8 (RFC 8259 §8.1); a lenient decode would accept invalid bytes as U+FFFD
// (found by the parser fuzzer).
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(strictUtf8.decode(body));
  } catch (cause) {
    throw new AgentError('INPUT_INVALID', 'request body is not valid UTF-8 JSON', { cause });
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
