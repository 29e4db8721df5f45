import { JetStreamApiError, JetStreamError } from '@nats-io/jetstream';
import {
  ClosedConnectionError,
  NoRespondersError,
  RequestError,
  TimeoutError,
} from '@nats-io/transport-node';
import { BadRequestException, NotFoundException } from '@nestjs/common';
import { VersionConflictError } from '../../libs/event-store/index.js';
import { QueueFullError } from '../../libs/queue/index.js';
import { ApiError } from './api-error.js';
import { toApiError } from './to-api-error.js';

const mapped = (error: unknown) => {
  const { status, code, message } = toApiError(error);
  return { status, code, message };
};

test.each([
  ['our own error', new ApiError(404, 'NOT_FOUND', 'no such customer'), 404, 'NOT_FOUND'],
  ['a version conflict (another writer)', new VersionConflictError('acme', 3, 4), 409, 'CONFLICT'],
  ['a full stream', new QueueFullError('HOOKPOST_QUEUE'), 503, 'QUEUE_FULL'],
  ['a closed NATS connection', new ClosedConnectionError(), 503, 'NATS_UNAVAILABLE'],
  [
    'a NATS request timing out (server down, client reconnecting)',
    new TimeoutError(),
    503,
    'NATS_UNAVAILABLE',
  ],
  [
    'a request nobody answered',
    new RequestError('no responders', { cause: new NoRespondersError('x') }),
    503,
    'NATS_UNAVAILABLE',
  ],
  [
    'a JetStream publish with no stream leader to answer (caused by the request that nobody answered)',
    new Error('jetstream is not enabled', { cause: new RequestError('no responders') }),
    503,
    'NATS_UNAVAILABLE',
  ],
  [
    'a JetStream request without a responder',
    Object.assign(new JetStreamError('no responders'), { code: 503 }),
    503,
    'NATS_UNAVAILABLE',
  ],
  [
    'JetStream temporarily unavailable (no leader)',
    new JetStreamApiError({
      code: 503,
      err_code: 10008,
      description: 'JetStream system temporarily unavailable',
    }),
    503,
    'NATS_UNAVAILABLE',
  ],
  [
    'a refused database connection',
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    503,
    'DATABASE_UNAVAILABLE',
  ],
  [
    'a PostgreSQL shutdown',
    Object.assign(new Error('terminating connection'), { driverError: { code: '57P01' } }),
    503,
    'DATABASE_UNAVAILABLE',
  ],
  [
    'a JSON parse failure',
    new BadRequestException('bad body', {
      cause: new SyntaxError('Unexpected token } in JSON at position 3'),
    }),
    400,
    'MALFORMED_JSON',
  ],
  [
    'the connection closing under a query',
    new Error('Connection terminated unexpectedly'),
    503,
    'DATABASE_UNAVAILABLE',
  ],
  ['an unknown route', new NotFoundException('Cannot GET /v2'), 404, 'NOT_FOUND'],
])('%s', (_, error, status, code) => {
  expect(mapped(error)).toMatchObject({ status, code });
});

test('anything else is a 500 that says nothing internal', () => {
  const error = new Error('relation "customer_status" does not exist at SELECT * FROM ...');
  expect(mapped(error)).toEqual({ status: 500, code: 'INTERNAL', message: 'internal error' });
});

test.each([
  [
    'an error that only calls itself a version conflict',
    Object.assign(new Error('x'), { name: 'VersionConflictError' }),
  ],
  [
    'an error that only calls itself a NATS timeout',
    Object.assign(new Error('timeout'), { name: 'TimeoutError' }),
  ],
  ['a message that only mentions a closed NATS connection', new Error('nats: connection closed')],
  [
    'a JetStream API refusal that is not an outage',
    new JetStreamApiError({ code: 400, err_code: 10058, description: 'stream name already in use' }),
  ],
])('recognised by class and code, not by name or text: %s is a 500', (_, error) => {
  expect(mapped(error)).toMatchObject({ status: 500, code: 'INTERNAL' });
});
