import { Injectable } from '@nestjs/common';
import {
  jsonTextProblem,
  MAX_BODY_DEPTH,
  MAX_DATA_DEPTH,
  MAX_MESSAGE_BYTES,
  type MessageTrace,
} from '../../libs/domain/index.js';
import { encodeBody } from '../../libs/queue/index.js';
import { ApiError } from '../core/api-error.js';
import { HookpostCore } from '../core/hookpost-core.js';
import type { PublishMessageDto } from './publish-message.dto.js';

/** Which entry point a message came through, for the metrics. */
export type PublishVia = 'nats' | 'http' | 'cli';

/** Accepts messages into customers' queues; shared by REST, NATS request/reply and the CLI. */
@Injectable()
export class PublishService {
  constructor(private readonly core: HookpostCore) {}

  /** Enqueues one validated message; the webhookId is its stream sequence. */
  async publish(
    message: PublishMessageDto,
    via: PublishVia,
    trace?: MessageTrace,
  ): Promise<{ webhookId: number }> {
    const [result] = await this.publishMany([message], via, trace);
    return { webhookId: result!.webhookId };
  }

  /**
   * Enqueues validated messages in order; ids come back in the same order. `trace` is the request's
   * W3C trace context: each message keeps it (with tracing on, the publish span's, its child).
   */
  async publishMany(
    messages: readonly PublishMessageDto[],
    via: PublishVia,
    trace?: MessageTrace,
  ): Promise<Array<{ webhookId: number }>> {
    const tracing = this.core.tracing;
    if (tracing === null) {
      return this.enqueue(messages, via, trace);
    }
    const span = tracing.startPublish(
      via,
      trace,
      messages.map((message) => message.customerId),
    );
    try {
      const results = await this.enqueue(messages, via, span.trace);
      span.end({ webhookIds: results.map((result) => result.webhookId) });
      return results;
    } catch (error) {
      span.end({ error });
      throw error;
    }
  }

  private async enqueue(
    messages: readonly PublishMessageDto[],
    via: PublishVia,
    trace: MessageTrace | undefined,
  ): Promise<Array<{ webhookId: number }>> {
    // Each body is encoded once: the bytes checked for size are the bytes stored.
    const items = messages.map(({ customerId, event, data, idempotencyKey }, index) => ({
      customerId,
      body: sized(encodeBody({ event, data }), messages.length > 1 ? index : undefined),
      // A null key is no key: class-validator's IsOptional lets null through.
      ...(typeof idempotencyKey === 'string' ? { idempotencyKey } : {}),
      ...(trace === undefined ? {} : { trace }),
    }));
    const results = await this.core.queue.publishMany(items);
    this.core.metrics.published.inc({ via }, results.length);
    return results.map(({ webhookId }) => ({ webhookId }));
  }
}

/**
 * The encoded body, if it is within the contract's limits: its size, and the depth of `data` (checked
 * on these bytes, the same on every entry point, so each refuses the same messages).
 */
function sized(payload: Uint8Array, index: number | undefined): Uint8Array {
  const where = index === undefined ? 'the message' : `message ${index}`;
  const bytes = payload.length;
  if (bytes > MAX_MESSAGE_BYTES) {
    throw new ApiError(
      413,
      'MESSAGE_TOO_LARGE',
      `${where} is ${bytes} bytes; the limit is ${MAX_MESSAGE_BYTES}`,
    );
  }
  // The body was written by JSON.stringify: every number in it is exact, so a problem is its depth.
  if (jsonTextProblem(payload, MAX_BODY_DEPTH) !== null) {
    throw new ApiError(
      400,
      'UNSUPPORTED_JSON',
      `the data of ${where} is nested more than ${MAX_DATA_DEPTH} levels deep`,
    );
  }
  return payload;
}
