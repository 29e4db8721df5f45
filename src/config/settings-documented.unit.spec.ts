import { readFileSync } from 'node:fs';
import { variablesTheServiceReads } from '../../test/support/config-variables.js';

/** The first column of the settings table: the rows of docs/contract.md's "Settings" section. */
function documentedVariables(): Set<string> {
  const contract = readFileSync('docs/contract.md', 'utf8');
  const section = /^## Settings\n([\s\S]*?)(?=^## )/m.exec(contract)?.[1] ?? '';
  return new Set([...section.matchAll(/^\| `([A-Z][A-Z0-9_]*)` *\|/gm)].map(([, name]) => name!));
}

describe('docs/contract.md keeps the settings table and the configuration in step', () => {
  const documented = documentedVariables();

  test('the table is there', () => {
    expect(documented.size).toBeGreaterThan(20);
  });

  test('every variable the service reads is documented', () => {
    const read = variablesTheServiceReads();
    expect([...read].filter((name) => !documented.has(name))).toEqual([]);
  });

  test('every documented variable is read by the configuration', () => {
    const read = variablesTheServiceReads();
    expect([...documented].filter((name) => !read.has(name))).toEqual([]);
  });
});
