import { Injectable } from '@nestjs/common';
import { ApiError } from '../core/api-error.js';
import { HookpostCore } from '../core/hookpost-core.js';
import { isCustomerId } from '../../libs/domain/index.js';
import { LinkTokens } from './link-tokens.js';
import type { StatusLinkDto, StatusLinkRequestDto } from './status-link.dto.js';

const DEFAULT_TTL_SECONDS = 3_600;

/**
 * Where links point: HOOKPOST_PUBLIC_URL, or else the address the service listens on
 * (`http://HOST:PORT`). Never the request's Host header: a caller could make it name any site.
 */
export function linkBase(config: { publicUrl: string | null; host: string; port: number }): string {
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return config.publicUrl ?? `http://${host}:${config.port}`;
}

/** Issues signed, expiring links to one customer's status page. */
@Injectable()
export class StatusLinksService {
  constructor(
    private readonly core: HookpostCore,
    private readonly links: LinkTokens,
  ) {}

  /** A link to the customer's status page, under {@link linkBase}. */
  async issue(customerId: string, request: StatusLinkRequestDto): Promise<StatusLinkDto> {
    if (!isCustomerId(customerId)) {
      throw ApiError.badRequest('customerId must be 1-64 characters of A-Z, a-z, 0-9, _ and -');
    }
    if ((await this.core.host.status(customerId)) === null) {
      throw ApiError.notFound(`unknown customer ${customerId}`);
    }
    const actions = request.actions ?? false;
    const expiresAt = Math.floor(Date.now() / 1000) + (request.ttlSeconds ?? DEFAULT_TTL_SECONDS);
    const token = this.links.sign({ customerId, actions, expiresAt });
    const base = linkBase(this.core.config);
    return {
      url: `${base}/ui/customers/${customerId}?token=${token}`,
      token,
      customerId,
      actions,
      expiresAt: expiresAt * 1000,
    };
  }
}
