/**
 * The delivery rules of Hookpost, pure: no framework, driver, clock or I/O. Time comes in as `now`.
 * The runtime loads state, calls these functions and carries out what they return.
 */
export * from './backoff.js';
export * from './decide.js';
export * from './event-schemas.js';
export * from './events.js';
export * from './fencing.js';
export * from './identifiers.js';
export * from './json-text.js';
export * from './queued-message.js';
export * from './recorded-events.js';
export * from './secrets.js';
export * from './settings.js';
export * from './stall-alert.js';
export * from './state.js';
export * from './step-failure.js';
export * from './trace-context.js';
export * from './status.js';
export * from './version-conflict.js';

import { decide } from './decide.js';
import { evolve, initialState } from './state.js';

/** The customer-queue decider as one record (Emmett's shape): initialState, evolve, decide. */
export const customerQueue = { initialState, evolve, decide } as const;
