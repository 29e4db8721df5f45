import type { PipeTransform } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { ApiError } from '../core/api-error.js';

/** The largest event version the log stores (its `version` column is a 32-bit integer). */
export const MAX_EVENT_VERSION = 2_147_483_647;

/**
 * The integer a path or query value spells with plain decimal digits, when it lies in [min, max];
 * otherwise null. `1e20`, `0x10`, ` 7` and values past the safe integers are not read as numbers,
 * so they never reach a query or the queue as a rounded or out-of-range value.
 */
export function decimalInteger(text: unknown, min: number, max: number): number | null {
  if (typeof text !== 'string' || !/^\d{1,16}$/.test(text)) {
    return null;
  }
  const value = Number(text);
  return Number.isSafeInteger(value) && value >= min && value <= max ? value : null;
}

/** A query field that is an integer from min to max, in digits (`?after=12`); 400 otherwise. */
export function IntegerQuery(min: number, max: number): PropertyDecorator {
  const decorators = [
    // Digits within range become the number; anything else stays a string and fails IsInt.
    Transform(({ value }: { value: unknown }) => decimalInteger(value, min, max) ?? value, {
      toClassOnly: true,
    }),
    IsInt({ message: ({ property }) => `${property} must be an integer from ${min} to ${max}` }),
    Min(min),
    Max(max),
  ];
  return (target, key) => decorators.forEach((decorate) => decorate(target, key));
}

/** A path parameter that is an integer from min to max, in digits; a 400 naming the range otherwise. */
export class IntegerParamPipe implements PipeTransform<string, number> {
  constructor(
    private readonly name: string,
    private readonly min: number,
    private readonly max: number,
  ) {}

  transform(value: string): number {
    const parsed = decimalInteger(value, this.min, this.max);
    if (parsed === null) {
      throw ApiError.badRequest(`${this.name} must be an integer from ${this.min} to ${this.max}`);
    }
    return parsed;
  }
}
