import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { variablesLoadConfigReads } from '../../test/support/config-variables.js';

/** `process.env.NAME` read anywhere else in the shipped code (src, libs), outside tests. */
function variablesReadElsewhere(): Set<string> {
  const files = execFileSync('git', ['ls-files', 'src', 'libs'], { encoding: 'utf8' })
    .split('\n')
    .filter((file) => file.endsWith('.ts') && !file.includes('.spec.'));
  const names = new Set<string>();
  for (const file of files) {
    for (const [, name] of readFileSync(file, 'utf8').matchAll(/process\.env\.([A-Z][A-Z0-9_]*)/g)) {
      names.add(name!);
    }
  }
  return names;
}

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
    const read = new Set([...variablesLoadConfigReads(), ...variablesReadElsewhere()]);
    expect([...read].filter((name) => !documented.has(name))).toEqual([]);
  });

  test('every documented variable is read by the configuration', () => {
    const read = new Set([...variablesLoadConfigReads(), ...variablesReadElsewhere()]);
    expect([...documented].filter((name) => !read.has(name))).toEqual([]);
  });
});
