// Insight requests in LSP terms: hover, CodeLens, document/workspace symbols, definition,
// references, completion. The computations are in analysis/insight.ts (memoised per model);
// this file only turns their plain data into LSP types and Markdown.
//
// Contracts:
// - CodeLens above each CREATE TABLE: title `RLS on · forced · 4 policies`,
//   `RLS on · not forced · 0 policies`, `RLS off` (or `RLS off · 2 policies`); command
//   `editor.action.showReferences` with arguments [uri: string, position: Position (the table
//   name's start), locations: Location[] (the CREATE POLICY statements)]. The VS Code client
//   converts the arguments to vscode types (middleware in client/src/extension.ts).
// - Completion items: roles (kind Constant, detail `role · …`) after `CREATE/ALTER POLICY … TO`,
//   tables (kind Struct, detail `table · RLS …`) after `ON` / `ALTER TABLE` / `GRANT … ON`.
import {
  CompletionItemKind,
  MarkupKind,
  SymbolKind,
  type CodeLens,
  type CompletionItem,
  type DocumentSymbol,
  type Hover,
  type Location,
  type Position,
  type Range,
  type SymbolInformation,
} from 'vscode-languageserver/node';
import {
  completionContext,
  definitionOf,
  documentSymbols as outline,
  functionInfo,
  functionOf,
  refAt,
  referencesOf,
  relationInfo,
  roleCandidates,
  tableCandidates,
  tableLenses,
  workspaceSymbols as findSymbols,
  type OutlineSymbol,
  type PolicyInfo,
  type SymbolKind as InsightKind,
} from '../analysis/insight.js';
import type { Model } from '../analysis/model.js';
import { callReplayAt, catalogLoopAt } from '../analysis/catalog-loops.js';
import { mergeRepeated } from '../engine/merge-repeated.js';
import type { Loc, ParsedFile } from '../analysis/types.js';
import type { Finding } from '../engine/workspace.js';

export const SHOW_REFERENCES = 'editor.action.showReferences';

/** One file of a project, with what the handlers need to convert locations. */
export interface InsightContext {
  model: Model;
  /** engine id of the file */
  id: string;
  parsed: ParsedFile;
  /** engine id → the URI the client knows */
  uriOf: (id: string) => string;
  /** engine id → the parsed file (for ranges in other files) */
  parsedOf: (id: string) => ParsedFile | undefined;
  /** engine id → a short path for display (relative to the workspace folder) */
  display: (id: string) => string;
  /** the file's findings (only hover asks) */
  findings?: () => readonly Finding[];
}

const ZERO = { line: 0, character: 0 };

export function rangeOf(ctx: Pick<InsightContext, 'parsedOf'>, loc: Loc): Range {
  const p = ctx.parsedOf(loc.file);
  if (!p) return { start: ZERO, end: ZERO };
  return { start: p.positionAt(loc.start), end: p.positionAt(loc.end) };
}

export function locationOf(ctx: Pick<InsightContext, 'parsedOf' | 'uriOf'>, loc: Loc): Location {
  return { uri: ctx.uriOf(loc.file), range: rangeOf(ctx, loc) };
}

// ---------------------------------------------------------------------------------------
// Hover

export function hover(ctx: InsightContext, position: Position): Hover | null {
  const offset = ctx.parsed.offsetAt(position);
  const parts: string[] = [];
  let range: Range | undefined;
  const ref = refAt(ctx.model, ctx.id, offset);
  if (ref) {
    const md = ref.kind === 'relation' ? relationHover(ctx, ref.key) : functionHover(ctx, ref);
    if (md) {
      parts.push(md);
      range = rangeOf(ctx, ref);
    }
  }
  // (a DO block's loop over the catalog: the tables the replay ran it for)
  const loop = catalogLoopAt(ctx.model.statements, ctx.id, offset);
  if (loop) {
    const shown = loop.tables.slice(0, 30).map((t) => `\`${escapeMd(t)}\``);
    parts.push(
      loop.tables.length
        ? `**loop over the catalog**: its statements run for the ${loop.tables.length === 1 ? 'table' : `${loop.tables.length} tables`} its query lists where it runs: ${shown.join(', ')}${loop.tables.length > shown.length ? `, and ${loop.tables.length - shown.length} more` : ''}`
        : '**loop over the catalog**: its query lists no table the migrations hold where it runs',
    );
    range ??= rangeOf(ctx, { file: ctx.id, start: loop.loop.start, end: loop.loop.end });
  }
  // (a call whose function's EXECUTEs the replay ran: what it made)
  const made = callReplayAt(ctx.model.statements, ctx.id, offset);
  if (made.length) {
    parts.push(`**replayed call**: it runs ${made.map((m) => `\`${escapeMd(m.summary)}\``).join(', ')} (its function's EXECUTEs, with its values)`);
    range ??= rangeOf(ctx, { file: ctx.id, start: made[0]!.stmt.start, end: made[0]!.stmt.end });
  }
  // (a loop's findings on each table as one: mergeRepeated, as they are published)
  for (const f of mergeRepeated(ctx.findings?.() ?? [])) {
    if (f.start <= offset && offset <= f.end) {
      parts.push(`**pg-rls-lint** \`${f.rule}\` (${f.severity}): ${escapeMd(f.message)}\n\n[Documentation of ${f.rule}](${f.docs})`);
      range ??= { start: f.range.start, end: f.range.end };
    }
  }
  if (parts.length === 0) return null;
  return { contents: { kind: MarkupKind.Markdown, value: parts.join('\n\n---\n\n') }, range };
}

