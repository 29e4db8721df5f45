/**
 * An append expected a different stream version than the log holds: another writer (or a stale
 * owner of the customer) got there first. Nothing of that append was written.
 */
export class VersionConflictError extends Error {
  override readonly name = 'VersionConflictError';

  constructor(
    readonly customerId: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`version conflict for customer ${customerId}: expected ${expected}, log is at ${actual}`);
  }
}
