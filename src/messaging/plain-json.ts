import { parseRequestJson } from '../core/request-json.js';
import type { ConsumerDeserializer, ConsumerSerializer, IncomingRequest } from '@nestjs/microservices';

const PLAIN = 'plain:';

interface NatsMessageLike {
  readonly data: Uint8Array;
  readonly reply?: string;
}

/**
 * Lets any NATS client send a plain JSON request and get a plain JSON reply. Nest's own packets
 * (`{ pattern, data, id }` from ClientProxy) pass through unchanged.
 */
export class PlainJsonDeserializer implements ConsumerDeserializer {
  deserialize(message: NatsMessageLike, options?: { channel?: string; replyTo?: string }): IncomingRequest {
    const body = parseRequest(message);
    if (isNestPacket(body)) {
      return body;
    }
    const replyTo = options?.replyTo ?? message.reply;
    // A request without a reply subject is an event: no id, so Nest does not try to answer.
    return {
      pattern: options?.channel ?? '',
      data: body,
      id: replyTo ? `${PLAIN}${replyTo}` : (undefined as unknown as string),
    };
  }
}

/** Answers plain requests with the bare handler result; Nest clients get Nest's packet. */
export class PlainJsonSerializer implements ConsumerSerializer {
  serialize(packet: { id?: string; response?: unknown; err?: unknown; isDisposed?: boolean }): {
    data: string;
  } {
    if (typeof packet.id === 'string' && packet.id.startsWith(PLAIN)) {
      const body =
        packet.err !== undefined
          ? { error: { code: 'INTERNAL', message: 'internal error' } }
          : packet.response;
      return { data: JSON.stringify(body ?? null) };
    }
    return { data: JSON.stringify(packet) };
  }
}

/**
 * The JSON body of a NATS request, or the ApiError (400) saying why it cannot be taken; the handler
 * answers with it (requestBody), so a bad body gets its reply like any other bad input.
 */
export function parseRequest(message: { readonly data: Uint8Array }): unknown {
  return parseRequestJson(message.data);
}

/** A packet from Nest's ClientProxy: `{ pattern, data, id }`. */
export function isNestPacket(value: unknown): value is IncomingRequest {
  return typeof value === 'object' && value !== null && 'pattern' in value && 'data' in value;
}
