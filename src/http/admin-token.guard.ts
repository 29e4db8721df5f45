import { createHash, timingSafeEqual } from 'node:crypto';
import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { ApiError } from '../core/api-error.js';

/** `Authorization: Bearer <admin token>` on every /v1 route, compared in constant time; /health, /metrics and /docs are open. */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(token: string) {
    this.expected = digest(token);
  }

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') {
      return true;
    }
    const request = context.switchToHttp().getRequest<Request>();
    if (!request.path.startsWith('/v1/')) {
      return true;
    }
    const match = /^Bearer (.+)$/.exec(request.headers.authorization ?? '');
    // Hashing first gives equal lengths, so timingSafeEqual never leaks the token's length.
    if (match?.[1] === undefined || !timingSafeEqual(digest(match[1]), this.expected)) {
      throw new ApiError(
        401,
        'UNAUTHORIZED',
        'a valid admin token is required: Authorization: Bearer <HOOKPOST_ADMIN_TOKEN>',
      );
    }
    return true;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
