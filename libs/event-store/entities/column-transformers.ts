import type { ValueTransformer } from 'typeorm';

/** pg returns BIGINT as a string (it may exceed 2^53); our values (positions, epoch ms) never do. */
export const bigintAsNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null ? null : Number(value)),
};

/** JSON held in a TEXT column, so the same schema works on PostgreSQL and SQLite. */
export const jsonText: ValueTransformer = {
  to: (value: unknown) => (value === undefined ? undefined : JSON.stringify(value)),
  from: (value: string | null): unknown => (value === null ? null : JSON.parse(value)),
};
