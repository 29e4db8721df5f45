import type { CustomerSnapshot, SnapshotFilter } from '../../libs/event-store/index.js';

/** A customer's oldest pending message: its webhookId (the stream sequence) and when it was accepted. */
export interface PendingHead {
  id: number;
  acceptedAt: number;
}

/** Where the scan reads: the projection rows, and the queue's first message after a cursor. */
export interface BacklogSource {
  listSnapshots(filter: SnapshotFilter): Promise<CustomerSnapshot[]>;
  oldestPending(customerId: string, afterId: number): Promise<PendingHead | null>;
}

/** What the backlog gauges show. */
export interface BacklogFigures {
  /** When the oldest pending message of all customers was accepted (epoch ms); null when none is pending. */
  oldestPendingAt: number | null;
  /** Customers with an open QueueStalled: their head has failed for HOOKPOST_STALL_ALERT_MS. */
  stallAlerted: number;
}

const PAGE = 1_000;
/** Stream look-ups one scrape may make; the cache carries the rest to the next scrape. */
const MAX_LOOKUPS_PER_SCAN = 200;
/** Both gauges of one scrape share one scan. */
const REUSE_MS = 1_000;

/**
 * Computes the backlog gauges at scrape time from the non-empty customers' rows. A row's
 * `oldestPendingAt` (stored with every projection write) is when its first pending message was
 * accepted, so the oldest of those needs no look-up. Only rows without one (written before the
 * column existed, until their next write) are looked up in the stream: the oldest of those is the
 * one with the lowest webhookId among their first pending ones (ids are the stream's sequence, so
 * they grow with acceptance time). A customer's first pending id is above its cursor, so they are
 * visited by cursor and the visit stops once the next cursor is past the best id found; each first
 * id is cached until its customer's cursor moves, so a stalled backlog is looked up once.
 */
export class BacklogScan {
  private readonly heads = new Map<string, { cursor: number; head: PendingHead | null }>();
  private last: { at: number; figures: Promise<BacklogFigures> } | null = null;

  constructor(
    private readonly source: BacklogSource,
    private readonly now: () => number = Date.now,
  ) {}

  /** The figures, scanned at most once per second. */
  figures(): Promise<BacklogFigures> {
    const now = this.now();
    if (this.last === null || now - this.last.at >= REUSE_MS) {
      const figures = this.scan();
      this.last = { at: now, figures };
      figures.catch(() => (this.last = null)); // a failed scan is not reused
    }
    return this.last.figures;
  }

  private async scan(): Promise<BacklogFigures> {
    const rows = [...(await this.rowsIn('stalled')), ...(await this.rowsIn('waiting'))];
    const stallAlerted = rows.filter((row) => row.state.stallAlertSince !== null).length;
    const unknown = rows.filter((row) => row.oldestPendingAt === null);
    let oldest = (await this.oldestLookedUp(unknown))?.acceptedAt ?? null;
    for (const row of rows) {
      if (row.oldestPendingAt !== null && (oldest === null || row.oldestPendingAt < oldest)) {
        oldest = row.oldestPendingAt;
      }
    }
    this.forgetAllBut(unknown);
    return { oldestPendingAt: oldest, stallAlerted };
  }

  /** The oldest first pending message among rows that store no time, from the stream (see the class). */
  private async oldestLookedUp(rows: CustomerSnapshot[]): Promise<PendingHead | null> {
    rows.sort((a, b) => a.state.cursor - b.state.cursor);
    let best: PendingHead | null = null;
    let lookups = 0;
    for (const row of rows) {
      if (best !== null && row.state.cursor + 1 >= best.id) {
        break; // every later customer's first pending id is above best.id
      }
      const cached = this.heads.get(row.customerId);
      let head: PendingHead | null;
      if (cached?.cursor === row.state.cursor) {
        head = cached.head;
      } else if (lookups < MAX_LOOKUPS_PER_SCAN) {
        lookups += 1;
        head = await this.source.oldestPending(row.customerId, row.state.cursor);
        this.heads.set(row.customerId, { cursor: row.state.cursor, head });
      } else {
        continue; // looked up by a later scrape
      }
      if (head !== null && (best === null || head.id < best.id)) {
        best = head;
      }
    }
    return best;
  }

  private async rowsIn(queue: 'stalled' | 'waiting'): Promise<CustomerSnapshot[]> {
    const rows: CustomerSnapshot[] = [];
    for (let after: string | undefined; ;) {
      const page = await this.source.listSnapshots({
        queue,
        limit: PAGE,
        ...(after === undefined ? {} : { afterCustomerId: after }),
      });
      rows.push(...page);
      after = page.at(-1)?.customerId;
      if (page.length < PAGE || after === undefined) {
        return rows;
      }
    }
  }

  /** Customers that emptied their queue, or now store their time, leave the cache. */
  private forgetAllBut(rows: readonly CustomerSnapshot[]): void {
    if (this.heads.size <= rows.length) {
      return;
    }
    const present = new Set(rows.map((row) => row.customerId));
    for (const customerId of this.heads.keys()) {
      if (!present.has(customerId)) {
        this.heads.delete(customerId);
      }
    }
  }
}
