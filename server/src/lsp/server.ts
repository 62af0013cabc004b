// The language server: wires LSP requests and notifications to the engine.
//
// One `Project` per workspace folder (its own config, `.pg-rls-lint.json` and engine
// `Workspace`: a folder is one migration set), plus one for open files outside every
// folder. Engine file ids are canonical URIs (`URI.file(path).toString()`, what VS Code
// sends). Open buffers override the disk; the disk is read at discovery, on watched-file
// events and on close — never per keystroke.
//
// Diagnostics are pushed: a change schedules a lint of its project after DEBOUNCE_MS (one
// timer per URI, reset by every change). A lint first copies every open buffer of the
// project into the engine (only changed texts are re-parsed), lints, then publishes for
// every file whose diagnostics differ from the last published ones — including files that
// are not open, since rules are workspace-wide. Work is serialised on one queue (the first
// job is the initial discovery) so that config reloads, disk reads and lints never
// interleave; requests (code actions, commands) wait for the initial discovery.
import { basename, dirname, join, resolve } from 'node:path';
import {
  CodeActionKind,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  FileChangeType,
  MessageType,
  ShowMessageNotification,
  TextDocumentSyncKind,
  TextDocuments,
  type CancellationToken,
  type ClientCapabilities,
  type CodeActionParams,
  type CompletionParams,
  type Connection,
  type Diagnostic,
  type DidChangeWatchedFilesParams,
  type DocumentSymbolParams,
  type ExecuteCommandParams,
  type InitializeParams,
  type InitializeResult,
  type ReferenceParams,
  type TextDocumentPositionParams,
  type WorkDoneProgressServerReporter,
  type WorkspaceEdit,
  type WorkspaceFolder,
  type WorkspaceSymbolParams,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { CONFIG_FILE_NAME, DEFAULT_CONFIG, type Config } from '../analysis/config.js';
import { describeDatabases, replayedDatabases, unmatchedDatabases } from '../analysis/databases.js';
import { notReplayedReason } from '../analysis/model.js';
import { changelogFormat, changelogRefs, mayBeChangelog } from '../analysis/liquibase-changelog.js';
import { checkFix, initParser, Workspace, type Finding, type LintResult } from '../engine/workspace.js';
import { APPLY_EDIT_COMMAND, codeActions, FIX_ALL_KIND, fixAllEdits, wants, workspaceEdit, type ActionContext, type EditCaps } from './codeActions.js';
import { configDiagnostics, sameFindings, statementErrorDiagnostic, toDiagnostic, type DiagnosticCaps } from './diagnostics.js';
import { mergeRepeated } from '../engine/merge-repeated.js';
import { canonicalUri, changelogsUnder, discoverFiles, fileMatcher, fileUri, isChangelogFile, namedLikeChangelog, readBuffered, readApiSchemas, readDrizzleJournals, readGraphileMigrate, readInitdbScripts, readLiquibaseChangelogs, readPostgrestSchemas, readSqitchPlans, readTextFile, relativeTo, SQL_FILE_NAME, uriToPath } from '../io/files.js';
import * as insight from './insight.js';
import { rlsMatrix } from './matrix.js';
import { DEBOUNCE_MS, idleCollect, settleHeap } from './runtime.js';
import { noteKey, runVerify, type StatementError } from './verify.js';
import { issuesMessage, readConfigFile, resolveConfig, sectionOf, SETTINGS_SECTION } from './settings.js';

export const COMMANDS = {
  fixAll: 'pgRlsLint.server.fixAll',
  rlsMatrix: 'pgRlsLint.server.rlsMatrix',
  verify: 'pgRlsLint.server.verify',
  applyEdit: APPLY_EDIT_COMMAND,
} as const;

const SQL_LANGUAGES = new Set(['sql', 'pgsql', 'postgres', 'postgresql', 'plpgsql']);
const WATCH_GLOBS = ['**/*.{sql,pgsql,psql}', `**/${CONFIG_FILE_NAME}`, '**/supabase/config.toml', '**/sqitch.plan', '**/*.conf', '**/meta/_journal.json', '**/.gmrc', '**/{docker-compose,compose}.{yml,yaml}', '**/.env', '**/*.{xml,yaml,yml,json}'];
/** Files a project keeps beside its SQL: a Supabase project's config (its `[api] schemas`), a plain PostgREST's configuration (postgrest.conf, or PGRST_DB_SCHEMAS in a docker compose file or .env: the schemas it serves), a sqitch plan (the replay order) and configuration (where the plan is), a Drizzle Kit journal (the replay order, the files applied), a graphile-migrate .gmrc (the replay order). A Liquibase changelog (XML, YAML, JSON: the replay order, the files run) is told by its content (CHANGELOG_FILE). */
const BESIDE_SQL = /[\\/](?:supabase[\\/]config\.toml|sqitch\.plan|[^\\/]+\.conf|meta[\\/]_journal\.json|\.gmrc|(?:docker-)?compose\.ya?ml|\.env)$/;
/** A file that may be a Liquibase changelog: an XML, YAML or JSON file whose root is databaseChangeLog (isChangelogFile), or one read as a changelog last time. */
const CHANGELOG_FILE = /\.(?:xml|ya?ml|json)$/i;
const READ_CONCURRENCY = 32;
const CONFIGURATION_TIMEOUT_MS = 5000;
const NAME = 'pg-rls-lint';

/** A client's request that was not answered in time. */
class NoAnswer extends Error {}

/** A client's answer, or a NoAnswer "no answer within `ms` ms" when it has not come by then (the server's queue waits on it). */
async function answerWithin<T>(answer: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NoAnswer(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([answer, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface Caps extends DiagnosticCaps, EditCaps {
  configuration: boolean;
  configurationDynamic: boolean;
  watchedFilesDynamic: boolean;
  workspaceFolders: boolean;
  /** the client shows progress the server creates (window/workDoneProgress/create) */
  workDoneProgress: boolean;
}

/** What the verify command answers for a project. */
export type VerifySummary = { project: string; pgVersion: string; shown: number; statementErrors: number; failingProbes: number; timedOut: boolean } | { project: string; error: string };

class Project {
  /** the engine; the config's `databases` globs are relative to the folder (a file outside it, or of no folder, is in no database the config names) */
  readonly ws = new Workspace(DEFAULT_CONFIG, undefined, {
    editing: true,
    relPath: (id) => {
      const path = this.folder ? uriToPath(id) : undefined;
      return path ? relativeTo(this.folder!.path, path) : undefined;
    },
  });
  /** the databases last logged (their names and sizes), so that a change of them is logged once */
  databasesLogged = '';
  match: (rel: string) => boolean = fileMatcher(DEFAULT_CONFIG);
  /**
   * per engine id, the findings its last published diagnostics were made of (only non-empty
   * ones) and the URI aliases they were made with
   */
  readonly published = new Map<string, { findings: readonly Finding[]; aliases: number; verified: number }>();
  /**
   * what the last verify of the project's folder showed: a note per finding's place (noteKey),
   * kept for a file while its text is the one verified
   */
  verified?: { pgVersion: string; notes: Map<string, string>; errors: Map<string, StatementError[]>; texts: Map<string, string> };
  /** open document id → version copied into the engine */
  readonly synced = new Map<string, number>();
  configFileUri?: string;
  configDiagnosticsKey = '[]';
  warnedKey = '';
  /** the problems of the Supabase config.toml files last logged, so that each is logged once */
  apiLogged = '';
  /** the Liquibase changelogs the last readBeside read (paths): a change of one re-reads them */
  changelogs = new Set<string>();
  /** the Liquibase changelogs under the folder (changelogsUnder, paths), followed wherever they lie: found by syncDisk, kept up by file events */
  changelogFiles = new Set<string>();
  /** the parts of the Liquibase changelogs' own SQL put in the engine by the last readBeside (Workspace.liquibaseParts), with their changelogs' ids */
  parts = new Map<string, string>();
  constructor(
    readonly name: string,
    readonly folder?: { uri: string; path: string },
  ) {}
}

export class PgRlsLintServer {
  private readonly documents = new TextDocuments(TextDocument);
  private caps: Caps = {
    configuration: false,
    configurationDynamic: false,
    watchedFilesDynamic: false,
    workspaceFolders: false,
    workDoneProgress: false,
    relatedInformation: false,
    codeDescription: false,
    documentChanges: false,
    literals: false,
    createFiles: false,
  };
  private readonly projects = new Map<string, Project>();
  private readonly loose = new Project('');
  /** engine id → the URI the client spelled (when it differs) */
  private readonly aliases = new Map<string, string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** ids of open documents (to tell an open from an edit) */
  private readonly open = new Set<string>();
  /** false when the client warns about wrong setting types itself (`initializationOptions.warnOnInvalidSettings`) */
  private warnOnInvalidSettings = true;
  /** false when the client shows a diagnostic's message and link in its own hover (`initializationOptions.hoverFindings`) */
  private hoverFindings = true;
  private initSettings: unknown;
  private pushedSettings: unknown;
  private queue: Promise<void> = Promise.resolve();
  private readonly ready: Promise<void>;
  private markReady!: () => void;

  constructor(private readonly connection: Connection) {
    this.ready = new Promise((resolve) => (this.markReady = resolve));
  }

  listen(): void {
    const c = this.connection;
    c.onInitialize((p) => this.initialize(p));
    c.onInitialized(this.guard('initialized', undefined, () => this.initialized()));
    this.documents.onDidChangeContent(this.guard('didChange', undefined, (e) => this.changed(e.document)));
    this.documents.onDidClose(this.guard('didClose', undefined, (e) => this.closed(e.document)));
    c.onCodeAction(this.guard('codeAction', [], (p) => this.codeAction(p)));
    c.onExecuteCommand(this.guard('executeCommand', null, (p, token: CancellationToken) => this.executeCommand(p, token)));
    c.onHover(this.guard('hover', null, async (p: TextDocumentPositionParams) => {
      const ctx = await this.insightContext(p.textDocument.uri, this.hoverFindings);
      return ctx ? insight.hover(ctx, p.position) : null;
    }));
    c.onCodeLens(this.guard('codeLens', [], async (p: DocumentSymbolParams) => {
      const ctx = await this.insightContext(p.textDocument.uri);
      return ctx ? insight.codeLenses(ctx) : [];
    }));
    c.onDocumentSymbol(this.guard('documentSymbol', [], async (p: DocumentSymbolParams) => {
      const ctx = await this.insightContext(p.textDocument.uri);
      return ctx ? insight.documentSymbols(ctx) : [];
    }));
    c.onWorkspaceSymbol(this.guard('workspaceSymbol', [], (p: WorkspaceSymbolParams) => this.workspaceSymbols(p.query ?? '')));
    c.onDefinition(this.guard('definition', null, async (p: TextDocumentPositionParams) => {
      const ctx = await this.insightContext(p.textDocument.uri);
      return ctx ? insight.definition(ctx, p.position) : null;
    }));
    c.onReferences(this.guard('references', [], async (p: ReferenceParams) => {
      const ctx = await this.insightContext(p.textDocument.uri);
      return ctx ? insight.references(ctx, p.position, !!p.context?.includeDeclaration) : [];
    }));
    c.onCompletion(this.guard('completion', [], async (p: CompletionParams) => {
      await this.ready;
      const doc = this.documents.get(p.textDocument.uri);
      if (!doc || !this.isLinted(canonicalUri(doc.uri))) return [];
      const before = doc.getText({ start: { line: Math.max(0, p.position.line - 200), character: 0 }, end: p.position });
      return insight.completion(() => {
        const { project } = this.projectOf(canonicalUri(doc.uri));
        this.sync(project);
        return project.ws.model(canonicalUri(doc.uri));
      }, before);
    }));
    c.onDidChangeConfiguration(this.guard('didChangeConfiguration', undefined, (p) => this.configurationChanged(p.settings)));
    c.onDidChangeWatchedFiles(this.guard('didChangeWatchedFiles', undefined, (p) => this.watchedFilesChanged(p)));
    this.documents.listen(c);
    c.listen();
  }

  // ----------------------------------------------------------------------------------
  // Lifecycle

  private async initialize(params: InitializeParams): Promise<InitializeResult> {
    try {
      await initParser();
    } catch (e) {
      this.error('cannot load the SQL parser', e);
    }
    const cc: ClientCapabilities = params.capabilities ?? {};
    this.caps = {
      configuration: !!cc.workspace?.configuration,
      configurationDynamic: !!cc.workspace?.didChangeConfiguration?.dynamicRegistration,
      watchedFilesDynamic: !!cc.workspace?.didChangeWatchedFiles?.dynamicRegistration,
      workspaceFolders: !!cc.workspace?.workspaceFolders,
      workDoneProgress: !!cc.window?.workDoneProgress,
      relatedInformation: !!cc.textDocument?.publishDiagnostics?.relatedInformation,
      codeDescription: !!cc.textDocument?.publishDiagnostics?.codeDescriptionSupport,
      documentChanges: !!cc.workspace?.workspaceEdit?.documentChanges,
      createFiles: !!cc.workspace?.workspaceEdit?.resourceOperations?.includes('create'),
      literals: !!cc.textDocument?.codeAction?.codeActionLiteralSupport,
    };
    const options = params.initializationOptions as { settings?: unknown; warnOnInvalidSettings?: unknown; hoverFindings?: unknown } | undefined;
    this.initSettings = sectionOf(options?.settings);
    this.warnOnInvalidSettings = options?.warnOnInvalidSettings !== false;
    this.hoverFindings = options?.hoverFindings !== false;

    const folders: WorkspaceFolder[] = params.workspaceFolders ?? [];
    if (folders.length === 0 && params.rootUri) folders.push({ uri: params.rootUri, name: basename(uriToPath(params.rootUri) ?? params.rootUri) });
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    if (folders.length === 0 && params.rootPath) folders.push({ uri: fileUri(params.rootPath), name: basename(params.rootPath) });
    for (const f of folders) this.addFolder(f);

    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        codeActionProvider: this.caps.literals ? { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND], resolveProvider: false } : true,
        executeCommandProvider: { commands: Object.values(COMMANDS) },
        hoverProvider: true,
        codeLensProvider: { resolveProvider: false },
        documentSymbolProvider: true,
        workspaceSymbolProvider: true,
        definitionProvider: true,
        referencesProvider: true,
        completionProvider: { triggerCharacters: [' ', ','], resolveProvider: false },
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: NAME },
    };
  }

  private initialized(): void {
    const c = this.connection;
    if (this.caps.configurationDynamic) {
      c.client.register(DidChangeConfigurationNotification.type, { section: SETTINGS_SECTION }).catch((e) => this.error('cannot register for configuration changes', e));
    }
    if (this.caps.watchedFilesDynamic) {
      c.client
        .register(DidChangeWatchedFilesNotification.type, { watchers: WATCH_GLOBS.map((globPattern) => ({ globPattern })) })
        .catch((e) => this.error('cannot register file watchers', e));
    }
    if (this.caps.workspaceFolders) {
      c.workspace.onDidChangeWorkspaceFolders(
        this.guard('didChangeWorkspaceFolders', undefined, (e) =>
          this.enqueue(async () => {
            for (const f of e.removed) this.removeFolder(f);
            const added = e.added.map((f) => this.addFolder(f)).filter((p): p is Project => !!p);
            await this.reloadAndLintAll(added);
          }),
        ),
      );
    }
    void this.enqueue(async () => {
      try {
        await this.reloadAndLintAll(this.allProjects());
        settleHeap(); // every project's first lint is published: the heap's setting for the edits to come (runtime.ts)
      } finally {
        this.markReady();
      }
    });
  }

  private addFolder(f: WorkspaceFolder): Project | undefined {
    const path = uriToPath(f.uri);
    if (!path) {
      this.log(`workspace folder ${f.uri} is not on disk; only its open files are linted`);
      return undefined;
    }
    const uri = canonicalUri(f.uri);
    if (this.projects.has(uri)) return undefined;
    const p = new Project(f.name || basename(path), { uri, path });
    this.projects.set(uri, p);
    return p;
  }

  private removeFolder(f: WorkspaceFolder): void {
    const uri = canonicalUri(f.uri);
    const p = this.projects.get(uri);
    if (!p) return;
    this.projects.delete(uri);
    for (const id of p.published.keys()) this.send(id, [], undefined);
    if (p.configFileUri && p.configDiagnosticsKey !== '[]') this.send(p.configFileUri, [], undefined);
  }

  private allProjects(): Project[] {
    return [...this.projects.values(), this.loose];
  }

  // ----------------------------------------------------------------------------------
  // Which project owns a file, and whether it is linted

  private projectOf(id: string): { project: Project; rel?: string } {
    const path = uriToPath(id);
    let best: { project: Project; rel: string } | undefined;
    if (path) {
      for (const p of this.projects.values()) {
        const rel = relativeTo(p.folder!.path, path);
        if (rel !== undefined && (!best || p.folder!.path.length > best.project.folder!.path.length)) best = { project: p, rel };
      }
    }
    return best ?? { project: this.loose };
  }

  /** Whether an engine id belongs in `project` (open documents decide by language outside folders). */
  private isLinted(id: string): boolean {
    const { project, rel } = this.projectOf(id);
    if (rel !== undefined) return project.match(rel);
    const doc = this.doc(id);
    return !!doc && (SQL_LANGUAGES.has(doc.languageId) || SQL_FILE_NAME.test(id));
  }

  private doc(id: string): TextDocument | undefined {
    return this.documents.get(this.uriOf(id));
  }

  private uriOf = (id: string): string => this.aliases.get(id) ?? id;
  /** bumped when an alias changes: diagnostics made before name other URIs in their fixes */
  private aliasesVersion = 0;
  /** bumped by each verify: the diagnostics of its project are made again with its notes */
  private verifiedVersion = 0;

  private versionOf = (uri: string): number | null => this.documents.get(uri)?.version ?? null;

  // ----------------------------------------------------------------------------------
  // Documents

  private changed(doc: TextDocument): void {
    const id = canonicalUri(doc.uri);
    if (id !== doc.uri && this.aliases.get(id) !== doc.uri) {
      this.aliases.set(id, doc.uri);
      this.aliasesVersion++;
    }
    // a just-opened document is linted at once; edits wait for a pause in typing
    const opened = !this.open.has(id);
    this.open.add(id);
    // (a changelog's buffer: its project's changelogs are read again, with the open buffers, before the lint;
    // a document that is neither linted nor a changelog changes no lint: a client may send every file it opens)
    const linted = this.isLinted(id);
    const changelog = !linted && this.isChangelogBuffer(id, doc);
    if (linted || changelog) this.schedule(id, opened ? 0 : DEBOUNCE_MS, changelog);
  }

  /**
   * Whether an open document is a Liquibase changelog of a project (one its last readBeside read,
   * or an XML, YAML or JSON text whose root is databaseChangeLog): its buffer counts for the order
   * and SQL of the changelogs (readBeside). (Asked of a document that is not linted as SQL.)
   */
  private isChangelogBuffer(id: string, doc: TextDocument): boolean {
    const path = uriToPath(id);
    if (!path) return false;
    const { project } = this.projectOf(id);
    if (!project.folder) return false;
    if (project.changelogs.has(path)) return true;
    const format = changelogFormat(path);
    return !!format && mayBeChangelog(doc.getText(), format);
  }

  private closed(doc: TextDocument): void {
    const id = canonicalUri(doc.uri);
    this.open.delete(id);
    this.cancel(id);
    void this.enqueue(async () => {
      const { project } = this.projectOf(id);
      project.synced.delete(id);
      if (this.doc(id)) return; // reopened meanwhile
      const path = uriToPath(id);
      // (a changelog: read from its file again, the buffer's unsaved edits gone with it)
      if (path && project.folder && project.changelogs.has(path)) {
        await this.readBeside(project);
        this.lintAndPublish(project);
        return;
      }
      if (project.folder && path && this.isLinted(id)) {
        const r = await readTextFile(path);
        if (this.doc(id)) return;
        if (r.ok) project.ws.setFile(id, r.text);
        else {
          if (!r.missing) this.log(`${path}: ${r.reason}, not linted`);
          project.ws.removeFile(id);
        }
      } else {
        project.ws.removeFile(id);
      }
      this.lintAndPublish(project);
    });
  }

  private schedule(id: string, delay: number, readBeside = false): void {
    this.cancel(id);
    this.timers.set(
      id,
      setTimeout(() => {
        this.timers.delete(id);
        void this.enqueue(async () => {
          const { project } = this.projectOf(id);
          if (readBeside) await this.readBeside(project);
          this.lintAndPublish(project);
        });
      }, delay),
    );
  }

  private cancel(id: string): void {
    const t = this.timers.get(id);
    if (t) clearTimeout(t);
    this.timers.delete(id);
  }

  // ----------------------------------------------------------------------------------
  // Linting and publishing

  /** Copies changed open buffers of the project into its engine, drops files that left it; returns the lint. */
  private refresh(project: Project): LintResult {
    this.sync(project);
    return project.ws.lint();
  }

  /** Copies changed open buffers of the project into its engine, drops files that left it. */
  private sync(project: Project): void {
    for (const doc of this.documents.all()) {
      const id = canonicalUri(doc.uri);
      if (this.projectOf(id).project !== project || !this.isLinted(id)) continue;
      if (project.synced.get(id) !== doc.version || !project.ws.has(id)) {
        project.ws.setFile(id, doc.getText());
        project.synced.set(id, doc.version);
      }
    }
    if (project === this.loose) {
      for (const id of project.ws.files()) {
        if (!this.doc(id) || this.projectOf(id).project !== project || !this.isLinted(id)) {
          project.ws.removeFile(id);
          project.synced.delete(id);
        }
      }
    }
  }

  private lintAll(): void {
    for (const p of this.allProjects()) this.lintAndPublish(p);
  }

  private lintAndPublish(project: Project): void {
    const t0 = performance.now();
    const result = this.refresh(project);
    const ms = performance.now() - t0;
    // every open buffer of the project is in this lint: their pending timers are redundant
    for (const id of [...this.timers.keys()]) if (this.projectOf(id).project === project && project.synced.has(id)) this.cancel(id);
    let count = 0;
    // (a changelog's parts' findings are its own: shown on it)
    const byFile = project.ws.onChangelogs(result.byFile);
    for (const [id, findings] of byFile) {
      // (a changelog is linted from its text on disk, whatever its buffer holds)
      const doc = project.parts.has(id) ? undefined : this.doc(id);
      const version = doc ? project.synced.get(id) : undefined;
      if (doc && version !== doc.version) continue; // text moved on since: a newer lint is scheduled
      if (this.publish(project, id, findings, version)) count++;
    }
    for (const id of [...project.published.keys()]) {
      if (!byFile.has(id)) this.publish(project, id, [], undefined);
    }
    // (a file of the verify's statement errors the lint no longer holds: its errors, while its text is the verified one)
    for (const id of project.verified?.errors.keys() ?? []) {
      if (!result.byFile.has(id) && !project.published.has(id)) this.publish(project, id, [], undefined);
    }
    // (the lint's garbage collected while the server waits for the next edit: runtime.ts)
    setImmediate(idleCollect);
    if (ms > 500) this.log(`linted ${result.byFile.size} files of ${project.name || 'loose files'} in ${Math.round(ms)} ms (${count} updated)`);
    // (several databases: said once per change of them, since each is replayed on its own)
    // (not one none of whose files is replayed: a folder repeating a Supabase project's history)
    const all = result.databases.map((d) => d.database);
    const skipped = (f: string) => {
      const pf = project.ws.parsed(f);
      return pf !== undefined && notReplayedReason(pf) !== undefined;
    };
    const dbs = all.length > 1 ? replayedDatabases(all, new Set(all.flatMap((d) => d.files.filter(skipped)))) : all;
    const unmatched = unmatchedDatabases(project.ws.getConfig().databases, dbs);
    const key = (dbs.length > 1 ? describeDatabases(dbs) : '') + (unmatched.length ? `; the config's ${unmatched.map((n) => `"${n}"`).join(', ')} get${unmatched.length === 1 ? 's' : ''} no file` : '');
    if (key !== project.databasesLogged) {
      project.databasesLogged = key;
      this.log(`${project.name || 'loose files'}: ${key.replace(/^; /, 'one database; ') || 'one database'} (the config's "databases" setting decides)`);
    }
  }

  /** Publishes a file's findings as diagnostics when they differ from the last published ones. Returns whether it sent. */
  private publish(project: Project, id: string, findings: readonly Finding[], version: number | undefined): boolean {
    const last = project.published.get(id);
    // (the notes of a verify apply while the file's text is the one verified)
    const verified = project.verified && project.verified.texts.get(id) === project.ws.text(id) ? project.verified : undefined;
    const stamp = verified ? this.verifiedVersion : 0;
    const failed = verified?.errors.get(id) ?? [];
    if (last ? last.aliases === this.aliasesVersion && last.verified === stamp && sameFindings(last.findings, findings) : findings.length === 0 && failed.length === 0) {
      if (last) last.findings = findings; // the same data: keep the current lint's, let the old go
      return false;
    }
    if (findings.length || failed.length) project.published.set(id, { findings, aliases: this.aliasesVersion, verified: stamp });
    else project.published.delete(id);
    const noteOf = (f: Finding) => {
      const text = verified?.notes.get(noteKey(id, f.rule, f.range.start.line + 1, f.range.start.character + 1));
      return text === undefined ? undefined : `Shown on ${verified!.pgVersion} by pg-rls-lint verify: ${text}`;
    };
    const text = failed.length ? (project.ws.text(id) ?? '') : '';
    const diagnostics = mergeRepeated(findings).map((f) => toDiagnostic(f, this.caps, this.uriOf, noteOf(f)));
    for (const e of failed) diagnostics.push(statementErrorDiagnostic(e, verified!.pgVersion, text));
    this.send(id, diagnostics, version);
    return true;
  }

  private send(id: string, diagnostics: Diagnostic[], version: number | undefined): void {
    void this.connection.sendDiagnostics({ uri: this.uriOf(id), version, diagnostics }).catch((e) => this.error('cannot publish diagnostics', e));
  }

  // ----------------------------------------------------------------------------------
  // Disk

  /** Makes the engine hold exactly the project's matching files: reads new ones, drops the others. */
  private async syncDisk(project: Project): Promise<void> {
    if (!project.folder) return;
    const all = await discoverFiles(project.folder.path, project.ws.getConfig(), (m) => this.log(m));
    // a nested workspace folder owns its own files
    const found = this.projects.size > 1 ? all.filter((p) => this.projectOf(fileUri(p)).project === project) : all;
    const wanted = new Set(found.map((p) => fileUri(p)));
    for (const id of project.ws.files()) {
      // (a part of a changelog's own SQL: readBeside's)
      if (project.parts.has(id)) continue;
      if (this.doc(id) ? !this.isLinted(id) : !wanted.has(id)) {
        project.ws.removeFile(id);
        project.synced.delete(id);
      }
    }
    const toRead = found.filter((p) => {
      const id = fileUri(p);
      return !project.ws.has(id) && !this.doc(id);
    });
    for (let i = 0; i < toRead.length; i += READ_CONCURRENCY) {
      await Promise.all(toRead.slice(i, i + READ_CONCURRENCY).map((p) => this.loadFromDisk(project, fileUri(p), p)));
    }
    project.changelogFiles = new Set((await changelogsUnder(project.folder.path)).filter((p) => this.projects.size <= 1 || this.projectOf(fileUri(p)).project === project));
    await this.readBeside(project);
  }

  /**
   * What the project's files keep beside them: the `supabase/config.toml` of its Supabase projects
   * (the schemas their Data APIs serve), the `postgrest.conf`, docker compose file or `.env` of a
   * plain PostgREST project (the schemas it serves), the `sqitch.plan` of its sqitch projects (their replay
   * order), the `meta/_journal.json` of its Drizzle Kit migrations folders (their replay order,
   * the files applied), the `.gmrc` of its graphile-migrate projects (their replay order) and the
   * changelogs of its Liquibase projects (their replay order, the files run). Each problem is logged once.
   */
  private async readBeside(project: Project): Promise<void> {
    const root = project.folder;
    if (!root) return;
    const problems: string[] = [];
    // (and the changelogs under the folder: a project's may lie far from its other SQL files, or hold all of it)
    const paths = [...project.ws.files().filter((id) => !project.parts.has(id)).map((id) => uriToPath(id)).filter((p): p is string => p !== undefined), ...project.changelogFiles];
    // (the workspace folder itself is shown as '': its postgrest.conf or .gmrc is `postgrest.conf`, not an absolute path)
    const ids = (folder: string) => {
      const rel = resolve(folder) === resolve(root.path) ? '' : (relativeTo(root.path, folder) ?? folder);
      return { prefix: `${fileUri(folder)}/`, shown: rel === '' ? '' : `${rel}/` };
    };
    const problem = (path: string, text: string) => problems.push(`${path}: ${text}`);
    project.ws.setApiSchemas([...(await readApiSchemas(paths, ids, problem)), ...(await readPostgrestSchemas(paths, ids, problem))]);
    project.ws.setSqitchPlans(await readSqitchPlans(paths, ids, problem));
    project.ws.setDrizzleJournals(await readDrizzleJournals(paths, ids, problem));
    project.ws.setGraphileMigrate(await readGraphileMigrate(paths, ids, problem));
    const changelogs = new Set<string>();
    // (the editor's open changelogs as their buffers hold them; one Liquibase could not read, half
    // typed, as its file holds it: the order and findings stay those of the last save meanwhile)
    const buffers = new Map<string, string>();
    for (const doc of this.documents.all()) {
      const path = uriToPath(canonicalUri(doc.uri));
      const format = path ? changelogFormat(path) : undefined;
      if (!path || !format || this.projectOf(canonicalUri(doc.uri)).project !== project) continue;
      const text = doc.getText();
      const refs = changelogRefs(text, format);
      if (!(refs && 'problem' in refs)) buffers.set(path, text);
    }
    project.ws.setLiquibaseChangelogs(await readLiquibaseChangelogs(paths, ids, problem, { top: root.path, read: changelogs, buffers }));
    project.ws.setInitdbScripts(await readInitdbScripts(paths, ids, problem));
    project.changelogs = changelogs;
    // (the changelogs holding SQL of their own: each part gets its changelog's text, which its offsets were read from: its buffer's, or its file's)
    const parts = project.ws.liquibaseParts();
    for (const old of project.parts.keys()) if (!parts.has(old)) project.ws.removeFile(old);
    const texts = new Map<string, string | undefined>();
    for (const [part, changelog] of parts) {
      if (!texts.has(changelog)) {
        const path = uriToPath(changelog);
        const r = path === undefined ? undefined : await readBuffered(path, buffers);
        texts.set(changelog, r?.ok ? r.text : undefined);
      }
      const text = texts.get(changelog);
      if (text !== undefined) project.ws.setFile(part, text);
      else project.ws.removeFile(part);
    }
    project.parts = parts;
    const key = problems.join('\n');
    if (key !== project.apiLogged) {
      project.apiLogged = key;
      for (const p of problems) this.log(p);
    }
  }

  private async loadFromDisk(project: Project, id: string, path: string): Promise<void> {
    const r = await readTextFile(path);
    if (this.doc(id)) return; // opened meanwhile: the buffer wins
    if (r.ok) {
      project.ws.setFile(id, r.text);
    } else {
      if (!r.missing) this.log(`${path}: ${r.reason}, not linted`);
      project.ws.removeFile(id);
    }
  }

  private watchedFilesChanged(params: DidChangeWatchedFilesParams): Promise<void> {
    return this.enqueue(async () => {
      const touched = new Set<Project>();
      const configs = new Set<Project>();
      const apis = new Set<Project>();
      for (const change of params.changes) {
        const id = canonicalUri(change.uri);
        const path = uriToPath(id);
        if (!path) continue;
        if (basename(path) === CONFIG_FILE_NAME) {
          const p = [...this.projects.values()].find((x) => x.folder!.path === dirname(path));
          if (p) configs.add(p);
          continue;
        }
        if (BESIDE_SQL.test(path)) {
          const { project } = this.projectOf(id);
          if (project.folder) apis.add(project);
          continue;
        }
        // (a Liquibase changelog: one read last time, or a file that is one now; any other XML, YAML or JSON file is none of the linter's)
        if (CHANGELOG_FILE.test(path)) {
          const { project } = this.projectOf(id);
          if (!project.folder) continue;
          const is = change.type !== FileChangeType.Deleted && (await isChangelogFile(path));
          // (one named like a changelog: followed wherever it lies, changelogsUnder)
          if (is && namedLikeChangelog(path)) project.changelogFiles.add(path);
          else project.changelogFiles.delete(path);
          if (project.changelogs.has(path) || is) apis.add(project);
          continue;
        }
        const { project, rel } = this.projectOf(id);
        if (!project.folder || rel === undefined) continue;
        if (this.doc(id)) continue; // an open buffer overrides the disk
        if (change.type === FileChangeType.Deleted) {
          if (project.ws.removeFile(id)) touched.add(project);
          // a deleted folder: every file under it
          for (const f of project.ws.files()) {
            if (f.startsWith(`${id}/`) && !this.doc(f)) {
              project.ws.removeFile(f);
              touched.add(project);
            }
          }
        } else if (project.match(rel)) {
          await this.loadFromDisk(project, id, path);
          touched.add(project);
        } else if (change.type === FileChangeType.Created && !SQL_FILE_NAME.test(path)) {
          await this.syncDisk(project); // maybe a folder moved in
          touched.add(project);
        }
      }
      for (const p of configs) {
        await this.reloadConfig(p);
        await this.syncDisk(p);
        touched.add(p);
      }
      // (a file of a new Supabase project, or its config.toml: syncDisk reads them for the others)
      for (const p of new Set([...touched, ...apis])) {
        if (configs.has(p)) continue;
        await this.readBeside(p);
        touched.add(p);
      }
      for (const p of touched) this.lintAndPublish(p);
    });
  }

  // ----------------------------------------------------------------------------------
  // Settings

  private configurationChanged(settings: unknown): Promise<void> {
    if (!this.caps.configuration && settings !== undefined && settings !== null) this.pushedSettings = sectionOf(settings);
    return this.enqueue(() => this.reloadAndLintAll(this.allProjects()));
  }

  /**
   * Reads the configuration and the SQL files on disk of `projects` again, then lints every
   * project: the first lint of a workspace, a folder added, a setting changed. On a large
   * workspace that takes seconds (200 files, 100,000 lines: 2–5 s), so the client shows it as
   * progress (window/workDoneProgress, where it has it: VS Code's status bar, Neovim's $/progress).
   */
  private async reloadAndLintAll(projects: readonly Project[]): Promise<void> {
    const progress = await this.progress();
    try {
      progress?.begin(NAME, undefined, 'reading the SQL files', false);
      for (const p of projects) {
        await this.reloadConfig(p);
        await this.syncDisk(p);
      }
      const files = this.allProjects().reduce((n, p) => n + p.ws.files().length, 0);
      progress?.report(`linting ${files === 1 ? '1 file' : `${files} files`}`);
      // (the report is written before the lint, which holds the event loop until it is done)
      await new Promise((resolve) => setImmediate(resolve));
      this.lintAll();
    } finally {
      progress?.done();
    }
  }

  /**
   * A progress reporter of the client's, or none: none when the client has no progress UI, or
   * does not answer its creation within CONFIGURATION_TIMEOUT_MS (linting does not wait on it;
   * a reporter that comes later is ended at once).
   */
  private async progress(): Promise<WorkDoneProgressServerReporter | undefined> {
    if (!this.caps.workDoneProgress) return undefined;
    let late = false;
    const created = this.connection.window.createWorkDoneProgress().then((r) => {
      if (late) r.done();
      return r;
    });
    try {
      return await answerWithin(created, CONFIGURATION_TIMEOUT_MS);
    } catch (e) {
      late = true;
      if (e instanceof NoAnswer) this.log(`window/workDoneProgress/create: ${e.message}; linting without progress`);
      else this.error('window/workDoneProgress/create failed; linting without progress', e);
      return undefined;
    }
  }

  private async editorSettings(scopeUri: string | undefined): Promise<unknown> {
    if (this.caps.configuration) {
      try {
        // a client that never answers must not stall linting: the queue waits on this
        return await answerWithin(this.connection.workspace.getConfiguration({ scopeUri, section: SETTINGS_SECTION }), CONFIGURATION_TIMEOUT_MS);
      } catch (e) {
        this.error('workspace/configuration failed; using the initialization options', e);
      }
    }
    return this.pushedSettings ?? this.initSettings;
  }

  /** Re-reads the editor settings and `.pg-rls-lint.json`; warns once per distinct problem set. */
  private async reloadConfig(project: Project): Promise<void> {
    const editor = await this.editorSettings(project.folder?.uri);
    const file = project.folder ? await readConfigFile(project.folder.path) : { uri: '', path: '' };
    const { config, issues: all } = resolveConfig(editor, file);
    // the client may check its settings itself: then their problems are only logged here
    const issues = this.warnOnInvalidSettings ? all : all.filter((i) => i.origin === 'file');
    for (const i of all) if (!issues.includes(i)) this.log(`editor settings "${SETTINGS_SECTION}": ${i.message}`);
    if (!sameConfig(config, project.ws.getConfig())) {
      project.ws.setConfig(config);
      project.match = fileMatcher(config);
    }
    const message = issuesMessage(issues, file, project.name);
    const key = message ?? '';
    if (key !== project.warnedKey) {
      project.warnedKey = key;
      if (message) {
        this.log(message);
        void this.connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Warning, message });
      }
    }
    if (project.folder) {
      const diagnostics = configDiagnostics(issues, file.text);
      const diagKey = JSON.stringify(diagnostics);
      if (diagKey !== project.configDiagnosticsKey || file.uri !== project.configFileUri) {
        if (project.configFileUri && project.configFileUri !== file.uri && project.configDiagnosticsKey !== '[]') this.send(project.configFileUri, [], undefined);
        if (diagKey !== '[]' || project.configDiagnosticsKey !== '[]') this.send(file.uri, diagnostics, undefined);
        project.configDiagnosticsKey = diagKey;
        project.configFileUri = file.uri;
      }
    }
  }

  // ----------------------------------------------------------------------------------
  // Code actions and commands

  private async codeAction(params: CodeActionParams) {
    await this.ready;
    const ctx = this.actionContext(params.textDocument.uri);
    if (!ctx) return [];
    // (the project's .pg-rls-lint.json, for "turn off for the workspace": its open buffer, else the file)
    const folder = this.projectOf(ctx.id).project.folder;
    if (folder && wants(params.context.only, CodeActionKind.QuickFix, true) && params.context.diagnostics.length) {
      const file = await readConfigFile(folder.path);
      const open = this.doc(canonicalUri(file.uri));
      if (!file.unreadable || open) ctx.config = { uri: open?.uri ?? file.uri, text: open ? open.getText() : file.text };
    }
    return codeActions(params, ctx);
  }

  private actionContext(uri: string): ActionContext | undefined {
    const id = canonicalUri(uri);
    if (!this.isLinted(id)) return undefined;
    const { project } = this.projectOf(id);
    const result = this.refresh(project);
    const parsed = project.ws.parsed(id);
    if (!parsed) return undefined;
    return {
      id,
      text: parsed.text,
      findings: result.byFile.get(id) ?? [],
      positionAt: (o) => parsed.positionAt(o),
      uriOf: this.uriOf,
      versionOf: this.versionOf,
      caps: this.caps,
      allFindings: result.byFile,
      check: (finding, fix) => checkFix(project.ws, finding, fix),
    };
  }

  // ----------------------------------------------------------------------------------
  // Insight: hover, CodeLens, symbols, navigation, completion (the model, not a lint: the
  // model is cached per workspace state and the insight index per model)

  private async insightContext(uri: string, withFindings = false): Promise<insight.InsightContext | undefined> {
    await this.ready;
    const id = canonicalUri(uri);
    if (!this.isLinted(id)) return undefined;
    const { project } = this.projectOf(id);
    this.sync(project);
    const parsed = project.ws.parsed(id);
    if (!parsed) return undefined;
    return {
      ...this.projectInsight(project, id),
      id,
      parsed,
      findings: withFindings ? () => project.ws.lint().byFile.get(id) ?? [] : undefined,
    };
  }

  /** The insight context of a project's database: `id`'s (the first one's without it). */
  private projectInsight(project: Project, id?: string): Omit<insight.InsightContext, 'id' | 'parsed'> {
    return {
      model: project.ws.model(id),
      uriOf: this.uriOf,
      parsedOf: (f) => project.ws.parsed(f),
      display: (f) => {
        const path = uriToPath(f);
        const rel = path && project.folder ? relativeTo(project.folder.path, path) : undefined;
        return rel ?? (path ? basename(path) : f);
      },
    };
  }

  private async workspaceSymbols(query: string) {
    await this.ready;
    return this.allProjects().flatMap((p) => {
      this.sync(p);
      // (each database's symbols: its model has them)
      return p.ws.files().length ? p.ws.databases().flatMap((d) => insight.workspaceSymbols(this.projectInsight(p, d.files[0]), query)) : [];
    });
  }

  private async executeCommand(params: ExecuteCommandParams, token?: CancellationToken): Promise<unknown> {
    await this.ready;
    const args = params.arguments ?? [];
    switch (params.command) {
      case COMMANDS.fixAll:
        return this.fixAll(args[0], args[1]);
      case COMMANDS.rlsMatrix:
        return this.matrix(args[0]);
      case COMMANDS.verify:
        return this.verify(args[0], token);
      case COMMANDS.applyEdit: {
        const r = await this.connection.workspace.applyEdit({ label: 'pg-rls-lint', edit: args[0] as WorkspaceEdit });
        return { applied: r.applied };
      }
      default:
        this.log(`unknown command ${params.command}`);
        return null;
    }
  }

  private async fixAll(uri: unknown, version: unknown): Promise<{ applied: boolean }> {
    if (typeof uri !== 'string') return { applied: false };
    const doc = this.documents.get(uri) ?? this.doc(canonicalUri(uri));
    if (typeof version === 'number' && doc && doc.version !== version) return { applied: false };
    const ctx = this.actionContext(uri);
    if (!ctx) return { applied: false };
    const edits = fixAllEdits(ctx);
    if (edits.length === 0) return { applied: false };
    const edit = workspaceEdit(new Map([[ctx.uriOf(ctx.id), edits]]), ctx);
    const r = await this.connection.workspace.applyEdit({ label: 'Fix all safe pg-rls-lint problems', edit });
    if (!r.applied && r.failureReason) this.log(`fix all not applied: ${r.failureReason}`);
    return { applied: r.applied };
  }

  /**
   * Runs `pg-rls-lint verify` on the folder of each project (or of the file `uri`'s) and
   * republishes its diagnostics: each finding the engine showed says how. A summary per project.
   */
  private async verify(uri: unknown, token?: CancellationToken): Promise<{ projects: VerifySummary[] }> {
    // (a folder without SQL files has nothing to verify: the CLI would refuse it)
    const projects = (typeof uri === 'string' ? [this.projectOf(canonicalUri(uri)).project] : this.allProjects()).filter((p) => p.folder && p.ws.files().length > 0);
    const out: VerifySummary[] = [];
    for (const p of projects) {
      const folder = p.folder!.path;
      if (token?.isCancellationRequested) {
        out.push({ project: p.name, error: 'cancelled' });
        continue;
      }
      this.log(`verify: running the migrations of ${folder} on PGlite`);
      let cancel: { dispose(): void } | undefined;
      try {
        const run = await runVerify(join(__dirname, 'cli.js'), folder, (stop) => (cancel = token?.onCancellationRequested(stop)));
        const notes = new Map<string, string>();
        const errors = new Map<string, StatementError[]>();
        const texts = new Map<string, string>();
        // (the text verify read of each file: its notes and errors apply while the file has it)
        const read = async (path: string) => {
          const id = canonicalUri(fileUri(path));
          if (!texts.has(id)) {
            const r = await readTextFile(path);
            if (r.ok) texts.set(id, r.text);
          }
          return id;
        };
        for (const s of run.shown) {
          notes.set(noteKey(await read(s.path), s.rule, s.line, s.column), s.text);
          this.log(`  ${relativeTo(folder, s.path) ?? s.path}:${s.line}:${s.column}  ${s.rule}  (${s.text})`);
        }
        for (const e of run.errors) {
          const id = await read(e.path);
          errors.set(id, [...(errors.get(id) ?? []), e]);
          this.log(`  ${relativeTo(folder, e.path) ?? e.path}:${e.line}:${e.column}  failed in the replay: ${e.code} ${e.message}`);
        }
        p.verified = { pgVersion: run.pgVersion, notes, errors, texts };
        this.verifiedVersion++;
        const summary = { project: p.name, pgVersion: run.pgVersion, shown: run.shown.length, statementErrors: run.statementErrors, failingProbes: run.failingProbes, timedOut: run.timedOut };
        this.log(`verify: ${summary.shown} finding(s) shown on ${run.pgVersion}; ${summary.statementErrors} statement error(s), ${summary.failingProbes} failing probe(s)${run.timedOut ? '; time budget exhausted' : ''} (pg-rls-lint verify in a terminal lists them)`);
        out.push(summary);
        await this.enqueue(async () => this.lintAndPublish(p));
      } catch (e) {
        const error = (e as Error)?.message ?? String(e);
        this.log(`verify of ${folder} failed: ${error}`);
        out.push({ project: p.name, error });
      } finally {
        cancel?.dispose();
      }
    }
    return { projects: out };
  }

  private matrix(uri: unknown): string {
    const projects =
      typeof uri === 'string' ? [this.projectOf(canonicalUri(uri)).project] : this.allProjects().filter((p) => p.folder || p.ws.files().length > 0);
    return rlsMatrix(
      projects.flatMap((p) => {
        this.refresh(p);
        // (one section per database when the project's files make several)
        const dbs = p.ws.databases();
        return dbs.map((d) => ({ name: dbs.length > 1 ? `${p.name || 'Files outside the workspace folders'} · database ${d.name}` : p.name, model: p.ws.model(d.files[0]) }));
      }),
    );
  }

  // ----------------------------------------------------------------------------------
  // Plumbing

  /** Runs work after all earlier work; a failure is logged and does not stop the queue. */
  private enqueue(work: () => Promise<void>): Promise<void> {
    const run = this.queue.then(work).catch((e) => this.error('internal error', e));
    this.queue = run;
    return run;
  }

  /** Wraps a handler: an exception is logged and the handler returns `fallback`. */
  private guard<A extends unknown[], R, F>(name: string, fallback: F, fn: (...args: A) => R | Promise<R>): (...args: A) => Promise<R | F> {
    return async (...args: A) => {
      try {
        return await fn(...args);
      } catch (e) {
        this.error(`${name} failed`, e);
        return fallback;
      }
    };
  }

  private log(message: string): void {
    this.connection.console.log(message);
  }

  private error(message: string, e: unknown): void {
    this.connection.console.error(`${message}: ${(e as Error)?.stack ?? String(e)}`);
  }
}

function sameConfig(a: Config, b: Config): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
