// A small LSP client for protocol tests: spawns `node dist/server.js --stdio`, frames
// JSON-RPC with Content-Length headers, sends requests/notifications, answers the
// server's requests (workspace/configuration, client/registerCapability,
// workspace/applyEdit, …) and waits for notifications with timeouts.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { URI } from 'vscode-uri';

export const ROOT = join(__dirname, '..', '..');
export const SERVER = join(ROOT, 'dist', 'server.js');

/** Builds dist/ when dist/server.js is missing (once, even with test files running in parallel). */
export function ensureServerBuilt(): void {
  if (existsSync(SERVER)) return;
  const lock = join(ROOT, 'node_modules', '.lsp-test-build.lock');
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // another test file is building; a lock older than 2 minutes is stale
      try {
        if (Date.now() - statSync(lock).mtimeMs > 120_000) rmdirSync(lock);
      } catch {
        /* gone meanwhile */
      }
      if (Date.now() > deadline) throw new Error('timed out waiting for another build of dist/server.js');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    if (existsSync(SERVER)) return;
    const r = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0 || !existsSync(SERVER)) throw new Error(`node scripts/build.mjs failed:\n${r.stdout}\n${r.stderr}`);
  } finally {
    rmdirSync(lock);
  }
}

export const uriOf = (path: string): string => URI.file(path).toString();

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export interface Message {
  method: string;
  params: Json;
}

export interface ClientOptions {
  /** answers `workspace/configuration` items (default: `{}` each) */
  configuration?: (item: { scopeUri?: string; section?: string }) => unknown;
  /** answer to `workspace/applyEdit` (default: applied) */
  applyEdit?: (params: Json) => { applied: boolean; failureReason?: string };
  timeoutMs?: number;
}

