import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { MessageTrace } from '../../libs/domain/index.js';
import { traceOfHeaders } from '../../libs/queue/index.js';
import { validateBody } from '../core/validate.js';
import { plainPublishMessage } from '../messages/publish-check.js';
import { PublishMessageDto } from '../messages/publish-message.dto.js';
import type { PublishService } from '../messages/publish.service.js';
import { isNestPacket, parseRequest } from './plain-json.js';
import { requestBody, rpc } from './rpc.js';

/**
 * `<ns>.publish` on a plain nats.js subscription beside Nest's transport (same queue group), with
 * the same replies: Nest's pipeline (an RxJS stream, class-transformer and class-validator per
 * message) took most of the CPU of ingest (docs/performance.md, H3). A body that is plainly a
 * valid message is checked directly; any other goes through the DTO validation, so error replies
 * are the DTO's. A Nest ClientProxy packet gets Nest's reply packet; a message without a reply
 * subject is published and not answered, as Nest treats such an event.
 */
export function servePublish(
  nc: NatsConnection,
  subject: string,
  queue: string,
  publisher: PublishService,
  logger: Logger,
): Subscription {
  const publish = (body: unknown, trace: MessageTrace | undefined) =>
    rpc(
      async () => {
        const message = requestBody(body);
        return publisher.publish(
          plainPublishMessage(message) ?? (await validateBody(PublishMessageDto, message)),
          'nats',
          trace,
        );
      },
      (error) => logger.error({ err: error }, 'NATS request failed'),
    );
  const answer = async (msg: Msg): Promise<void> => {
    const body = parseRequest(msg);
    const trace = traceOfHeaders(msg.headers);
    if (isNestPacket(body)) {
      const response = await publish(body.data, trace);
      msg.respond(JSON.stringify({ response, isDisposed: true, id: body.id }));
      return;
    }
    const reply = await publish(body, trace);
    if (msg.reply) {
      msg.respond(JSON.stringify(reply));
    }
  };
  return nc.subscribe(subject, {
    queue,
    callback: (error, msg) => {
      if (error === null) {
        answer(msg).catch((err: unknown) => logger.error({ err }, 'NATS publish reply failed'));
      }
    },
  });
}
