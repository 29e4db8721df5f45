import { targetCount } from './balance.js';
import { fnv1a32, partitionOf } from './partition.js';

describe('the partition of a customer', () => {
  test('FNV-1a 32-bit gives the published test vectors', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  test('non-ASCII text is hashed as its UTF-8 bytes', () => {
    // "é" is C3 A9 in UTF-8; FNV-1a over those two bytes (computed independently) is 0x1e9de8c1.
    expect(fnv1a32('é')).toBe(0x1e9de8c1);
  });

  test('the example of docs/contract.md: acme is in partition 47 of 128', () => {
    expect(fnv1a32('acme')).toBe(0x45fd71af);
    expect(partitionOf('acme', 128)).toBe(47);
  });

  test('the partition is the hash modulo the count, the same on every call', () => {
    expect(partitionOf('acme', 128)).toBe(fnv1a32('acme') % 128);
    expect(partitionOf('acme', 128)).toBe(partitionOf('acme', 128));
    const used = new Set(Array.from({ length: 2_000 }, (_, i) => partitionOf(`cus_${i}`, 128)));
    expect(used.size).toBe(128);
  });
});

describe('the share of each instance', () => {
  test.each([
    [1, 128],
    [2, 128],
    [3, 128],
    [7, 64],
  ])('%i instances over %i partitions: floor or ceil of P/N each, adding up to P', (n, partitions) => {
    const ids = Array.from({ length: n }, (_, i) => `i${i}`);
    const shares = ids.map((id) => targetCount(ids, id, partitions));
    expect(shares.reduce((a, b) => a + b, 0)).toBe(partitions);
    shares.forEach((share) => {
      expect([Math.floor(partitions / n), Math.ceil(partitions / n)]).toContain(share);
    });
  });

  test('an instance not yet in the live list counts itself', () => {
    expect(targetCount(['a'], 'b', 128)).toBe(64);
  });
});
