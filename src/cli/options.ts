import { InvalidArgumentError, Option } from 'commander';
import { isCustomerId } from '../../libs/domain/index.js';

/** `--customer <id>`, checked against the customerId rule before anything is sent. */
export function customerOption(description = 'the customer (1-64 of A-Z a-z 0-9 _ -)'): Option {
  return new Option('--customer <id>', description).argParser((value) => {
    if (!isCustomerId(value)) {
      throw new InvalidArgumentError('a customerId is 1-64 characters of A-Z, a-z, 0-9, _ and -');
    }
    return value;
  });
}

/** Writes a result: JSON (one document) or text, with a final newline. */
export function print(value: unknown, json: boolean | undefined): void {
  process.stdout.write(`${json ? JSON.stringify(value, null, 2) : String(value)}\n`);
}

/** A parser for an integer option from `min` to `max`. */
export function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (!Number.isInteger(number) || number < min || number > max) {
      throw new InvalidArgumentError(`an integer from ${min} to ${max}`);
    }
    return number;
  };
}

/** An ISO time (epoch ms), or null when the value is not one. */
export function isoTime(value: string): number | null {
  const at = Date.parse(value);
  return !/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(at) ? null : at;
}
