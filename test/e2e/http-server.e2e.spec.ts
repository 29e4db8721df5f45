import { request } from 'node:http';
import { connect } from 'node:net';
import { startHarness, type Harness } from './harness.js';

/** Opens a raw socket, sends half a request and resolves with the ms until the server closes it. */
function msUntilClosed(url: string, sent: string): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      const start = Date.now();
      socket.on('close', () => resolve(Date.now() - start));
      socket.write(sent);
    });
    socket.on('data', () => undefined);
    socket.on('error', reject);
  });
}

/** POSTs a status-link request with the given Host header (fetch would not let a Host through). */
function statusLinkWithHost(url: string, token: string, customerId: string, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const call = request(`${url}/v1/customers/${customerId}/status-links`, {
      method: 'POST',
      headers: { host, authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    });
    call.on('response', (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve(body));
    });
    call.on('error', reject);
    call.end('{}');
  });
}

describe('HTTP server hardening', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });

  afterAll(async () => {
    await h.close();
  });

  it('does not send X-Powered-By', async () => {
    const response = await fetch(`${h.service.url}/health`);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-powered-by')).toBeNull();
  });

  it('closes a half-sent request within the headers timeout (10 s plus the 1 s check)', async () => {
    const ms = await msUntilClosed(h.service.url, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    expect(ms).toBeGreaterThanOrEqual(9_000);
    expect(ms).toBeLessThan(13_000);
  }, 30_000);

  it('builds status links from HOST:PORT, not from the Host header, when HOOKPOST_PUBLIC_URL is unset', async () => {
    await h.configure('linked');
    const body = JSON.parse(
      await statusLinkWithHost(h.service.url, h.service.adminToken, 'linked', 'evil.example'),
    );
    expect(body.url).toBe(`${h.service.url}/ui/customers/linked?token=${body.token}`);
  });
});
