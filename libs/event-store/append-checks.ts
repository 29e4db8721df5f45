import { isCustomerId, type CustomerQueueEvent } from '../domain/index.js';
import { SecretInRecordsError } from './secret-in-records.error.js';
import type { Projection } from './store-types.js';

/** Refuses an append that could never be written, before it joins (and could fail) a group. */
export function checkAppend(
  customerId: string,
  expectedVersion: number,
  events: readonly CustomerQueueEvent[],
  projection: Projection,
): void {
  if (!isCustomerId(customerId)) {
    throw new TypeError(`not a customerId: ${JSON.stringify(customerId)}`);
  }
  if (!Number.isInteger(expectedVersion) || expectedVersion < 0) {
    throw new RangeError(`expectedVersion must be an integer >= 0, got ${expectedVersion}`);
  }
  if (events.length === 0) {
    throw new RangeError(`append for ${customerId} has no events`);
  }
  const timeless = events.find((event) => !Number.isSafeInteger(event.at));
  if (timeless !== undefined) {
    throw new RangeError(`event ${timeless.type} of ${customerId} has no valid time: ${timeless.at}`);
  }
  if (!Number.isInteger(projection.pending) || projection.pending < 0) {
    throw new RangeError(`pending must be an integer >= 0, got ${projection.pending}`);
  }
}

/**
 * Refuses a secret that shows up in the events or the projection state: the secret is stored only
 * sealed. Secrets under 8 characters are not checked, as they could match by chance.
 */
export function refuseLeakedSecret(
  secret: string,
  events: readonly CustomerQueueEvent[],
  projection: Projection,
): void {
  const escaped = JSON.stringify(secret).slice(1, -1);
  if (escaped.length >= 8 && JSON.stringify([events, projection.state]).includes(escaped)) {
    throw new SecretInRecordsError();
  }
}
