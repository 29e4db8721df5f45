import { statusOf } from '../../libs/domain/spec-support.js';
import { formatStatus } from './status-format.js';

const NOW = 1_764_000_000_000;
const status = statusOf({ queue: 'stalled', pending: 3 });

describe('hookpost status output', () => {
  test('names failing steps (nothing sent or recorded) with their count, start and error', () => {
    const stepFailure = { since: NOW - 30_000, count: 4, error: 'Connection terminated unexpectedly' };
    expect(formatStatus({ ...status, stepFailure }, NOW)).toContain(
      `  steps failing: 4 since ${new Date(NOW - 30_000).toISOString()} (30 s ago): Connection terminated unexpectedly`,
    );
  });

  test('says nothing of steps while they succeed', () => {
    expect(formatStatus(status, NOW)).not.toContain('steps failing');
  });
});
