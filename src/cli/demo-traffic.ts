import type { CustomerStatus } from '../../libs/domain/index.js';
import type { AdminClient } from './admin-client.js';
import type { DemoReceiver } from './demo-receiver.js';
import { formatStatusTable, relativeTime } from './status-format.js';

/** The demo's customers; globex batches, so its requests carry several messages. */
export const DEMO_CUSTOMERS = [
  { customerId: 'acme', batching: false },
  { customerId: 'globex', batching: true },
  { customerId: 'initech', batching: false },
] as const;

const EVENTS = ['CHECK_STARTED', 'CHECK_COMPLETED', 'DOCUMENT_UPLOADED'];
/** The first stretch of downtime comes early, so a newcomer sees a stall and its recovery soon. */
const OUTAGE = { firstAfterMs: 5_000, everyMs: 20_000, lastsMs: 8_000 };

/** Running demo traffic: how many messages went in, and a stop that waits for in-flight requests. */
export interface Traffic {
  published(): number;
  stop(): Promise<void>;
}

/**
 * Publishes `rate` messages a second, breaks the receiver for a stretch now and then, and redraws
 * the status every second (under `intro` on a terminal, where each frame clears the screen).
 */
export function startTraffic(
  client: AdminClient,
  receiver: DemoReceiver,
  rate: number,
  intro: string,
): Traffic {
  const started = Date.now();
  const inFlight = new Set<Promise<unknown>>();
  let published = 0;
  let outages = 0;
  let drawing = false;
  const track = (work: Promise<unknown>) => {
    const settled = work.catch(() => undefined).finally(() => inFlight.delete(settled));
    inFlight.add(settled);
  };
  const publish = () => {
    const { customerId } = DEMO_CUSTOMERS[published % DEMO_CUSTOMERS.length]!;
    const event = EVENTS[Math.floor(Math.random() * EVENTS.length)]!;
    published += 1;
    track(
      client.request('publish', {
        customerId,
        event,
        data: { n: published, sentAt: new Date().toISOString() },
      }),
    );
  };
  const breakNext = () => {
    const { customerId } = DEMO_CUSTOMERS[outages % DEMO_CUSTOMERS.length]!;
    outages += 1;
    receiver.breakFor(customerId, Date.now() + OUTAGE.lastsMs);
  };
  const draw = () => {
    if (drawing) {
      return; // the previous frame is still waiting for its replies
    }
    drawing = true;
    track(
      render(client, receiver, started, published, intro).finally(() => {
        drawing = false;
      }),
    );
  };
  const timers = [
    setInterval(publish, 1000 / rate),
    setInterval(draw, 1_000),
    setTimeout(() => {
      breakNext();
      timers.push(setInterval(breakNext, OUTAGE.everyMs));
    }, OUTAGE.firstAfterMs),
  ];
  return {
    published: () => published,
    async stop() {
      timers.forEach((timer) => clearTimeout(timer));
      await Promise.all(inFlight);
    },
  };
}

async function render(
  client: AdminClient,
  receiver: DemoReceiver,
  started: number,
  published: number,
  intro: string,
) {
  const statuses = await Promise.all(
    DEMO_CUSTOMERS.map(({ customerId }) =>
      client.request<CustomerStatus>('status', { customerId }).catch(() => null),
    ),
  );
  const now = Date.now();
  const delivered = [...receiver.stats.delivered.values()].reduce((sum, count) => sum + count, 0);
  const down = receiver.down(now);
  const tty = process.stdout.isTTY;
  const frame = [
    `hookpost demo, ${Math.round((now - started) / 1000)} s: ${published} published, ${delivered} delivered, ` +
      `${receiver.stats.failedRequests} failed requests`,
    formatStatusTable(
      statuses.filter((status) => status !== null),
      now,
    ),
    down === null
      ? 'receiver: up, failing 20% of requests at random'
      : `receiver: down for ${down.customerId} (503), back ${relativeTime(down.until, now)}`,
  ].join('\n');
  process.stdout.write(tty ? `\x1b[H\x1b[2J${intro}\n\n${frame}\n\nCtrl-C to stop\n` : `${frame}\n\n`);
}
