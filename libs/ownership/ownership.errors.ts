/** The namespace was first started with another partition count: customers would move partition. */
export class PartitionCountError extends Error {
  override readonly name = 'PartitionCountError';

  constructor(namespace: string, recorded: number, given: number) {
    super(
      `HOOKPOST_PARTITIONS is ${given}, but namespace ${namespace} was started with ${recorded} partitions: ` +
        `every instance must use ${recorded}`,
    );
  }
}
