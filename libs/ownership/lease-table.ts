import pg from 'pg';
import type { LocalProcess } from './local-process.js';
import { PartitionCountError } from './ownership.errors.js';

/** A lease this instance holds: the partition and the epoch it took it at. */
export interface HeldLease {
  readonly partition: number;
  readonly epoch: number;
}

/** One live instance and the partitions whose leases it holds (unexpired). */
export interface InstanceLeases {
  readonly instanceId: string;
  readonly partitions: number[];
  readonly renewedAt: number;
}

/** Another instance whose heartbeat says it runs on this host (same kernel boot and pid namespace). */
export interface Neighbour {
  readonly instanceId: string;
  readonly pid: number;
  readonly life: string;
}

/** A small pool of its own for lease writes: a burst of appends queued on the log's pool never delays a renewal. */
export function leasePool(databaseUrl: string, max: number, applicationName: string): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max,
    connectionTimeoutMillis: 5_000,
    query_timeout: 5_000,
    keepAlive: true,
    application_name: applicationName,
  });
  pool.on('error', () => undefined); // an idle connection that dies is replaced on next use
  return pool;
}

/**
 * The lease rows of one namespace in PostgreSQL (tables from the event store's migration
 * 1765300000000). Times are the instances' clocks (epoch ms): a lease has run out for a taker when
 * its clock is past `expires_at`; the holder stops earlier by its own monotonic clock (ownership.ts).
 * Taking a lease bumps its epoch, under `FOR UPDATE SKIP LOCKED`: the append's fence holds a
 * key-share lock on the row, so a partition is taken only between two of its appends.
 */
export class LeaseTable {
  private readonly pool: pg.Pool;

  constructor(
    databaseUrl: string,
    private readonly namespace: string,
    private readonly instanceId: string,
    private readonly self: LocalProcess | null,
  ) {
    this.pool = leasePool(databaseUrl, 2, 'hookpost-leases');
  }

  /**
   * Records the partition count for the namespace the first time and refuses another one later;
   * makes the lease rows.
   */
  async prepare(partitions: number): Promise<void> {
    await this.pool.query(
      'INSERT INTO "cluster_settings" ("namespace", "partitions") VALUES ($1, $2) ON CONFLICT DO NOTHING',
      [this.namespace, partitions],
    );
    const { rows } = await this.pool.query<{ partitions: number }>(
      'SELECT "partitions" FROM "cluster_settings" WHERE "namespace" = $1',
      [this.namespace],
    );
    const recorded = rows[0]?.partitions ?? partitions;
    if (recorded !== partitions) {
      throw new PartitionCountError(this.namespace, recorded, partitions);
    }
    await this.pool.query(
      `INSERT INTO "partition_leases" ("namespace", "partition")
       SELECT $1, p FROM generate_series(0, $2 - 1) AS p ON CONFLICT DO NOTHING`,
      [this.namespace, partitions],
    );
  }

