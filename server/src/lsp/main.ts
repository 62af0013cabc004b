// Entry point of dist/server.js: `node dist/server.js --stdio`, or `--node-ipc` when the
// VS Code client starts it. The library handles shutdown/exit (exit code 0 after shutdown).
import './runtime.js'; // first: V8 settings before the parser's WebAssembly is compiled
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { PgRlsLintServer } from './server.js';

const connection = createConnection(ProposedFeatures.all);

const report = (what: string) => (e: unknown) => {
  try {
    connection.console.error(`${what}: ${(e as Error)?.stack ?? String(e)}`);
  } catch {
    // the connection is gone: nothing left to tell
  }
};
// A bug must not take the editor's linting down: log it and keep serving.
process.on('uncaughtException', report('uncaught exception'));
process.on('unhandledRejection', report('unhandled rejection'));

new PgRlsLintServer(connection).listen();
