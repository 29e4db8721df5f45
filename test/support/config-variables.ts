import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../src/config/app-config.js';

/** Every environment variable loadConfig reads, recorded by an environment that answers nothing. */
function variablesLoadConfigReads(): Set<string> {
  const read = new Set<string>();
  const env = new Proxy<NodeJS.ProcessEnv>(
    {},
    {
      get(_target, name) {
        if (typeof name === 'string') {
          read.add(name);
        }
        return undefined;
      },
    },
  );
  loadConfig(env);
  return read;
}

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

/** Every environment variable the service reads: its configuration's and the few read elsewhere. */
export function variablesTheServiceReads(): Set<string> {
  return new Set([...variablesLoadConfigReads(), ...variablesReadElsewhere()]);
}
