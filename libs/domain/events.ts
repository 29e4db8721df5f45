/**
 * The events of one customer's queue stream. Every delivery attempt and every operator action
 * is one of these; everything else (cursor, backoff, status) is folded from them.
 */

/** A customer's endpoint settings as recorded in the log. The secret itself never enters an event. */
export interface WebhookSettings {
  readonly url: string;
  readonly enabled: boolean;
  readonly batching: boolean;
  /** Subscribed event types; null means all. */
  readonly events: readonly string[] | null;
  readonly authorizationHeader: boolean;
  readonly acceptAny2xx: boolean;
  readonly region: string | null;
  readonly secretLast4: string;
}

/** Why messages were passed over without a request. */
export type SkipReason = 'unsubscribed' | 'unreadable';

interface Event<Type extends string, Data> {
  readonly type: Type;
  /** When the event was recorded, epoch milliseconds. */
  readonly at: number;
  readonly data: Data;
}

/** The endpoint was created or changed. */
export type WebhookConfigured = Event<'WebhookConfigured', { readonly settings: WebhookSettings }>;

/** A request carrying ids firstId..lastId (count messages) was answered with success. */
export type DeliverySucceeded = Event<
  'DeliverySucceeded',
  {
    readonly firstId: number;
    readonly lastId: number;
    readonly count: number;
    readonly statusCode: number;
    readonly durationMs: number;
  }
>;

/** A request carrying ids firstId..lastId failed; `attempt` counts consecutive failures of this head. */
export type DeliveryFailed = Event<
  'DeliveryFailed',
  {
    readonly firstId: number;
    readonly lastId: number;
    readonly count: number;
    readonly attempt: number;
    /** Event type of the first message, for the failure list. */
    readonly event: string;
    readonly statusCode: number | null;
    readonly error: string;
    readonly durationMs: number;
  }
>;

/** An operator asked for the head to be attempted now, ignoring the backoff. */
export type RetryRequested = Event<'RetryRequested', Record<string, never>>;

/** An operator cleared the recent-failures list (Refresh); queue and backoff are untouched. */
export type FailuresCleared = Event<'FailuresCleared', Record<string, never>>;

/** An operator discarded these pending messages: the only way a queued message is dropped. */
export type QueuePurged = Event<'QueuePurged', { readonly ids: readonly number[] }>;

/** Messages passed over in order without a request (unsubscribed type or unreadable body). */
export type MessagesSkipped = Event<
  'MessagesSkipped',
  { readonly ids: readonly number[]; readonly reason: SkipReason; readonly detail?: string }
>;

/**
 * The queue's head has been failing for at least `thresholdMs` (since `since`): an alert for other
 * systems (email the customer). Recorded once per episode; `QueueRecovered` ends the episode.
 */
export type QueueStalled = Event<
  'QueueStalled',
  {
    readonly since: number;
    readonly thresholdMs: number;
    /** The failing head and its last outcome. */
    readonly webhookId: number;
    readonly attempts: number;
    readonly statusCode: number | null;
    readonly error: string;
  }
>;

/** The stall that `QueueStalled` announced is over: the head went (delivered, skipped or purged). */
export type QueueRecovered = Event<'QueueRecovered', { readonly since: number; readonly stalledMs: number }>;

/**
 * The endpoint's secret was rotated: `secretLast4` is the new one; the one it replaces still signs
 * (after the new one) until `previousSecretExpiresAt`. The secrets themselves never enter an event.
 */
export type SecretRotated = Event<
  'SecretRotated',
  {
    readonly secretLast4: string;
    readonly previousSecretLast4: string;
    /** Epoch ms; equal to `at` for a rotation without overlap. */
    readonly previousSecretExpiresAt: number;
  }
>;

/** Every event of a customer queue stream. */
export type CustomerQueueEvent =
  | WebhookConfigured
  | SecretRotated
  | DeliverySucceeded
  | DeliveryFailed
  | RetryRequested
  | FailuresCleared
  | QueuePurged
  | MessagesSkipped
  | QueueStalled
  | QueueRecovered;

/** The type names, for storage and validation. */
export type CustomerQueueEventType = CustomerQueueEvent['type'];

/** Every event type name, in one list so a stored type can be checked at runtime. */
export const customerQueueEventTypes: readonly CustomerQueueEventType[] = [
  'WebhookConfigured',
  'SecretRotated',
  'DeliverySucceeded',
  'DeliveryFailed',
  'RetryRequested',
  'FailuresCleared',
  'QueuePurged',
  'MessagesSkipped',
  'QueueStalled',
  'QueueRecovered',
];
