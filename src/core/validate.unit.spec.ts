import 'reflect-metadata';
import { MessageBodyDto, PublishBatchDto } from '../messages/publish-message.dto.js';
import { StatusListQueryDto } from '../status/status-list-query.dto.js';
import { WebhookConfigDto } from '../webhooks/webhook-config.dto.js';
import { ApiError } from './api-error.js';
import { validateBody } from './validate.js';

const config = { url: 'https://hooks.example/x', secret: 'whsec_12345678' };

describe('validateBody: an object with a "constructor" key outside data is a 400, not a crash', () => {
  // class-transformer guessed such an object's class from its own `constructor` and threw (a 500).
  test.each([
    ['an unknown field', StatusListQueryDto, { m: { constructor: true } }, 'm'],
    ['an unknown field holding an array', StatusListQueryDto, { m: [{ constructor: 1 }] }, 'm.0'],
    [
      'a message batch on the wrong pattern',
      StatusListQueryDto,
      { messages: [{ constructor: 'x' }] },
      'messages.0',
    ],
    ['a string field', WebhookConfigDto, { ...config, url: { constructor: {} } }, 'url'],
    ['an array of strings', WebhookConfigDto, { ...config, events: [{ constructor: 'A' }] }, 'events.0'],
    [
      'a field of a message',
      MessageBodyDto,
      { event: 'E', data: {}, idempotencyKey: { constructor: 1 } },
      'idempotencyKey',
    ],
  ])('%s', async (_name, type, body, field) => {
    const refused = await validateBody(type as new () => object, JSON.parse(JSON.stringify(body))).catch(
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', details: [{ field }] });
  });

  test('inside data it is the payload, kept exactly', async () => {
    const body = JSON.parse(
      '{"messages":[{"customerId":"acme","event":"E","data":{"constructor":true,"a":[{"constructor":"c"}]}}]}',
    );
    const { messages } = await validateBody(PublishBatchDto, body);
    expect(JSON.stringify(messages[0]!.data)).toBe('{"constructor":true,"a":[{"constructor":"c"}]}');
  });
});
