/**
 * B1's worker side, in its own process like Hookpost: what a team would build with BullMQ instead
 * of Hookpost. One queue per customer with a Worker of concurrency 1 keeps each customer's order;
 * a failed POST keeps the job at the head (manual rate limit: the job goes back to the front of
 * the wait list and the customer's queue pauses for the backoff), so nothing behind it moves, and
 * the delay follows Hookpost's schedule (libs/domain backoffDelay). The POST is Hookpost's own
 * sender (undici, same body, signature and headers).
 */
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { HttpSender } from '../libs/delivery/index.js';
import { backoffDelay, defaultDeliverySettings } from '../libs/domain/index.js';

/** A queued webhook as the producer adds it. */
export interface WebhookJob {
  id: number;
  url: string;
  event: string;
  acceptedAt: number;
  data: Record<string, unknown>;
  /** Consecutive failed attempts of this job (it is the head of its customer's queue while > 0). */
  attempt?: number;
}

interface StartCommand {
  redisUrl: string;
  prefix: string;
  queues: string[];
  secret: string;
}

const sender = new HttpSender({ allowPrivateTargets: true, regions: new Map(), userAgent: 'bullmq-bench' });
let workers: Worker<WebhookJob>[] = [];
let queues: Queue<WebhookJob>[] = [];
let connection: Redis | null = null;

function processorFor(queue: Queue<WebhookJob>, secret: string) {
  return async (job: Job<WebhookJob>): Promise<void> => {
    const { id, url, event, acceptedAt, data } = job.data;
    const result = await sender.send({
      url,
      secrets: [secret],
      messages: [{ id, event, acceptedAt, data }],
      batching: false,
      authorizationHeader: true,
      acceptAny2xx: false,
      timeoutMs: defaultDeliverySettings.timeoutSingleMs,
      now: Date.now(),
    });
    if (result.ok) {
      return;
    }
    // Head-of-line blocking: the job returns to the front of the wait list and the whole queue
    // (this customer) waits for the backoff; attempts are counted in the job's data.
    const attempt = (job.data.attempt ?? 0) + 1;
    await job.updateData({ ...job.data, attempt });
    await queue.rateLimit(backoffDelay(attempt, defaultDeliverySettings));
    throw Worker.RateLimitError();
  };
}

async function start(command: StartCommand): Promise<void> {
  connection = new Redis(command.redisUrl, { maxRetriesPerRequest: null });
  queues = command.queues.map(
    (name) => new Queue<WebhookJob>(name, { connection: connection!, prefix: command.prefix }),
  );
  workers = queues.map(
    (queue) =>
      new Worker<WebhookJob>(queue.name, processorFor(queue, command.secret), {
        connection: connection!,
        prefix: command.prefix,
        concurrency: 1,
        autorun: false,
      }),
  );
  await Promise.all(workers.map((worker) => worker.waitUntilReady()));
  workers.forEach((worker) => void worker.run());
}

async function stop(): Promise<void> {
  await Promise.all(workers.map((worker) => worker.close()));
  await Promise.all(queues.map((queue) => queue.close()));
  await sender.close();
  connection?.disconnect();
}

process.on('message', (message: { start?: StartCommand; stop?: true }) => {
  const work = message.start !== undefined ? start(message.start) : stop();
  work.then(
    () => process.send?.({ done: true }),
    (error: unknown) => process.send?.({ error: String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
