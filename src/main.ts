import 'reflect-metadata';
import { Command } from 'commander';
import { ConfigError } from './config/app-config.js';
import { packageVersion } from './core/version.js';
import { serve } from './serve.js';

const program = new Command('hookpost')
  .version(packageVersion)
  .description('Ordered, retried webhook delivery over NATS JetStream');

program
  .command('serve')
  .description('run the admin API, the NATS patterns and the delivery workers (what `npm start` runs)')
  .action(async () => {
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

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(
    `hookpost: ${error instanceof ConfigError ? error.message : String((error as Error)?.stack ?? error)}\n`,
  );
  process.exit(1);
});