export class LspClient {
  readonly proc: ChildProcessWithoutNullStreams;
  /** every notification from the server, in order */
  readonly notifications: Message[] = [];
  /** every request from the server, in order */
  readonly serverRequests: Message[] = [];
  stderr = '';
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: Json) => void; reject: (e: Error) => void; method: string }>();
  private waiters: Array<() => void> = [];
  readonly exited: Promise<number | null>;

  constructor(private readonly options: ClientOptions = {}) {
    this.proc = spawn(process.execPath, [SERVER, '--stdio'], { stdio: 'pipe' });
    this.proc.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    this.proc.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => this.proc.on('exit', (code) => resolve(code)));
    void this.exited.then(() => {
      for (const p of this.pending.values()) p.reject(new Error(`server exited during ${p.method}\n${this.stderr}`));
      this.pending.clear();
      this.wake();
    });
  }

  // (30 s: a wait lasts only as long as the server takes; the limit matters only when a test fails,
  // and on a loaded CI machine 5 s is too close to what a passing test may take)
  get timeoutMs(): number {
    return this.options.timeoutMs ?? 30_000;
  }

  request<T = Json>(method: string, params: Json): Promise<T> {
    const id = this.nextId++;
    this.write({ jsonrpc: '2.0', id, method, params });
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`timeout waiting for the response to ${method}`));
      }, this.timeoutMs);
      this.pending.set(id, {
        method,
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  notify(method: string, params: Json): void {
    this.write({ jsonrpc: '2.0', method, params });
  }

  /** Index of the next notification, to wait only for later ones. */
  mark(): number {
    return this.notifications.length;
  }

  /** The first notification (from index `since`) with `method` for which `pred` holds. */
  async waitFor(method: string, pred: (params: Json) => boolean = () => true, since = 0, timeoutMs = this.timeoutMs): Promise<Json> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let i = since; i < this.notifications.length; i++) {
        const n = this.notifications[i]!;
        if (n.method === method && pred(n.params)) return n.params;
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.proc.exitCode !== null) {
        const seen = this.notifications
          .slice(since)
          .map((n) => `${n.method} ${JSON.stringify(n.params).slice(0, 300)}`)
          .join('\n');
        throw new Error(`timeout waiting for ${method}; received since:\n${seen}\nstderr:\n${this.stderr}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits for a publishDiagnostics of `uri` satisfying `pred`. */
  waitForDiagnostics(uri: string, pred: (params: Json) => boolean = () => true, since = 0): Promise<{ uri: string; version?: number; diagnostics: Json[] }> {
    return this.waitFor('textDocument/publishDiagnostics', (p) => p.uri === uri && pred(p), since);
  }

  /** All publishDiagnostics of `uri` received (from index `since`). */
  published(uri: string, since = 0): Array<{ uri: string; version?: number; diagnostics: Json[] }> {
    return this.notifications.slice(since).filter((n) => n.method === 'textDocument/publishDiagnostics' && n.params.uri === uri).map((n) => n.params);
  }

  /** initialize + initialized, with the capabilities VS Code announces. */
  async initialize(rootPath?: string, extra: { capabilities?: Json; initializationOptions?: Json } = {}): Promise<Json> {
    const folders = rootPath ? [{ uri: uriOf(rootPath), name: 'root' }] : null;
    const result = await this.request('initialize', {
      processId: process.pid,
      rootUri: rootPath ? uriOf(rootPath) : null,
      workspaceFolders: folders,
      capabilities: extra.capabilities ?? VSCODE_CAPABILITIES,
      initializationOptions: extra.initializationOptions,
    });
    this.notify('initialized', {});
    return result;
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    try {
      await this.request('shutdown', null);
      this.notify('exit', null);
      await Promise.race([this.exited, new Promise((r) => setTimeout(r, 2000))]);
    } finally {
      if (this.proc.exitCode === null) this.proc.kill();
    }
  }

  private write(message: Json): void {
    const body = Buffer.from(JSON.stringify(message), 'utf8');
    this.proc.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.proc.stdin.write(body);
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const headerEnd = this.buffer.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const header = this.buffer.subarray(0, headerEnd).toString('ascii');
      const m = /Content-Length: *(\d+)/i.exec(header);
      if (!m) throw new Error(`bad header from the server: ${header}`);
      const length = Number(m[1]);
      if (this.buffer.length < headerEnd + 4 + length) return;
      const body = this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString('utf8');
      this.buffer = this.buffer.subarray(headerEnd + 4 + length);
      this.dispatch(JSON.parse(body));
    }
  }

  private dispatch(msg: Json): void {
    if (msg.id !== undefined && msg.method === undefined) {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`));
      else p.resolve(msg.result);
      return;
    }
    if (msg.id !== undefined) {
      this.serverRequests.push({ method: msg.method, params: msg.params });
      this.write({ jsonrpc: '2.0', id: msg.id, result: this.answer(msg.method, msg.params) });
      this.wake();
      return;
    }
    this.notifications.push({ method: msg.method, params: msg.params });
    this.wake();
  }

  private answer(method: string, params: Json): unknown {
    switch (method) {
      case 'workspace/configuration':
        return (params.items as Json[]).map((item) => this.options.configuration?.(item) ?? {});
      case 'workspace/applyEdit':
        return this.options.applyEdit?.(params) ?? { applied: true };
      default:
        return null; // client/registerCapability, window/workDoneProgress/create, …
    }
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

/** The parts of VS Code's client capabilities the server looks at. */
export const VSCODE_CAPABILITIES = {
  workspace: {
    applyEdit: true,
    workspaceEdit: { documentChanges: true },
    didChangeConfiguration: { dynamicRegistration: true },
    didChangeWatchedFiles: { dynamicRegistration: true, relativePatternSupport: true },
    configuration: true,
    workspaceFolders: true,
  },
  textDocument: {
    synchronization: { dynamicRegistration: true, didSave: true },
    publishDiagnostics: { relatedInformation: true, versionSupport: true, codeDescriptionSupport: true, dataSupport: true },
    codeAction: {
      dynamicRegistration: true,
      isPreferredSupport: true,
      dataSupport: true,
      codeActionLiteralSupport: {
        codeActionKind: { valueSet: ['', 'quickfix', 'refactor', 'source', 'source.organizeImports', 'source.fixAll'] },
      },
    },
  },
  window: { showMessage: {}, workDoneProgress: true },
};

// ---------------------------------------------------------------------------------------
// Text edits, as an editor applies them

export interface Position {
  line: number;
  character: number;
}
export interface Range {
  start: Position;
  end: Position;
}
export interface TextEdit {
  range: Range;
  newText: string;
}

export function offsetAt(text: string, pos: Position): number {
  let line = 0;
  let i = 0;
  while (line < pos.line) {
    const nl = text.indexOf('\n', i);
    if (nl < 0) return text.length;
    i = nl + 1;
    line++;
  }
  const nl = text.indexOf('\n', i);
  const lineEnd = nl < 0 ? text.length : nl;
  return Math.min(i + pos.character, lineEnd);
}

/** Applies LSP text edits (non-overlapping, positions in the original text). */
export function applyTextEdits(text: string, edits: readonly TextEdit[]): string {
  const spans = edits
    .map((e) => ({ start: offsetAt(text, e.range.start), end: offsetAt(text, e.range.end), newText: e.newText }))
    .sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  for (const s of spans) out = out.slice(0, s.start) + s.newText + out.slice(s.end);
  return out;
}

/** The edits of a WorkspaceEdit for one URI (`documentChanges` or `changes`). */
export function editsFor(edit: Json, uri: string): TextEdit[] {
  if (edit.documentChanges) return (edit.documentChanges as Json[]).filter((d) => d.textDocument.uri === uri).flatMap((d) => d.edits);
  return edit.changes?.[uri] ?? [];
}

/** The range of the `n`-th occurrence of `needle` in `text` (UTF-16 positions). */
export function rangeOf(text: string, needle: string, n = 0): Range {
  let at = -1;
  for (let k = 0; k <= n; k++) at = text.indexOf(needle, at + 1);
  if (at < 0) throw new Error(`"${needle}" not in text`);
  const pos = (o: number): Position => {
    const before = text.slice(0, o);
    const line = before.split('\n').length - 1;
    return { line, character: o - (before.lastIndexOf('\n') + 1) };
  };
  return { start: pos(at), end: pos(at + needle.length) };
}
