import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequestLog, type RecordedRequest } from './request-log.js';

export type { RecordedRequest } from './request-log.js';

/** How to answer one request: a status (after an optional delay), a TCP reset, or silence until close(). */
export type ReceiverResponse =
  | { status: number; body?: string; delayMs?: number; headers?: Record<string, string> }
  | { reset: true; delayMs?: number }
  | { hang: true };

/** A programmable HTTP endpoint that records everything delivered to it. */
export interface Receiver {
  /** `http://<host>:<port>` without a trailing slash. */
  url: string;
  port: number;
  /** Every request so far, in order (a live array). */
  requests: RecordedRequest[];
  /** Replaces the answer function; the default answers 200 `{}`. A throwing function answers 500. */
  respondWith(fn: (req: RecordedRequest) => ReceiverResponse): void;
  /** Resolves with the first `n` requests once they have arrived (default timeout 5 s). */
  waitForRequests(n: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  /** Resolves once `predicate` holds, checked now and on each new request (default timeout 5 s). */
  waitFor(predicate: (all: RecordedRequest[]) => boolean, timeoutMs?: number): Promise<void>;
  /** Stops listening and destroys every connection, kept-alive and hanging ones included. */
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 5_000;
const ok = (): ReceiverResponse => ({
  status: 200,
  body: '{}',
  headers: { 'content-type': 'application/json' },
});

/** Starts a receiver on 127.0.0.1 and an OS-chosen port unless told otherwise. */
export async function startReceiver(options: { host?: string; port?: number } = {}): Promise<Receiver> {
  const host = options.host ?? '127.0.0.1';
  const log = createRequestLog();
  const timers = new Set<NodeJS.Timeout>();
  let respond: (req: RecordedRequest) => ReceiverResponse = ok;

  const later = (delayMs: number | undefined, action: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      action();
    }, delayMs ?? 0);
    timers.add(timer);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAt = Date.now();
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of req) {
        chunks.push(chunk as Buffer);
      }
    } catch {
      return; // The client went away mid-body: nothing was delivered.
    }
    const record = log.record({
      method: req.method ?? '',
      path: req.url ?? '',
      headers: { ...req.headers },
      body: Buffer.concat(chunks).toString('utf8'),
      receivedAt,
      remoteAddress: req.socket.remoteAddress ?? '',
      remotePort: req.socket.remotePort ?? 0,
      outcome: 'timeout-pending',
    });
    let answer: ReceiverResponse;
    try {
      answer = respond(record);
    } catch (err) {
      answer = { status: 500, body: `receiver: respondWith threw ${String(err)}` };
    }
    if ('status' in answer) {
      const { status, body, headers } = answer;
      record.outcome = 'status';
      record.status = status;
      later(answer.delayMs, () => {
        if (!res.destroyed) {
          res.writeHead(status, headers).end(body);
        }
      });
    } else if ('reset' in answer) {
      record.outcome = 'reset';
      later(answer.delayMs, () => req.socket.resetAndDestroy());
    }
    // A hang never answers; close() destroys its socket.
    log.notify();
  }

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    requests: log.requests,
    respondWith(fn) {
      respond = fn;
    },
    async waitForRequests(n, timeoutMs = DEFAULT_TIMEOUT_MS) {
      await log.waitUntil((all) => all.length >= n, timeoutMs, `${n} request(s)`);
      return log.requests.slice(0, n);
    },
    waitFor(predicate, timeoutMs = DEFAULT_TIMEOUT_MS) {
      return log.waitUntil(predicate, timeoutMs, 'the predicate');
    },
    async close() {
      timers.forEach((timer) => clearTimeout(timer));
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
