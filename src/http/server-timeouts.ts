import { createServer, type ServerOptions } from 'node:http';
import { ExpressAdapter } from '@nestjs/platform-express';

/**
 * Bounds how long a slow or stalled client may hold a connection. Node's defaults (60 s for headers,
 * 5 min per request, checked every 30 s) kept half-sent requests open for 75 s each.
 */
export const SERVER_TIMEOUTS = {
  /** A client must finish sending its headers within this; a half-sent request is closed then. */
  headersTimeout: 10_000,
  /** A whole request (headers and a 300 KiB body) must arrive within this. */
  requestTimeout: 30_000,
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeout: 5_000,
  /** How often Node checks the two timeouts above; its 30 s default would add up to 30 s to each. */
  connectionsCheckingInterval: 1_000,
} satisfies ServerOptions;

/**
 * The Express adapter with an HTTP server made with {@link SERVER_TIMEOUTS}: the checking interval
 * can only be set when the server is created, which Nest's adapter does without options.
 */
export class TimedExpressAdapter extends ExpressAdapter {
  override initHttpServer(): void {
    this.httpServer = createServer(SERVER_TIMEOUTS, this.getInstance());
  }
}