function link(ctx: InsightContext, loc: Loc, line?: number): string {
  const l = line ?? rangeOf(ctx, loc).start.line + 1;
  return `[${escapeMd(ctx.display(loc.file))}:${l}](${ctx.uriOf(loc.file)}#L${l})`;
}

const COMMAND_LABEL = { all: 'ALL', select: 'SELECT', insert: 'INSERT', update: 'UPDATE', delete: 'DELETE' } as const;

function roleLabel(roles: readonly string[]): string {
  return roles.map((r) => (r === 'public' ? 'PUBLIC' : escapeCell(r))).join(', ');
}

function relationHover(ctx: InsightContext, key: string): string | undefined {
  const info = relationInfo(ctx.model, key);
  const lines: string[] = [];
  if (info.kind === 'view') {
    const v = ctx.model.views.get(key)!;
    lines.push(`**${v.foreign ? 'foreign table' : v.materialized ? 'materialized view' : 'view'}** \`${key}\` · ${v.foreign ? 'reads through its server, with no row-level security' : info.securityInvoker ? '`security_invoker`: reads as the querying role' : 'runs with the privileges of its owner'}${info.owner ? ` · owner \`${info.owner}\`` : ''}`);
    if (info.definition) lines.push('', `Defined at ${link(ctx, info.definition)}`);
    return lines.join('\n');
  }
  if (info.kind === 'unknown' && info.policies.length === 0 && info.rlsEnabled === undefined) return undefined;
  const state =
    info.rlsEnabled === undefined
      ? 'RLS state not set in the workspace'
      : info.rlsEnabled
        ? `RLS **on** · ${info.rlsForced ? '**forced**' : 'not forced (the owner bypasses it)'}`
        : `RLS **off**${info.policies.length ? ' (its policies are not applied)' : ''}`;
  lines.push(`**table** \`${key}\` · ${state}${info.owner ? ` · owner \`${info.owner}\`` : ''}`);
  if (info.kind === 'unknown') lines.push('', '_Not created in the workspace._');
  lines.push('');
  if (info.policies.length === 0) {
    lines.push(info.rlsEnabled ? '_No policies: roles subject to RLS see no rows._' : '_No policies._');
  } else {
    lines.push('| Command | Roles | Policy | Kind | USING | WITH CHECK | Where |', '|---|---|---|---|---|---|---|');
    for (const p of info.policies) lines.push(policyRow(ctx, p));
  }
  if (info.definition) lines.push('', `Created at ${link(ctx, info.definition)}`);
  return lines.join('\n');
}

function policyRow(ctx: InsightContext, p: PolicyInfo): string {
  const code = (s: string | undefined) => (s === undefined ? '' : `\`${escapeCell(truncate(s.replace(/\s+/g, ' '), 80)).replace(/`/g, "'")}\``);
  return `| ${COMMAND_LABEL[p.command]} | ${roleLabel(p.roles)} | ${escapeCell(p.name)} | ${p.permissive ? 'permissive' : 'restrictive'} | ${code(p.using)} | ${code(p.withCheck)} | ${link(ctx, p.loc, p.line)} |`;
}

