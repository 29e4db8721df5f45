import type { Logger } from 'pino';

/** A stop that did not end within its grace: the process exits non-zero. */
export class StopTimeoutError extends Error {
  override name = 'StopTimeoutError';
}

/** The step a stop is in and the ones it has finished, so a stop out of time can say what it gave up. */
export class StopProgress {
  private readonly finished: string[] = [];
  private current: string | null = null;

  /** The stop moves on to `name`: the step before it has ended. */
  step(name: string): void {
    if (this.current !== null) {
      this.finished.push(this.current);
    }
    this.current = name;
  }

  get currentStep(): string {
    return this.current ?? 'starting';
  }

  get done(): readonly string[] {
    return this.finished;
  }
}

/**
 * Runs `stop` for at most `graceMs`. Past it, logs one line naming the step it was in (and so gave
 * up, with every step after it) and rejects with StopTimeoutError: NATS or a database that stopped
 * answering must not keep the process alive. The timer is a plain, referenced one: it must fire
 * even when nothing else keeps the event loop going.
 */
export async function boundedStop(
  stop: (progress: StopProgress) => Promise<void>,
  graceMs: number,
  logger: Logger,
): Promise<void> {
  const progress = new StopProgress();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
  try {
    if ((await Promise.race([stop(progress).then(() => 'done' as const), late])) === 'done') {
      return;
    }
  } finally {
    clearTimeout(timer);
  }
  const step = progress.currentStep;
  logger.error(
    { graceMs, gaveUp: step, done: progress.done },
    `stop gave up after ${graceMs} ms while ${step}, and every step after it; exiting with code 1`,
  );
  throw new StopTimeoutError(`stop gave up after ${graceMs} ms while ${step}`);
}
