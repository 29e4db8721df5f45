/**
 * The durable per-customer queues of Hookpost in one NATS JetStream stream: publish, read after a
 * cursor, count, removal of delivered messages, discovery, and a feed of new messages.
 */
export { JetStreamQueue } from './jetstream-queue.js';
export type { QueueFeed } from './feed.js';
export { IncompleteReadError, type ReadPage } from './reader.js';
export { encodeBody, type QueuedMessage, type QueueBody } from './message.js';
export type { PublishItem, PublishResult } from './publisher.js';
export { MessageTooLargeError, QueueFullError, QueueSettingsError } from './errors.js';
export { isSupportedServer, MINIMUM_SERVER_VERSION, ServerTooOldError } from './server-version.js';
export { withReplicas } from './stream-replicas.js';
export { traceHeaders, traceOfHeaders } from './trace-headers.js';
export { queueSubject, streamName, type QueueSettings } from './settings.js';
