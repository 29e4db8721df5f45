import { connect, headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { startNatsServer, type NatsServerHandle } from '../support/nats-server.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { startReceiver, type Receiver, type RecordedRequest } from '../support/receiver.js';
import { startService, type ServiceProcess } from '../support/service-process.js';

/** One e2e world: a private nats-server, a fresh PostgreSQL database, a receiver and Hookpost. */
export interface Harness {
  nats: NatsServerHandle;
  db: TestDatabase;
  receiver: Receiver;
  service: ServiceProcess;
  client: NatsConnection;
  /** Publishes over the `<ns>.publish` request/reply pattern; returns the reply. */
  publish(
    customerId: string,
    event: string,
    data: Record<string, unknown>,
    idempotencyKey?: string,
  ): Promise<any>;
  /** The fast path: a JetStream publish straight to `<ns>.queue.<customerId>`; returns the webhookId. */
  publishFast(customerId: string, event: string, data: Record<string, unknown>): Promise<number>;
  /** PUT the customer's webhook pointing at the receiver (path /<customerId>). */
  configure(customerId: string, overrides?: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

export const SECRET = 'whsec_test_secret_1234';

/** Starts everything; `env` adds Hookpost settings (e.g. a short backoff). */
export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  const nats = await startNatsServer();
  const db = await createTestDatabase();
  const receiver = await startReceiver();
  const service = await startService({ NATS_URL: nats.url, DATABASE_URL: db.url, ...env });
  const client = await connect({ servers: nats.url });
  const js = jetstream(client);
  const ns = service.namespace;
  return {
    nats,
    db,
    receiver,
    service,
    client,
    async publish(customerId, event, data, idempotencyKey) {
      const body = { customerId, event, data, ...(idempotencyKey === undefined ? {} : { idempotencyKey }) };
      const reply = await client.request(`${ns}.publish`, JSON.stringify(body), { timeout: 5_000 });
      return reply.json();
    },
    async publishFast(customerId, event, data) {
      const ack = await js.publish(`${ns}.queue.${customerId}`, JSON.stringify({ event, data }), {
        headers: natsHeaders(),
      });
      return ack.seq;
    },
    async configure(customerId, overrides = {}) {
      const response = await service.api('PUT', `/v1/customers/${customerId}/webhook`, {
        url: `${receiver.url}/${customerId}`,
        secret: SECRET,
        ...overrides,
      });
      if (response.status !== 200) {
        throw new Error(`configure ${customerId}: ${response.status} ${JSON.stringify(response.body)}`);
      }
    },
    async close() {
      await client.close();
      await service.stop();
      await receiver.close();
      await db.drop();
      await nats.stop();
    },
  };
}

/** The ids a request carried: one object, or an array when batching. */
export function idsOf(request: RecordedRequest): number[] {
  const body = JSON.parse(request.body) as { id: number } | Array<{ id: number }>;
  return Array.isArray(body) ? body.map((message) => message.id) : [body.id];
}

/** The customer a request was for (the harness points each customer at /<customerId>). */
export const customerOf = (request: RecordedRequest): string => request.path.slice(1);

/**
 * True when every accepted id of every customer was carried by a request that succeeded. Cheap
 * enough to run on every request the receiver sees (checkOrder is not: run it once at the end).
 */
export function allDelivered(
  requests: readonly RecordedRequest[],
  accepted: ReadonlyMap<string, readonly number[]>,
  succeeded: (request: RecordedRequest) => boolean,
): boolean {
  const seen = new Map<string, Set<number>>();
  for (const request of requests) {
    const customerId = customerOf(request);
    if (accepted.has(customerId) && succeeded(request)) {
      const ids = seen.get(customerId) ?? new Set<number>();
      idsOf(request).forEach((id) => ids.add(id));
      seen.set(customerId, ids);
    }
  }
  return [...accepted].every(([customerId, ids]) => ids.every((id) => seen.get(customerId)?.has(id)));
}

/**
 * Checks Passfort's order rule on what the receiver saw: per customer, every request starts at the
 * oldest id not yet answered with success, and carries ids in order. Returns the duplicates seen
 * (requests that re-sent ids already answered with success), which only a crash may cause.
 */
export function checkOrder(
  requests: readonly RecordedRequest[],
  accepted: ReadonlyMap<string, readonly number[]>,
  succeeded: (request: RecordedRequest) => boolean,
): { duplicates: number; delivered: Map<string, number[]> } {
  const delivered = new Map<string, number[]>();
  let duplicates = 0;
  for (const request of [...requests].sort((a, b) => a.seq - b.seq)) {
    const customerId = customerOf(request);
    const expected = accepted.get(customerId) ?? [];
    const done = delivered.get(customerId) ?? [];
    const ids = idsOf(request);
    const start = expected.indexOf(ids[0]!);
    if (start < done.length) {
      duplicates += 1; // re-sent after a success: counted, never allowed to skip ahead
    } else if (start !== done.length) {
      throw new Error(
        `${customerId}: request #${request.seq} starts at ${ids[0]} but ${expected[done.length]} has not succeeded`,
      );
    }
    expect(ids).toEqual(expected.slice(start, start + ids.length));
    if (succeeded(request) && start + ids.length > done.length) {
      delivered.set(customerId, expected.slice(0, start + ids.length));
    }
  }
  return { duplicates, delivered };
}

/** Polls the status view until `done` holds. */
export async function waitForStatus(
  h: Harness,
  customerId: string,
  done: (status: any) => boolean,
  timeoutMs = 10_000,
) {
  const started = Date.now();
  for (;;) {
    const { body } = await h.service.api('GET', `/v1/customers/${customerId}/webhook/status`);
    if (done(body)) {
      return body;
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(`status of ${customerId} never matched: ${JSON.stringify(body)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
