/**
 * The CLI's only way to the control plane: HTTP with a bearer token. Server errors come back as
 * ControlPlaneError with the server's code and message; no answer at all becomes SERVER_UNREACHABLE, so
 * the exit code tells a script whether to retry. Uploads stream their body in slices to report progress;
 * `events()` reads the Server-Sent Events stream (WHATWG HTML §9.2: `event:`/`data:` lines, blank line ends).
 */
import { ControlPlaneError } from '../errors.js';
import type { Target } from './config.js';

export interface SseEvent {
  readonly event: string;
  readonly data: unknown;
}

export interface HttpClient {
  readonly server: string;
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  /** DELETE; the parsed body, or null for 204. */
  delete<T>(path: string): Promise<T | null>;
  /** Multipart upload; `onProgress(sentBytes, totalBytes)` after each slice. */
  upload<T>(path: string, form: FormData, onProgress: (sent: number, total: number) => void): Promise<T>;
  /** Follows GET /v1/events until `signal` aborts. */
  events(signal: AbortSignal): AsyncGenerator<SseEvent>;
}

const UPLOAD_SLICE_BYTES = 64 * 1024;

/** undici wraps the socket error (`fetch failed` → ECONNREFUSED, or an AggregateError of them): find its code,
 * else the innermost message (`bad port`). */
function networkReason(error: unknown): string {
  let message = error instanceof Error ? error.message : String(error);
  type Link = { code?: unknown; cause?: unknown; errors?: unknown[]; message?: unknown };
  for (let e = error as Link | undefined; e !== undefined && e !== null; e = (e.cause ?? e.errors?.[0]) as Link) {
    if (typeof e.code === 'string') return e.code;
    if (typeof e.message === 'string') message = e.message;
  }
  return message;
}

export function createHttpClient(target: Target): HttpClient {
  const auth = (): Record<string, string> => (target.token === null ? {} : { authorization: `Bearer ${target.token}` });

  async function send(path: string, init: RequestInit & { duplex?: 'half' }): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${target.server}${path}`, { ...init, headers: { ...auth(), ...init.headers } });
    } catch (cause) {
      if (init.signal?.aborted === true) throw cause;
      const reason = networkReason(cause);
      throw new ControlPlaneError('SERVER_UNREACHABLE', `cannot reach ${target.server} (${reason})`, { cause });
    }
    if (res.ok) return res;
    const text = await res.text();
    let error: { code?: string; message?: string; details?: Record<string, unknown> } = {};
    try {
      error = (JSON.parse(text) as { error?: typeof error }).error ?? {};
    } catch {
      // not a control-plane error body (a proxy, a wrong URL): report the status and the start of the text
    }
    const code = error.code === undefined ? 'INTERNAL' : error.code;
    const message = error.message ?? `HTTP ${res.status} ${text.slice(0, 200)}`;
    throw new ControlPlaneError(code as ControlPlaneError['code'], message, {
      details: { status: res.status, ...(error.details ?? {}) },
    });
  }
  const json = async <T>(res: Response) => (await res.json()) as T;

  return {
    server: target.server,
    get: async (path) => json(await send(path, {})),
    delete: async (path) => {
      const res = await send(path, { method: 'DELETE' });
      return res.status === 204 ? null : json(res);
    },
    post: async (path, body) =>
      json(
        await send(path, {
          method: 'POST',
          ...(body === undefined
            ? {}
            : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
        }),
      ),
    async upload(path, form, onProgress) {
      // Encode the multipart body once (undici computes the boundary), then stream it in slices.
      const encoded = new Response(form);
      const bytes = new Uint8Array(await encoded.arrayBuffer());
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= bytes.length) {
            controller.close();
            return;
          }
          const slice = bytes.subarray(sent, sent + UPLOAD_SLICE_BYTES);
          sent += slice.length;
          controller.enqueue(slice);
          onProgress(sent, bytes.length);
        },
      });
      const headers = { 'content-type': encoded.headers.get('content-type') ?? 'multipart/form-data' };
      return json(await send(path, { method: 'POST', headers, body, duplex: 'half' }));
    },
    async *events(signal) {
      const res = await send('/v1/events', { signal, headers: { accept: 'text/event-stream' } });
      if (res.body === null) return;
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for await (const chunk of res.body) {
          buffer += decoder.decode(chunk as Uint8Array, { stream: true });
          let end = buffer.indexOf('\n\n');
          while (end >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            end = buffer.indexOf('\n\n');
            let event = 'message';
            const data: string[] = [];
            for (const line of block.split('\n')) {
              if (line.startsWith('event:')) event = line.slice(6).trim();
              else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
            }
            if (data.length > 0) yield { event, data: JSON.parse(data.join('\n')) as unknown };
          }
        }
      } catch (error) {
        if (!signal.aborted) throw error;
      }
    },
  };
}
