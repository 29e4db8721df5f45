import { SetMetadata } from '@nestjs/common';
import type { LinkAccess } from '../links/link-scope.js';

/** Metadata key of routes anyone may call (health, metrics, the status pages, which check their own link). */
export const OPEN_ROUTE = 'hookpost:open-route';
/** Metadata key of routes a status link may call, with what it may do there. */
export const LINK_ACCESS = 'hookpost:link-access';

/** No token needed. Every route without this needs the admin token (or a status link, see LinkRoute). */
export const OpenRoute = () => SetMetadata(OPEN_ROUTE, true);

/** A status link for the route's `:customerId` may call this route too ('act' needs a link with actions). */
export const LinkRoute = (access: LinkAccess) => SetMetadata(LINK_ACCESS, access);
