import { startHarness, type Harness } from './harness.js';

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
});
