import type { NextFunction, Request, Response } from 'express';
import { ApiError } from '../core/api-error.js';

/** A request with a body must send it as JSON: anything else gets a 415 before it is read. */
export function jsonOnly(request: Request, response: Response, next: NextFunction): void {
  const hasBody =
    Number(request.headers['content-length'] ?? 0) > 0 || request.headers['transfer-encoding'] !== undefined;
  if (hasBody && !request.is('application/json')) {
    const error = new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
    response.status(error.status).json(error.toBody());
    return;
  }
  next();
}
