import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { between, seededRandom } from './random.js';

/** What the load publishes, and how fast. */
export interface LoadOptions {
  client: NatsConnection;
  namespace: string;
  customers: readonly string[];
  /** Messages per second over all customers. */
  rate: number;
  seed?: number;
}

/** Counts of the load's work: every message is retried (same idempotency key) until it is acked. */
export interface LoadStats {
  /** Messages whose publish was acked with a webhookId: the ones that must be delivered. */
  accepted: number;
  /** Publish attempts that failed (NATS, Hookpost or the queue unavailable) and were tried again. */
  retries: number;
  /** Messages never acked before the load gave up on them (not counted as accepted). */
  unconfirmed: number;
  /** Messages first sent per path. */
  viaFastPath: number;
  viaRequest: number;
  viaBatch: number;
}

interface Message {
  customerId: string;
  key: string;
  event: string;
  data: Record<string, unknown>;
}

/** A request or batch request that did not answer a webhookId. */
class NotAcked extends Error {}

const EVENTS = ['CHECK_COMPLETED', 'PROFILE_UPDATED', 'DOCUMENT_VERIFIED'];
const MAX_IN_FLIGHT = 300;
const ATTEMPT_TIMEOUT_MS = 3_000;
const RETRY_PAUSE_MS = 250;
const GIVE_UP_AFTER_MS = 90_000;
const TICK_MS = 20;

/**
 * Publishes a steady load over NATS the three ways producers do (JetStream fast path, `<ns>.publish`,
 * `<ns>.publish.batch`), each message with an idempotency key. A failed publish is tried again with
 * the same key (falling back to the fast path, as a producer would while Hookpost is down), so a
 * message stored before its ack was lost keeps its webhookId. Only acked ids count as accepted.
 */
export class LoadGenerator {
  private readonly js: JetStreamClient;
  private readonly random: () => number;
  /** Per customer: webhookId -> when its publish was acked. */
  private readonly acks = new Map<string, Map<number, number>>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly counts: LoadStats = {
    accepted: 0,
    retries: 0,
    unconfirmed: 0,
    viaFastPath: 0,
    viaRequest: 0,
    viaBatch: 0,
  };
  private issued = 0;
  private running = false;
  private loop: Promise<void> | null = null;
  private startedAt = 0;
  private stoppedAt = 0;

  constructor(private readonly options: LoadOptions) {
    this.js = jetstream(options.client, { timeout: ATTEMPT_TIMEOUT_MS });
    this.random = seededRandom(options.seed ?? 1);
    options.customers.forEach((customerId) => this.acks.set(customerId, new Map()));
  }

  /** Starts publishing at the configured rate. */
  start(): void {
    this.running = true;
    this.startedAt = Date.now();
    this.loop = this.pace();
  }

  /** Stops issuing new messages and waits until every one issued is acked or given up. */
  async stop(): Promise<void> {
    this.running = false;
    this.stoppedAt = Date.now();
    await this.loop;
    while (this.inFlight.size > 0) {
      await Promise.all([...this.inFlight]);
    }
  }

  /** When stop() was called (ms since the epoch). */
  get stoppedAtMs(): number {
    return this.stoppedAt;
  }

  get stats(): LoadStats {
    return { ...this.counts };
  }

  /** Acked webhookIds per customer, ascending. */
  accepted(): Map<string, number[]> {
    return new Map(
      [...this.acks].map(([customerId, acks]) => [customerId, [...acks.keys()].sort((a, b) => a - b)]),
    );
  }

  /** When each accepted message's publish was first acked, per customer. */
  ackTimes(): ReadonlyMap<string, ReadonlyMap<number, number>> {
    return this.acks;
  }

  private async pace(): Promise<void> {
    while (this.running) {
      const due = Math.floor(((Date.now() - this.startedAt) / 1_000) * this.options.rate);
      while (this.issued < due && this.inFlight.size < MAX_IN_FLIGHT) {
        this.issue();
      }
      await sleep(TICK_MS);
    }
  }

