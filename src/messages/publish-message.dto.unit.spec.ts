import 'reflect-metadata';
import { validateBody } from '../core/validate.js';
import { DtoValidationPipe } from '../http/dto-validation.pipe.js';
import { MessageBodyDto, PublishBatchDto, PublishMessageDto } from './publish-message.dto.js';

/** Payloads whose keys class-transformer or Nest's ValidationPipe dropped, changed or choked on. */
const shapes: Array<[string, string]> = [
  ['Object method names', '{"constructor":"x","toString":"s","valueOf":1,"hasOwnProperty":true,"k":1}'],
  ['__proto__ and prototype', '{"__proto__":{"polluted":true},"prototype":{"p":1},"k":1}'],
  ['method names inside an array', '{"list":[{"constructor":"c"},{"toString":"t"},[{"__proto__":1}]]}'],
  ['nested objects of objects', '{"a":{"b":{"c":[{"d":{"constructor":{"e":null}}}]}}}'],
  ['an array with holes spelled as null', '{"a":[null,1,null],"b":[]}'],
  ['a constructor that is an object', '{"constructor":{"name":"Evil","prototype":{}}}'],
];

const parse = (text: string) => JSON.parse(text) as Record<string, unknown>;

describe.each(shapes)('data with %s is kept exactly', (_name, text) => {
  test('<ns>.publish (PublishMessageDto)', async () => {
    const dto = await validateBody(PublishMessageDto, { customerId: 'acme', event: 'E', data: parse(text) });
    expect(JSON.stringify(dto.data)).toBe(text);
  });

  test('<ns>.publish.batch (PublishBatchDto)', async () => {
    const message = { customerId: 'acme', event: 'E', data: parse(text) };
    const dto = await validateBody(PublishBatchDto, { messages: [message, message] });
    expect(dto.messages.map((one) => JSON.stringify(one.data))).toEqual([text, text]);
  });

  test('POST /v1/customers/{id}/messages (the REST pipe)', async () => {
    const body = { event: 'E', data: parse(text) };
    const dto = (await new DtoValidationPipe().transform(body, {
      type: 'body',
      metatype: MessageBodyDto,
    })) as MessageBodyDto;
    expect(JSON.stringify(dto.data)).toBe(text);
  });
});

test('data that is not an object is still refused', async () => {
  for (const data of ['text', [1, 2], null, 7]) {
    await expect(
      validateBody(PublishMessageDto, { customerId: 'acme', event: 'E', data }),
    ).rejects.toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
    });
  }
});

test('a batch whose messages are arrays or scalars is refused, not passed on', async () => {
  for (const messages of [[[], []], [[{ customerId: 'acme', event: 'E', data: {} }]], [1, 'x'], {}]) {
    await expect(validateBody(PublishBatchDto, { messages })).rejects.toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
    });
  }
});
