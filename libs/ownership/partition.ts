/** FNV-1a 32-bit offset basis and prime. */
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * FNV-1a, 32-bit, over the UTF-8 bytes of `text`. A customerId is ASCII (its characters are its
 * bytes), so the usual case reads the characters without encoding: the hash runs per feed message.
 */
export function fnv1a32(text: string): number {
  const ascii = !/[^\p{ASCII}]/u.test(text);
  const bytes = ascii ? null : new TextEncoder().encode(text);
  const length = bytes?.length ?? text.length;
  let hash = FNV_OFFSET;
  for (let index = 0; index < length; index += 1) {
    hash ^= bytes?.[index] ?? text.charCodeAt(index);
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

/**
 * The partition of a customer: FNV-1a 32-bit of its id, modulo the partition count
 * (docs/contract.md, "Active-active", says the same so an operator can compute it).
 */
export function partitionOf(customerId: string, partitions: number): number {
  return fnv1a32(customerId) % partitions;
}
