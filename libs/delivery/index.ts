/** Hookpost delivery: payloads, Standard Webhooks signatures, the SSRF guard, regions and the HTTP sender. */
export type { DeliveryRequest, DeliveryResult } from './delivery-request.js';
export { HttpSender, type HttpSenderOptions } from './http-sender.js';
export { UnencodableMessageError, type OutgoingMessage } from './payload.js';
export { parseRegions } from './regions.js';
export { isForbiddenAddress, type GuardedLookupOptions } from './ssrf-guard.js';
