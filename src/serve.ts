import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module.js';
import { loadConfig } from './config/app-config.js';
import { loadServiceSecrets } from './config/secrets.js';
import { boundedStop } from './core/bounded-stop.js';
import { HookpostCore } from './core/hookpost-core.js';
import { stopGraceMs } from './core/runtime-tuning.js';
import { packageVersion } from './core/version.js';
import { ErrorFilter } from './http/error.filter.js';
import { DtoValidationPipe } from './http/dto-validation.pipe.js';
import { checkJsonBody } from './http/json-body.js';
import { jsonOnly } from './http/json-only.js';
import { TimedExpressAdapter } from './http/server-timeouts.js';
import { createLogger } from './infra/logger.js';
import { NestPinoLogger } from './infra/nest-logger.js';
import { PublishService } from './messages/publish.service.js';
import { NamespacedNatsServer } from './messaging/namespaced-nats.server.js';
import { servePublish } from './messaging/publish-subscriber.js';
import { startTelemetry } from './telemetry/start-telemetry.js';

/** A running service: its address, and a graceful stop. */
export interface RunningService {
  readonly url: string;
  /** Rejects with StopTimeoutError when the stop did not end within its grace (it says why in the log). */
  stop(): Promise<void>;
}

/**
 * `hookpost serve`: the admin API, the NATS patterns and the delivery workers in one process.
 * Order matters: 1. connect NATS and the log, 2. answer NATS requests, 3. start delivering,
 * 4. open the HTTP port. Stopping runs it backwards so no attempt is left half-recorded.
 */
export async function serve(env: NodeJS.ProcessEnv = process.env): Promise<RunningService> {
  const config = loadConfig(env);
  const logger = createLogger(config.logLevel).child({ instanceId: config.instanceId });
  const secrets = await loadServiceSecrets(config.dataDir, config);
  if (secrets.generatedAdminToken) {
    process.stdout.write(
      `\nHookpost admin token (stored in ${config.dataDir}/admin-token): ${secrets.adminToken}\n\n`,
    );
  }
  // Loaded only with an OTLP endpoint: without one no span is made and no SDK module is imported.
  const telemetry = config.otlpTracing ? await startTelemetry(packageVersion, logger) : null;
  const core = await HookpostCore.open(config, secrets, logger, telemetry?.tracing ?? null);
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(core, secrets),
    new TimedExpressAdapter(),
    {
      logger: new NestPinoLogger(logger),
      bodyParser: false,
      // The raw bytes of a JSON body, for checkJsonBody (UTF-8, depth, exact numbers).
      rawBody: true,
    },
  );
  // Says nothing about the stack to a caller probing for known weaknesses.
  app.disable('x-powered-by');
  // 256 KiB of message plus its envelope; larger bodies get a 413 in the one error shape.
  app.use(jsonOnly);
  app.useBodyParser('json', { limit: '300kb' });
  app.use(checkJsonBody);
  app.useGlobalFilters(new ErrorFilter(logger));
  app.useGlobalPipes(new DtoValidationPipe());
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder().setTitle('Hookpost admin API').setVersion(packageVersion).addBearerAuth().build(),
  );
  SwaggerModule.setup('docs', app, document);
  const queueGroup = `${config.namespace}-api`;
  app.connectMicroservice({
    strategy: new NamespacedNatsServer(config.namespace, { servers: core.nats.servers, queue: queueGroup }),
  });
  await app.startAllMicroservices();
  const publishing = servePublish(
    core.nats.connection,
    `${config.namespace}.publish`,
    queueGroup,
    app.get(PublishService),
    logger,
  );
  await core.startDelivery();
  await app.listen(config.port, config.host);
  const url = await app.getUrl();
  logger.info(
    {
      url,
      nats: core.nats.servers.join(','),
      namespace: config.namespace,
      database: config.databaseUrl === null ? 'sqlite' : 'postgres',
    },
    'hookpost is up',
  );
  let stopping: Promise<void> | null = null;
  return {
    url,
    stop: () =>
      (stopping ??= (async () => {
        logger.info('hookpost stopping');
        const graceMs = stopGraceMs(config.delivery);
        await boundedStop(
          async (progress) => {
            progress.step('draining the publish subscription');
            await publishing.drain().catch(() => undefined);
            await core.close(progress);
            progress.step('closing the HTTP server');
            await app.close();
            // The last spans (the final attempts' outcomes) are exported before the process ends.
            progress.step('exporting the last spans');
            await telemetry
              ?.shutdown()
              .catch((err: unknown) => logger.warn({ err }, 'span export failed at stop'));
          },
          graceMs,
          logger,
        ).catch((error: unknown) => {
          core.abandon();
          throw error;
        });
        logger.info('hookpost stopped');
      })()),
  };
}
