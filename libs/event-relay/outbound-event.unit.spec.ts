import { eventSchemaVersions } from '../domain/index.js';
import { eventSubject, toOutboundEvent } from './outbound-event.js';

const row = (type: string, data: string, schemaVersion = 1) => ({
  position: 41,
  customerId: 'acme',
  version: 7,
  type,
  data,
  at: 1_764_000_000_000,
  schemaVersion,
});

test('the subject names the customer and the type, so subscribers filter with wildcards', () => {
  expect(eventSubject('hookpost', 'acme', 'QueueStalled')).toBe('hookpost.events.acme.QueueStalled');
});

test('an event stored by an older Hookpost goes out in the current schema', () => {
  const v1 = {
    firstId: 3,
    lastId: 3,
    count: 1,
    attempt: 2,
    statusCode: 500,
    error: 'HTTP 500',
    durationMs: 4,
  };
  const { event, valid } = toOutboundEvent(row('DeliveryFailed', JSON.stringify(v1), 1), eventSchemaVersions);
  expect(valid).toBe(true);
  expect(event).toEqual({
    position: 41,
    customerId: 'acme',
    version: 7,
    type: 'DeliveryFailed',
    schemaVersion: 2,
    at: 1_764_000_000_000,
    data: { ...v1, event: 'UNKNOWN' },
  });
});

test('a row that does not validate still goes out, as stored, so the feed neither stops nor skips', () => {
  const broken = toOutboundEvent(row('DeliveryFailed', '{"firstId":"x"}'), eventSchemaVersions);
  expect(broken).toMatchObject({
    valid: false,
    event: { position: 41, schemaVersion: 1, data: { firstId: 'x' } },
  });
  const notJson = toOutboundEvent(row('RetryRequested', '{oops'), eventSchemaVersions);
  expect(notJson).toMatchObject({ valid: false, event: { type: 'RetryRequested', data: '{oops' } });
});
