import type { MessageTrace } from './trace-context.js';

/**
 * One message read from a customer's queue. `id` is the stream sequence (the webhookId). Unparseable
 * bodies are not dropped: they come back as kind 'unreadable' so the caller records them as skipped.
 */
export type QueuedMessage =
  | {
      readonly kind: 'message';
      readonly id: number;
      readonly customerId: string;
      /** ms since the epoch: the stream's timestamp, when the message was accepted. */
      readonly acceptedAt: number;
      readonly event: string;
      readonly data: Record<string, unknown>;
      /** Size of the stored body, when known (window memory budget). */
      readonly bytes?: number;
      /** The W3C trace context published with it (its headers), when a valid one was. */
      readonly trace?: MessageTrace;
    }
  | {
      readonly kind: 'unreadable';
      readonly id: number;
      readonly customerId: string;
      readonly acceptedAt: number;
      readonly reason: string;
      readonly bytes?: number;
    };
