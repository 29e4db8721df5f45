import { loadConfig } from '../../src/config/app-config.js';

/** Every environment variable loadConfig reads, recorded by an environment that answers nothing. */
export function variablesLoadConfigReads(): Set<string> {
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
