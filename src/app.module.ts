import { Module, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { AuditController } from './audit/audit.controller.js';
import { AuditService } from './audit/audit.service.js';
import type { ServiceSecrets } from './config/secrets.js';
import { HookpostCore } from './core/hookpost-core.js';
import { HealthController } from './health/health.controller.js';
import { ApiAccessGuard } from './http/api-access.guard.js';
import { LinkTokens } from './links/link-tokens.js';
import { StatusLinksController } from './links/status-links.controller.js';
import { StatusLinksService } from './links/status-links.service.js';
import { MessagesController } from './messages/messages.controller.js';
import { PublishService } from './messages/publish.service.js';
import { MessagingController } from './messaging/messaging.controller.js';
import { HttpMetricsMiddleware } from './metrics/http-metrics.middleware.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { StatusController } from './status/status.controller.js';
import { ClusterController } from './cluster/cluster.controller.js';
import { StatusService } from './status/status.service.js';
import { UiController } from './ui/ui.controller.js';
import { WebhookController } from './webhooks/webhook.controller.js';
import { WebhookService } from './webhooks/webhook.service.js';

/** One provider set for every entry point: the REST admin API and the NATS patterns share it. */
@Module({})
export class AppModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*path');
  }

  static forRoot(core: HookpostCore, secrets: ServiceSecrets): DynamicModule {
    return {
      module: AppModule,
      imports: [TerminusModule],
      controllers: [
        WebhookController,
        MessagesController,
        AuditController,
        StatusController,
        ClusterController,
        StatusLinksController,
        HealthController,
        MetricsController,
        MessagingController,
        UiController,
      ],
      providers: [
        { provide: HookpostCore, useValue: core },
        { provide: LinkTokens, useValue: new LinkTokens(secrets.linkSigningKey) },
        {
          provide: APP_GUARD,
          useFactory: (links: LinkTokens, reflector: Reflector) =>
            new ApiAccessGuard(secrets.adminToken, links, reflector),
          inject: [LinkTokens, Reflector],
        },
        StatusLinksService,
        PublishService,
        WebhookService,
        AuditService,
        StatusService,
        HttpMetricsMiddleware,
      ],
    };
  }
}
