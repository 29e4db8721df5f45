import { plainPublishMessage } from './publish-check.js';

const good = { customerId: 'acme', event: 'CHECK_COMPLETED', data: { a: 1 } };

test('a plainly valid message passes as it is', () => {
  expect(plainPublishMessage(good)).toEqual(good);
  expect(plainPublishMessage({ ...good, idempotencyKey: 'k'.repeat(200) })).toEqual({
    ...good,
    idempotencyKey: 'k'.repeat(200),
  });
});

test.each([
  ['not an object', 'x'],
  ['an array', [good]],
  ['null', null],
  ['an unknown field', { ...good, priority: 'high' }],
  ['a customerId with a dot', { ...good, customerId: 'a.b' }],
  ['a lower-case event', { ...good, event: 'done' }],
  ['data an array', { ...good, data: [] }],
  ['data null', { ...good, data: null }],
  ['an empty idempotencyKey', { ...good, idempotencyKey: '' }],
  ['an idempotencyKey of 201', { ...good, idempotencyKey: 'k'.repeat(201) }],
  ['an idempotencyKey of null (the DTO decides)', { ...good, idempotencyKey: null }],
])('%s goes to the DTO validation (null)', (_name, body) => {
  expect(plainPublishMessage(body)).toBeNull();
});
