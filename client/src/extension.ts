// VS Code client: starts the bundled language server (dist/server.js) over IPC and adds the
// pg-rls-lint commands. All analysis happens in the server; this file only wires the editor.
//
// Server-side contracts (workspace/executeCommand, implemented in server/src/lsp/server.ts):
//   pgRlsLint.server.fixAll    arguments [uri: string, version: number]
//       Applies every safe fix of that document through workspace/applyEdit and returns
//       { applied: boolean } (false: nothing to fix, a stale version, or the edit refused).
//   pgRlsLint.server.rlsMatrix arguments [] (or [uri] to limit it to that file's project)
//       Returns a Markdown string: the RLS matrix of the workspace (summary and access grid).
//   pgRlsLint.server.verify    arguments [] (or [uri] to limit it to that file's project)
//       Runs `pg-rls-lint verify` on each workspace folder (the files as saved) and republishes
//       the diagnostics: a finding the engine showed says how. Returns { projects: Array<
//       { project, pgVersion, shown, statementErrors, failingProbes, timedOut } | { project, error }> }.
//   CodeLens above CREATE TABLE: command editor.action.showReferences with JSON arguments
//       [uri: string, position: Position, locations: Location[]]; the middleware below turns
//       them into the vscode.Uri / Position / Location[] that VS Code's command requires.
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  ExecuteCommandRequest,
  LanguageClient,
  TransportKind,
  type CloseHandlerResult,
  type DocumentSelector,
  type ErrorHandler,
  type ErrorHandlerResult,
  type LanguageClientOptions,
  type Location as LspLocation,
  type Position as LspPosition,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { DOCS_BASE, listRuleDocs, ruleDocFile, ruleOfCode, type DiagnosticCode } from './docs.js';
import { invalidSettings, SECTION, settingsObject } from './settings.js';
import { SERVER_NODE_FLAGS } from '../../server/src/lsp/node-flags.js';

const NAME = 'pg-rls-lint';
/** `source` of the server's diagnostics. */
const DIAGNOSTIC_SOURCE = 'pg-rls-lint';

const SERVER_FIX_ALL = 'pgRlsLint.server.fixAll';
const SERVER_RLS_MATRIX = 'pgRlsLint.server.rlsMatrix';
const SERVER_VERIFY = 'pgRlsLint.server.verify';

/** Restart after a crash unless the server crashed more than this often within the window. */
const MAX_CRASHES = 5;
const CRASH_WINDOW_MS = 60_000;

const DOCUMENT_SELECTOR: DocumentSelector = [
  { scheme: 'file', language: 'sql' },
  { scheme: 'untitled', language: 'sql' },
  // .pgsql/.psql are contributed to `sql`, but another extension may claim them for its own
  // language id; the patterns keep them linted either way.
  { scheme: 'file', pattern: '**/*.pgsql' },
  { scheme: 'file', pattern: '**/*.psql' },
];

/**
 * Liquibase changelogs, synced to the server as they are edited: their order of the SQL files
 * and their own SQL (`<sql>`, `sql:`) count before a save, their findings shown on them. Spring
 * Boot's db/changelog/ folder, and changelogs named as Liquibase and JHipster name them
 * (db.changelog-master.yaml, master.xml); elsewhere a changelog counts when saved. The server
 * ignores a document of these that is no changelog (its root is not databaseChangeLog).
 */
export const CHANGELOG_PATTERNS = ['**/*{changelog,Changelog,ChangeLog,master,Master}*.{xml,yaml,yml,json}', '**/db/changelog/**/*.{xml,yaml,yml,json}'];
const CHANGELOG_SELECTOR: DocumentSelector = CHANGELOG_PATTERNS.map((pattern) => ({ scheme: 'file', pattern }));

let client: LanguageClient | undefined;
let output: vscode.OutputChannel | undefined;

