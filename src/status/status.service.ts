import { Injectable } from '@nestjs/common';
import { statusView, type CustomerStatus, type QueueState } from '../../libs/domain/index.js';
import { HookpostCore } from '../core/hookpost-core.js';

/** A page of every customer's status, for REST `GET /v1/status` and NATS `<ns>.status.list`. */
export interface StatusPage {
  customers: CustomerStatus[];
  /** Pass as `after` for the next page; null on the last one. */
  next: string | null;
}

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
    const customers = rows.map((row) =>
      statusView(row.customerId, row.state, row.pending, this.core.config.delivery),
    );
    return { customers, next: rows.length === limit ? (rows.at(-1)?.customerId ?? null) : null };
  }
}
