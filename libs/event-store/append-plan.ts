import { eventSchemaVersions, type CustomerQueueEvent, type Fence } from '../domain/index.js';
import type { SealedSecrets } from './secret-cipher.js';
import type { Projection } from './store-types.js';
import { VersionConflictError } from './version-conflict.error.js';

/** One caller's append, as queued for group commit (the secrets already sealed). */
export interface AppendRequest {
  readonly customerId: string;
  readonly expectedVersion: number;
  readonly events: readonly CustomerQueueEvent[];
  readonly projection: Projection;
  readonly secrets: SealedSecrets | undefined;
  /** The partition lease it is written under; checked in the same transaction (active-active). */
  readonly fence?: Fence | undefined;
}

/** A row for the `events` INSERT. */
export interface EventInsert {
  readonly customerId: string;
  readonly version: number;
  readonly type: string;
  readonly data: string;
  readonly recordedAt: number;
  readonly schemaVersion: number;
}

/** A row for the `customer_status` upsert. */
export interface StatusUpsert {
  readonly customerId: string;
  readonly version: number;
  readonly projection: Projection;
}

/** What happens to one request of the group: its versions firstVersion..version, or a conflict. */
export type PlannedOutcome =
  | { readonly accepted: true; readonly firstVersion: number; readonly version: number }
  | { readonly accepted: false; readonly error: VersionConflictError };

/** Everything one group transaction writes, and each request's outcome in request order. */
export interface GroupPlan {
  readonly outcomes: readonly PlannedOutcome[];
  readonly events: readonly EventInsert[];
  /** One per customer: the projection of its last accepted append (a multi-row upsert may not touch a row twice). */
  readonly statuses: readonly StatusUpsert[];
  /** One per customer: the last secrets given by an accepted append. */
  readonly secrets: ReadonlyMap<string, SealedSecrets>;
}

/**
 * Checks each request's expected version against the log, in order, so a customer appearing twice
 * in a group gets contiguous versions and a conflicting request is refused alone.
 */
export function planGroup(
  requests: readonly AppendRequest[],
  current: ReadonlyMap<string, number>,
): GroupPlan {
  const versions = new Map(current);
  const events: EventInsert[] = [];
  const statuses = new Map<string, StatusUpsert>();
  const secrets = new Map<string, SealedSecrets>();
  const outcomes = requests.map((request): PlannedOutcome => {
    const { customerId, expectedVersion } = request;
    const actual = versions.get(customerId) ?? 0;
    if (actual !== expectedVersion) {
      return { accepted: false, error: new VersionConflictError(customerId, expectedVersion, actual) };
    }
    request.events.forEach((event, index) => {
      events.push({
        customerId,
        version: actual + index + 1,
        type: event.type,
        data: JSON.stringify(event.data),
        recordedAt: event.at,
        schemaVersion: eventSchemaVersions[event.type],
      });
    });
    const version = actual + request.events.length;
    versions.set(customerId, version);
    statuses.set(customerId, { customerId, version, projection: request.projection });
    if (request.secrets !== undefined) {
      secrets.set(customerId, request.secrets);
    }
    return { accepted: true, firstVersion: actual + 1, version };
  });
  return { outcomes, events, statuses: [...statuses.values()], secrets };
}
