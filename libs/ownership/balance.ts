/**
 * How many partitions `instanceId` should own when `live` (every live instance, itself included)
 * share `partitions`: ⌊P/N⌋ each, and one more for the first P mod N in id order. Every instance
 * computes the same split from the same list, so the targets add up to P exactly.
 */
export function targetCount(live: readonly string[], instanceId: string, partitions: number): number {
  const ids = [...new Set([...live, instanceId])].sort();
  const index = ids.indexOf(instanceId);
  const base = Math.floor(partitions / ids.length);
  return base + (index < partitions % ids.length ? 1 : 0);
}
