import type { EntityManager } from 'typeorm';
import type { Fence } from '../domain/index.js';
import type { EventInsert, StatusUpsert } from './append-plan.js';
import type { SealedSecrets } from './secret-cipher.js';
import { chunksFor, type SqlDialect } from './sql-dialect.js';

/**
 * The upserts' `oldest_pending_at`: cleared when nothing is pending, the new value when the writer
 * knew it, else the stored one (a writer whose window does not hold the head).
 */
export const OLDEST_PENDING_UPDATE =
  '"oldest_pending_at" = CASE WHEN excluded."pending" = 0 THEN NULL' +
  ' ELSE COALESCE(excluded."oldest_pending_at", "customer_status"."oldest_pending_at") END';

const STATUS_UPDATE = [
  ...['version', 'state', 'pending', 'queue', 'next_attempt_at', 'updated_at'].map(
    (column) => `"${column}" = excluded."${column}"`,
  ),
  OLDEST_PENDING_UPDATE,
].join(', ');

/**
 * The multi-row statements of one group transaction, chunked under the parameter limits.
 * Hand-written SQL: TypeORM 1.1's insert builder refuses RETURNING on SQLite (which has it since
 * 3.35) and would infer the positions from lastInsertRowid instead.
 */
export class GroupStatements {
  constructor(
    private readonly manager: EntityManager,
    private readonly dialect: SqlDialect,
  ) {}

  /** The stream versions of these customers (absent = no row), row-locked on PostgreSQL. */
  async versions(customerIds: readonly string[]): Promise<Map<string, number>> {
    const ids = [...new Set(customerIds)].sort(); // one lock order for every writer
    const versions = new Map<string, number>();
    for (const chunk of chunksFor(ids, 1)) {
      const rows = await this.manager.query<Array<{ customer_id: string; version: number }>>(
        `SELECT "customer_id", "version" FROM "customer_status"
         WHERE "customer_id" IN (${this.dialect.list(chunk.length)})
         ORDER BY "customer_id"${this.dialect.lockRows}`,
        chunk,
      );
      rows.forEach((row) => versions.set(row.customer_id, Number(row.version)));
    }
    return versions;
  }

  /**
   * The current epoch of each lease these fences name, keyed by {@link fenceKey}, key-share locked
   * on PostgreSQL (dialect.shareRows) until the transaction ends: no taker bumps one meanwhile.
   */
  async epochs(fences: readonly Fence[]): Promise<Map<string, number>> {
    const unique = [...new Map(fences.map((fence) => [fenceKey(fence), fence])).values()].sort(
      (a, b) => a.namespace.localeCompare(b.namespace) || a.partition - b.partition,
    );
    const epochs = new Map<string, number>();
    for (const chunk of chunksFor(unique, 2)) {
      const pairs = chunk.map((_, index) => `(${this.dialect.list(2, index * 2)})`).join(', ');
      const rows = await this.manager.query<Array<{ namespace: string; partition: number; epoch: string }>>(
        `SELECT "namespace", "partition", "epoch" FROM "partition_leases"
         WHERE ("namespace", "partition") IN (${pairs})
         ORDER BY "namespace", "partition"${this.dialect.shareRows}`,
        chunk.flatMap((fence) => [fence.namespace, fence.partition]),
      );
      rows.forEach((row) => epochs.set(fenceKey(row), Number(row.epoch)));
    }
    return epochs;
  }

  /** Inserts the events; returns their positions keyed by {@link eventKey}. */
  async insertEvents(events: readonly EventInsert[]): Promise<Map<string, number>> {
    const positions = new Map<string, number>();
    for (const chunk of chunksFor(events, 6)) {
      const rows = await this.manager.query<
        Array<{ position: string | number; customer_id: string; version: number }>
      >(
        `INSERT INTO "events" ("customer_id", "version", "type", "data", "recorded_at", "schema_version")
         VALUES ${this.dialect.rows(chunk.length, 6)} RETURNING "position", "customer_id", "version"`,
        chunk.flatMap((event) => [
          event.customerId,
          event.version,
          event.type,
          event.data,
          event.recordedAt,
          event.schemaVersion,
        ]),
      );
      // RETURNING order is not promised, so positions are matched by (customer, version).
      rows.forEach((row) =>
        positions.set(eventKey(row.customer_id, Number(row.version)), Number(row.position)),
      );
    }
    return positions;
  }

  /** Inserts or replaces the projection rows (at most one per customer: pg refuses touching a row twice). */
  async upsertStatuses(statuses: readonly StatusUpsert[], now: number): Promise<void> {
    for (const chunk of chunksFor(statuses, 8)) {
      await this.manager.query(
        `INSERT INTO "customer_status" ("customer_id", "version", "state", "pending", "queue",
           "next_attempt_at", "oldest_pending_at", "updated_at")
         VALUES ${this.dialect.rows(chunk.length, 8)} ON CONFLICT ("customer_id") DO UPDATE SET ${STATUS_UPDATE}`,
        chunk.flatMap(({ customerId, version, projection }) => [
          customerId,
          version,
          JSON.stringify(projection.state),
          projection.pending,
          projection.queue,
          projection.nextAttemptAt,
          projection.pending > 0 ? (projection.oldestPendingAt ?? null) : null,
          now,
        ]),
      );
    }
  }

  /** Inserts or replaces sealed secrets (the previous one with them: absent clears it). */
  async upsertSecrets(secrets: ReadonlyMap<string, SealedSecrets>, now: number): Promise<void> {
    for (const chunk of chunksFor([...secrets], 7)) {
      await this.manager.query(
        `INSERT INTO "customer_secrets" ("customer_id", "ciphertext", "key_id", "previous_ciphertext",
           "previous_key_id", "previous_expires_at", "updated_at")
         VALUES ${this.dialect.rows(chunk.length, 7)} ON CONFLICT ("customer_id") DO UPDATE SET
         "ciphertext" = excluded."ciphertext", "key_id" = excluded."key_id",
         "previous_ciphertext" = excluded."previous_ciphertext", "previous_key_id" = excluded."previous_key_id",
         "previous_expires_at" = excluded."previous_expires_at", "updated_at" = excluded."updated_at"`,
        chunk.flatMap(([customerId, { current, previous }]) => [
          customerId,
          current.ciphertext,
          current.keyId,
          previous?.ciphertext ?? null,
          previous?.keyId ?? null,
          previous?.expiresAt ?? null,
          now,
        ]),
      );
    }
  }
}

/** The key of a lease in {@link GroupStatements.epochs}'s result. */
export function fenceKey(fence: Pick<Fence, 'namespace' | 'partition'>): string {
  return `${fence.namespace}\u0000${fence.partition}`;
}

/** The key of an event in {@link GroupStatements.insertEvents}'s result. */
export function eventKey(customerId: string, version: number): string {
  return `${customerId}\u0000${version}`;
}
