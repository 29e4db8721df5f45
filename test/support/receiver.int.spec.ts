import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { startReceiver, type Receiver } from './receiver.js';

let receiver: Receiver;
// Our own pool, so kept-alive sockets from one test never leak into the next.
let agent: Agent;

beforeEach(async () => {
  receiver = await startReceiver();
  agent = new Agent();
});

afterEach(async () => {
  await receiver.close();
  await agent.destroy();
});

function post(path: string, body: string, headers: Record<string, string> = {}) {
  return request(`${receiver.url}${path}`, { method: 'POST', body, headers, dispatcher: agent });
}

/** Settles like `promise`, or with 'still pending' after `ms`. */
const within = <T>(ms: number, promise: Promise<T>) =>
  Promise.race([promise, sleep(ms, 'still pending' as const)]);

test('records the request and answers 200 {} by default', async () => {
  const before = Date.now();
  const res = await post('/hooks/a?x=1', 'héllo wörld', { 'x-test': 'yes', 'content-type': 'text/plain' });
  expect(res.statusCode).toBe(200);
  expect(await res.body.text()).toBe('{}');

  expect(receiver.url).toBe(`http://127.0.0.1:${receiver.port}`);
  expect(receiver.requests).toHaveLength(1);
  const [recorded] = receiver.requests;
  expect(recorded).toMatchObject({
    seq: 1,
    method: 'POST',
    path: '/hooks/a?x=1',
    body: 'héllo wörld',
    remoteAddress: '127.0.0.1',
    outcome: 'status',
    status: 200,
  });
  expect(recorded?.headers['x-test']).toBe('yes');
  expect(recorded?.receivedAt).toBeGreaterThanOrEqual(before);
  expect(recorded?.receivedAt).toBeLessThanOrEqual(Date.now());
});

test('answers as programmed, and 500 when the function throws', async () => {
  receiver.respondWith((req) => ({
    status: req.seq === 1 ? 503 : 201,
    body: `#${req.seq}`,
    headers: { 'x-r': 'y' },
  }));
  const first = await post('/', 'a');
  expect(first.statusCode).toBe(503);
  expect(first.headers['x-r']).toBe('y');
  expect(await first.body.text()).toBe('#1');
  const second = await post('/', 'b');
  expect(second.statusCode).toBe(201);
  await second.body.dump();
  expect(receiver.requests.map((r) => r.status)).toEqual([503, 201]);

  receiver.respondWith(() => {
    throw new Error('oops');
  });
  const third = await post('/', 'c');
  expect(third.statusCode).toBe(500);
  expect(await third.body.text()).toContain('oops');
});

test('records before answering a delayed response', async () => {
  receiver.respondWith(() => ({ status: 204, delayMs: 300 }));
  const started = Date.now();
  let answered = false;
  const pending = post('/slow', 'x').then(async (res) => {
    answered = true;
    await res.body.dump();
    return res.statusCode;
  });
  const [recorded] = await receiver.waitForRequests(1);
  expect(answered).toBe(false);
  expect(recorded?.outcome).toBe('status');
  expect(await pending).toBe(204);
  expect(Date.now() - started).toBeGreaterThanOrEqual(280);
});

test('a reset is an error for the client, recorded as reset', async () => {
  receiver.respondWith(() => ({ reset: true }));
  await expect(post('/reset', 'x')).rejects.toThrow();
  expect(receiver.requests[0]?.outcome).toBe('reset');
  expect(receiver.requests[0]?.status).toBeUndefined();
});

test('keeps connections alive so clients can reuse them', async () => {
  const keepAlive = new HttpAgent({ keepAlive: true, maxSockets: 1 });
  const get = () =>
    new Promise<{ connection: string | undefined; reused: boolean }>((resolve, reject) => {
      const req = httpRequest(`${receiver.url}/ka`, { agent: keepAlive }, (res) => {
        res.resume();
        res.on('end', () => resolve({ connection: res.headers.connection, reused: req.reusedSocket }));
      });
      req.on('error', reject);
      req.end();
    });
  try {
    const first = await get();
    const second = await get();
    expect(first).toEqual({ connection: 'keep-alive', reused: false });
    expect(second).toEqual({ connection: 'keep-alive', reused: true });
    expect(receiver.requests).toHaveLength(2);
  } finally {
    keepAlive.destroy();
  }
});

test('a hanging request never answers, and close() still returns promptly', async () => {
  receiver.respondWith(() => ({ hang: true }));
  const hanging = post('/hang', 'x');
  hanging.catch(() => undefined);
  await receiver.waitForRequests(1);
  expect(receiver.requests[0]?.outcome).toBe('timeout-pending');
  expect(await within(200, hanging)).toBe('still pending');

  expect(await within(1_000, receiver.close())).toBeUndefined();
  await expect(hanging).rejects.toThrow();
});

test('waitForRequests resolves with the first n and times out with a clear error', async () => {
  await (await post('/one', '1')).body.dump();
  await (await post('/two', '2')).body.dump();
  const got = await receiver.waitForRequests(1);
  expect(got.map((r) => r.path)).toEqual(['/one']);
  await expect(receiver.waitForRequests(3, 100)).rejects.toThrow(
    /waited 100 ms for 3 request\(s\); got 2 request\(s\):\n {2}#1 POST \/one -> 200\n {2}#2 POST \/two -> 200/,
  );
  await expect(receiver.waitFor((all) => all.some((r) => r.path === '/three'), 100)).rejects.toThrow(
    /waited 100 ms for the predicate/,
  );
});

test('waitFor re-checks on every new request', async () => {
  const third = receiver.waitFor((all) => all.length === 3, 2_000);
  for (const n of [1, 2, 3]) {
    await (await post(`/${n}`, '')).body.dump();
  }
  await expect(third).resolves.toBeUndefined();
});

test('listens on IPv6 hosts with a bracketed url', async () => {
  const v6 = await startReceiver({ host: '::1' });
  try {
    expect(v6.url).toBe(`http://[::1]:${v6.port}`);
    const res = await request(`${v6.url}/v6`, { dispatcher: agent });
    await res.body.dump();
    expect(v6.requests[0]?.remoteAddress).toBe('::1');
  } finally {
    await v6.close();
  }
});
