/** Architecture rules: the domain stays pure, and nothing imports in a circle. */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'libs/domain holds the delivery rules: no framework, driver, clock source or node I/O.',
      severity: 'error',
      from: { path: '^libs/domain', pathNot: '\\.spec\\.ts$' },
      to: {
        pathNot: '^libs/domain',
      },
    },
    {
      name: 'domain-no-node-builtins',
      comment: 'node core modules (fs, net, http, crypto, ...) do I/O or hide state: not in the domain.',
      severity: 'error',
      from: { path: '^libs/domain', pathNot: '\\.spec\\.ts$' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'libs-do-not-import-the-app',
      comment: 'libraries are used by src/, never the other way round.',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^src/' },
    },
    {
      name: 'ui-browser-code-is-browser-safe',
      comment:
        'src/ui/client and src/ui/views are also served to browsers as built: they import each other and only types from anywhere else.',
      severity: 'error',
      from: { path: '^src/ui/(client|views)/', pathNot: '\\.spec\\.ts$' },
      to: { pathNot: '^src/ui/(client|views)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