function functionHover(ctx: InsightContext, ref: Parameters<typeof functionOf>[1]): string | undefined {
  const f = functionOf(ctx.model, ref);
  if (!f) return undefined;
  const info = functionInfo(ctx.model, f);
  const lines = [
    `**${info.isProcedure ? 'procedure' : 'function'}** \`${info.signature}\` · ${info.language} · ${info.securityDefiner ? '**SECURITY DEFINER**' : 'SECURITY INVOKER'} · ${info.volatility.toUpperCase()}`,
    '',
    `- search_path: ${info.searchPath ? `\`${info.searchPath.join(', ')}\`` : info.securityDefiner ? '**not set** (the caller’s search_path applies)' : 'not set'}`,
    `- owner: ${info.owner ? `\`${info.owner}\`` : 'not set in the workspace'}`,
    `- EXECUTE: ${info.publicExecute ? '**PUBLIC** (every role)' : 'not PUBLIC'}${info.executeGrants.length ? `; granted to ${info.executeGrants.map((g) => `\`${g}\``).join(', ')}` : ''}`,
  ];
  if (info.calledBy.length) {
    lines.push(`- called by policies: ${info.calledBy.map((p) => `\`${p.name}\` on \`${p.table}\` (${link(ctx, p.loc, p.line)})`).join(', ')}`);
  } else lines.push('- called by no policy');
  lines.push('', `Defined at ${link(ctx, info.definition)}`);
  return lines.join('\n');
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

function escapeMd(s: string): string {
  return s.replace(/[\\`*_[\]<>|]/g, (c) => `\\${c}`);
}

// ---------------------------------------------------------------------------------------
// CodeLens

export function codeLenses(ctx: InsightContext): CodeLens[] {
  return tableLenses(ctx.model, ctx.id).map((l) => {
    const range = rangeOf(ctx, l.at);
    return {
      range,
      command: {
        title: l.title,
        command: SHOW_REFERENCES,
        arguments: [ctx.uriOf(ctx.id), range.start, l.policies.map((p) => locationOf(ctx, p))],
      },
    };
  });
}

// ---------------------------------------------------------------------------------------
// Symbols

const SYMBOL_KIND: Record<InsightKind, SymbolKind> = {
  table: SymbolKind.Class,
  view: SymbolKind.Interface,
  function: SymbolKind.Function,
  policy: SymbolKind.Property,
  trigger: SymbolKind.Event,
  role: SymbolKind.Object,
};

export function documentSymbols(ctx: InsightContext): DocumentSymbol[] {
  const convert = (s: OutlineSymbol): DocumentSymbol => ({
    name: s.name,
    kind: SYMBOL_KIND[s.kind],
    ...(s.detail ? { detail: s.detail } : {}),
    range: rangeOf(ctx, s.range),
    selectionRange: rangeOf(ctx, s.selection),
    children: s.children.map(convert),
  });
  return outline(ctx.model, ctx.id).map(convert);
}

export function workspaceSymbols(ctx: Pick<InsightContext, 'model' | 'parsedOf' | 'uriOf'>, query: string): SymbolInformation[] {
  return findSymbols(ctx.model, query).map((s) => ({
    name: s.name,
    kind: SYMBOL_KIND[s.kind],
    location: locationOf(ctx, s.loc),
    ...(s.container ? { containerName: s.container } : {}),
  }));
}

// ---------------------------------------------------------------------------------------
// Navigation

export function definition(ctx: InsightContext, position: Position): Location | null {
  const ref = refAt(ctx.model, ctx.id, ctx.parsed.offsetAt(position));
  const loc = ref && definitionOf(ctx.model, ref);
  return loc ? locationOf(ctx, loc) : null;
}

export function references(ctx: InsightContext, position: Position, includeDeclaration: boolean): Location[] {
  const ref = refAt(ctx.model, ctx.id, ctx.parsed.offsetAt(position));
  return ref ? referencesOf(ctx.model, ref, includeDeclaration).map((l) => locationOf(ctx, l)) : [];
}

// ---------------------------------------------------------------------------------------
// Completion

/**
 * `before`: the document text up to the cursor. The model is asked for only when the text
 * calls for roles or tables (a trigger character ' ' fires on every space typed).
 */
export function completion(modelOf: () => Model | undefined, before: string): CompletionItem[] {
  const c = completionContext(before);
  if (!c) return [];
  const model = modelOf();
  if (!model) return [];
  if (c.kind === 'role') {
    return roleCandidates(model).map((r, i) => ({ label: r.name, kind: CompletionItemKind.Constant, detail: r.detail, sortText: String(i).padStart(4, '0') }));
  }
  return tableCandidates(model).map((t) => ({ label: t.name, kind: CompletionItemKind.Struct, detail: t.detail }));
}
