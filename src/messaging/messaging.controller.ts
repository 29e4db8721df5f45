import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, NatsContext, Payload } from '@nestjs/microservices';
import { IsString, Matches } from 'class-validator';
import { RotateSecretDto } from '../webhooks/webhook-config.dto.js';
import { CUSTOMER_ID_PATTERN } from '../../libs/domain/index.js';
import type { MsgHdrs } from '@nats-io/transport-node';
import { traceOfHeaders } from '../../libs/queue/index.js';
import { clusterReply } from '../cluster/cluster.controller.js';
import { HookpostCore } from '../core/hookpost-core.js';
import { validateBody } from '../core/validate.js';
import { PublishBatchDto } from '../messages/publish-message.dto.js';
import { PublishService } from '../messages/publish.service.js';
import { StatusListQueryDto } from '../status/status-list-query.dto.js';
import { StatusService } from '../status/status.service.js';
import { WebhookService } from '../webhooks/webhook.service.js';
import { requestBody as parsed, rpc } from './rpc.js';

class CustomerRequestDto {
  @IsString()
  @Matches(CUSTOMER_ID_PATTERN)
  customerId!: string;
}

class RotateSecretRequestDto extends RotateSecretDto {
  @IsString()
  @Matches(CUSTOMER_ID_PATTERN)
  customerId!: string;
}

/**
 * NATS request/reply: `<ns>.publish.batch`, `<ns>.status`, `<ns>.status.list`, `<ns>.retry`,
 * `<ns>.refresh`, `<ns>.secret.rotate`, `<ns>.cluster`. `<ns>.publish`, the busiest, has a plain subscription of its own (publish-subscriber.ts).
 */
@Controller()
export class MessagingController {
  constructor(
    private readonly publisher: PublishService,
    private readonly webhooks: WebhookService,
    private readonly statuses: StatusService,
    private readonly core: HookpostCore,
  ) {}

  @MessagePattern('publish.batch')
  publishBatch(@Payload() body: unknown, @Ctx() context: NatsContext) {
    return this.handle(async () => {
      const { messages } = await validateBody(PublishBatchDto, parsed(body));
      // Every message of the batch keeps the request's trace context.
      const trace = traceOfHeaders(context.getHeaders() as MsgHdrs | undefined);
      const results = await this.publisher.publishMany(messages, 'nats', trace);
      return { webhookIds: results.map((result) => result.webhookId) };
    });
  }

  @MessagePattern('status')
  status(@Payload() body: unknown) {
    return this.handle(async () =>
      this.webhooks.status((await validateBody(CustomerRequestDto, parsed(body))).customerId),
    );
  }

  @MessagePattern('status.list')
  statusList(@Payload() body: unknown) {
    return this.handle(async () => this.statuses.list(await validateBody(StatusListQueryDto, parsed(body))));
  }

  @MessagePattern('retry')
  retry(@Payload() body: unknown) {
    return this.handle(async () =>
      this.webhooks.retry((await validateBody(CustomerRequestDto, parsed(body))).customerId),
    );
  }

  @MessagePattern('refresh')
  refresh(@Payload() body: unknown) {
    return this.handle(async () =>
      this.webhooks.refresh((await validateBody(CustomerRequestDto, parsed(body))).customerId),
    );
  }

  @MessagePattern('secret.rotate')
  rotateSecret(@Payload() body: unknown) {
    return this.handle(async () => {
      const { customerId, ...rotation } = await validateBody(RotateSecretRequestDto, parsed(body));
      return this.webhooks.rotateSecret(customerId, rotation);
    });
  }

  @MessagePattern('cluster')
  cluster() {
    return this.handle(() => clusterReply(this.core));
  }

  private handle<T>(work: () => Promise<T>) {
    return rpc(work, (error) => this.core.logger.error({ err: error }, 'NATS request failed'));
  }
}
