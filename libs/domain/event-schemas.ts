/**
 * A runtime schema for every version of every event type, and the upcasting steps between versions,
 * so replay can validate a stored log and read events written by an older Hookpost.
 *
 * Versions (bump one when a type's data changes shape, and add the step that lifts the old shape):
 * - DeliveryFailed v2 added `event` (the event type of the failed head, for the failure list).
 *   v1 data has no `event`; it is upcast with `event: 'UNKNOWN'`. Rows stored before versions were
 *   recorded are labelled v1 and already carry `event`, which the step keeps.
 * - Every other type is at v1.
 */
import { customerQueueEventTypes, type CustomerQueueEvent, type CustomerQueueEventType } from './events.js';
import {
  arrayOf,
  bool,
  both,
  int,
  nonNegative,
  nullable,
  object,
  oneOf,
  optional,
  str,
  type Check,
} from './schema-checks.js';

/** The event type an upcast v1 DeliveryFailed gets: its real type was never recorded. */
export const UNKNOWN_EVENT_TYPE = 'UNKNOWN';

type Data = Record<string, unknown>;

/** One version of a type's data: its check, and (all but the newest) the step to the next version. */
interface SchemaVersion {
  readonly check: Check;
  readonly upcast?: (data: Data) => Data;
}

const settings = object({
  url: str,
  enabled: bool,
  batching: bool,
  events: nullable(arrayOf(str)),
  authorizationHeader: bool,
  acceptAny2xx: bool,
  region: nullable(str),
  secretLast4: str,
});

const range = { firstId: int(1), lastId: int(1), count: int(1), durationMs: nonNegative };

// A request carries count ids between firstId and lastId; a customer's ids need not be contiguous.
const rangeRule: Check = (value) => {
  const { firstId, lastId, count } = value as { firstId: number; lastId: number; count: number };
  if (lastId < firstId) {
    return `.lastId ${lastId} is below firstId ${firstId}`;
  }
  return count > lastId - firstId + 1 ? `.count ${count} exceeds the ids ${firstId}..${lastId}` : null;
};

const failedV1 = { ...range, attempt: int(1), statusCode: nullable(int(100)), error: str };
const ids = arrayOf(int(1), { nonEmpty: true });

/** Every version of every type, oldest first: index 0 is v1. */
const history: { readonly [Type in CustomerQueueEventType]: readonly SchemaVersion[] } = {
  WebhookConfigured: [{ check: object({ settings }) }],
  SecretRotated: [
    { check: object({ secretLast4: str, previousSecretLast4: str, previousSecretExpiresAt: nonNegative }) },
  ],
  DeliverySucceeded: [{ check: both(object({ ...range, statusCode: int(100) }), rangeRule) }],
  DeliveryFailed: [
    {
      check: both(object(failedV1), rangeRule),
      upcast: (data) => (typeof data.event === 'string' ? data : { ...data, event: UNKNOWN_EVENT_TYPE }),
    },
    { check: both(object({ ...failedV1, event: str }), rangeRule) },
  ],
  RetryRequested: [{ check: object({}) }],
  FailuresCleared: [{ check: object({}) }],
  QueuePurged: [{ check: object({ ids }) }],
  MessagesSkipped: [
    { check: object({ ids, reason: oneOf('unsubscribed', 'unreadable'), detail: optional(str) }) },
  ],
  QueueStalled: [
    {
      check: object({
        since: nonNegative,
        thresholdMs: nonNegative,
        webhookId: int(1),
        attempts: int(1),
        statusCode: nullable(int(100)),
        error: str,
      }),
    },
  ],
  QueueRecovered: [{ check: object({ since: nonNegative, stalledMs: nonNegative }) }],
};

/** The schema version each type is written with today (the newest in its history). */
export const eventSchemaVersions: Readonly<Record<CustomerQueueEventType, number>> = Object.fromEntries(
  customerQueueEventTypes.map((type) => [type, history[type].length]),
) as Record<CustomerQueueEventType, number>;

/** A stored event read back: the current-version domain event, or why it cannot be used. */
export type ParsedEvent =
  { readonly ok: true; readonly event: CustomerQueueEvent } | { readonly ok: false; readonly reason: string };

const refuse = (reason: string): ParsedEvent => ({ ok: false, reason });

/**
 * Validates a stored event against the schema of the version it was written with, then upcasts
 * it step by step to the current version (checked again, so a faulty step cannot slip through).
 */
export function parseStoredEvent(
  type: string,
  data: unknown,
  at: number,
  schemaVersion: number,
): ParsedEvent {
  if (!Object.hasOwn(history, type)) {
    return refuse(`unknown event type ${JSON.stringify(type)}`);
  }
  const versions = history[type as CustomerQueueEventType];
  if (!Number.isSafeInteger(at) || at < 0) {
    return refuse(`${type}: at must be epoch milliseconds, got ${at}`);
  }
  const schema = Number.isInteger(schemaVersion) ? versions[schemaVersion - 1] : undefined;
  if (schema === undefined) {
    return refuse(
      schemaVersion > versions.length
        ? `${type} v${schemaVersion} is newer than this Hookpost reads (up to v${versions.length})`
        : `${type} has no schema version ${schemaVersion}`,
    );
  }
  const reason = schema.check(data);
  if (reason !== null) {
    return refuse(`${type} v${schemaVersion}: data${reason}`);
  }
  let current = data as Data;
  if (schemaVersion < versions.length) {
    for (let version = schemaVersion; version < versions.length; version += 1) {
      const step = versions[version - 1]?.upcast;
      if (step === undefined) {
        return refuse(`${type} v${version} has no upcasting step to v${version + 1}`);
      }
      current = step(current);
    }
    const upcastReason = versions[versions.length - 1]?.check(current) ?? null;
    if (upcastReason !== null) {
      return refuse(`${type} v${schemaVersion} upcast to v${versions.length}: data${upcastReason}`);
    }
  }
  // The checks above establish the shape the union declares for this type.
  return { ok: true, event: { type, at, data: current } as CustomerQueueEvent };
}

/**
 * A stored event's data for readers outside replay (the audit route, the outbound feed): upcast to
 * the current schema when it validates, else as stored, so a corrupt row is shown rather than hidden
 * (replay is what reports it).
 */
export function currentEventData(
  type: string,
  data: unknown,
  at: number,
  schemaVersion: number,
): { readonly valid: boolean; readonly data: unknown } {
  const parsed = parseStoredEvent(type, data, at, schemaVersion);
  return parsed.ok ? { valid: true, data: parsed.event.data } : { valid: false, data };
}
