import 'reflect-metadata';
import { Command } from 'commander';
import { archiveCommand } from './cli/archive.command.js';
import { CliError } from './cli/cli-error.js';
import { demoCommand } from './cli/demo.command.js';
import { publishCommand } from './cli/publish.command.js';
import { replayCommand } from './cli/replay.command.js';
import { retryCommand } from './cli/retry.command.js';
import { statusCommand } from './cli/status.command.js';
import { ConfigError } from './config/app-config.js';
import { packageVersion } from './core/version.js';

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
  .addCommand(publishCommand())
  .addCommand(demoCommand());

program.parseAsync().catch((error: unknown) => {
  const known = error instanceof ConfigError || error instanceof CliError;
  process.stderr.write(`hookpost: ${known ? error.message : String((error as Error)?.stack ?? error)}\n`);
  process.exit(1);
});
