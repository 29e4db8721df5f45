import { createHash, timingSafeEqual } from 'node:crypto';
import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ApiError } from '../core/api-error.js';
import { linkAllows, type LinkAccess } from '../links/link-scope.js';
import { looksLikeLink, type LinkRefusal } from '../links/link-token.js';
import type { LinkTokens } from '../links/link-tokens.js';
import { LINK_ACCESS, OPEN_ROUTE } from './route-access.js';

const REFUSALS: Record<LinkRefusal, string> = {
  malformed: 'the status link is not valid',
  'bad-signature': 'the status link is not valid',
  expired: 'the status link has expired; ask for a new one',
};

/**
 * Every HTTP route needs `Authorization: Bearer <admin token>` (compared in constant time) unless
 * it is marked OpenRoute; routes marked LinkRoute also take a status link for their customer.
 * Decided by the matched route, not by the path: Express matches paths case-insensitively, so a
 * prefix test on the path could be walked around with `/V1/...`.
 */
@Injectable()
export class ApiAccessGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(
    adminToken: string,
    private readonly links: LinkTokens,
    private readonly reflector: Reflector,
  ) {
    this.expected = digest(adminToken);
  }

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (context.getType() !== 'http' || this.reflector.getAllAndOverride<boolean>(OPEN_ROUTE, targets)) {
      return true;
    }
    const request = context.switchToHttp().getRequest<Request>();
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    // Hashing first gives equal lengths, so timingSafeEqual never leaks the token's length.
    if (bearer !== undefined && timingSafeEqual(digest(bearer), this.expected)) {
      return true;
    }
    if (bearer === undefined || !looksLikeLink(bearer)) {
      throw new ApiError(
        401,
        'UNAUTHORIZED',
        'a valid admin token is required: Authorization: Bearer <HOOKPOST_ADMIN_TOKEN>',
      );
    }
    const verdict = this.links.verify(bearer);
    if (!verdict.ok) {
      throw new ApiError(401, 'UNAUTHORIZED', REFUSALS[verdict.refusal]);
    }
    const access = this.reflector.get<LinkAccess | undefined>(LINK_ACCESS, context.getHandler());
    const customerId = request.params.customerId;
    if (!linkAllows(verdict.claims, access, typeof customerId === 'string' ? customerId : undefined)) {
      throw new ApiError(
        403,
        'FORBIDDEN',
        `this status link opens customer ${verdict.claims.customerId}'s status${verdict.claims.actions ? ', Retry and Refresh' : ''} only`,
      );
    }
    return true;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
