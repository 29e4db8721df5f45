/** The actor runtime: one actor per active customer, one timer structure, passivation. */
export * from './actor-host.js';
export * from './clock.js';
export * from './customer-actor.js';
export * from './pending-window.js';
export * from './ports.js';
export * from './timer-queue.js';
export * from './tracing.js';
