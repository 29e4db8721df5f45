import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiError } from '../core/api-error.js';
import { HookpostCore } from '../core/hookpost-core.js';
import { toApiError } from '../core/to-api-error.js';
import { OpenRoute } from '../http/route-access.js';
import { LinkTokens } from '../links/link-tokens.js';
import { WebhookService } from '../webhooks/webhook.service.js';
import { customerPageAccess } from './page-access.js';
import { rootFrom, sendPage } from './page-headers.js';
import { uiAsset } from './ui-assets.js';
import { customerPage } from './views/customer-page.view.js';
import { messagePage } from './views/layout.js';
import { overviewPage } from './views/overview.view.js';

/**
 * The status pages: server-rendered HTML plus small browser modules, no build step of their own.
 * Open routes: a customer page checks its link itself, and every API call the pages make goes
 * through the access guard with the link or the admin token.
 */
@ApiExcludeController()
@OpenRoute()
@Controller('ui')
export class UiController {
  constructor(
    private readonly core: HookpostCore,
    private readonly webhooks: WebhookService,
    private readonly links: LinkTokens,
  ) {}

  /** The operator overview: a shell that asks for the admin token and lists every customer. */
  @Get()
  overview(@Req() request: Request, @Res() response: Response): void {
    sendPage(response, 200, overviewPage(rootFrom(request.path)), this.core.config.uiFrameAncestors);
  }

  /** One customer's "Webhook status", for a status link (`?token=`) or an operator. */
  @Get('customers/:customerId')
  async customer(
    @Param('customerId') customerId: string,
    @Query('token') token: unknown,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const root = rootFrom(request.path);
    const send = (status: number, body: string) =>
      sendPage(response, status, body, this.core.config.uiFrameAncestors);
    const verdict = token === undefined ? null : this.links.verify(typeof token === 'string' ? token : '');
    const access = customerPageAccess(customerId, verdict);
    if (access.kind === 'refused') {
      send(access.status, messagePage(root, access.title, access.message));
      return;
    }
    if (access.kind === 'operator') {
      send(200, customerPage({ customerId, root, link: null, actions: true, status: null, now: Date.now() }));
      return;
    }
    try {
      const status = await this.webhooks.status(customerId);
      const { claims } = access;
      const link = { token: token as string, expiresAt: claims.expiresAt * 1000 };
      send(200, customerPage({ customerId, root, link, actions: claims.actions, status, now: Date.now() }));
    } catch (exception) {
      const error = toApiError(exception);
      const title = error.status === 404 ? 'Unknown customer' : 'The status cannot be shown right now';
      send(error.status, messagePage(root, title, error.status >= 500 ? `${error.message}.` : error.message));
    }
  }

  /** The stylesheet and the pages' browser modules (see ui-assets.ts for what may be served). */
  @Get('assets/*path')
  async asset(@Param('path') path: string[] | string, @Res() response: Response): Promise<void> {
    const asset = await uiAsset(Array.isArray(path) ? path.join('/') : path);
    if (asset === null) {
      throw new ApiError(404, 'NOT_FOUND', 'no such asset');
    }
    // no-cache with the ETag Express adds: a browser revalidates and mostly gets a 304.
    response.set({
      'content-type': asset.contentType,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    response.send(asset.body);
  }
}