function log(message: string): void {
  output?.appendLine(`[${new Date().toISOString()}] ${message}`);
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Always restarts after a crash, unless it crashed more than MAX_CRASHES times within
 * CRASH_WINDOW_MS (the default handler gives up after 4 crashes in 3 minutes).
 */
class RestartingErrorHandler implements ErrorHandler {
  private crashes: number[] = [];

  error(error: Error, _message: unknown, count: number | undefined): ErrorHandlerResult {
    log(`connection error (${count ?? 1}): ${error.message}`);
    // Same policy as the default handler: a few write/read errors are transient.
    return { action: count !== undefined && count <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown, handled: true };
  }

  closed(): CloseHandlerResult {
    const now = Date.now();
    this.crashes = this.crashes.filter((t) => now - t < CRASH_WINDOW_MS);
    this.crashes.push(now);
    if (this.crashes.length > MAX_CRASHES) {
      const message = `The ${NAME} server crashed ${this.crashes.length} times in the last minute and will not be restarted. Run "${NAME}: Restart server" after fixing the cause (see "${NAME}: Show output").`;
      log(message);
      return { action: CloseAction.DoNotRestart, message };
    }
    log(`server connection closed; restarting (crash ${this.crashes.length} within ${CRASH_WINDOW_MS / 1000} s)`);
    return { action: CloseAction.Restart, handled: true };
  }
}

function isLinted(document: vscode.TextDocument): boolean {
  return vscode.languages.match(DOCUMENT_SELECTOR as vscode.DocumentSelector, document) > 0;
}

/** Sends workspace/executeCommand to the server (waits for it to start if needed); `token` cancels it. */
async function executeServerCommand<T>(command: string, args: unknown[] = [], token?: vscode.CancellationToken): Promise<T> {
  if (!client) throw new Error('the language server is not running');
  return (await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args }, token)) as T;
}

// ---- configuration ----

let lastWarning = '';

/** Shows one warning naming the settings with a wrong type (once per distinct set). */
function checkSettings(): void {
  try {
    const bad = invalidSettings(vscode.workspace.getConfiguration(SECTION));
    const text = bad.join(', ');
    if (text === lastWarning) return;
    lastWarning = text;
    if (bad.length === 0) return;
    const message = `${NAME}: invalid value for ${text}; the default is used instead.`;
    log(message);
    void vscode.window.showWarningMessage(message);
  } catch (err) {
    log(`could not check settings: ${errorMessage(err)}`);
  }
}

// ---- commands ----

async function fixAll(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || !isLinted(editor.document)) {
    void vscode.window.showInformationMessage(`${NAME}: open a SQL file to fix its problems.`);
    return;
  }
  const { document } = editor;
  try {
    const result = await executeServerCommand<{ applied?: boolean } | null>(SERVER_FIX_ALL, [document.uri.toString(), document.version]);
    if (!result?.applied) void vscode.window.setStatusBarMessage(`${NAME}: no auto-fixable problems were fixed in this file`, 4000);
  } catch (err) {
    log(`fix all failed: ${errorMessage(err)}`);
    void vscode.window.showWarningMessage(`${NAME}: could not fix this file: ${errorMessage(err)}`);
  }
}

/** The rule of the pg-rls-lint diagnostic under the cursor, if any. */
function ruleAtCursor(): { id: string; url?: string } | undefined {
  const editor = vscode.window.activeTextEditor;
  if (!editor) return undefined;
  const position = editor.selection.active;
  const diagnostic = vscode.languages
    .getDiagnostics(editor.document.uri)
    .find((d) => d.source === DIAGNOSTIC_SOURCE && d.range.contains(position) && d.code !== undefined);
  return diagnostic ? ruleOfCode(diagnostic.code as DiagnosticCode) : undefined;
}

async function showRuleDocumentation(context: vscode.ExtensionContext): Promise<void> {
  const docsDir = context.asAbsolutePath('dist/docs/rules');
  let rule = ruleAtCursor();
  if (!rule) {
    const docs = listRuleDocs(docsDir);
    if (docs.length === 0) {
      void vscode.window.showInformationMessage(`${NAME}: no rule documentation is bundled; see ${DOCS_BASE}`);
      return;
    }
    const pick = await vscode.window.showQuickPick(
      docs.map((d) => ({ label: d.id, detail: d.summary })),
      { placeHolder: 'Rule documentation to show', matchOnDetail: true },
    );
    if (!pick) return;
    rule = { id: pick.label };
  }
  const file = ruleDocFile(docsDir, rule.id);
  if (file) {
    await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.file(file));
    return;
  }
  // Not bundled (e.g. a rule newer than the docs): the diagnostic's own link, else the repo.
  const url = rule.url ?? `${DOCS_BASE}${encodeURIComponent(rule.id)}.md`;
  await vscode.env.openExternal(vscode.Uri.parse(url));
}

