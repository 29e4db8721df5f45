import { isCustomerId, isEventType, isIdempotencyKey } from '../../libs/domain/index.js';
import type { PublishMessageDto } from './publish-message.dto.js';

const FIELDS = new Set(['customerId', 'event', 'data', 'idempotencyKey']);

/**
 * The `<ns>.publish` body as a message when it plainly is one, checked directly (a few tests, no
 * class instances): every field PublishMessageDto allows and nothing else. Null for anything else,
 * including bodies class-validator would accept in ways not covered here (an idempotencyKey of
 * null): those go through validateBody, so every error reply is the one the DTO gives.
 */
export function plainPublishMessage(body: unknown): PublishMessageDto | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return null;
  }
  for (const key of Object.keys(body)) {
    if (!FIELDS.has(key)) {
      return null;
    }
  }
  const { customerId, event, data, idempotencyKey } = body as Record<string, unknown>;
  if (!isCustomerId(customerId) || !isEventType(event)) {
    return null;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return null;
  }
  if (idempotencyKey === undefined) {
    return { customerId, event, data: data as Record<string, unknown> };
  }
  // The DTO's own check; a key that fails it goes to the DTO for its error reply.
  if (!isIdempotencyKey(idempotencyKey)) {
    return null;
  }
  return { customerId, event, data: data as Record<string, unknown>, idempotencyKey };
}
