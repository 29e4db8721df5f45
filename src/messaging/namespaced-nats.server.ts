import { ServerNats, type NatsOptions } from '@nestjs/microservices';
import type { NatsConnection, SubscriptionOptions } from '@nats-io/transport-node';
import { PlainJsonDeserializer, PlainJsonSerializer } from './plain-json.js';

type SubscriptionCallback = NonNullable<SubscriptionOptions['callback']>;

/**
 * Nest's NATS server with every @MessagePattern prefixed by HOOKPOST_NAMESPACE, so handlers say
 * `publish` and the service answers on `<ns>.publish`; several deployments can share one NATS.
 */
export class NamespacedNatsServer extends ServerNats {
  private readonly queueGroup: string | undefined;

  constructor(
    private readonly namespace: string,
    options: NonNullable<NatsOptions['options']>,
  ) {
    super({ ...options, serializer: new PlainJsonSerializer(), deserializer: new PlainJsonDeserializer() });
    this.queueGroup = options.queue;
  }

  // The subscriptions end with the connection, which close() drains.
  override bindEvents(client: NatsConnection): void {
    for (const [pattern, handler] of this.messageHandlers) {
      client.subscribe(`${this.namespace}.${pattern}`, {
        queue: (handler.extras?.queue as string | undefined) ?? this.queueGroup,
        callback: this.getMessageHandler(pattern).bind(this) as SubscriptionCallback,
      });
    }
  }
}
