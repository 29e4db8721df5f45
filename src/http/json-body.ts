import type { NextFunction, Request, Response } from 'express';
import { requestJsonError } from '../core/request-json.js';
import { ApiError } from '../core/api-error.js';

/**
 * Runs after the JSON body parser (which keeps the raw bytes, `rawBody`): a body is refused with a
 * 4xx when it is not UTF-8 (decoding put replacement characters in it; a charset other than UTF-8
 * is a 415), nests deeper than any request may (validating it would overflow the stack), or holds a
 * number a double cannot carry exactly, before any handler sees it.
 */
export function checkJsonBody(request: Request, response: Response, next: NextFunction): void {
  const raw = (request as Request & { rawBody?: Buffer }).rawBody;
  if (raw === undefined) {
    next();
    return;
  }
  const charset = /;\s*charset="?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1];
  const refused =
    charset !== undefined && !/^utf-?8$/i.test(charset)
      ? new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as UTF-8 JSON')
      : requestJsonError(raw);
  if (refused !== null) {
    response.status(refused.status).json(refused.toBody());
    return;
  }
  next();
}
