import { randomBytes } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { recordImports, type ImportRecorder } from '../support/import-recorder.js';
import { startOtlpCollector, type ExportedSpan, type OtlpCollector } from '../support/otlp-collector.js';
import type { RecordedRequest } from '../support/receiver.js';
import { idsOf, SECRET, startHarness, type Harness } from './harness.js';

/** Something only a message's body holds: it must never reach the exported spans. */
const BODY_MARKER = 'body-marker-7f3a9c';

interface Parent {
  traceId: string;
  spanId: string;
  traceparent: string;
}

function newParent(): Parent {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

/** The receiver's traceparent split into its fields. */
function sentTrace(request: RecordedRequest): { traceId: string; spanId: string; flags: string } {
  const header = request.headers.traceparent;
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(String(header));
  if (match === null) {
    throw new Error(`the request's traceparent is ${String(header)}`);
  }
  return { traceId: match[1]!, spanId: match[2]!, flags: match[3]! };
}

async function requestsFor(h: Harness, customerId: string, n: number): Promise<RecordedRequest[]> {
  const mine = (all: RecordedRequest[]) => all.filter((request) => request.path === `/${customerId}`);
  await h.receiver.waitFor((all) => mine(all).length >= n, 15_000);
  return mine(h.receiver.requests);
}

function natsTraceHeaders(traceparent: string, tracestate?: string, name = 'traceparent') {
  const headers = natsHeaders();
  headers.set(name, traceparent);
  if (tracestate !== undefined) {
    headers.set('tracestate', tracestate);
  }
  return headers;
}

async function publishOverNats(
  h: Harness,
  customerId: string,
  traceparent: string,
  tracestate?: string,
): Promise<number> {
  const body = { customerId, event: 'CHECK_COMPLETED', data: { marker: BODY_MARKER } };
  const reply = await h.client.request(`${h.service.namespace}.publish`, JSON.stringify(body), {
    timeout: 5_000,
    headers: natsTraceHeaders(traceparent, tracestate),
  });
  return reply.json<{ webhookId: number }>().webhookId;
}

async function publishFast(
  h: Harness,
  customerId: string,
  traceparent: string,
  name?: string,
): Promise<number> {
  const body = JSON.stringify({ event: 'CHECK_COMPLETED', data: { marker: BODY_MARKER } });
  const ack = await jetstream(h.client).publish(`${h.service.namespace}.queue.${customerId}`, body, {
    headers: natsTraceHeaders(traceparent, undefined, name),
  });
  return ack.seq;
}

async function publishOverHttp(
  h: Harness,
  customerId: string,
  traceparent: string,
  tracestate?: string,
): Promise<number> {
  const response = await fetch(`${h.service.url}/v1/customers/${customerId}/messages`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${h.service.adminToken}`,
      'content-type': 'application/json',
      traceparent,
      ...(tracestate === undefined ? {} : { tracestate }),
    },
    body: JSON.stringify({ event: 'CHECK_COMPLETED', data: { marker: BODY_MARKER } }),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { webhookId: number }).webhookId;
}

async function publishBatch(
  h: Harness,
  customerId: string,
  count: number,
  traceparent: string,
): Promise<number[]> {
  const messages = Array.from({ length: count }, (_, i) => ({
    customerId,
    event: 'CHECK_COMPLETED',
    data: { marker: BODY_MARKER, i },
  }));
  const reply = await h.client.request(`${h.service.namespace}.publish.batch`, JSON.stringify({ messages }), {
    timeout: 5_000,
    headers: natsTraceHeaders(traceparent),
  });
  return reply.json<{ webhookIds: number[] }>().webhookIds;
}

describe('with an OTLP endpoint: spans exported, the delivery request in the same trace', () => {
  let collector: OtlpCollector;
  let h: Harness;
  const imports = recordImports('@opentelemetry/');
  const span = (predicate: (span: ExportedSpan) => boolean, what: string): ExportedSpan => {
    const found = collector.spans.filter(predicate);
    if (found.length !== 1) {
      throw new Error(`expected one ${what}, found ${found.length}`);
    }
    return found[0]!;
  };
  /** Waits for the append span that records the attempt with this span id, and returns the three spans. */
  const spansOfDelivery = async (deliverySpanId: string) => {
    await collector.waitForSpans('the append of the delivery outcome', (spans) =>
      spans.some((s) => s.name === 'hookpost event append' && s.parentSpanId === deliverySpanId),
    );
    const deliver = span((s) => s.spanId === deliverySpanId, 'delivery span');
    const append = span(
      (s) => s.name === 'hookpost event append' && s.parentSpanId === deliverySpanId,
      'append',
    );
    return { deliver, append };
  };

  beforeAll(async () => {
    collector = await startOtlpCollector();
    h = await startHarness({
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_BSP_SCHEDULE_DELAY: '50',
      HOOKPOST_BACKOFF_BASE_MS: '200',
      ...imports.env,
    });
    const flakyAnswers = new Map<string, number>();
    h.receiver.respondWith((request) => {
      if (request.path !== '/flaky') {
        return { status: 200, body: '{}' };
      }
      const seen = (flakyAnswers.get(request.path) ?? 0) + 1;
      flakyAnswers.set(request.path, seen);
      // The receiver echoes the secret and the body: neither may reach a span.
      return seen === 1
        ? { status: 500, body: `bad ${SECRET} ${request.body}` }
        : { status: 200, body: '{}' };
    });
  });

  afterAll(async () => {
    await h?.close();
    await collector?.close();
  });

  test('a NATS request to <ns>.publish: publish span child of its traceparent, the request carries the delivery span', async () => {
    await h.configure('nats-one');
    const parent = newParent();
    const webhookId = await publishOverNats(h, 'nats-one', parent.traceparent, 'vendor=abc');
    const [request] = await requestsFor(h, 'nats-one', 1);
    const sent = sentTrace(request!);
    expect(sent.traceId).toBe(parent.traceId);
    expect(sent.spanId).not.toBe(parent.spanId);
    expect(sent.flags).toBe('01');
    expect(request!.headers.tracestate).toBe('vendor=abc');

    const { deliver, append } = await spansOfDelivery(sent.spanId);
    const publish = span(
      (s) => s.name === 'hookpost publish' && s.traceId === parent.traceId,
      'publish span',
    );
    expect(publish.parentSpanId).toBe(parent.spanId);
    expect(publish.attributes).toMatchObject({
      'hookpost.via': 'nats',
      'hookpost.customer_id': 'nats-one',
      'hookpost.message_count': 1,
      'hookpost.webhook_ids': [webhookId],
    });
    expect(deliver).toMatchObject({
      name: 'hookpost deliver',
      traceId: parent.traceId,
      parentSpanId: publish.spanId,
    });
    expect(deliver.attributes).toMatchObject({
      'hookpost.customer_id': 'nats-one',
      'hookpost.webhook_id': webhookId,
      'hookpost.last_webhook_id': webhookId,
      'hookpost.message_count': 1,
      'hookpost.attempt': 1,
      'hookpost.outcome': 'succeeded',
      'http.request.method': 'POST',
      'http.response.status_code': 200,
    });
    expect(typeof deliver.attributes['hookpost.duration_ms']).toBe('number');
    expect(append.traceId).toBe(parent.traceId);
    expect(append.attributes).toMatchObject({
      'hookpost.customer_id': 'nats-one',
      'hookpost.event_types': ['DeliverySucceeded'],
      'hookpost.event_count': 1,
    });
    expect(append.attributes['hookpost.stream_version']).toBeGreaterThan(1);
    expect(deliver.resource['service.name']).toBe('hookpost');
  });

  test('a JetStream fast-path publish: the delivery span is the child of the header it was stored with', async () => {
    await h.configure('fast-one');
    const parent = newParent();
    // Spelled as a Go client canonicalises it: header names match in any case.
    const webhookId = await publishFast(h, 'fast-one', parent.traceparent, 'Traceparent');
    const [request] = await requestsFor(h, 'fast-one', 1);
    const sent = sentTrace(request!);
    expect(sent.traceId).toBe(parent.traceId);
    const { deliver } = await spansOfDelivery(sent.spanId);
    expect(deliver.parentSpanId).toBe(parent.spanId);
    expect(deliver.attributes['hookpost.webhook_id']).toBe(webhookId);
    expect(
      collector.spans.filter((s) => s.name === 'hookpost publish' && s.traceId === parent.traceId),
    ).toEqual([]);
  });

  test('POST …/messages with a traceparent header: publish span via http, tracestate kept', async () => {
    await h.configure('rest-one');
    const parent = newParent();
    const webhookId = await publishOverHttp(h, 'rest-one', parent.traceparent, 'rojo=00f067aa0ba902b7');
    const [request] = await requestsFor(h, 'rest-one', 1);
    const sent = sentTrace(request!);
    expect(sent.traceId).toBe(parent.traceId);
    expect(request!.headers.tracestate).toBe('rojo=00f067aa0ba902b7');
    const { deliver } = await spansOfDelivery(sent.spanId);
    const publish = span(
      (s) => s.name === 'hookpost publish' && s.traceId === parent.traceId,
      'publish span',
    );
    expect(publish.parentSpanId).toBe(parent.spanId);
    expect(publish.attributes).toMatchObject({ 'hookpost.via': 'http', 'hookpost.webhook_ids': [webhookId] });
    expect(deliver.parentSpanId).toBe(publish.spanId);
  });

  test('<ns>.publish.batch into a batching endpoint: the request has the first trace, the others are links', async () => {
    const parent = newParent();
    const ids = await publishBatch(h, 'batch', 3, parent.traceparent);
    const other = newParent();
    const otherId = await publishFast(h, 'batch', other.traceparent);
    // Held until the endpoint exists, so all four go in one request.
    await h.configure('batch', { batching: true });
    const [request] = await requestsFor(h, 'batch', 1);
    expect(idsOf(request!)).toEqual([...ids, otherId]);
    const sent = sentTrace(request!);
    expect(sent.traceId).toBe(parent.traceId);
    const { deliver } = await spansOfDelivery(sent.spanId);
    const publish = span(
      (s) => s.name === 'hookpost publish' && s.traceId === parent.traceId,
      'publish span',
    );
    expect(publish.parentSpanId).toBe(parent.spanId);
    expect(publish.attributes).toMatchObject({ 'hookpost.message_count': 3, 'hookpost.webhook_ids': ids });
    expect(deliver.parentSpanId).toBe(publish.spanId);
    expect(deliver.links).toEqual([{ traceId: other.traceId, spanId: other.spanId }]);
    expect(deliver.attributes).toMatchObject({
      'hookpost.webhook_id': ids[0],
      'hookpost.last_webhook_id': otherId,
      'hookpost.message_count': 4,
      'hookpost.batching': true,
    });
  });

  test('each attempt is a span of its own in the message trace; a failure keeps only its status code', async () => {
    await h.configure('flaky');
    const parent = newParent();
    await publishOverNats(h, 'flaky', parent.traceparent);
    const [first, second] = await requestsFor(h, 'flaky', 2);
    const [one, two] = [sentTrace(first!), sentTrace(second!)];
    expect([one.traceId, two.traceId]).toEqual([parent.traceId, parent.traceId]);
    expect(one.spanId).not.toBe(two.spanId);
    const failedAttempt = await spansOfDelivery(one.spanId);
    const retried = await spansOfDelivery(two.spanId);
    expect(failedAttempt.deliver.attributes).toMatchObject({
      'hookpost.attempt': 1,
      'hookpost.outcome': 'failed',
      'http.response.status_code': 500,
      'error.type': '500',
    });
    expect(failedAttempt.deliver.status.code).toBe(2); // ERROR
    expect(failedAttempt.append.attributes['hookpost.event_types']).toEqual(['DeliveryFailed']);
    expect(retried.deliver.attributes).toMatchObject({
      'hookpost.attempt': 2,
      'http.response.status_code': 200,
    });
    expect(retried.deliver.parentSpanId).toBe(failedAttempt.deliver.parentSpanId);
  });

  test('a malformed traceparent is ignored: the message is delivered in a trace of its own', async () => {
    await h.configure('malformed');
    const bad = `00-${'0'.repeat(32)}-${randomBytes(8).toString('hex')}-01`;
    await publishOverNats(h, 'malformed', bad);
    const [request] = await requestsFor(h, 'malformed', 1);
    expect(sentTrace(request!).traceId).not.toBe('0'.repeat(32));
  });

  test('the SDK is loaded (what the test without an endpoint checks is absent)', () => {
    expect(imports.imported()).toEqual(
      expect.arrayContaining([expect.stringContaining('/@opentelemetry/sdk-trace-base/')]),
    );
  });

  test('no secret, no body and no receiver answer in anything exported', () => {
    expect(collector.rawBodies.length).toBeGreaterThan(0);
    const exported = collector.rawBodies.join('\n');
    for (const forbidden of [
      SECRET,
      Buffer.from(SECRET).toString('base64'),
      Buffer.from(SECRET).toString('hex'),
      encodeURIComponent(SECRET),
      BODY_MARKER,
    ]) {
      expect(exported).not.toContain(forbidden);
    }
  });
});

describe('without an OTLP endpoint: the trace context is carried unchanged', () => {
  let h: Harness;
  let imports: ImportRecorder;

  beforeAll(async () => {
    imports = recordImports('@opentelemetry/');
    h = await startHarness(imports.env);
  });

  afterAll(async () => {
    await h?.close();
  });

  test('every publishing path: the receiver gets the traceparent and tracestate as published', async () => {
    const cases: Array<[string, (customerId: string, parent: Parent) => Promise<number>]> = [
      ['nats', (customerId, parent) => publishOverNats(h, customerId, parent.traceparent, 'vendor=xyz')],
      ['http', (customerId, parent) => publishOverHttp(h, customerId, parent.traceparent, 'vendor=xyz')],
      ['fast', (customerId, parent) => publishFast(h, customerId, parent.traceparent)],
      ['batch', async (customerId, parent) => (await publishBatch(h, customerId, 1, parent.traceparent))[0]!],
    ];
    for (const [path, publish] of cases) {
      const customerId = `plain-${path}`;
      await h.configure(customerId);
      const parent = newParent();
      await publish(customerId, parent);
      const [request] = await requestsFor(h, customerId, 1);
      expect([path, request!.headers.traceparent]).toEqual([path, parent.traceparent]);
      expect([path, request!.headers.tracestate]).toEqual([
        path,
        path === 'nats' || path === 'http' ? 'vendor=xyz' : undefined,
      ]);
    }
  });

  test("a batch request carries its first message's trace context", async () => {
    const [first, second] = [newParent(), newParent()];
    await publishFast(h, 'plain-batched', first.traceparent);
    await publishFast(h, 'plain-batched', second.traceparent);
    await h.configure('plain-batched', { batching: true });
    const [request] = await requestsFor(h, 'plain-batched', 1);
    expect(idsOf(request!)).toHaveLength(2);
    expect(request!.headers.traceparent).toBe(first.traceparent);
  });

  test('a malformed traceparent is ignored and never holds a message back', async () => {
    await h.configure('plain-malformed');
    for (const bad of [
      'not-a-traceparent',
      `ff-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`,
    ]) {
      await publishOverHttp(h, 'plain-malformed', bad);
    }
    const requests = await requestsFor(h, 'plain-malformed', 2);
    expect(requests.map((request) => request.headers.traceparent)).toEqual([undefined, undefined]);
  });

  test('no OpenTelemetry module is imported, after deliveries on every path', () => {
    // Runs last in this block: the tests above published on every path and were delivered.
    expect(h.receiver.requests.length).toBeGreaterThan(0);
    expect(imports.imported()).toEqual([]);
  });
});

describe('with an OTLP endpoint that does not answer: delivery goes on, the log says why no span arrives', () => {
  let h: Harness;

  beforeAll(async () => {
    // A port nothing listens on: the collector is down.
    const down = await startOtlpCollector();
    const url = down.url;
    await down.close();
    h = await startHarness({ OTEL_EXPORTER_OTLP_ENDPOINT: url, OTEL_BSP_SCHEDULE_DELAY: '50' });
  });

  afterAll(async () => {
    await h?.close();
  });

  test('the message is delivered and the failed export is an opentelemetry line in the log', async () => {
    await h.configure('collector-down');
    await publishOverNats(h, 'collector-down', newParent().traceparent);
    await requestsFor(h, 'collector-down', 1);
    const sdkLines = () =>
      h.service
        .logs()
        .split('\n')
        .filter((line) => line.includes('"component":"opentelemetry"'));
    const deadline = Date.now() + 15_000;
    while (sdkLines().length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const lines = sdkLines();
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain(SECRET);
  });
});
