import { signLink, verifyLink, type LinkClaims, type LinkVerdict } from './link-token.js';

/** The link codec bound to the service's link-signing key: one instance shared by the guard, the API and the pages. */
export class LinkTokens {
  constructor(private readonly key: Buffer) {}

  /** A token granting `claims`. */
  sign(claims: LinkClaims): string {
    return signLink(this.key, claims);
  }

  /** The token's claims, or why it is refused at `nowMs`. */
  verify(token: string, nowMs = Date.now()): LinkVerdict {
    return verifyLink(this.key, token, nowMs);
  }
}
