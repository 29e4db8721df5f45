import fc from 'fast-check';

/** Keys that class-transformer, Nest's pipes or an Object.assign would drop, rename or choke on. */
const AWKWARD_KEYS = [
  '__proto__',
  'constructor',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'prototype',
  '',
  ' ',
  '0',
];

/** Strings of any code point (lone surrogates included), graphemes, and awkward characters. */
export const anyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constantFrom('\ud800', '\udfff', 'a\udc00\ud800b', '\u0000', '\r\n', '\u2028\u2029', '"\\', '😀', 'é'),
);

const key = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(...AWKWARD_KEYS) },
  { weight: 3, arbitrary: anyString },
);

/** Number tokens as a producer may write them: exact ones, and ones a double cannot carry. */
const numberText = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => JSON.stringify(value)),
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
  fc.constantFrom(
    '-0',
    '1.0',
    '1E2',
    '2.50e-3',
    '1e400',
    '-1e400',
    '1e-400',
    '9007199254740993',
    '0.1000000000000000055511',
  ),
);

const scalarText = fc.oneof(
  numberText,
  anyString.map((value) => JSON.stringify(value)),
  fc.constantFrom('true', 'false', 'null'),
);

/** JSON text of any shape: `value` (anything), `object` and `array`; depth is usually small. */
export const jsonText = fc.letrec<{ value: string; object: string; array: string }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalarText, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 5 }).map((items) => `[${items.join(',')}]`),
  object: fc
    .array(fc.tuple(key, tie('value')), { maxLength: 6 })
    .map((entries) => `{${entries.map(([name, value]) => `${JSON.stringify(name)}:${value}`).join(',')}}`),
}));

/** An object nested around `inner`, `levels` deep: around the depth limit, or far past it. */
export const deepObjectText = fc
  .tuple(fc.oneof(fc.integer({ min: 60, max: 70 }), fc.constantFrom(200, 10_000)), fc.boolean())
  .map(([levels, arrays]) =>
    arrays
      ? `{"a":${'['.repeat(levels - 1)}1${']'.repeat(levels - 1)}}`
      : `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`,
  );

/** A message's `data` as JSON text: mostly any object, sometimes one around the depth limit. */
export const dataText = fc.oneof(
  { weight: 9, arbitrary: jsonText.object },
  { weight: 1, arbitrary: deepObjectText },
);

/** The canonical form of JSON text, to compare what was sent with what arrived (key order kept). */
export const canonical = (text: string): string => JSON.stringify(JSON.parse(text));

/** Bytes of any kind, UTF-8 or not, JSON or not. */
export const anyBytes = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  jsonText.value.map((text) => new TextEncoder().encode(text)),
  jsonText.value.map((text) => new Uint8Array([...new TextEncoder().encode(text), 0xff, 0xc0])),
);
