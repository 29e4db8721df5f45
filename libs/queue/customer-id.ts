import { isCustomerId } from '../domain/index.js';

/** Throws unless customerId is 1-64 characters of [A-Za-z0-9_-]: it becomes a subject token, and '*' or '>' would widen a filter. */
export function assertCustomerId(customerId: string): void {
  if (!isCustomerId(customerId)) {
    throw new Error(`customerId must be 1-64 characters of [A-Za-z0-9_-], got '${String(customerId)}'`);
  }
}
