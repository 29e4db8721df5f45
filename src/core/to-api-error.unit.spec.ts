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
  [
    'a closed NATS connection',
    Object.assign(new Error('connection closed'), { name: 'ClosedConnectionError' }),
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
    new BadRequestException('Unexpected token } in JSON at position 3'),
    400,
    'MALFORMED_JSON',
  ],
  ['an unknown route', new NotFoundException('Cannot GET /v2'), 404, 'NOT_FOUND'],
])('%s', (_, error, status, code) => {
  expect(mapped(error)).toMatchObject({ status, code });
});

test('anything else is a 500 that says nothing internal', () => {
  const error = new Error('relation "customer_status" does not exist at SELECT * FROM ...');
  expect(mapped(error)).toEqual({ status: 500, code: 'INTERNAL', message: 'internal error' });
});
