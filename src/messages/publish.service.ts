import { Injectable } from '@nestjs/common';
import { MAX_MESSAGE_BYTES } from '../../libs/domain/index.js';
import { QueueFullError } from '../../libs/queue/index.js';
import { ApiError } from '../core/api-error.js';
import { HookpostCore } from '../core/hookpost-core.js';
import type { PublishMessageDto } from './publish-message.dto.js';

/** Accepts messages into customers' queues; shared by REST, NATS request/reply and the CLI. */
@Injectable()
export class PublishService {
  constructor(private readonly core: HookpostCore) {}

  /** Enqueues one validated message; the webhookId is its stream sequence. */
  async publish(message: PublishMessageDto): Promise<{ webhookId: number }> {
    const [result] = await this.publishMany([message]);
    return { webhookId: result!.webhookId };
  }

  /** Enqueues validated messages in order; ids come back in the same order. */
  async publishMany(messages: readonly PublishMessageDto[]): Promise<Array<{ webhookId: number }>> {
    messages.forEach((message, index) => assertSize(message, messages.length > 1 ? index : undefined));
    try {
      const results = await this.core.queue.publishMany(
        messages.map(({ customerId, event, data, idempotencyKey }) => ({
          customerId,
          body: { event, data },
          ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
        })),
      );
      return results.map(({ webhookId }) => ({ webhookId }));
    } catch (error) {
      if (error instanceof QueueFullError) {
        throw new ApiError(503, 'QUEUE_FULL', 'the queue is full; nothing was dropped, try again later');
      }
      throw error;
    }
  }
}

function assertSize(message: PublishMessageDto, index: number | undefined): void {
  const bytes = Buffer.byteLength(JSON.stringify({ event: message.event, data: message.data }));
  if (bytes > MAX_MESSAGE_BYTES) {
    const where = index === undefined ? 'the message' : `message ${index}`;
    throw new ApiError(
      413,
      'MESSAGE_TOO_LARGE',
      `${where} is ${bytes} bytes; the limit is ${MAX_MESSAGE_BYTES}`,
    );
  }
}