  /**
   * This instance's heartbeat: it counts as live until `expiresAt`. It names this process's life,
   * and that this heartbeat wrote it (`life_at`).
   */
  async heartbeat(now: number, expiresAt: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO "cluster_instances" ("namespace", "instance_id", "renewed_at", "expires_at", "host", "pid", "life", "life_at")
       VALUES ($1, $2, $3, $4, $5, $6, $7, $3) ON CONFLICT ("namespace", "instance_id")
       DO UPDATE SET "renewed_at" = excluded."renewed_at", "expires_at" = excluded."expires_at",
         "host" = excluded."host", "pid" = excluded."pid", "life" = excluded."life", "life_at" = excluded."life_at"`,
      [this.namespace, this.instanceId, now, expiresAt, this.self?.host, this.self?.pid, this.self?.life],
    );
  }

  /**
   * The other instances whose last heartbeat named this host (an older release's heartbeat moves
   * `renewed_at` past `life_at`); none where this process has no host.
   */
  async neighbours(): Promise<Neighbour[]> {
    if (this.self === null) {
      return [];
    }
    const { rows } = await this.pool.query<{ instance_id: string; pid: number; life: string }>(
      `SELECT "instance_id", "pid", "life" FROM "cluster_instances"
       WHERE "namespace" = $1 AND "host" = $2 AND "instance_id" <> $3 AND "life_at" = "renewed_at"`,
      [this.namespace, this.self.host, this.instanceId],
    );
    return rows.map((row) => ({ instanceId: row.instance_id, pid: row.pid, life: row.life }));
  }

  /**
   * Frees the partition leases of a neighbour whose life has ended and drops its heartbeat;
   * returns the partitions freed, or null when its row names another life by now. One transaction
   * that first locks the row and checks that its last heartbeat still wrote that life: a new
   * process under the same instance id writes its own in its heartbeat before it takes a partition,
   * so its leases are never freed. The epochs stay: the next taker bumps them, which fences
   * anything of the dead process's still in the database. The relay lease is left to run out:
   * an instance takes it without a heartbeat first, so a new life could hold it already.
   */
  async forget(neighbour: Neighbour): Promise<number[] | null> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const same = await client.query(
        `SELECT 1 FROM "cluster_instances"
         WHERE "namespace" = $1 AND "instance_id" = $2 AND "life" = $3 AND "life_at" = "renewed_at" FOR UPDATE`,
        [this.namespace, neighbour.instanceId, neighbour.life],
      );
      if (same.rowCount === 0) {
        await client.query('ROLLBACK');
        return null;
      }
      const freed = await client.query<{ partition: number }>(
        `UPDATE "partition_leases" SET "owner" = NULL, "expires_at" = 0
         WHERE "namespace" = $1 AND "owner" = $2 RETURNING "partition"`,
        [this.namespace, neighbour.instanceId],
      );
      await client.query('DELETE FROM "cluster_instances" WHERE "namespace" = $1 AND "instance_id" = $2', [
        this.namespace,
        neighbour.instanceId,
      ]);
      await client.query('COMMIT');
      return freed.rows.map((row) => row.partition).sort((a, b) => a - b);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** The ids of the instances live at `now`, this one included once it has a heartbeat. */
  async liveInstances(now: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ instance_id: string }>(
      'SELECT "instance_id" FROM "cluster_instances" WHERE "namespace" = $1 AND "expires_at" > $2 ORDER BY "instance_id"',
      [this.namespace, now],
    );
    return rows.map((row) => row.instance_id);
  }

  /** Extends the held leases that are still ours at their epoch; returns those partitions. */
  async renew(held: readonly HeldLease[], now: number, expiresAt: number): Promise<Set<number>> {
    if (held.length === 0) {
      return new Set();
    }
    const { rows } = await this.pool.query<{ partition: number }>(
      `UPDATE "partition_leases" AS l SET "expires_at" = $3, "renewed_at" = $4
       FROM unnest($5::int[], $6::bigint[]) AS h(p, e)
       WHERE l."namespace" = $1 AND l."owner" = $2 AND l."partition" = h.p AND l."epoch" = h.e
       RETURNING l."partition"`,
      [
        this.namespace,
        this.instanceId,
        expiresAt,
        now,
        held.map((lease) => lease.partition),
        held.map((lease) => lease.epoch),
      ],
    );
    return new Set(rows.map((row) => row.partition));
  }

  /**
   * Takes up to `count` free partitions (no owner, run out at `now`, or left by an earlier life of
   * this instance id), lowest first, each at a new epoch. Rows an append holds are skipped.
   */
  async acquire(
    count: number,
    exclude: readonly number[],
    now: number,
    expiresAt: number,
  ): Promise<HeldLease[]> {
    if (count <= 0) {
      return [];
    }
    const free = `("owner" IS NULL OR "expires_at" <= $3 OR "owner" = $2) AND NOT ("partition" = ANY($6::int[]))`;
    const { rows } = await this.pool.query<{ partition: number; epoch: string }>(
      `UPDATE "partition_leases" SET "owner" = $2, "epoch" = "epoch" + 1, "expires_at" = $4, "renewed_at" = $3
       WHERE "namespace" = $1 AND ${free} AND "partition" IN (
         SELECT "partition" FROM "partition_leases" WHERE "namespace" = $1 AND ${free}
         ORDER BY "partition" LIMIT $5 FOR UPDATE SKIP LOCKED)
       RETURNING "partition", "epoch"`,
      [this.namespace, this.instanceId, now, expiresAt, count, exclude],
    );
    return rows
      .map((row) => ({ partition: row.partition, epoch: Number(row.epoch) }))
      .sort((a, b) => a.partition - b.partition);
  }

  /** Gives leases up (graceful handover): another instance may take them at once. */
  async release(leases: readonly HeldLease[]): Promise<void> {
    if (leases.length === 0) {
      return;
    }
    await this.pool.query(
      `UPDATE "partition_leases" AS l SET "owner" = NULL, "expires_at" = 0
       FROM unnest($3::int[], $4::bigint[]) AS h(p, e)
       WHERE l."namespace" = $1 AND l."owner" = $2 AND l."partition" = h.p AND l."epoch" = h.e`,
      [this.namespace, this.instanceId, leases.map((l) => l.partition), leases.map((l) => l.epoch)],
    );
  }

  /** This instance leaves the cluster view. */
  async leave(): Promise<void> {
    await this.pool.query('DELETE FROM "cluster_instances" WHERE "namespace" = $1 AND "instance_id" = $2', [
      this.namespace,
      this.instanceId,
    ]);
  }

  /** Every live instance with the partitions it holds unexpired at `now` (the cluster view). */
  async view(now: number): Promise<InstanceLeases[]> {
    const { rows } = await this.pool.query<{ instance_id: string; renewed_at: string; partitions: number[] }>(
      `SELECT i."instance_id", i."renewed_at",
         COALESCE(array_agg(l."partition" ORDER BY l."partition") FILTER (WHERE l."partition" IS NOT NULL), '{}') AS "partitions"
       FROM "cluster_instances" i
       LEFT JOIN "partition_leases" l ON l."namespace" = i."namespace" AND l."owner" = i."instance_id" AND l."expires_at" > $2
       WHERE i."namespace" = $1 AND i."expires_at" > $2
       GROUP BY i."instance_id", i."renewed_at" ORDER BY i."instance_id"`,
      [this.namespace, now],
    );
    return rows.map((row) => ({
      instanceId: row.instance_id,
      partitions: row.partitions,
      renewedAt: Number(row.renewed_at),
    }));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
