/** One call of the admin API from a status page, with the page's token as the Bearer credential. */

/** The reply: parsed JSON when there is any. */
export interface ApiReply {
  readonly ok: boolean;
  readonly status: number;
  readonly body: unknown;
}

/** The service root, from the page (see layout.ts): API paths are resolved against it. */
const root = new URL(document.documentElement.dataset.root ?? '/', location.href);

/** Calls `path` (e.g. "v1/status"); a network failure comes back as status 0. */
export async function callApi(method: 'GET' | 'POST', path: string, token: string): Promise<ApiReply> {
  try {
    const response = await fetch(new URL(path, root), {
      method,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      cache: 'no-store',
    });
    const text = await response.text();
    return {
      ok: response.ok,
      status: response.status,
      body: text === '' ? null : (JSON.parse(text) as unknown),
    };
  } catch (error) {
    return { ok: false, status: 0, body: { error: { message: `cannot reach Hookpost (${String(error)})` } } };
  }
}

/** The message of the service's error shape `{ error: { code, message } }`, or the HTTP status. */
export function errorMessage(reply: ApiReply): string {
  const message = (reply.body as { error?: { message?: unknown } } | null)?.error?.message;
  return typeof message === 'string' ? message : `HTTP ${reply.status}`;
}
