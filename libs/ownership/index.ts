/**
 * Active-active ownership: customers hashed into partitions, partition leases in PostgreSQL with
 * epochs that fence the log's appends, balanced across the live instances with graceful handover.
 */
export { targetCount } from './balance.js';
export type { HeldLease, InstanceLeases } from './lease-table.js';
export { PartitionCountError } from './ownership.errors.js';
export {
  PartitionOwnership,
  type ClusterView,
  type Handover,
  type OwnershipObserver,
  type OwnershipOptions,
} from './ownership.js';
export { fnv1a32, partitionOf } from './partition.js';
export { RelayLease, type HeldRelayLease, type RelayLeaseOptions } from './relay-lease.js';
export type { RelayHolder } from './relay-lease-table.js';
