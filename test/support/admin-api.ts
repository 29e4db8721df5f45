/** The reply of an admin API call: status and parsed JSON body (null when empty). */
export interface ApiReply {
  status: number;
  body: any;
}

/** A JSON caller of Hookpost's admin API at `url` with the admin token (tests and benchmarks). */
export function adminApi(url: string, adminToken: string) {
  return async (method: string, path: string, body?: unknown): Promise<ApiReply> => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${adminToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  };
}
