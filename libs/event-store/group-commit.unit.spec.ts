import { ManualClock } from '../../test/support/manual-clock.js';
import { GroupCommit, type Waiting } from './group-commit.js';

/** A writer that records its groups and lets the test decide when each write finishes. */
function recordingWriter() {
  const groups: number[][] = [];
  const releases: Array<() => void> = [];
  const write = (group: readonly Waiting<number, number>[]) => {
    groups.push(group.map((member) => member.request));
    return new Promise<void>((resolve) => {
      releases.push(() => {
        group.forEach((member) => member.resolve(member.request * 10));
        resolve();
      });
    });
  };
  return { groups, releases, write };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('GroupCommit', () => {
  test('requests made together are written as one group, each caller gets its own result', async () => {
    const writer = recordingWriter();
    const commit = new GroupCommit(writer.write, { maxWaitMs: 1, maxGroupSize: 100 });
    const results = Promise.all([1, 2, 3].map((n) => commit.submit(n)));
    await tick();
    expect(writer.groups).toEqual([[1, 2, 3]]);
    writer.releases[0]?.();
    await expect(results).resolves.toEqual([10, 20, 30]);
  });

  test('requests arriving during a write form the next group, written when it ends', async () => {
    const writer = recordingWriter();
    const commit = new GroupCommit(writer.write, { maxWaitMs: 1, maxGroupSize: 100 });
    const first = commit.submit(1);
    await tick();
    const later = [commit.submit(2), commit.submit(3)];
    await tick();
    expect(writer.groups).toEqual([[1]]);
    writer.releases[0]?.();
    await expect(first).resolves.toBe(10);
    await tick();
    expect(writer.groups).toEqual([[1], [2, 3]]);
    writer.releases[1]?.();
    await expect(Promise.all(later)).resolves.toEqual([20, 30]);
  });

  test('a full queue is written at once, and groups never exceed maxGroupSize', async () => {
    const writer = recordingWriter();
    const commit = new GroupCommit(writer.write, { maxWaitMs: 60_000, maxGroupSize: 2 });
    const all = [1, 2, 3].map((n) => commit.submit(n));
    expect(writer.groups).toEqual([[1, 2]]);
    writer.releases[0]?.();
    await tick();
    expect(writer.groups).toEqual([[1, 2], [3]]);
    writer.releases[1]?.();
    await expect(Promise.all(all)).resolves.toEqual([10, 20, 30]);
  });

  test('a writer that throws fails its group only', async () => {
    let calls = 0;
    const commit = new GroupCommit<number, number>(
      (group) => {
        calls += 1;
        if (calls === 1) {
          return Promise.reject(new Error('boom'));
        }
        group.forEach((member) => member.resolve(member.request));
        return Promise.resolve();
      },
      { maxWaitMs: 0, maxGroupSize: 100 },
    );
    await expect(commit.submit(1)).rejects.toThrow('boom');
    await expect(commit.submit(2)).resolves.toBe(2);
  });

  test('drain waits for queued requests, without waiting out maxWaitMs', async () => {
    const commit = new GroupCommit<number, number>(
      (group) => {
        group.forEach((member) => member.resolve(member.request));
        return Promise.resolve();
      },
      { maxWaitMs: 60_000, maxGroupSize: 100 },
    );
    const pending = commit.submit(7);
    await commit.drain();
    await expect(pending).resolves.toBe(7);
  });

  test('a lone request waits maxWaitMs on the clock for company, and no longer', async () => {
    const writer = recordingWriter();
    const clock = new ManualClock();
    const commit = new GroupCommit(writer.write, { maxWaitMs: 50, maxGroupSize: 100, clock });
    const first = commit.submit(1);
    clock.advance(49);
    const second = commit.submit(2);
    await tick();
    expect(writer.groups).toEqual([]); // only the clock's timer starts the group
    clock.advance(1);
    expect(writer.groups).toEqual([[1, 2]]);
    writer.releases[0]?.();
    await expect(Promise.all([first, second])).resolves.toEqual([10, 20]);
    expect(clock.armed).toBe(0);
  });
});
