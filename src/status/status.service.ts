import { Injectable } from '@nestjs/common';
import { statusView, type CustomerStatus, type QueueState } from '../../libs/domain/index.js';
import type { QueueSummary } from '../../libs/event-store/index.js';
import { HookpostCore } from '../core/hookpost-core.js';

/** A status row of the list: the status view plus when its oldest pending message was accepted. */
export type StatusRow = CustomerStatus & {
  /** ms since the epoch; null when nothing is pending (or the queue could not be asked). */
  oldestPendingAt: number | null;
};

/** A page of every customer's status, for REST `GET /v1/status` and NATS `<ns>.status.list`. */
export interface StatusPage {
  customers: StatusRow[];
  /** Pass as `after` for the next page; null on the last one. */
  next: string | null;
}

/** Stream gets in flight at once while a page's ages are looked up. */
const AGE_LOOKUPS_AT_ONCE = 32;

/** Lists the status rows of all customers in customerId order, optionally in one queue state. */
@Injectable()
export class StatusService {
  constructor(private readonly core: HookpostCore) {}

  async list(query: { queue?: QueueState; after?: string; limit?: number }): Promise<StatusPage> {
    const limit = query.limit ?? 100;
    const rows = await this.core.store.listSnapshots({
      limit,
      ...(query.queue === undefined ? {} : { queue: query.queue }),
      ...(query.after === undefined ? {} : { afterCustomerId: query.after }),
    });
    const customers: StatusRow[] = [];
    for (let start = 0; start < rows.length; start += AGE_LOOKUPS_AT_ONCE) {
      const chunk = rows.slice(start, start + AGE_LOOKUPS_AT_ONCE);
      customers.push(
        ...(await Promise.all(
          chunk.map(async (row) => ({
            ...statusView(row.customerId, row.state, row.pending, this.core.config.delivery),
            oldestPendingAt:
              row.pending > 0 ? await this.oldestPendingAt(row.customerId, row.state.cursor) : null,
          })),
        )),
      );
    }
    return { customers, next: rows.length === limit ? (rows.at(-1)?.customerId ?? null) : null };
  }

  /** Customers per queue state and all pending messages, from the projection rows (one query). */
  summary(): Promise<QueueSummary> {
    return this.core.store.summary();
  }

  // The age is a convenience of the overview: a NATS hiccup leaves it blank rather than failing the list.
  private oldestPendingAt(customerId: string, cursor: number): Promise<number | null> {
    return this.core.queue
      .oldestPending(customerId, cursor)
      .then((head) => head?.acceptedAt ?? null)
      .catch(() => null);
  }
}
