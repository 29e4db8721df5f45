import type { DataSource } from 'typeorm';
import type { Clock } from '../runtime/clock.js';
import { planGroup, type AppendRequest } from './append-plan.js';
import { StaleEpochError } from '../domain/index.js';
import { eventKey, fenceKey, GroupStatements } from './group-statements.js';
import type { Waiting } from './group-commit.js';
import type { WorkLock } from './serial-lock.js';
import type { SqlDialect } from './sql-dialect.js';
import type { AppendResult, StoreStats } from './store-types.js';
import { VersionConflictError } from './version-conflict.error.js';

type Outcome = AppendResult | VersionConflictError | StaleEpochError;

/**
 * Writes groups of appends: events, projection rows and sealed secrets of the whole group in ONE
 * transaction, with multi-row statements. Used as the GroupCommit writer.
 */
export class AppendWriter {
  /** Live counters (the object is shared, not copied). */
  readonly stats: StoreStats = { transactions: 0, appends: 0, conflicts: 0, fallbacks: 0 };

  constructor(
    private readonly dataSource: DataSource,
    private readonly dialect: SqlDialect,
    private readonly lock: WorkLock,
    private readonly clock: Clock,
  ) {}

  /** Writes a group; if its transaction fails, writes each member alone so only the culprit fails. */
  readonly writeGroup = async (group: readonly Waiting<AppendRequest, AppendResult>[]): Promise<void> => {
    let outcomes: Outcome[];
    try {
      outcomes = await this.lock.run(() => this.transact(group.map((member) => member.request)));
    } catch (error) {
      if (group.length > 1) {
        this.stats.fallbacks += 1;
        for (const member of group) {
          await this.writeGroup([member]); // in order: a customer's second append expects the first
        }
      } else if (group[0] !== undefined) {
        group[0].reject(await this.explain(group[0].request, error));
      }
      return;
    }
    outcomes.forEach((outcome, index) => {
      if (outcome instanceof VersionConflictError || outcome instanceof StaleEpochError) {
        this.stats.conflicts += 1;
        group[index]?.reject(outcome);
      } else {
        this.stats.appends += 1;
        group[index]?.resolve(outcome);
      }
    });
  };

  private transact(all: readonly AppendRequest[]): Promise<Outcome[]> {
    this.stats.transactions += 1;
    return this.dialect.writeTransaction(async (manager) => {
      const statements = new GroupStatements(manager, this.dialect);
      if (this.dialect.takeTransactionId !== null) {
        await manager.query(this.dialect.takeTransactionId);
      }
      // 0. The fence: an append under a lease epoch the partition has moved on from is refused alone.
      const stale = await this.staleFences(statements, all);
      const requests = all.filter((_, index) => !stale.has(index));
      // 1. One SELECT for the group's versions (row locks on PostgreSQL: a second process waits, then conflicts).
      const plan = planGroup(
        requests,
        await statements.versions(requests.map((request) => request.customerId)),
      );
      // 2. The events; the UNIQUE (customer_id, version) index fences writers we could not see.
      const positions = await statements.insertEvents(plan.events);
      // 3. The projection rows and secrets, in the same transaction.
      const now = this.clock.now();
      await statements.upsertStatuses(plan.statuses, now);
      await statements.upsertSecrets(plan.secrets, now);
      const outcomes = plan.outcomes.map((outcome, index): Outcome => {
        if (!outcome.accepted) {
          return outcome.error;
        }
        const customerId = requests[index]?.customerId ?? '';
        const count = outcome.version - outcome.firstVersion + 1;
        const eventPositions = Array.from({ length: count }, (_, offset) => {
          const position = positions.get(eventKey(customerId, outcome.firstVersion + offset));
          if (position === undefined) {
            throw new Error(`no position returned for ${customerId} v${outcome.firstVersion + offset}`);
          }
          return position;
        });
        return { version: outcome.version, positions: eventPositions };
      });
      return all.map((request, index) => stale.get(index) ?? (outcomes.shift() as Outcome));
    });
  }

  /** The group's requests whose fence is stale, by index, with the error each gets. */
  private async staleFences(
    statements: GroupStatements,
    requests: readonly AppendRequest[],
  ): Promise<Map<number, StaleEpochError>> {
    const stale = new Map<number, StaleEpochError>();
    const fences = requests.flatMap((request) => (request.fence === undefined ? [] : [request.fence]));
    if (fences.length === 0) {
      return stale;
    }
    const epochs = await statements.epochs(fences);
    requests.forEach(({ customerId, fence }, index) => {
      if (fence !== undefined && epochs.get(fenceKey(fence)) !== fence.epoch) {
        stale.set(index, new StaleEpochError(customerId, fence));
      }
    });
    return stale;
  }

  /** A unique violation on a lone append means another writer took the version: a conflict. */
  private async explain(request: AppendRequest, error: unknown): Promise<unknown> {
    if (!this.dialect.isUniqueViolation(error)) {
      return error;
    }
    const rows = await this.lock.run(() =>
      this.dataSource.query<Array<{ version: number | string | null }>>(
        `SELECT MAX("version") AS "version" FROM "events" WHERE "customer_id" = ${this.dialect.list(1)}`,
        [request.customerId],
      ),
    );
    const actual = Number(rows[0]?.version ?? 0);
    return new VersionConflictError(request.customerId, request.expectedVersion, actual);
  }
}