const SHOW_REFERENCES = 'editor.action.showReferences';

/** A server CodeLens carries JSON arguments; `editor.action.showReferences` needs vscode types. */
function showReferencesArguments(lens: vscode.CodeLens): vscode.CodeLens {
  const cmd = lens.command;
  const args = cmd?.arguments;
  if (!client || cmd?.command !== SHOW_REFERENCES || !args || args.length !== 3 || typeof args[0] !== 'string') return lens;
  const c = client.protocol2CodeConverter;
  cmd.arguments = [c.asUri(args[0]), c.asPosition(args[1] as LspPosition), ((args[2] ?? []) as LspLocation[]).map((l) => c.asLocation(l))];
  return lens;
}

type VerifySummary = { project: string; pgVersion?: string; shown?: number; statementErrors?: number; failingProbes?: number; timedOut?: boolean; error?: string };

async function verifyWorkspace(): Promise<void> {
  if (!vscode.workspace.workspaceFolders?.length) {
    void vscode.window.showInformationMessage(`${NAME}: open a folder to verify: verify runs its migrations, as saved, on an embedded PostgreSQL.`);
    return;
  }
  // (verify reads the files as saved; the diagnostics of a file edited since carry no notes)
  const unsaved = vscode.workspace.textDocuments.some((d) => d.isDirty && isLinted(d)) ? ' (unsaved changes were not verified: verify reads the files as saved)' : '';
  let result: { projects?: VerifySummary[] } | null;
  let cancelled = false;
  try {
    result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `${NAME}: running the migrations on PostgreSQL (PGlite) and probing each RLS table as each role…`, cancellable: true },
      (_, token) => {
        token.onCancellationRequested(() => (cancelled = true));
        return executeServerCommand<{ projects?: VerifySummary[] } | null>(SERVER_VERIFY, [], token);
      },
    );
  } catch (err) {
    if (cancelled) {
      log('verify cancelled');
      return;
    }
    log(`verify failed: ${errorMessage(err)}`);
    void vscode.window.showErrorMessage(`${NAME}: verify failed: ${errorMessage(err)}`);
    return;
  }
  if (cancelled) return; // (the server answered before it saw the cancellation)
  const projects = result?.projects ?? [];
  if (projects.length === 0) {
    void vscode.window.showInformationMessage(`${NAME}: no workspace folder with SQL files to verify.`);
    return;
  }
  const lines = projects.map((p) =>
    p.error
      ? `${p.project}: verify failed: ${p.error}`
      : `${p.project ? `${p.project}: ` : ''}${p.shown} finding(s) shown on ${p.pgVersion}; ${p.statementErrors} statement error(s), ${p.failingProbes} failing probe(s)${p.timedOut ? ', time budget exhausted' : ''}`,
  );
  const show = 'Show output';
  const text = `${NAME}: ${lines.join(' · ')}${unsaved}`;
  const pick = projects.some((p) => p.error) ? await vscode.window.showErrorMessage(text, show) : await vscode.window.showInformationMessage(text, show);
  if (pick === show) output?.show(true);
}

async function showRlsMatrix(): Promise<void> {
  let markdown: unknown;
  try {
    markdown = await executeServerCommand<unknown>(SERVER_RLS_MATRIX);
  } catch (err) {
    log(`RLS matrix failed: ${errorMessage(err)}`);
    void vscode.window.showErrorMessage(`${NAME}: the server could not build the RLS matrix: ${errorMessage(err)}`);
    return;
  }
  if (typeof markdown !== 'string') {
    void vscode.window.showErrorMessage(`${NAME}: the server returned no RLS matrix (is it up to date?).`);
    return;
  }
  const document = await vscode.workspace.openTextDocument({ language: 'markdown', content: markdown });
  await vscode.commands.executeCommand('markdown.showPreview', document.uri);
}

