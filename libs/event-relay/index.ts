/**
 * The outbound feed: every committed event of the log, published to `<NS>_EVENTS` for other
 * systems (notifications, analytics) to subscribe to without polling.
 */
export {
  EventRelay,
  relayCheckpointName,
  type RelayLeaseGuard,
  type RelayOptions,
  type RelaySource,
} from './event-relay.js';
export { eventsStreamName, LOG_HEADER, POSITION_HEADER } from './events-stream.js';
export type { OutboundEvent } from './outbound-event.js';
