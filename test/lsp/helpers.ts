// Shared set-up of the LSP protocol tests: a temp workspace folder, a started server, and
// helpers that act like an editor (open, change with range edits, apply a code action).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { applyTextEdits, editsFor, LspClient, uriOf, type ClientOptions, type TextEdit } from './client.js';

export const SOURCE = 'pg-rls-lint';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export interface Session {
  client: LspClient;
  /** the initialize result */
  init: Json;
  root: string;
  /** writes a file of the workspace folder to disk, returns its URI */
  write(name: string, text: string): string;
  path(name: string): string;
  uri(name: string): string;
}

/** A server on a fresh temp folder holding `files`; stopped and removed when the test ends. */
export async function start(t: TestContext, files: Record<string, string> = {}, options: ClientOptions & { init?: Parameters<LspClient['initialize']>[1] } = {}): Promise<Session> {
  const root = mkdtempSync(join(tmpdir(), 'pg-rls-lint-lsp-'));
  const write = (name: string, text: string) => {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), text);
    return uriOf(join(root, name));
  };
  for (const [name, text] of Object.entries(files)) write(name, text);
  const client = new LspClient(options);
  t.after(async () => {
    await client.stop().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });
  const init = await client.initialize(root, options.init);
  return { client, init, root, write, path: (name) => join(root, name), uri: (name) => uriOf(join(root, name)) };
}

/** An open document the test edits like an editor does (incremental range changes). */
export class Doc {
  version = 1;
  constructor(
    readonly client: LspClient,
    readonly uri: string,
    public text: string,
    languageId = 'sql',
  ) {
    client.notify('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
  }

  /** Applies edits (positions in the current text) and sends them as range changes. */
  edit(edits: readonly TextEdit[]): void {
    this.version++;
    // later edits first, so each change's range is valid in the text the server has
    const ordered = [...edits].sort((a, b) => b.range.start.line - a.range.start.line || b.range.start.character - a.range.start.character);
    this.text = applyTextEdits(this.text, edits);
    this.client.notify('textDocument/didChange', {
      textDocument: { uri: this.uri, version: this.version },
      contentChanges: ordered.map((e) => ({ range: e.range, text: e.newText })),
    });
  }

  /** Appends text at the end. */
  append(text: string): void {
    const lines = this.text.split('\n');
    const end = { line: lines.length - 1, character: lines[lines.length - 1]!.length };
    this.edit([{ range: { start: end, end }, newText: text }]);
  }

  /** Applies a WorkspaceEdit's changes for this document. */
  applyWorkspaceEdit(edit: Json): void {
    const edits = editsFor(edit, this.uri);
    if (edits.length === 0) throw new Error(`the edit has no change for ${this.uri}: ${JSON.stringify(edit)}`);
    this.edit(edits);
  }

  close(): void {
    this.client.notify('textDocument/didClose', { textDocument: { uri: this.uri } });
  }

  /** Waits for this document's diagnostics of the current version satisfying `pred`. */
  diagnostics(pred: (diags: Json[]) => boolean = () => true, since = 0): Promise<Json[]> {
    return this.client.waitForDiagnostics(this.uri, (p) => p.version === this.version && pred(p.diagnostics), since).then((p) => p.diagnostics);
  }

  codeActions(diagnostics: Json[], only?: string[]): Promise<Json[]> {
    const range = diagnostics[0]?.range ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    return this.client.request('textDocument/codeAction', {
      textDocument: { uri: this.uri },
      range,
      context: { diagnostics, only, triggerKind: 1 },
    });
  }
}

export const byRule = (diags: Json[], rule: string): Json[] => diags.filter((d) => d.code === rule);
export const has = (rule: string) => (diags: Json[]) => diags.some((d) => d.code === rule);
export const lacks = (rule: string) => (diags: Json[]) => !diags.some((d) => d.code === rule);
