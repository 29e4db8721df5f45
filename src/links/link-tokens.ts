import { signLink, verifyLink, type LinkClaims, type LinkVerdict } from './link-token.js';

/** The link codec bound to the service's link-signing key: one instance shared by the guard, the API and the pages. */
export class LinkTokens {
  constructor(private readonly key: Buffer) {}

  sign(claims: LinkClaims): string {
    return signLink(this.key, claims);
  }

  verify(token: string, nowMs = Date.now()): LinkVerdict {
    return verifyLink(this.key, token, nowMs);
  }
}
