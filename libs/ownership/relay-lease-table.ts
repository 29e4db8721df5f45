import type pg from 'pg';
import { leasePool } from './lease-table.js';

/** Who holds the relay lease, unexpired (the cluster view). */
export interface RelayHolder {
  readonly instanceId: string;
  readonly renewedAt: number;
}

/**
 * The namespace's row of `relay_leases` (migration 1765400000000), written like a partition lease:
 * times are the instances' clocks (epoch ms), and taking the lease bumps its epoch under
 * `FOR UPDATE SKIP LOCKED`, so it is taken only between two of the holder's checkpoint writes
 * (each holds a key-share lock on the row while it checks the epoch).
 */
export class RelayLeaseTable {
  private readonly pool: pg.Pool;

  constructor(
    databaseUrl: string,
    private readonly namespace: string,
    private readonly instanceId: string,
  ) {
    this.pool = leasePool(databaseUrl, 1, 'hookpost-relay-lease');
  }

  /** Makes the namespace's row (no holder). */
  async prepare(): Promise<void> {
    await this.pool.query('INSERT INTO "relay_leases" ("namespace") VALUES ($1) ON CONFLICT DO NOTHING', [
      this.namespace,
    ]);
  }

  /**
   * Takes the lease when it is free (no holder, run out at `now`, or left by an earlier life of this
   * instance id) at a new epoch; null when another instance holds it or a checkpoint write holds the row.
   */
  async acquire(now: number, expiresAt: number): Promise<number | null> {
    const { rows } = await this.pool.query<{ epoch: string }>(
      `UPDATE "relay_leases" SET "owner" = $2, "epoch" = "epoch" + 1, "expires_at" = $4, "renewed_at" = $3
       WHERE "namespace" IN (SELECT "namespace" FROM "relay_leases"
         WHERE "namespace" = $1 AND ("owner" IS NULL OR "expires_at" <= $3 OR "owner" = $2)
         FOR UPDATE SKIP LOCKED)
       RETURNING "epoch"`,
      [this.namespace, this.instanceId, now, expiresAt],
    );
    return rows[0] === undefined ? null : Number(rows[0].epoch);
  }

  /** Extends the lease while it is still ours at `epoch`; false when it was taken. */
  async renew(epoch: number, now: number, expiresAt: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE "relay_leases" SET "expires_at" = $4, "renewed_at" = $3
       WHERE "namespace" = $1 AND "owner" = $2 AND "epoch" = $5`,
      [this.namespace, this.instanceId, now, expiresAt, epoch],
    );
    return rowCount === 1;
  }

  /** Gives the lease up (graceful stop): another instance may take it at once. */
  async release(epoch: number): Promise<void> {
    await this.pool.query(
      `UPDATE "relay_leases" SET "owner" = NULL, "expires_at" = 0
       WHERE "namespace" = $1 AND "owner" = $2 AND "epoch" = $3`,
      [this.namespace, this.instanceId, epoch],
    );
  }

  /** The holder at `now`; null when nobody holds it unexpired. */
  async holder(now: number): Promise<RelayHolder | null> {
    const { rows } = await this.pool.query<{ owner: string; renewed_at: string }>(
      `SELECT "owner", "renewed_at" FROM "relay_leases"
       WHERE "namespace" = $1 AND "owner" IS NOT NULL AND "expires_at" > $2`,
      [this.namespace, now],
    );
    const row = rows[0];
    return row === undefined ? null : { instanceId: row.owner, renewedAt: Number(row.renewed_at) };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
