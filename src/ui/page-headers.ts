import type { Response } from 'express';

/**
 * Headers of every status page. The link token is in the page's URL, so: no referrer (it would
 * leak to any site the page links to), no caching. The CSP allows only this origin's script and
 * style (the pages have none inline) and lets `frameAncestors` embed the pages.
 */
export function sendPage(response: Response, status: number, body: string, frameAncestors: string): void {
  response
    .status(status)
    .set({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'content-security-policy': [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "img-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        `frame-ancestors ${frameAncestors}`,
      ].join('; '),
    })
    .send(body);
}

/** The service root relative to a page's path, e.g. "./" for /ui and "../../" for /ui/customers/acme. */
export function rootFrom(path: string): string {
  const depth = path.split('/').length - 2;
  return depth <= 0 ? './' : '../'.repeat(depth);
}
