import type { ArgumentMetadata, PipeTransform } from '@nestjs/common';
import { validateBody } from '../core/validate.js';

const PLAIN_TYPES: ReadonlySet<unknown> = new Set([String, Boolean, Number, Array, Object, Buffer, Date]);

/**
 * The global pipe of the REST routes: a body or query typed with a DTO class goes through
 * validateBody, the validation the NATS patterns use. Nest's own ValidationPipe is not used: it
 * deletes `__proto__`, `constructor` and `prototype` keys at every depth of the value in place, which
 * would alter a message's `data`.
 */
export class DtoValidationPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    const type = metadata.metatype;
    if (
      (metadata.type !== 'body' && metadata.type !== 'query') ||
      type === undefined ||
      PLAIN_TYPES.has(type)
    ) {
      return value;
    }
    // A request without a body has none to validate: its DTO's fields are all optional, or it fails.
    return validateBody(type as new () => object, value ?? {});
  }
}