  /** Sends the next message (or a batch of a few for one customer) down a randomly chosen path. */
  private issue(): void {
    const { customers } = this.options;
    const customerId = customers[Math.floor(this.random() * customers.length)]!;
    const roll = this.random();
    const size = roll < 0.15 ? between(this.random, 2, 6) : 1;
    const messages = Array.from({ length: size }, () => this.message(customerId));
    let work: Promise<void>;
    if (size > 1) {
      this.counts.viaBatch += size;
      work = this.deliverBatch(messages);
    } else if (roll < 0.55) {
      this.counts.viaFastPath += 1;
      work = this.untilAcked(messages[0]!, 'fast');
    } else {
      this.counts.viaRequest += 1;
      work = this.untilAcked(messages[0]!, 'request');
    }
    this.track(work);
  }

  private message(customerId: string): Message {
    this.issued += 1;
    const n = this.issued;
    return {
      customerId,
      key: `load-${n}`,
      event: EVENTS[n % EVENTS.length]!,
      data: { n, pad: 'x'.repeat(between(this.random, 0, 400)) },
    };
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async deliverBatch(messages: Message[]): Promise<void> {
    try {
      const reply = await this.options.client.request(
        `${this.options.namespace}.publish.batch`,
        JSON.stringify({
          messages: messages.map(({ customerId, key, event, data }) => ({
            customerId,
            event,
            data,
            idempotencyKey: key,
          })),
        }),
        { timeout: ATTEMPT_TIMEOUT_MS },
      );
      const { webhookIds } = reply.json<{ webhookIds?: number[] }>();
      if (!Array.isArray(webhookIds) || webhookIds.length !== messages.length) {
        throw new NotAcked(reply.string());
      }
      messages.forEach((message, index) => this.accept(message, webhookIds[index]!));
    } catch {
      // Same keys, one by one: whatever the batch stored keeps its ids.
      this.counts.retries += 1;
      await Promise.all(messages.map((message) => this.untilAcked(message, 'fast')));
    }
  }

  private async untilAcked(message: Message, first: 'fast' | 'request'): Promise<void> {
    const giveUpAt = Date.now() + GIVE_UP_AFTER_MS;
    for (let attempt = 0; ; attempt += 1) {
      try {
        const path = first === 'request' && attempt < 2 ? 'request' : 'fast';
        this.accept(
          message,
          path === 'fast' ? await this.viaFastPath(message) : await this.viaRequest(message),
        );
        return;
      } catch {
        if (Date.now() > giveUpAt) {
          this.counts.unconfirmed += 1;
          return;
        }
        this.counts.retries += 1;
        await sleep(RETRY_PAUSE_MS);
      }
    }
  }

  private async viaFastPath({ customerId, key, event, data }: Message): Promise<number> {
    const ack = await this.js.publish(
      `${this.options.namespace}.queue.${customerId}`,
      JSON.stringify({ event, data }),
      { msgID: `${customerId}:${key}`, timeout: ATTEMPT_TIMEOUT_MS },
    );
    return ack.seq;
  }

  private async viaRequest({ customerId, key, event, data }: Message): Promise<number> {
    const reply = await this.options.client.request(
      `${this.options.namespace}.publish`,
      JSON.stringify({ customerId, event, data, idempotencyKey: key }),
      { timeout: ATTEMPT_TIMEOUT_MS },
    );
    const { webhookId } = reply.json<{ webhookId?: number }>();
    if (typeof webhookId !== 'number') {
      throw new NotAcked(reply.string());
    }
    return webhookId;
  }

  private accept(message: Message, webhookId: number): void {
    const acks = this.acks.get(message.customerId)!;
    if (!acks.has(webhookId)) {
      acks.set(webhookId, Date.now());
      this.counts.accepted += 1;
    }
  }
}
