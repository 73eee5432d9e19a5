/**
 * A minimal client of the control plane's HTTP API, used by the e2e tests and the demo the way an operator
 * script would use it: bearer token, JSON in and out, the status kept so tests can assert on it.
 */

export interface ApiResponse<T = unknown> {
  readonly status: number;
  readonly body: T;
}

/**
 * The default body type: tests probe JSON bodies field by field and assert on them, so an untyped body is the
 * honest type here; callers that want checking pass their own `T`.
 */
// biome-ignore lint/suspicious/noExplicitAny: see above — the assertions, not the types, check these bodies.
type Json = any;

export interface ApiClient {
  get<T = Json>(path: string): Promise<ApiResponse<T>>;
  post<T = Json>(path: string, body: unknown): Promise<ApiResponse<T>>;
  postForm<T = Json>(path: string, form: FormData): Promise<ApiResponse<T>>;
  delete<T = Json>(path: string): Promise<ApiResponse<T>>;
}

export function apiClient(baseUrl: string, token: string | null): ApiClient {
  const headers = (): Record<string, string> => (token === null ? {} : { authorization: `Bearer ${token}` });
  async function send<T>(path: string, init: RequestInit): Promise<ApiResponse<T>> {
    const response = await fetch(`${baseUrl}${path}`, init);
    const text = await response.text();
    return { status: response.status, body: (text === '' ? null : JSON.parse(text)) as T };
  }
  return {
    get: (path) => send(path, { headers: headers() }),
    post: (path, body) =>
      send(path, {
        method: 'POST',
        headers: { ...headers(), 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    postForm: (path, form) => send(path, { method: 'POST', headers: headers(), body: form }),
    delete: (path) => send(path, { method: 'DELETE', headers: headers() }),
  };
}

/** Throws with the server's error body unless the status is the expected one. */
export function expectStatus<T>(response: ApiResponse<T>, status: number, what: string): T {
  if (response.status !== status) {
    throw new Error(`${what}: expected HTTP ${status}, got ${response.status} ${JSON.stringify(response.body)}`);
  }
  return response.body;
}
