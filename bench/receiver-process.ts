/**
 * The benchmark's webhook receiver, run as its own process (`node dist/bench/receiver-process.js`,
 * forked with IPC): node:http on 127.0.0.1, answers every POST at once (200 `{}`, or 503 in 'fail'
 * mode) and counts what arrived. The parent asks for counters over IPC; nothing is logged.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReceiverCommand, ReceiverStats } from './support/receiver-protocol.js';

const MESSAGE_START = Buffer.from('{"id":');
const OK_BODY = '{}';

interface PathEntry {
  /** Distinct webhook-id headers answered with 200. */
  readonly ids: Set<string>;
  /** When the first request after the last mark() arrived (0: none yet). */
  firstAfterMark: number;
}

let mode: 'ok' | 'fail' = 'ok';
let trackIds = false;
let trackPaths = false;
let stats: ReceiverStats = emptyStats();
let receivedAt = new Map<string, number>();
let paths = new Map<string, PathEntry>();
let markAt = 0;
let watched = new Set<string>();
let watchedResumed = 0;
let lastResumedAt = 0;
let firstAfterMark = 0;

function emptyStats(): ReceiverStats {
  return {
    requests: 0,
    messages: 0,
    failed: 0,
    firstAt: 0,
    lastAt: 0,
    firstAfterMark: 0,
    resumed: 0,
    lastResumedAt: 0,
  };
}

const now = (): number => performance.timeOrigin + performance.now();

function countMessages(body: Buffer): number {
  let count = 0;
  for (let at = body.indexOf(MESSAGE_START); at !== -1; at = body.indexOf(MESSAGE_START, at + 6)) {
    count++;
  }
  return count;
}

function record(req: IncomingMessage, body: Buffer, at: number, ok: boolean): void {
  stats.requests++;
  if (!ok) {
    stats.failed++;
    return;
  }
  stats.messages += countMessages(body);
  if (stats.firstAt === 0) {
    stats.firstAt = at;
  }
  stats.lastAt = at;
  if (markAt > 0 && firstAfterMark === 0) {
    firstAfterMark = at;
  }
  const webhookId = String(req.headers['webhook-id'] ?? '');
  if (trackIds && !receivedAt.has(webhookId)) {
    receivedAt.set(webhookId, at);
  }
  if (trackPaths) {
    const path = req.url ?? '';
    let entry = paths.get(path);
    if (entry === undefined) {
      entry = { ids: new Set(), firstAfterMark: 0 };
      paths.set(path, entry);
    }
    entry.ids.add(webhookId);
    if (markAt > 0 && entry.firstAfterMark === 0) {
      entry.firstAfterMark = at;
      if (watched.has(path)) {
        watchedResumed++;
        lastResumedAt = at;
      }
    }
  }
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const at = now();
    const ok = mode === 'ok';
    record(req, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), at, ok);
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json', 'content-length': '2' });
    res.end(OK_BODY);
  });
}

function run(command: ReceiverCommand): unknown {
  switch (command.cmd) {
    case 'reset':
      stats = emptyStats();
      receivedAt = new Map();
      paths = new Map();
      markAt = 0;
      watched = new Set();
      watchedResumed = 0;
      lastResumedAt = 0;
      firstAfterMark = 0;
      trackIds = command.trackIds ?? false;
      trackPaths = command.trackPaths ?? false;
      mode = 'ok';
      return null;
    case 'mode':
      mode = command.mode;
      return null;
    case 'stats':
      return { ...stats, firstAfterMark, resumed: watchedResumed, lastResumedAt };
    case 'receivedAt':
      return [...receivedAt];
    case 'completePaths':
      return [...paths].filter(([, entry]) => entry.ids.size >= command.expected).map(([path]) => path);
    case 'pathCount':
      return paths.size;
    case 'mark':
      markAt = now();
      firstAfterMark = 0;
      watched = new Set(command.watch);
      watchedResumed = 0;
      lastResumedAt = 0;
      for (const entry of paths.values()) {
        entry.firstAfterMark = 0;
      }
      return markAt;
    default: {
      const unknown: never = command;
      throw new Error(`unknown receiver command ${JSON.stringify(unknown)}`);
    }
  }
}

const server = createServer({ keepAliveTimeout: 60_000 }, handle);
server.maxRequestsPerSocket = 0;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.send?.({ ready: true, port });
});
process.on('message', (message: { id: number; command: ReceiverCommand }) => {
  let reply: { id: number; result?: unknown; error?: string };
  try {
    reply = { id: message.id, result: run(message.command) };
  } catch (error) {
    reply = { id: message.id, error: String(error) };
  }
  process.send?.(reply);
});
process.on('disconnect', () => process.exit(0));
