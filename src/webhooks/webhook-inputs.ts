import { isURL, IsString, Matches, ValidateBy } from 'class-validator';
import { WEBHOOK_SECRET_PATTERN, WEBHOOK_SECRET_RULE } from '../../libs/domain/index.js';

const URL_OPTIONS = {
  protocols: ['http', 'https'],
  require_protocol: true,
  require_tld: false,
  disallow_auth: true,
};

/**
 * An endpoint URL: http(s), no credentials, and one the sender's URL parser (WHATWG) reads too.
 * class-validator's isURL alone lets through forms the sender cannot use, such as an IPv6 zone id
 * (`http://[fe80::1%25eth0]/`): stored, every attempt would fail.
 */
export function IsEndpointUrl(): PropertyDecorator {
  return ValidateBy({
    name: 'isEndpointUrl',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'string' && value.length <= 2048 && isURL(value, URL_OPTIONS) && URL.canParse(value),
      defaultMessage: () =>
        'url must be an http(s) URL of at most 2048 characters, without credentials or an IPv6 zone id',
    },
  });
}

/**
 * A webhook secret, wherever one is set: 8-256 visible ASCII characters. It travels in the
 * Authorization header, which cannot carry anything else; accepting it would stall the queue.
 */
export function IsWebhookSecret(): PropertyDecorator {
  const decorators = [IsString(), Matches(WEBHOOK_SECRET_PATTERN, { message: WEBHOOK_SECRET_RULE })];
  return (target, key) => decorators.forEach((decorate) => decorate(target, key));
}
