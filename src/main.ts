import 'reflect-metadata';
import { Command } from 'commander';
import { archiveCommand } from './cli/archive.command.js';
import { EncryptionKeyMismatchError } from '../libs/event-store/index.js';
import { PartitionCountError } from '../libs/ownership/index.js';
import { QueueSettingsError } from '../libs/queue/index.js';
import { CliError } from './cli/cli-error.js';
import { demoCommand } from './cli/demo.command.js';
import { publishCommand } from './cli/publish.command.js';
import { replayCommand } from './cli/replay.command.js';
import { retryCommand } from './cli/retry.command.js';
import { rotateSecretCommand } from './cli/rotate-secret.command.js';
import { statusCommand } from './cli/status.command.js';
import { ConfigError } from './config/app-config.js';
import { packageVersion } from './core/version.js';
import { NatsServerUnavailableError } from './infra/nats-server-binary.js';

/** Errors that say all there is to say in their message: one line, no stack (e.g. a nats-server too old). */
const ONE_LINE_ERRORS = [
  ConfigError,
  CliError,
  QueueSettingsError,
  NatsServerUnavailableError,
  PartitionCountError,
  EncryptionKeyMismatchError,
];

const program = new Command('hookpost')
  .version(packageVersion)
  .description('Ordered, retried webhook delivery over NATS JetStream');

program
  .command('serve')
  .description('run the admin API, the NATS patterns and the delivery workers (what `npm start` runs)')
  .action(async () => {
    // Loaded here so the other commands start without NestJS.
    const { serve } = await import('./serve.js');
    const service = await serve();
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        void service.stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      });
    }
  });

program
  .addCommand(replayCommand())
  .addCommand(archiveCommand())
  .addCommand(statusCommand())
  .addCommand(retryCommand())
  .addCommand(rotateSecretCommand())
  .addCommand(publishCommand())
  .addCommand(demoCommand());

program.parseAsync().catch((error: unknown) => {
  const known = ONE_LINE_ERRORS.some((type) => error instanceof type);
  const text = known ? (error as Error).message : String((error as Error)?.stack ?? error);
  process.stderr.write(`hookpost: ${text}\n`);
  process.exit(1);
});
