// Code actions. Quick fixes only replay the fixes a finding carries (the same ones as in
// `Diagnostic.data`), taken from the latest lint so a diagnostic of an older version of
// the text gets no action; plus "disable for this line / file", "turn off for the workspace"
// (the rule set to off in .pg-rls-lint.json) and "fix all".
import { modify, parseTree, type ParseError } from 'jsonc-parser';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  CodeActionKind,
  type CodeAction,
  type CodeActionParams,
  type Command,
  type Diagnostic,
  type TextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver/node';
import { safeFixEdits, type Finding, type FixCheck, type FixWithRanges } from '../engine/workspace.js';
import { isOurs, sameRange, toLspEdit } from './diagnostics.js';

export const FIX_ALL_KIND = 'source.fixAll.pg-rls-lint';
export const APPLY_EDIT_COMMAND = 'pgRlsLint.server.applyEdit';
export const UNSAFE_SUFFIX = ' (review: changes behaviour)';

export interface EditCaps {
  /** client supports `documentChanges` (versioned edits) */
  documentChanges: boolean;
  /** client supports CodeAction literals (else Commands are returned) */
  literals: boolean;
  /** client creates files a workspace edit names (`resourceOperations` has `create`) */
  createFiles: boolean;
}

/** The project's `.pg-rls-lint.json`: where it is, and its text (an open buffer's, else the file's; undefined when there is none). */
export interface ConfigFileRef {
  uri: string;
  text: string | undefined;
}

export interface ActionContext {
  /** engine id of the requested document */
  id: string;
  /** current text of the document (as the engine has it) */
  text: string;
  /** latest findings of the document */
  findings: readonly Finding[];
  /** offset → position in the document */
  positionAt(offset: number): { line: number; character: number };
  /** engine id → the URI the client uses */
  uriOf(id: string): string;
  /** version of an open document by client URI, null when not open */
  versionOf(uri: string): number | null;
  caps: EditCaps;
  /** every file's latest findings (for "fix all <rule> problems in the workspace") */
  allFindings?: ReadonlyMap<string, readonly Finding[]>;
  /** re-lints the workspace with a fix applied (fixes are checked like code) */
  check?: (finding: Finding, fix: FixWithRanges) => FixCheck;
  /** the project's config file, for "turn off for the workspace" (none outside a workspace folder) */
  config?: ConfigFileRef;
}

/** At most this many fixes are re-linted per request (each re-lint rebuilds the model). */
const MAX_CHECKED_FIXES = 4;

/** Does a requested `only` list ask for `kind` (kinds are hierarchical: `source` covers `source.fixAll.x`)? */
export function wants(only: readonly string[] | undefined, kind: string, whenUnspecified: boolean): boolean {
  if (!only || only.length === 0) return whenUnspecified;
  return only.some((o) => kind === o || kind.startsWith(`${o}.`));
}

export function codeActions(params: CodeActionParams, ctx: ActionContext): Array<CodeAction | Command> {
  const only = params.context.only;
  const out: CodeAction[] = [];
  if (wants(only, CodeActionKind.QuickFix, true)) {
    const disableSeen = new Set<string>();
    for (const diag of params.context.diagnostics) {
      if (!isOurs(diag)) continue;
      const finding = ctx.findings.find((f) => f.rule === diag.code && sameRange(f.range, diag.range));
      if (!finding) continue; // the text moved on: no action for a stale diagnostic
      out.push(...quickFixes(diag, finding, ctx));
      const off = turnOffAction(diag, finding.rule, ctx);
      for (const a of off ? [...disableActions(diag, finding, ctx), off] : disableActions(diag, finding, ctx)) {
        if (disableSeen.has(a.title)) continue;
        disableSeen.add(a.title);
        out.push(a);
      }
    }
  }
  if (wants(only, FIX_ALL_KIND, false)) {
    const fixAll = fixAllAction(ctx);
    if (fixAll) out.push(fixAll);
  }
  return ctx.caps.literals ? out : out.map((a) => ({ title: a.title, command: APPLY_EDIT_COMMAND, arguments: [a.edit] }));
}

