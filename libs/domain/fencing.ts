/**
 * The lease a write is made under (libs/ownership): the customer's partition in the namespace and
 * the lease's epoch when this instance took it. The log refuses an append whose epoch is no longer
 * the partition's: another instance has taken the partition since.
 */
export interface Fence {
  readonly namespace: string;
  readonly partition: number;
  readonly epoch: number;
}

/** An append carried an epoch that is not the partition's any more: nothing of it was written. */
export class StaleEpochError extends Error {
  override readonly name = 'StaleEpochError';

  constructor(
    readonly customerId: string,
    readonly fence: Fence,
  ) {
    super(
      `partition ${fence.partition} of ${fence.namespace} moved on from epoch ${fence.epoch}: ` +
        `this instance no longer owns customer ${customerId}`,
    );
  }
}

/** This instance does not own the customer's partition (or its lease may have run out): it must not act. */
export class NotOwnerError extends Error {
  override readonly name = 'NotOwnerError';

  constructor(readonly customerId: string) {
    super(`this instance does not own customer ${customerId} now`);
  }
}

/**
 * The relay lease a checkpoint write is made under (libs/ownership/relay-lease.ts): the namespace
 * and the epoch this instance took the lease at. The log refuses the write once the epoch moved on.
 */
export interface RelayFence {
  readonly namespace: string;
  readonly epoch: number;
}

/** A relay checkpoint carried an epoch the relay lease has moved on from: nothing was written. */
export class StaleRelayEpochError extends Error {
  override readonly name = 'StaleRelayEpochError';

  constructor(readonly fence: RelayFence) {
    super(
      `the relay lease of ${fence.namespace} moved on from epoch ${fence.epoch}: ` +
        'another instance runs the outbound feed now',
    );
  }
}
