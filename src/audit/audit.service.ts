import { Injectable } from '@nestjs/common';
import { currentEventData, isCustomerId } from '../../libs/domain/index.js';
import type { StoredEvent } from '../../libs/event-store/index.js';
import { ApiError } from '../core/api-error.js';
import { HookpostCore } from '../core/hookpost-core.js';
import { AuditLog } from './audit-log.js';

/** One delivery attempt that carried a given webhook. */
export interface AttemptView {
  version: number;
  at: number;
  outcome: 'succeeded' | 'failed';
  firstId: number;
  lastId: number;
  attempt: number | null;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/** A webhook's message (while the stream still holds it) and its history. */
export interface WebhookHistory {
  customerId: string;
  webhookId: number;
  state: 'pending' | 'delivered' | 'skipped' | 'purged';
  message: { id: number; event: string; acceptedAt: number; data: Record<string, unknown> } | null;
  attempts: AttemptView[];
}

const SCAN_PAGE = 1_000;

/** The event log as an audit trail: a customer's events, and every attempt that carried a webhook. */
@Injectable()
export class AuditService {
  private readonly log: AuditLog;

  constructor(private readonly core: HookpostCore) {
    this.log = new AuditLog(core.store, core.config.archiveDir);
  }

  /** A page of the customer's events, oldest first; `next` is the version to pass as `after`. */
  async events(customerId: string, after: number, limit: number) {
    await this.assertKnown(customerId);
    const events = await this.log.readStream(customerId, after, limit);
    return {
      events: events.map(({ version, type, at, data, schemaVersion }) => ({
        version,
        type,
        at,
        data: currentEventData(type, data, at, schemaVersion).data,
      })),
      next: events.length === limit ? (events.at(-1)?.version ?? null) : null,
    };
  }

  /** One webhook: its message if still queued, and each attempt, skip or purge that covered it. */
  async webhook(customerId: string, webhookId: number): Promise<WebhookHistory> {
    const snapshot = await this.assertKnown(customerId);
    const attempts: AttemptView[] = [];
    let settled: WebhookHistory['state'] | null = null;
    for (let after = 0; ;) {
      const page = await this.log.readStream(customerId, after, SCAN_PAGE);
      for (const event of page) {
        settled = collect(event, webhookId, attempts) ?? settled;
      }
      const last = page.at(-1);
      if (last === undefined || page.length < SCAN_PAGE) {
        break;
      }
      after = last.version;
    }
    const [queued] = await this.core.queue.read(customerId, webhookId - 1, 1);
    const message =
      queued?.id === webhookId && queued.kind === 'message'
        ? { id: queued.id, event: queued.event, acceptedAt: queued.acceptedAt, data: queued.data }
        : null;
    if (message === null && attempts.length === 0 && settled === null) {
      throw ApiError.notFound(`customer ${customerId} has no webhook ${webhookId}`);
    }
    const pending = settled === null && webhookId > snapshot.state.cursor;
    return {
      customerId,
      webhookId,
      state: pending ? 'pending' : (settled ?? 'delivered'),
      message,
      attempts,
    };
  }

  private async assertKnown(customerId: string) {
    if (!isCustomerId(customerId)) {
      throw ApiError.badRequest('customerId must be 1-64 characters of A-Z, a-z, 0-9, _ and -');
    }
    const snapshot = await this.core.store.load(customerId);
    if (snapshot === null) {
      throw ApiError.notFound(`unknown customer ${customerId}`);
    }
    return snapshot;
  }
}

/** Adds the event to `attempts` when it carried the webhook; returns how it settled it, if it did. */
function collect(
  event: StoredEvent,
  webhookId: number,
  attempts: AttemptView[],
): WebhookHistory['state'] | null {
  const data = event.data as Record<string, unknown>;
  if (event.type === 'DeliverySucceeded' || event.type === 'DeliveryFailed') {
    const firstId = Number(data.firstId);
    const lastId = Number(data.lastId);
    if (webhookId < firstId || webhookId > lastId) {
      return null;
    }
    const ok = event.type === 'DeliverySucceeded';
    attempts.push({
      version: event.version,
      at: event.at,
      outcome: ok ? 'succeeded' : 'failed',
      firstId,
      lastId,
      attempt: typeof data.attempt === 'number' ? data.attempt : null,
      statusCode: typeof data.statusCode === 'number' ? data.statusCode : null,
      error: typeof data.error === 'string' ? data.error : null,
      durationMs: Number(data.durationMs),
    });
    return ok ? 'delivered' : null;
  }
  if ((event.type === 'MessagesSkipped' || event.type === 'QueuePurged') && Array.isArray(data.ids)) {
    return data.ids.includes(webhookId) ? (event.type === 'QueuePurged' ? 'purged' : 'skipped') : null;
  }
  return null;
}
