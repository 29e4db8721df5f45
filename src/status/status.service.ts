import { Injectable } from '@nestjs/common';
import { statusView, type CustomerStatus, type QueueState } from '../../libs/domain/index.js';
import type {
  CustomerSnapshot,
  QueueSummary,
  SnapshotFilter,
  SnapshotOrder,
} from '../../libs/event-store/index.js';
import { ApiError } from '../core/api-error.js';
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

/** The list's query: every field optional, as validated by StatusListQueryDto. */
export interface StatusListQuery {
  prefix?: string;
  queue?: QueueState;
  order?: SnapshotOrder;
  after?: string;
  limit?: number;
}

/** Stream gets in flight at once while a page's unknown ages are looked up. */
const AGE_LOOKUPS_AT_ONCE = 32;

/**
 * Lists the status rows of all customers: in customerId order or oldest pending message first,
 * optionally in one queue state and under an id prefix, in keyset pages.
 */
@Injectable()
export class StatusService {
  constructor(private readonly core: HookpostCore) {}

  async list(query: StatusListQuery): Promise<StatusPage> {
    const limit = query.limit ?? 100;
    const order = query.order ?? 'id';
    if (order === 'oldest' && query.queue === 'empty') {
      throw ApiError.badRequest(
        'order=oldest lists customers with pending messages; an empty queue has none',
      );
    }
    const rows = await this.core.store.listSnapshots({
      limit,
      order,
      ...(query.queue === undefined ? {} : { queue: query.queue }),
      ...(query.prefix === undefined ? {} : { prefix: query.prefix }),
      ...keysetAfter(order, query.after),
    });
    const customers: StatusRow[] = [];
    for (let start = 0; start < rows.length; start += AGE_LOOKUPS_AT_ONCE) {
      const chunk = rows.slice(start, start + AGE_LOOKUPS_AT_ONCE);
      customers.push(
        ...(await Promise.all(
          chunk.map(async (row) => ({
            ...statusView(row.customerId, row.state, row.pending, this.core.config.delivery),
            oldestPendingAt: await this.oldestPendingAt(row),
          })),
        )),
      );
    }
    const last = rows.at(-1);
    return { customers, next: rows.length === limit && last !== undefined ? nextKey(order, last) : null };
  }

  /** Customers per queue state and all pending messages, from the projection rows (one query). */
  summary(): Promise<QueueSummary> {
    return this.core.store.summary();
  }

  /**
   * The stored age when the row has one; else (a row written before ages were kept) the stream's
   * first message after the cursor. A NATS hiccup leaves it blank rather than failing the list.
   */
  private async oldestPendingAt(row: CustomerSnapshot): Promise<number | null> {
    if (row.pending === 0) {
      return null;
    }
    if (row.oldestPendingAt !== null) {
      return row.oldestPendingAt;
    }
    return this.core.queue
      .oldestPending(row.customerId, row.state.cursor)
      .then((head) => head?.acceptedAt ?? null)
      .catch(() => null);
  }
}

/** The `next` of a page: the last customerId, or with order=oldest `<oldestPendingAt>.<customerId>`. */
function nextKey(order: SnapshotOrder, last: CustomerSnapshot): string {
  return order === 'oldest' ? `${last.oldestPendingAt ?? 0}.${last.customerId}` : last.customerId;
}

function keysetAfter(order: SnapshotOrder, after: string | undefined): Partial<SnapshotFilter> {
  if (after === undefined) {
    return {};
  }
  const dot = after.indexOf('.');
  if ((order === 'oldest') !== dot > 0) {
    throw ApiError.badRequest(
      order === 'oldest'
        ? 'with order=oldest, after is the `next` of the previous page: <oldestPendingAt>.<customerId>'
        : 'after is the last customerId of the previous page',
    );
  }
  return order === 'oldest'
    ? { afterOldestPendingAt: Number(after.slice(0, dot)), afterCustomerId: after.slice(dot + 1) }
    : { afterCustomerId: after };
}
