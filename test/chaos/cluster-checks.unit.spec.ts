import type { RecordedRequest } from '../support/receiver.js';
import { acquiredSince, checkCluster, findOverlaps, type ClusterNotes } from './cluster-checks.js';

const request = (seq: number, customer: string, receivedAt: number): RecordedRequest => ({
  seq,
  method: 'POST',
  path: `/${customer}`,
  headers: {},
  body: JSON.stringify({ id: seq }),
  receivedAt,
  remoteAddress: '127.0.0.1',
  outcome: 'status',
  status: 200,
});

/** Every answer leaves 20 ms after its request arrived. */
const answeredAt = (r: RecordedRequest) => r.receivedAt + 20;

describe('cluster checks', () => {
  test('a request that arrives before the previous one of its customer was answered overlaps it', () => {
    const requests = [request(1, 'a', 100), request(2, 'a', 110), request(3, 'a', 200), request(4, 'b', 105)];
    const senders = new Map([
      [1, 'i1'],
      [2, 'i2'],
      [3, 'i1'],
      [4, 'i2'],
    ]);
    const senderOf = (r: RecordedRequest) => senders.get(r.seq) ?? null;
    expect(findOverlaps({ requests, answeredAt, senderOf }, [])).toEqual({ overlaps: 1, allowed: 0 });
    expect(findOverlaps({ requests, answeredAt, senderOf }, ['i2'])).toEqual({ overlaps: 1, allowed: 1 });
  });

  test('after a freeze, sends and commits on a lost partition count until the instance takes it back', () => {
    const notes: ClusterNotes = {
      faulted: ['i2'],
      pauses: [{ instance: 'i2', pausedAt: 1_000, resumedAt: 5_000, lost: [0] }],
      evidence: [],
      heartbeatGapMs: {},
    };
    // a and b are in partition 0 (lost); c in partition 1 (kept)
    const partitionOf = (customer: string) => (customer === 'c' ? 1 : 0);
    const requests = [
      request(1, 'a', 900), // before the freeze
      request(2, 'a', 5_100), // late
      request(3, 'c', 5_200), // its own partition
      request(4, 'b', 9_000), // taken back at 8_000
    ];
    const result = checkCluster({
      instances: 3,
      requests,
      answeredAt,
      succeeded: () => true,
      senderOf: () => 'i2',
      writes: [
        { position: 1, customerId: 'a', writer: 'i2', insertedAt: 5_300 },
        { position: 2, customerId: 'a', writer: 'i1', insertedAt: 5_400 },
        { position: 3, customerId: 'b', writer: 'i2', insertedAt: 8_500 },
      ],
      partitionOf,
      retakenAt: () => new Map([[0, 8_000]]),
      notes,
    });
    expect(result).toMatchObject({ lateSends: 1, lateSendsPerCustomerMax: 1, staleCommits: 1 });
    expect(result.problems).toEqual(['i2 committed log position 1 (a) after it woke']);
  });

  test('the acquisitions since a time are read from the JSON log lines', () => {
    const logs = [
      '{"level":30,"time":100,"partitions":[1,2],"msg":"partitions acquired"}',
      '{"level":30,"time":300,"partitions":[2,3],"msg":"partitions acquired"}',
      '{"level":30,"time":400,"partitions":[4],"msg":"partitions released"}',
      '{"level":30,"time":5',
    ].join('\n');
    expect(acquiredSince(logs, 200)).toEqual(
      new Map([
        [2, 300],
        [3, 300],
      ]),
    );
  });
});