/** A title suffix saying what re-linting with the fix applied showed, if anything is wrong. */
function checkNote(finding: Finding, fix: FixWithRanges, ctx: ActionContext, budget: { left: number }): string {
  if (!ctx.check || budget.left <= 0) return '';
  budget.left--;
  const r = ctx.check(finding, fix);
  if (r.introduced.length > 0) {
    const rules = [...new Set(r.introduced.map((f) => f.rule))].join(', ');
    return ` (warning: introduces ${rules})`;
  }
  return r.resolved ? '' : ' (warning: the finding remains)';
}

function quickFixes(diag: Diagnostic, finding: Finding, ctx: ActionContext, budget = { left: MAX_CHECKED_FIXES }): CodeAction[] {
  let preferred = false;
  const actions = finding.fixes.map((fix) => {
    const note = checkNote(finding, fix, ctx, budget);
    const byUri = new Map<string, TextEdit[]>();
    for (const e of fix.edits) {
      const uri = ctx.uriOf(e.file);
      byUri.set(uri, [...(byUri.get(uri) ?? []), toLspEdit(e.range, e.newText)]);
    }
    const action: CodeAction = {
      title: (fix.kind === 'unsafe' ? fix.title + UNSAFE_SUFFIX : fix.title) + note,
      kind: CodeActionKind.QuickFix,
      diagnostics: [diag],
      edit: workspaceEdit(byUri, ctx),
    };
    if (fix.kind === 'safe' && !preferred && !note) {
      action.isPreferred = true;
      preferred = true;
    }
    return action;
  });
  const all = fixRuleInWorkspace(finding.rule, ctx);
  if (all) actions.push({ ...all, diagnostics: [diag] });
  return actions;
}

/**
 * "Fix all <rule> problems in the workspace": the rule's safe fixes in every file (e.g. FORCE
 * on every table), offered when the rule has more than one finding with a safe fix.
 */
export function fixRuleInWorkspace(rule: string, ctx: ActionContext): CodeAction | undefined {
  if (!ctx.allFindings) return undefined;
  const byUri = new Map<string, TextEdit[]>();
  let count = 0;
  for (const [file, findings] of ctx.allFindings) {
    const mine = findings.filter((f) => f.rule === rule && f.fixes.some((x) => x.kind === 'safe'));
    if (mine.length === 0) continue;
    const edits = safeFixEdits(mine, file);
    if (edits.length === 0) continue;
    count += mine.length;
    // the edits carry ranges of their own file (computed by the engine)
    const ranges = new Map(mine.flatMap((f) => f.fixes.flatMap((x) => x.edits)).map((e) => [`${e.start}:${e.end}:${e.newText}`, e.range]));
    byUri.set(
      ctx.uriOf(file),
      edits.map((e) => toLspEdit(ranges.get(`${e.start}:${e.end}:${e.newText}`)!, e.newText)),
    );
  }
  if (count < 2) return undefined;
  return { title: `Fix all ${count} ${rule} problems in the workspace`, kind: CodeActionKind.QuickFix, edit: workspaceEdit(byUri, ctx) };
}

const NEXT_LINE_RE = /--\s*pg-rls-lint-disable-next-line\b/;
const FILE_RE = /--\s*pg-rls-lint-disable-file\b/;

function disableActions(diag: Diagnostic, finding: Finding, ctx: ActionContext): CodeAction[] {
  const rule = finding.rule;
  const uri = ctx.uriOf(ctx.id);
  const lines = lineInfo(ctx.text);
  const line = finding.range.start.line;
  const actions: CodeAction[] = [];

  // next-line: extend a suppression comment already on the line above, else insert one
  // with the line's indentation (a comment inserted below another one would steal its line)
  let edit: TextEdit;
  const above = line > 0 ? lines.text(line - 1) : undefined;
  if (above !== undefined && NEXT_LINE_RE.test(above)) {
    const at = { line: line - 1, character: above.length };
    edit = { range: { start: at, end: at }, newText: ` ${rule}` };
  } else {
    const indent = /^[ \t]*/.exec(lines.text(line) ?? '')![0];
    const at = { line, character: 0 };
    edit = { range: { start: at, end: at }, newText: `${indent}-- pg-rls-lint-disable-next-line ${rule}${lines.eol}` };
  }
  actions.push({
    title: `Disable ${rule} for this line`,
    kind: CodeActionKind.QuickFix,
    diagnostics: [diag],
    edit: workspaceEdit(new Map([[uri, [edit]]]), ctx),
  });

  const first = lines.text(0) ?? '';
  const start = { line: 0, character: 0 };
  const fileEdit: TextEdit = FILE_RE.test(first)
    ? { range: { start: { line: 0, character: first.length }, end: { line: 0, character: first.length } }, newText: ` ${rule}` }
    : { range: { start, end: start }, newText: `-- pg-rls-lint-disable-file ${rule}${lines.eol}` };
  actions.push({
    title: `Disable ${rule} for this file`,
    kind: CodeActionKind.QuickFix,
    diagnostics: [diag],
    edit: workspaceEdit(new Map([[uri, [fileEdit]]]), ctx),
  });
  return actions;
}

