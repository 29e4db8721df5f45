import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { ServiceSecrets } from './config/secrets.js';
import { HookpostCore } from './core/hookpost-core.js';
import { HealthController } from './health/health.controller.js';
import { AdminTokenGuard } from './http/admin-token.guard.js';
import { MessagesController } from './messages/messages.controller.js';
import { PublishService } from './messages/publish.service.js';
import { MessagingController } from './messaging/messaging.controller.js';
import { WebhookController } from './webhooks/webhook.controller.js';
import { WebhookService } from './webhooks/webhook.service.js';

/** One provider set for every entry point: the REST admin API and the NATS patterns share it. */
@Module({})
export class AppModule {
  static forRoot(core: HookpostCore, secrets: ServiceSecrets): DynamicModule {
    return {
      module: AppModule,
      controllers: [WebhookController, MessagesController, HealthController, MessagingController],
      providers: [
        { provide: HookpostCore, useValue: core },
        { provide: APP_GUARD, useValue: new AdminTokenGuard(secrets.adminToken) },
        PublishService,
        WebhookService,
      ],
    };
  }
}
