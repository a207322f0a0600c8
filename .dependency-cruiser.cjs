/** Package boundaries from DESIGN.md, checked by a tool rather than by memory. */
module.exports = {
  forbidden: [
    {
      name: 'protocol-is-pure',
      comment: 'protocol holds no sockets, files, processes or loggers (DESIGN.md).',
      severity: 'error',
      from: { path: '^packages/protocol/src' },
      to: {
        path: '^(ws|pino|rxjs|(node:)?(fs|net|http|https|tls|child_process|dgram))$|node_modules/(ws|pino|rxjs)/',
        dependencyTypes: ['npm', 'core'],
      },
    },
    {
      name: 'daemons-do-not-import-each-other',
      comment: 'master, minion and cli depend on protocol only, never on each other.',
      severity: 'error',
      from: { path: '^packages/(master|minion|cli)/src' },
      to: { path: '^packages/(master|minion|cli)/src', pathNot: '^packages/$1/src' },
    },
    {
      name: 'state-has-no-io',
      comment: 'packages/state renders and runs through injected readers and callers; it opens nothing (DESIGN.md).',
      severity: 'error',
      from: { path: '^packages/state/src' },
      to: {
        // dependency-cruiser resolves 'node:fs' to 'fs', so the prefix is optional here.
        path: '^(ws|pino|better-sqlite3|fastify|(node:)?(fs|fs/promises|net|http|https|tls|child_process|dgram|worker_threads))$|node_modules/(ws|pino|better-sqlite3|fastify)/|^packages/(master|minion|cli|client)/',
        dependencyTypes: ['npm', 'core', 'local'],
      },
    },
    {
      name: 'only-master-and-minion-use-state',
      comment:
        'The state engine is shared by master (orchestration, pillar) and minion (state runs); cli goes through the client.',
      severity: 'error',
      from: { path: '^packages/(cli|protocol|client)/src' },
      to: { path: '^packages/state/|node_modules/@brine/state' },
    },
    {
      name: 'master-core-has-no-io',
      comment: 'master/src/core is pure RxJS: no sockets, files, HTTP or SQLite.',
      severity: 'error',
      from: { path: '^packages/master/src/core', pathNot: '\\.test\\.ts$' },
      to: {
        path: '^(ws|better-sqlite3|fastify|(node:)?(fs|net|http|https|tls|child_process))$|^packages/master/src/(transport|http|store)|node_modules/(ws|better-sqlite3|fastify)/',
      },
    },
    {
      name: 'master-http-has-no-cycles',
      comment:
        'http/ route files take the Pick<> of the services they use (http/shared/services.ts), so none imports a file that imports it back (issue #15).',
      severity: 'error',
      from: { path: '^packages/master/src/http' },
      to: { circular: true },
    },
    {
      name: 'client-depends-on-protocol-only',
      comment: 'client is the SDK users script with: protocol (its types) and rxjs, no daemon code (DESIGN.md).',
      severity: 'error',
      from: { path: '^packages/client/src' },
      to: { path: '^packages/(?!client/|protocol/)[^/]+/' },
    },
    {
      name: 'client-core-runs-in-browsers',
      comment: 'the client core is fetch + streams; Node-only code (discovery, nodeFetch) is the ./node entry.',
      severity: 'error',
      from: { path: '^packages/client/src', pathNot: '(^packages/client/src/node(-fetch)?\\.ts$)|\\.test\\.ts$' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'cli-reaches-the-master-through-client',
      comment: 'one client: the CLI talks to the REST API through @brine/client, never a second wrapper.',
      severity: 'error',
      from: { path: '^packages/cli/src' },
      to: { path: '^packages/(master|minion)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.base.json' },
    tsPreCompilationDeps: true,
    exclude: { path: 'dist' },
  },
};
