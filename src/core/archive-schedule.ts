import type { EventStore } from '../../libs/event-store/index.js';
import type { Clock } from '../../libs/runtime/index.js';
import type { AppConfig } from '../config/app-config.js';
import { runArchive } from './archive-run.js';

const DAY_MS = 86_400_000;
/** The first run waits a minute after delivery starts: start-up's backlog goes first. */
const FIRST_RUN_AFTER_MS = 60_000;

/** The few log calls the schedule makes (pino's shape). */
interface ScheduleLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/**
 * HOOKPOST_ARCHIVE_AFTER's schedule for this deployment, or null when it is off: each run archives
 * the events older than the setting, as told by `clock`, and logs what it did.
 */
export function retentionSchedule(
  store: EventStore,
  config: AppConfig,
  clock: Clock,
  logger: ScheduleLogger,
): ArchiveSchedule | null {
  const keepMs = config.archiveAfterMs;
  if (keepMs === null) {
    return null;
  }
  const run = async () => {
    const now = clock.now();
    const report = await runArchive(store, config, { before: now - keepMs, now });
    logger.info({ ...report }, 'archived old events');
  };
  return new ArchiveSchedule(clock, run, logger);
}

/**
 * HOOKPOST_ARCHIVE_AFTER: runs the archive a minute after delivery starts and then once a day, in
 * the process that holds the delivery lock (started and stopped with delivery), on the injected clock.
 */
export class ArchiveSchedule {
  private timer: { cancel(): void } | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly run: () => Promise<void>,
    private readonly logger: ScheduleLogger,
  ) {}

  start(): void {
    this.arm(FIRST_RUN_AFTER_MS);
  }

  /** No further run; waits for one in progress. */
  async stop(): Promise<void> {
    this.timer?.cancel();
    this.timer = null;
    await this.running;
  }

  private arm(delayMs: number): void {
    this.timer?.cancel();
    this.timer = this.clock.setTimer(() => {
      this.arm(DAY_MS);
      this.running = this.run()
        .catch((error: unknown) =>
          this.logger.warn({ err: String(error) }, 'scheduled archive failed; next run in a day'),
        )
        .finally(() => (this.running = null));
    }, delayMs);
  }
}
