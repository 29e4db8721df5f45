import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { readFeed, waitForFeed } from '../support/event-feed.js';
import type { RecordedRequest } from '../support/receiver.js';
import { runCli } from '../support/run-cli.js';
import { customerOf, SECRET, startHarness, type Harness } from './harness.js';

/** Hookpost signs with the secret's UTF-8 bytes; standardwebhooks takes the key base64-encoded. */
const verifierFor = (secret: string) => new Webhook(Buffer.from(secret).toString('base64'));

/** True when `secret`'s signature verifies (standardwebhooks accepts any of the listed ones). */
const verifies = (request: RecordedRequest, secret: string): boolean => {
  try {
    verifierFor(secret).verify(request.body, request.headers as Record<string, string>);
    return true;
  } catch {
    return false;
  }
};

/** The signatures of `webhook-signature`, in order, and each secret's own signature of the request. */
const signatures = (request: RecordedRequest) => (request.headers['webhook-signature'] as string).split(' ');
const signatureOf = (request: RecordedRequest, secret: string) =>
  verifierFor(secret).sign(
    request.headers['webhook-id'] as string,
    new Date(Number(request.headers['webhook-timestamp']) * 1000),
    request.body,
  );

describe('secret rotation with an overlap', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ HOOKPOST_BACKOFF_BASE_MS: '50' });
  });
  afterAll(() => h?.close());

  const rotate = (customerId: string, body: Record<string, unknown>) =>
    h.service.api('POST', `/v1/customers/${customerId}/webhook/secret/rotate`, body);

  /** Publishes one message and returns the request that carried it. */
  async function deliverOne(customerId: string): Promise<RecordedRequest> {
    const { webhookId } = await h.publish(customerId, 'CHECK_COMPLETED', { n: 1 });
    const carried = () =>
      h.receiver.requests.find(
        (r) => customerOf(r) === customerId && (JSON.parse(r.body) as { id: number }).id === webhookId,
      );
    await h.receiver.waitFor(() => carried() !== undefined, 10_000);
    return carried()!;
  }

  test('during the overlap the new secret signs first and the previous one second; afterwards only the new', async () => {
    const customerId = 'rotating';
    const NEW = 'whsec_rotated_secret_5678';
    await h.configure(customerId);

    const before = Date.now();
    const reply = await rotate(customerId, { secret: NEW });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      secretLast4: '5678',
      previousSecretLast4: SECRET.slice(-4),
      previousSecretExpiresAt: expect.any(Number),
    });
    expect(JSON.stringify(reply.body)).not.toContain(NEW);
    expect(reply.body.previousSecretExpiresAt).toBeGreaterThanOrEqual(before + 86_400_000);
    expect(reply.body.previousSecretExpiresAt).toBeLessThanOrEqual(Date.now() + 86_400_000);

    const shown = (await h.service.api('GET', `/v1/customers/${customerId}/webhook`)).body;
    expect(shown).toMatchObject({
      secretLast4: '5678',
      previousSecretLast4: SECRET.slice(-4),
      previousSecretExpiresAt: reply.body.previousSecretExpiresAt,
    });

    const during = await deliverOne(customerId);
    expect(signatures(during)).toEqual([signatureOf(during, NEW), signatureOf(during, SECRET)]);
    expect(verifies(during, NEW)).toBe(true);
    expect(verifies(during, SECRET)).toBe(true);
    expect(during.headers.authorization).toBe(`Bearer ${NEW}`);
    expect(JSON.parse(during.body).secret).toBe(NEW);

    // No overlap: the previous secret (NEW) stops signing at once; the generated one is returned once.
    const generated = await rotate(customerId, { overlapSeconds: 0 });
    expect(generated.status).toBe(200);
    const secret = generated.body.secret as string;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(generated.body).toMatchObject({ secretLast4: secret.slice(-4), previousSecretLast4: '5678' });

    const after = await deliverOne(customerId);
    expect(signatures(after)).toEqual([signatureOf(after, secret)]);
    expect(verifies(after, secret)).toBe(true);
    expect(verifies(after, NEW)).toBe(false);
    expect(verifies(after, SECRET)).toBe(false);
    expect(after.headers.authorization).toBe(`Bearer ${secret}`);
    const shownAfter = (await h.service.api('GET', `/v1/customers/${customerId}/webhook`)).body;
    expect(shownAfter.secretLast4).toBe(secret.slice(-4));
    expect(shownAfter).not.toHaveProperty('previousSecretLast4');
  });

  test('when the overlap has passed, the previous secret no longer signs', async () => {
    const customerId = 'expiring';
    const NEW = 'whsec_short_overlap_3333';
    await h.configure(customerId);
    const { previousSecretExpiresAt } = (await rotate(customerId, { secret: NEW, overlapSeconds: 1 })).body;
    expect(signatures(await deliverOne(customerId))).toHaveLength(2);
    await sleep(Math.max(0, previousSecretExpiresAt - Date.now()) + 50); // the reply says when it ends
    const after = await deliverOne(customerId);
    expect(signatures(after)).toEqual([signatureOf(after, NEW)]);
  });

  test('a rotation during an overlap keeps only the newest and the one before', async () => {
    const customerId = 'twice';
    const [A, B] = ['whsec_first_rotation_aaaa', 'whsec_second_rotation_bbbb'];
    await h.configure(customerId);
    expect((await rotate(customerId, { secret: A, overlapSeconds: 3600 })).status).toBe(200);
    expect((await rotate(customerId, { secret: B, overlapSeconds: 3600 })).body.previousSecretLast4).toBe(
      'aaaa',
    );
    const request = await deliverOne(customerId);
    expect(signatures(request)).toEqual([signatureOf(request, B), signatureOf(request, A)]);
    expect(verifies(request, SECRET)).toBe(false);
  });

  test('PUT with a new secret replaces it at once and drops the previous one', async () => {
    const customerId = 'replaced';
    const [ROTATED, PUT] = ['whsec_rotated_then_put_1111', 'whsec_put_during_overlap_2222'];
    await h.configure(customerId);
    await rotate(customerId, { secret: ROTATED });
    await h.configure(customerId, { secret: PUT });
    const request = await deliverOne(customerId);
    expect(signatures(request)).toEqual([signatureOf(request, PUT)]);
    expect(request.headers.authorization).toBe(`Bearer ${PUT}`);
  });

  test('the rotation is in the audit and the feed, and no secret is in any reply, row or feed message', async () => {
    const customerId = 'audited';
    const NEW = 'whsec_audited_rotation_9999';
    await h.configure(customerId);
    await rotate(customerId, { secret: NEW, overlapSeconds: 60 });

    const audit = await h.service.api('GET', `/v1/customers/${customerId}/audit`);
    const rotated = audit.body.events.find((e: { type: string }) => e.type === 'SecretRotated');
    expect(rotated.data).toEqual({
      secretLast4: '9999',
      previousSecretLast4: SECRET.slice(-4),
      previousSecretExpiresAt: rotated.at + 60_000,
    });

    const ns = h.service.namespace;
    const subject = `${ns}.events.${customerId}.SecretRotated`;
    await waitForFeed(h.client, ns, h.db.url); // the relay publishes a little after the commit
    const feed = await readFeed(h.client, ns, subject);
    expect(feed.map((event) => event.data)).toEqual([rotated.data]);

    const client = new pg.Client({ connectionString: h.db.url });
    await client.connect();
    try {
      const tables = ['events', 'customer_status', 'customer_secrets'];
      const rows = await Promise.all(tables.map((table) => client.query(`SELECT * FROM "${table}"`)));
      const stored = JSON.stringify(rows.map((result) => result.rows));
      for (const secret of [NEW, SECRET]) {
        expect(stored).not.toContain(secret);
        expect(stored).not.toContain(Buffer.from(secret).toString('base64'));
      }
      const sealed = await client.query(
        'SELECT previous_ciphertext, previous_key_id, previous_expires_at FROM customer_secrets WHERE customer_id = $1',
        [customerId],
      );
      expect(sealed.rows[0]).toEqual({
        previous_ciphertext: expect.any(String),
        previous_key_id: expect.any(String),
        previous_expires_at: String(rotated.at + 60_000),
      });
    } finally {
      await client.end();
    }
    expect(JSON.stringify([audit.body, feed])).not.toContain(NEW);
  });

  test.each([
    [{ overlapSeconds: -1 }, 'overlapSeconds'],
    [{ overlapSeconds: 2_592_001 }, 'overlapSeconds'],
    [{ overlapSeconds: 1.5 }, 'overlapSeconds'],
    [{ overlapSeconds: '60' }, 'overlapSeconds'],
    [{ secret: 'short77' }, 'secret'],
    [{ secret: 'has a space inside' }, 'secret'],
    [{ secret: 'tab\tinside-secret' }, 'secret'],
    [{ secret: 'non-ascii-sécret' }, 'secret'],
    [{ secret: 12345678 }, 'secret'],
    [{ unknown: true }, 'unknown'],
  ] as Array<[Record<string, unknown>, string]>)(
    'bad input %j is a 400 naming %s and changes nothing',
    async (body, field) => {
      const customerId = 'unchanged';
      await h.configure(customerId);
      const reply = await rotate(customerId, body);
      expect(reply.status).toBe(400);
      expect(reply.body.error.code).toBe('VALIDATION_FAILED');
      expect(JSON.stringify(reply.body.error.details)).toContain(field);
      const audit = await h.service.api('GET', `/v1/customers/${customerId}/audit`);
      expect(audit.body.events.map((e: { type: string }) => e.type)).not.toContain('SecretRotated');
      if (typeof body.secret === 'string') {
        expect(JSON.stringify(reply.body)).not.toContain(body.secret);
      }
    },
  );

  test('an unknown customer is a 404, over REST and NATS', async () => {
    expect((await rotate('nobody-here', {})).status).toBe(404);
    const reply = await h.client.request(
      `${h.service.namespace}.secret.rotate`,
      JSON.stringify({ customerId: 'nobody-here' }),
    );
    expect(reply.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  test('hookpost rotate-secret prints the generated secret once, and it signs from then on', async () => {
    const customerId = 'from-cli';
    await h.configure(customerId);
    const env = { NATS_URL: h.nats.url, HOOKPOST_NAMESPACE: h.service.namespace };
    const run = await runCli(['rotate-secret', '--customer', customerId, '--overlap', '120', '--json'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const printed = JSON.parse(run.stdout) as { secret: string; previousSecretLast4: string };
    expect(printed.previousSecretLast4).toBe(SECRET.slice(-4));
    const request = await deliverOne(customerId);
    expect(signatures(request)).toEqual([signatureOf(request, printed.secret), signatureOf(request, SECRET)]);

    const refused = await runCli(['rotate-secret', '--customer', customerId, '--overlap', '1.5'], env);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('overlap');
  });
});
