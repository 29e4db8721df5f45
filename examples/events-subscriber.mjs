// A subscriber of Hookpost's outbound event feed (docs/events.md), e.g. a service that emails a
// customer whose webhooks have stalled. Any NATS client works; this one uses nats.js v3.
//
//   NATS_URL=nats://127.0.0.1:4222 node examples/events-subscriber.mjs 'hookpost.events.*.QueueStalled'
//
// The durable consumer remembers how far it got, so a restart continues where it stopped; acks are
// explicit and one at a time (max_ack_pending 1), so events are handled in the feed's order.
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

const namespace = process.env.HOOKPOST_NAMESPACE ?? 'hookpost';
const stream = `${namespace.toUpperCase().replace(/-/g, '_')}_EVENTS`;
const subjects = process.argv[2] ?? `${namespace}.events.>`;
const name = process.env.CONSUMER_NAME ?? 'example-subscriber';

// NATS_URL may list several servers of a cluster, separated by commas.
const nc = await connect({ servers: (process.env.NATS_URL ?? 'nats://127.0.0.1:4222').split(',') });
const jsm = await jetstreamManager(nc);
await jsm.consumers.add(stream, {
  durable_name: name,
  ack_policy: AckPolicy.Explicit,
  filter_subject: subjects,
  max_ack_pending: 1,
});
const consumer = await jetstream(nc).consumers.get(stream, name);
for await (const message of await consumer.consume()) {
  const event = message.json(); // { position, customerId, version, type, schemaVersion, at, data }
  console.log(JSON.stringify(event)); // here: send the email, update the warehouse, ...
  message.ack();
}
