import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the demo receiver has seen so far. */
export interface ReceiverStats {
  /** Messages answered with 200, per customer. */
  readonly delivered: Map<string, number>;
  failedRequests: number;
}

/** A local webhook endpoint that fails now and then, and for a stretch when told to. */
export interface DemoReceiver {
  /** `http://127.0.0.1:<port>`; each customer posts to `/<customerId>`. */
  readonly url: string;
  readonly stats: ReceiverStats;
  /** Answers 503 to this customer until `until` (epoch ms). */
  breakFor(customerId: string, until: number): void;
  /** The customer that is down now, if any. */
  down(now: number): { customerId: string; until: number } | null;
  close(): Promise<void>;
}

/** Starts the receiver on 127.0.0.1 and a free port; `failureRate` of requests get a 500 at random. */
export async function startDemoReceiver(failureRate: number): Promise<DemoReceiver> {
  const stats: ReceiverStats = { delivered: new Map(), failedRequests: 0 };
  let outage: { customerId: string; until: number } | null = null;

  const answer = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const customerId = (req.url ?? '/').slice(1);
    const fail =
      outage !== null && outage.customerId === customerId && Date.now() < outage.until
        ? 503
        : Math.random() < failureRate
          ? 500
          : null;
    if (fail !== null) {
      stats.failedRequests += 1;
      res
        .writeHead(fail, { 'content-type': 'text/plain' })
        .end(fail === 503 ? 'down for maintenance' : 'flaky');
      return;
    }
    stats.delivered.set(customerId, (stats.delivered.get(customerId) ?? 0) + countMessages(body));
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => answer(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    breakFor: (customerId, until) => {
      outage = { customerId, until };
    },
    down: (now) => (outage !== null && now < outage.until ? outage : null),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

// A single message is one object; a batch is an array of them.
function countMessages(body: string): number {
  try {
    const parsed: unknown = JSON.parse(body);
    return Array.isArray(parsed) ? parsed.length : 1;
  } catch {
    return 1;
  }
}
