import { randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { Injectable } from '@nestjs/common';
import { isForbiddenAddress } from '../../libs/delivery/index.js';
import {
  DEFAULT_ROTATION_OVERLAP_SECONDS,
  isCustomerId,
  secretLast4,
  type CustomerStatus,
  type WebhookSettings,
} from '../../libs/domain/index.js';
import { NoEndpointError } from '../../libs/runtime/index.js';
import { ApiError } from '../core/api-error.js';
import { HookpostCore } from '../core/hookpost-core.js';
import type { RotateSecretDto, WebhookConfigDto } from './webhook-config.dto.js';

/**
 * The endpoint as the API shows it: never a secret, only last four characters. During a rotation's
 * overlap it also names the previous secret, which still signs until previousSecretExpiresAt.
 */
export type WebhookView = { customerId: string } & WebhookSettings & {
    previousSecretLast4?: string;
    previousSecretExpiresAt?: number;
  };

/** The reply of a rotation: never a secret that was sent, the generated one only when generated. */
export interface RotationView {
  secretLast4: string;
  previousSecretLast4: string;
  /** Epoch ms: until then the previous secret signs too. */
  previousSecretExpiresAt: number;
  secret?: string;
}

/** Endpoint configuration and the operator commands (status, Retry, Refresh). */
@Injectable()
export class WebhookService {
  constructor(private readonly core: HookpostCore) {}

  /** Creates or replaces a customer's endpoint: one WebhookConfigured event plus the sealed secret. */
  async configure(customerId: string, dto: WebhookConfigDto): Promise<WebhookView> {
    assertCustomerId(customerId);
    await this.assertTargetAllowed(dto.url);
    const region = dto.region ?? null;
    if (region !== null && !this.core.regions.has(region)) {
      const known = [...this.core.regions.keys()].join(', ') || 'none';
      throw ApiError.badRequest(`unknown region "${region}"; configured: ${known}`);
    }
    const settings: WebhookSettings = {
      url: dto.url,
      enabled: dto.enabled ?? true,
      batching: dto.batching ?? false,
      events: dto.events ?? null,
      authorizationHeader: dto.authorizationHeader ?? true,
      acceptAny2xx: dto.acceptAny2xx ?? false,
      region,
      secretLast4: secretLast4(dto.secret),
    };
    await this.core.commands.run(customerId, {
      kind: 'configure',
      at: Date.now(),
      settings,
      secret: dto.secret,
    });
    return { customerId, ...settings };
  }

  /**
   * Rotates the endpoint's secret: the given one, or a generated one (returned once). The current
   * secret keeps signing, after the new one, for `overlapSeconds` (default 24 h).
   */
  async rotateSecret(customerId: string, dto: RotateSecretDto): Promise<RotationView> {
    assertCustomerId(customerId);
    const secret = dto.secret ?? generateSecret();
    const overlapMs = (dto.overlapSeconds ?? DEFAULT_ROTATION_OVERLAP_SECONDS) * 1000;
    try {
      const rotated = await this.core.commands.run(customerId, { kind: 'rotate', secret, overlapMs });
      return dto.secret === undefined ? { ...rotated, secret } : rotated;
    } catch (error) {
      if (error instanceof NoEndpointError) {
        throw ApiError.notFound(error.message);
      }
      throw error;
    }
  }

  /** The customer's endpoint; 404 when none was configured. */
  async get(customerId: string): Promise<WebhookView> {
    assertCustomerId(customerId);
    const snapshot = await this.core.store.load(customerId);
    if (!snapshot?.state.settings) {
      throw ApiError.notFound(`customer ${customerId} has no webhook configured`);
    }
    const previous = snapshot.state.previousSecret;
    const overlapping = previous !== null && previous.expiresAt > Date.now();
    return {
      customerId,
      ...snapshot.state.settings,
      ...(overlapping
        ? { previousSecretLast4: previous.last4, previousSecretExpiresAt: previous.expiresAt }
        : {}),
    };
  }

  /** The status view; 404 for a customer Hookpost has never seen. */
  async status(customerId: string): Promise<CustomerStatus> {
    assertCustomerId(customerId);
    const status = await this.core.host.status(customerId);
    if (status === null) {
      throw ApiError.notFound(`unknown customer ${customerId}`);
    }
    return status;
  }

  /**
   * Retry: the failing head is attempted now, ignoring the backoff. A Retry that would change
   * nothing (the head has not failed, or an earlier Retry's attempt has not ended yet) records
   * nothing; the others take one from the customer's allowance, else a 429 (RetryGate, at the
   * customer's owner).
   */
  async retry(customerId: string): Promise<CustomerStatus> {
    await this.status(customerId);
    await this.core.commands.run(customerId, { kind: 'retry', at: Date.now() });
    return this.status(customerId);
  }

  /** Refresh: clears the recent failures; the queue and the backoff are untouched. */
  async refresh(customerId: string): Promise<CustomerStatus> {
    await this.status(customerId);
    await this.core.commands.run(customerId, { kind: 'refresh', at: Date.now() });
    return this.status(customerId);
  }

  /**
   * Purge: discards the pending messages (up to `throughWebhookId` when given), recorded as
   * QueuePurged events with the ids. The only way a queued message is ever dropped.
   */
  async purge(customerId: string, throughWebhookId?: number) {
    await this.status(customerId);
    const ids = await this.core.commands.run(customerId, {
      kind: 'purge',
      ...(throughWebhookId === undefined ? {} : { throughId: throughWebhookId }),
    });
    return {
      purged: ids.length,
      firstId: ids[0] ?? null,
      lastId: ids.at(-1) ?? null,
      status: await this.status(customerId),
    };
  }

  /** Refuses endpoints on private networks unless allowed; the sender checks again at connect time. */
  private async assertTargetAllowed(url: string): Promise<void> {
    if (this.core.config.allowPrivateTargets) {
      return;
    }
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    const addresses = await lookup(host, { all: true }).catch(() => []);
    const forbidden = addresses.find(({ address }) => isForbiddenAddress(address));
    if (forbidden !== undefined) {
      throw new ApiError(
        400,
        'PRIVATE_TARGET',
        `${host} resolves to ${forbidden.address}, a private address; set HOOKPOST_ALLOW_PRIVATE_TARGETS=true to allow it`,
      );
    }
  }
}

function assertCustomerId(customerId: string): void {
  if (!isCustomerId(customerId)) {
    throw ApiError.badRequest('customerId must be 1-64 characters of A-Z, a-z, 0-9, _ and -');
  }
}

/** A Standard Webhooks style secret: `whsec_` and 32 random bytes, base64url (visible ASCII). */
function generateSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}
