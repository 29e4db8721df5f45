import { jsonTextProblem, MAX_BODY_DEPTH } from './json-text.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const nested = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
const nestedArrays = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

describe('depth', () => {
  test.each([
    ['objects at the limit', nested(10), 10, null],
    ['objects one past the limit', nested(11), 10, 'the JSON is nested more than 10 levels deep'],
    ['arrays one past the limit', nestedArrays(11), 10, 'the JSON is nested more than 10 levels deep'],
    [
      '10,000 levels',
      nested(10_000),
      MAX_BODY_DEPTH,
      `the JSON is nested more than ${MAX_BODY_DEPTH} levels deep`,
    ],
    ['brackets inside strings do not count', `{"a":"${'{['.repeat(100)}"}`, 2, null],
    ['an escaped quote does not end a string', `{"a":"\\"{{{{{{"}`, 1, null],
    [
      'an escaped backslash before the closing quote',
      `{"a":"\\\\","b":[[1]]}`,
      2,
      'the JSON is nested more than 2 levels deep',
    ],
  ])('%s', (_name, text, limit, problem) => {
    expect(jsonTextProblem(bytes(text), limit)).toBe(problem);
  });
});

describe('numbers a double carries exactly pass', () => {
  test.each([
    '0',
    '-0',
    '1',
    '-17',
    '9007199254740991',
    '9007199254740992',
    '0.1',
    '3.14',
    '1.0',
    '1e2',
    '1E+21',
    '2.5e-3',
    '5e-324',
    '1.7976931348623157e308',
    '100000000000000000000',
    '0.30000000000000004',
  ])('%s', (number) => {
    expect(jsonTextProblem(bytes(`{"n":${number},"m":[${number}]}`), 5)).toBeNull();
  });
});

describe('numbers that would reach the receiver changed are refused', () => {
  test.each([
    ['past the doubles', '1e400'],
    ['negative past the doubles', '-1e400'],
    ['an integer past 2^53 that rounds', '9007199254740993'],
    ['more digits than a double holds', '3.14159265358979323846'],
    ['below the smallest double', '1e-400'],
    ['a long exact-looking decimal', '0.1000000000000000055511151231257827'],
  ])('%s: %s', (_name, number) => {
    expect(jsonTextProblem(bytes(`{"n":${number}}`), 5)).toMatch(/cannot be carried exactly/);
  });

  test('a number of thousands of digits', () => {
    expect(jsonTextProblem(bytes(`{"n":1${'0'.repeat(5000)}}`), 5)).toMatch(/5001 characters/);
  });

  test('digits inside a string are not a number', () => {
    expect(jsonTextProblem(bytes('{"n":"9007199254740993","m":"1e400"}'), 5)).toBeNull();
  });
});
