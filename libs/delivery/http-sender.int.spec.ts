import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Webhook } from 'standardwebhooks';
import { startReceiver } from '../../test/support/receiver.js';
import type { DeliveryRequest } from './delivery-request.js';
import { HttpSender } from './http-sender.js';
import type { OutgoingMessage } from './payload.js';

type Receiver = Awaited<ReturnType<typeof startReceiver>>;

const SECRET = 'whsec-test-s3cret';
const reference = (secret: string): Webhook => new Webhook(Buffer.from(secret).toString('base64'));
const message = (id: number, data: Record<string, unknown> = { n: id }): OutgoingMessage => ({
  id,
  event: 'CHECK_COMPLETED',
  acceptedAt: 1764000000123,
  data,
});
const header = (value: string | string[] | undefined): string =>
  Array.isArray(value) ? value.join(',') : (value ?? '');

describe('HttpSender against a real receiver', () => {
  let receiver: Receiver;
  let sender: HttpSender;
  const request = (over: Partial<DeliveryRequest> = {}): DeliveryRequest => ({
    url: `${receiver.url}/hooks/in?x=1`,
    secrets: [SECRET],
    messages: [message(42)],
    batching: false,
    authorizationHeader: true,
    acceptAny2xx: false,
    timeoutMs: 2000,
    now: Date.now(),
    ...over,
  });

  beforeEach(async () => {
    receiver = await startReceiver({ host: '127.0.0.1' });
    sender = new HttpSender({
      allowPrivateTargets: true,
      regions: new Map([['local2', ['127.0.0.2']]]),
      userAgent: 'Hookpost/0.1.0',
      maxResponseBytes: 64,
    });
  });

  afterEach(async () => {
    await sender.close();
    await receiver.close();
  });

  it('posts the exact body and headers, with a signature the reference library verifies', async () => {
    const now = Date.now();
    const result = await sender.send(request({ now }));

    expect(result).toEqual({ ok: true, statusCode: 200, error: null, durationMs: expect.any(Number) });
    const [received] = receiver.requests;
    expect(received?.method).toBe('POST');
    expect(received?.path).toBe('/hooks/in?x=1');
    expect(received?.body).toBe(
      `{"id":42,"event":"CHECK_COMPLETED","secret":"${SECRET}","timestamp":1764000000,"data":{"n":42}}`,
    );
    const headers = received?.headers ?? {};
    expect(headers['content-type']).toBe('application/json');
    expect(headers['user-agent']).toBe('Hookpost/0.1.0');
    expect(headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(headers['webhook-id']).toBe('42');
    expect(headers['webhook-timestamp']).toBe(String(Math.floor(now / 1000)));
    const signed = {
      'webhook-id': header(headers['webhook-id']),
      'webhook-timestamp': header(headers['webhook-timestamp']),
      'webhook-signature': header(headers['webhook-signature']),
    };
    expect(() => reference(SECRET).verify(received?.body ?? '', signed)).not.toThrow();
    expect(() => reference('another').verify(received?.body ?? '', signed)).toThrow();
  });

  it('sends a batch as an array with a first-last webhook-id, signed by both secrets during a rotation', async () => {
    const result = await sender.send(
      request({
        batching: true,
        messages: [message(7), message(8), message(9)],
        secrets: [SECRET, 'old-secret'],
      }),
    );

    expect(result.ok).toBe(true);
    const received = receiver.requests[0];
    const body = received?.body ?? '';
    expect((JSON.parse(body) as { id: number; secret: string }[]).map((m) => [m.id, m.secret])).toEqual([
      [7, SECRET],
      [8, SECRET],
      [9, SECRET],
    ]);
    const headers = received?.headers ?? {};
    expect(headers['webhook-id']).toBe('7-9');
    const signed = {
      'webhook-id': header(headers['webhook-id']),
      'webhook-timestamp': header(headers['webhook-timestamp']),
      'webhook-signature': header(headers['webhook-signature']),
    };
    expect(() => reference(SECRET).verify(body, signed)).not.toThrow();
    expect(() => reference('old-secret').verify(body, signed)).not.toThrow();
  });

  it('omits the Bearer header when authorizationHeader is false', async () => {
    await sender.send(request({ authorizationHeader: false }));

    expect(receiver.requests[0]?.headers.authorization).toBeUndefined();
    expect(receiver.requests[0]?.headers['webhook-signature']).toBeDefined();
  });

  it('reports a 500 with the status and an excerpt of the body, capped and without the secret', async () => {
    receiver.respondWith(() => ({ status: 500, body: `boom: you sent ${SECRET} ${'x'.repeat(10_000)}` }));

    const result = await sender.send(request());

    expect(result.ok).toBe(false);
    expect(result.statusCode).toBe(500);
    expect(result.error).toMatch(/^HTTP 500: boom: you sent \[redacted\] x+/);
    expect(result.error).not.toContain(SECRET);
    expect(result.error?.length).toBeLessThanOrEqual('HTTP 500: '.length + 64 + '[redacted]'.length);

    // The 64-byte cut lands inside the echoed secret: not even a prefix may be kept.
    receiver.respondWith(() => ({ status: 400, body: `${'y'.repeat(60)}${SECRET}` }));
    const cut = await sender.send(request());
    expect(cut.error).toBe(`HTTP 400: ${'y'.repeat(60)}[redacted]`);

    receiver.respondWith(() => ({ status: 200 }));
    await expect(sender.send(request())).resolves.toMatchObject({ ok: true }); // the sender is still usable
  });

  it('treats 201 as a failure unless acceptAny2xx', async () => {
    receiver.respondWith(() => ({ status: 201, body: 'created' }));

    await expect(sender.send(request())).resolves.toMatchObject({
      ok: false,
      statusCode: 201,
      error: 'HTTP 201: created',
    });
    await expect(sender.send(request({ acceptAny2xx: true }))).resolves.toMatchObject({
      ok: true,
      statusCode: 201,
      error: null,
    });
  });

  it('does not follow a redirect', async () => {
    receiver.respondWith((req) =>
      req.path.startsWith('/moved') ? { status: 200 } : { status: 302, headers: { location: '/moved' } },
    );

    const result = await sender.send(request());

    expect(result).toMatchObject({ ok: false, statusCode: 302, error: 'redirect 302 not followed' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(receiver.requests).toHaveLength(1);
  });

  it('gives up at the deadline when the receiver answers too slowly or never', async () => {
    receiver.respondWith(() => ({ status: 200, delayMs: 3000 }));
    const slow = await sender.send(request({ timeoutMs: 300 }));
    expect(slow).toMatchObject({ ok: false, statusCode: null, error: 'timeout after 300 ms' });
    expect(slow.durationMs).toBeGreaterThanOrEqual(290);
    expect(slow.durationMs).toBeLessThan(300 + 250);

    receiver.respondWith(() => ({ hang: true }));
    const hung = await sender.send(request({ timeoutMs: 300 }));
    expect(hung).toMatchObject({ ok: false, statusCode: null, error: 'timeout after 300 ms' });
    expect(hung.durationMs).toBeLessThan(300 + 250);
  });

  it('reports a reset connection as a failure', async () => {
    receiver.respondWith(() => ({ reset: true }));

    const result = await sender.send(request());

    expect(result).toMatchObject({ ok: false, statusCode: null });
    expect(result.error).toMatch(/^connection (reset|closed by receiver)$/);
  });

  it('refuses an unknown region without sending', async () => {
    await expect(sender.send(request({ region: 'mars' }))).resolves.toMatchObject({
      ok: false,
      error: 'unknown region mars',
    });
    expect(receiver.requests).toHaveLength(0);
  });

  it('sends from the region source address', async () => {
    const result = await sender.send(request({ region: 'local2' }));

    expect(result.ok).toBe(true);
    expect(receiver.requests[0]?.remoteAddress?.replace(/^::ffff:/, '')).toBe('127.0.0.2');
  });

  it('reuses keep-alive connections across sequential sends', async () => {
    let connects = 0;
    const onConnect = (): void => {
      connects += 1;
    };
    subscribe('undici:client:connected', onConnect);
    try {
      for (let i = 0; i < 20; i += 1) {
        await expect(sender.send(request({ messages: [message(i)] }))).resolves.toMatchObject({ ok: true });
      }
    } finally {
      unsubscribe('undici:client:connected', onConnect);
    }

    expect(receiver.requests).toHaveLength(20);
    expect(connects).toBeGreaterThanOrEqual(1); // the channel is live, so the count below means something
    // undici may open a second socket while the first is being released; never one per request.
    expect(connects).toBeLessThanOrEqual(3);
  });
});

describe('HttpSender SSRF guard', () => {
  let receiver: Receiver;
  let guarded: HttpSender;
  const request = (url: string): DeliveryRequest => ({
    url,
    secrets: [SECRET],
    messages: [message(1)],
    batching: false,
    authorizationHeader: true,
    acceptAny2xx: false,
    timeoutMs: 2000,
    now: Date.now(),
  });

  beforeEach(async () => {
    receiver = await startReceiver({ host: '127.0.0.1' });
    guarded = new HttpSender({ allowPrivateTargets: false, regions: new Map(), userAgent: 'Hookpost/0.1.0' });
  });

  afterEach(async () => {
    await guarded.close();
    await receiver.close();
  });

  it('refuses a loopback IP literal before connecting', async () => {
    await expect(guarded.send(request(`http://127.0.0.1:${receiver.port}/`))).resolves.toMatchObject({
      ok: false,
      statusCode: null,
      error: 'forbidden address 127.0.0.1',
    });
    await expect(guarded.send(request(`http://[::ffff:127.0.0.1]:${receiver.port}/`))).resolves.toMatchObject(
      {
        ok: false,
        error: 'forbidden address ::ffff:7f00:1',
      },
    );
    expect(receiver.requests).toHaveLength(0);
  });

  it('refuses a name that resolves to loopback, at connect time', async () => {
    const result = await guarded.send(request(`http://localhost:${receiver.port}/`));

    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/^forbidden address (127\.0\.0\.1|::1)$/);
    expect(receiver.requests).toHaveLength(0);
  });

  it('allows loopback when private targets are allowed', async () => {
    const open = new HttpSender({
      allowPrivateTargets: true,
      regions: new Map(),
      userAgent: 'Hookpost/0.1.0',
    });
    try {
      await expect(open.send(request(`http://localhost:${receiver.port}/`))).resolves.toMatchObject({
        ok: true,
      });
      await expect(open.send(request(`http://127.0.0.1:${receiver.port}/`))).resolves.toMatchObject({
        ok: true,
      });
    } finally {
      await open.close();
    }
    expect(receiver.requests).toHaveLength(2);
  });
});