/**
 * The rule set to "off" in the project's `.pg-rls-lint.json`, which the CLI reads too: the file
 * edited where it is (its comments and formatting kept; none offered when it does not parse), or
 * made where there is none and the client can create files.
 */
function turnOffAction(diag: Diagnostic, rule: string, ctx: ActionContext): CodeAction | undefined {
  const c = ctx.config;
  if (!c) return undefined;
  if (c.text === undefined) {
    if (!ctx.caps.documentChanges || !ctx.caps.createFiles) return undefined;
    const start = { line: 0, character: 0 };
    return {
      title: turnOffTitle(rule),
      kind: CodeActionKind.QuickFix,
      diagnostics: [diag],
      edit: {
        documentChanges: [
          { kind: 'create', uri: c.uri, options: { ignoreIfExists: true } },
          { textDocument: { uri: c.uri, version: null }, edits: [{ range: { start, end: start }, newText: `{\n  "rules": {\n    ${JSON.stringify(rule)}: "off"\n  }\n}\n` }] },
        ],
      },
    };
  }
  const errors: ParseError[] = [];
  const tree = parseTree(c.text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length || tree?.type !== 'object') return undefined;
  const rules = tree.children?.find((p) => p.children?.[0]?.value === 'rules')?.children?.[1];
  if (rules && rules.type !== 'object') return undefined;
  const doc = TextDocument.create(c.uri, 'jsonc', 0, c.text);
  const eol = c.text.includes('\r\n') ? '\r\n' : '\n';
  const edits: TextEdit[] = modify(c.text, ['rules', rule], 'off', { formattingOptions: { insertSpaces: true, tabSize: 2, eol } }).map((e) => ({
    range: { start: doc.positionAt(e.offset), end: doc.positionAt(e.offset + e.length) },
    newText: e.content,
  }));
  return { title: turnOffTitle(rule), kind: CodeActionKind.QuickFix, diagnostics: [diag], edit: workspaceEdit(new Map([[c.uri, edits]]), ctx) };
}

const turnOffTitle = (rule: string) => `Turn off ${rule} for the workspace (.pg-rls-lint.json)`;

/** One action applying every safe fix of the file that does not overlap another. */
export function fixAllAction(ctx: ActionContext): CodeAction | undefined {
  const edits = fixAllEdits(ctx);
  if (edits.length === 0) return undefined;
  return {
    title: 'Fix all safe pg-rls-lint problems',
    kind: FIX_ALL_KIND,
    edit: workspaceEdit(new Map([[ctx.uriOf(ctx.id), edits]]), ctx),
  };
}

export function fixAllEdits(ctx: Pick<ActionContext, 'id' | 'findings' | 'positionAt'>): TextEdit[] {
  return safeFixEdits(ctx.findings, ctx.id).map((e) => toLspEdit({ start: ctx.positionAt(e.start), end: ctx.positionAt(e.end) }, e.newText));
}

/** `documentChanges` with versions when the client supports it (null version: not open), else `changes`. */
export function workspaceEdit(byUri: Map<string, TextEdit[]>, ctx: Pick<ActionContext, 'versionOf' | 'caps'>): WorkspaceEdit {
  if (ctx.caps.documentChanges) {
    return {
      documentChanges: [...byUri].map(([uri, edits]) => ({ textDocument: { uri, version: ctx.versionOf(uri) }, edits })),
    };
  }
  return { changes: Object.fromEntries(byUri) };
}

function lineInfo(text: string): { eol: string; text(line: number): string | undefined } {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  let lines: string[] | undefined;
  return {
    eol,
    text(line: number) {
      lines ??= text.split('\n');
      const l = lines[line];
      return l === undefined ? undefined : l.endsWith('\r') ? l.slice(0, -1) : l;
    },
  };
}
