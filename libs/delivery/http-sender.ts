import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { request, type Dispatcher } from 'undici';
import { describeDeliveryError } from './delivery-error.js';
import type { DeliveryRequest, DeliveryResult } from './delivery-request.js';
import { EgressAgents } from './egress-agents.js';
import { buildBody, UnencodableMessageError, webhookIdHeader } from './payload.js';
import { readCapped } from './response-body.js';
import { redactSecrets } from './secret-forms.js';
import { signPayload } from './signature.js';
import { isForbiddenAddress } from './ssrf-guard.js';

/** Settings for {@link HttpSender}. */
export interface HttpSenderOptions {
  /** Skip the SSRF guard (tests, or deployments whose customers live on a private network). */
  allowPrivateTargets: boolean;
  /** Region -> egress source addresses, from `parseRegions(HOOKPOST_REGIONS)`. */
  regions: Map<string, string[]>;
  /** `Hookpost/<version>`. */
  userAgent: string;
  /** How much of a response body to keep for the failure record; default 4096. */
  maxResponseBytes?: number;
}

/** A failure found before any request was made. */
type Refusal = { error: string };

/**
 * Sends webhook deliveries over pooled keep-alive undici agents with a hard deadline, no redirects,
 * a connect-time SSRF guard and optional egress regions. `send` never throws for a failed delivery.
 */
export class HttpSender {
  private readonly agents: EgressAgents;
  private readonly maxResponseBytes: number;

  constructor(private readonly options: HttpSenderOptions) {
    this.agents = new EgressAgents(options);
    this.maxResponseBytes = options.maxResponseBytes ?? 4096;
  }

  /** Delivers one request and reports the outcome: ok only for 200 (any 2xx with `acceptAny2xx`). */
  async send(req: DeliveryRequest): Promise<DeliveryResult> {
    const started = performance.now();
    const result = (statusCode: number | null, error: string | null): DeliveryResult => ({
      ok: error === null,
      statusCode,
      error: error === null ? null : redactSecrets(error, req.secrets),
      durationMs: Math.round(performance.now() - started),
    });

    const refusal = this.check(req);
    if ('error' in refusal) {
      return result(null, refusal.error);
    }
    const { dispatcher, secret } = refusal;
    let body: string;
    try {
      body = buildBody(req.messages, secret, req.batching);
    } catch (error) {
      if (!(error instanceof UnencodableMessageError)) {
        throw error;
      }
      const { webhookId, reason } = error;
      return { ...result(null, error.message), unencodable: { webhookId, reason } };
    }

    // The deadline is on the wire (a socket that answers late), so it is the platform's timer, not
    // the injected Clock: a test clock cannot make a receiver slow, and the rules never read it.
    // Cleared when the request ends: AbortSignal.timeout would keep a timer per request alive for
    // the whole deadline (50,000 of them at 5,000 requests/s and 10 s).
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), req.timeoutMs);
    const deadline = controller.signal;
    try {
      const response = await request(req.url, {
        dispatcher,
        method: 'POST',
        headers: this.headers(req, secret, body),
        body,
        signal: deadline,
        headersTimeout: req.timeoutMs,
        bodyTimeout: req.timeoutMs,
      });
      const excerpt = await readCapped(response.body, this.maxResponseBytes);
      const text = redactSecrets(excerpt.text, req.secrets, excerpt.truncated);
      return result(response.statusCode, this.judge(response.statusCode, text, req.acceptAny2xx));
    } catch (err) {
      const error = deadline.aborted
        ? `timeout after ${req.timeoutMs} ms`
        : describeDeliveryError(err, req.timeoutMs);
      return result(null, error);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes every pooled connection. */
  async close(): Promise<void> {
    await this.agents.close();
  }

  /** Validates the request and picks the agent; refuses forbidden IP literals (undici skips lookup). */
  private check(req: DeliveryRequest): Refusal | { dispatcher: Dispatcher; secret: string } {
    const secret = req.secrets[0];
    if (secret === undefined || secret === '') {
      return { error: 'no secret configured' };
    }
    if (req.messages.length === 0 || (!req.batching && req.messages.length > 1)) {
      return {
        error: `invalid request: ${req.messages.length} messages with batching ${req.batching ? 'on' : 'off'}`,
      };
    }
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return { error: 'invalid url' };
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return { error: `unsupported url scheme ${url.protocol}` };
    }
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    if (!this.options.allowPrivateTargets && isIP(host) !== 0 && isForbiddenAddress(host)) {
      return { error: `forbidden address ${host}` };
    }
    const dispatcher = this.agents.forRegion(req.region);
    return dispatcher === undefined
      ? { error: `unknown region ${String(req.region)}` }
      : { dispatcher, secret };
  }

  private headers(req: DeliveryRequest, secret: string, body: string): Record<string, string> {
    const id = webhookIdHeader(req.messages, req.batching);
    const timestamp = Math.floor(req.now / 1000);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': this.options.userAgent,
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signPayload(req.secrets, id, timestamp, body),
    };
    if (req.authorizationHeader) {
      headers.authorization = `Bearer ${secret}`;
    }
    if (req.trace !== undefined) {
      headers.traceparent = req.trace.traceparent;
      if (req.trace.tracestate !== undefined) {
        headers.tracestate = req.trace.tracestate;
      }
    }
    return headers;
  }

  /** Null when the status means success, else the failure text with an excerpt of the body. */
  private judge(status: number, body: string, acceptAny2xx: boolean): string | null {
    if (status === 200 || (acceptAny2xx && status >= 200 && status < 300)) {
      return null;
    }
    if (status >= 300 && status < 400) {
      return `redirect ${status} not followed`;
    }
    // Already capped at maxResponseBytes when read; collapsing whitespace keeps HTML pages readable.
    const excerpt = body.replace(/\s+/g, ' ').trim();
    return excerpt === '' ? `HTTP ${status}` : `HTTP ${status}: ${excerpt}`;
  }
}