// ---- activation ----

export function activate(context: vscode.ExtensionContext): void {
  output = vscode.window.createOutputChannel(NAME);
  context.subscriptions.push(output);

  const serverModule = context.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: [...SERVER_NODE_FLAGS] } },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: [...SERVER_NODE_FLAGS, '--nolazy', '--inspect=6009'] } },
  };

  const clientOptions: LanguageClientOptions = {
    documentSelector: [...DOCUMENT_SELECTOR, ...CHANGELOG_SELECTOR],
    synchronize: {
      configurationSection: SECTION,
      fileEvents: [
        vscode.workspace.createFileSystemWatcher('**/*.{sql,pgsql,psql}'),
        vscode.workspace.createFileSystemWatcher('**/.pg-rls-lint.json'),
        // a Supabase project's Data API schemas (its [api] schemas are exposed)
        vscode.workspace.createFileSystemWatcher('**/supabase/config.toml'),
        // a sqitch project's plan (the order its deploy scripts replay in), and its configuration (where the plan is)
        vscode.workspace.createFileSystemWatcher('**/sqitch.plan'),
        // (sqitch.conf among them) and a plain PostgREST's postgrest.conf, or PGRST_DB_SCHEMAS in its docker compose file or .env (the schemas it serves)
        vscode.workspace.createFileSystemWatcher('**/*.conf'),
        vscode.workspace.createFileSystemWatcher('**/{docker-compose,compose}.{yml,yaml}'),
        vscode.workspace.createFileSystemWatcher('**/.env'),
        // a Drizzle Kit migrations folder's journal (the migrations drizzle-kit migrate applies, in order)
        vscode.workspace.createFileSystemWatcher('**/meta/_journal.json'),
        // a graphile-migrate project's .gmrc (its afterReset files run before committed/)
        vscode.workspace.createFileSystemWatcher('**/.gmrc'),
        // a Liquibase project's changelogs (db.changelog-master.yaml, master.xml, and those they include: the order its SQL files run in)
        vscode.workspace.createFileSystemWatcher('**/*.{xml,yaml,yml,json}'),
      ],
    },
    // A function, so a restart sends the settings of that moment. VS Code's hover already shows
    // a diagnostic's message, code and documentation link: the server's hover leaves it out.
    initializationOptions: () => ({ settings: settingsObject(vscode.workspace.getConfiguration(SECTION)), hoverFindings: false }),
    outputChannel: output,
    errorHandler: new RestartingErrorHandler(),
    middleware: {
      provideCodeLenses: async (document, token, next) => (await next(document, token))?.map(showReferencesArguments),
    },
  };

  // Client id `pgRlsLint` makes vscode-languageclient read `pgRlsLint.trace.server`.
  client = new LanguageClient(SECTION, NAME, serverOptions, clientOptions);

  context.subscriptions.push(
    vscode.commands.registerCommand('pgRlsLint.restartServer', async () => {
      try {
        log('restarting the server');
        await client?.restart();
      } catch (err) {
        void vscode.window.showErrorMessage(`${NAME}: restart failed: ${errorMessage(err)}`);
      }
    }),
    vscode.commands.registerCommand('pgRlsLint.fixAll', fixAll),
    vscode.commands.registerCommand('pgRlsLint.showRuleDocumentation', () => showRuleDocumentation(context)),
    vscode.commands.registerCommand('pgRlsLint.showOutput', () => output?.show(true)),
    vscode.commands.registerCommand('pgRlsLint.showRlsMatrix', showRlsMatrix),
    vscode.commands.registerCommand('pgRlsLint.verify', verifyWorkspace),
    // synchronize.configurationSection already forwards changes to the server.
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(SECTION)) checkSettings();
    }),
  );

  checkSettings();
  // Not awaited: activation stays fast, and requests wait for the start themselves.
  // A failed start is already reported to the user by vscode-languageclient.
  client.start().catch((err: unknown) => log(`could not start the server: ${errorMessage(err)}`));
}

export async function deactivate(): Promise<void> {
  const c = client;
  client = undefined;
  if (c) await c.stop().catch(() => undefined);
}
