// In-editor insight over the workspace model: which name is under the cursor, what a table or
// function is (RLS state, policies, definer/volatility/search_path/grants, callers), where it
// is defined and referenced, CodeLens titles, outline symbols, completion candidates.
// Pure: returns plain data (offsets are UTF-16 code units into file texts); the LSP layer
// turns it into LSP types and Markdown.
//
// Cost: every statement is walked once per parsed statement (memoised on the Statement,
// which is cached per file text); the per-model index (WeakMap keyed by the model) holds
// objects by file, built once per model, and resolves the names of a file on first use
// (hover/definition touch one file), the names of every file (references) and the policy
// callers (function hover) on first use too. Requests then look up a sorted array or a map.
import type { Func, Model, Policy, PolicyCommand, Table, Trigger, View } from './model.js';
import { callsIn, identEnd, madeRelation, roleText } from './ast.js';
import { nameParts, walk } from './parse.js';
import { exprText, policyExprs } from './policy-exprs.js';
import type { Loc, Node, ParsedFile, Span, Statement } from './types.js';

// ---------------------------------------------------------------------------------------
// References: every relation and function name of every statement

export type RefKind = 'relation' | 'function';

export interface Ref extends Loc {
  kind: RefKind;
  /** `schema.name` (for functions: of every overload) */
  key: string;
  /** name parts as written */
  parts: string[];
  /** this is the name in the CREATE of the object */
  definition: boolean;
  /** number of arguments of a call (functions) */
  argCount?: number;
  /** the statement the name is in */
  stmt: Statement;
}

interface RawRef extends Span {
  kind: RefKind;
  parts: string[];
  definition: boolean;
  argCount?: number;
  stmt: Statement;
}

/** kept with the statement's start: an edit moves the statements after it where they are (parse.ts moveInPlace) */
const rawCache = new WeakMap<Statement, { start: number; refs: RawRef[] }>();

/** Names of one statement (and of its function body), memoised per statement. */
function statementRefs(text: string, stmt: Statement): RawRef[] {
  const hit = rawCache.get(stmt);
  if (hit && hit.start === stmt.start) return hit.refs;
  const out: RawRef[] = [];
  const n = stmt.node;
  const defNode = madeRelation(stmt);
  const collect = (root: Node, owner: Statement) => {
    walk(root, (key, v) => {
      if (key === 'FuncCall' && typeof v.location === 'number' && v.location >= 0) {
        const parts = nameParts(v.funcname);
        if (parts.length) out.push({ kind: 'function', parts, start: v.location, end: identEnd(text, v.location), definition: false, argCount: (v.args ?? []).length, stmt: owner });
      } else if (typeof v.relname === 'string' && typeof v.location === 'number' && v.location >= 0) {
        out.push({ kind: 'relation', parts: [v.schemaname, v.relname].filter(Boolean), start: v.location, end: identEnd(text, v.location), definition: v === defNode, stmt: owner });
      }
    });
  };
  collect(n, stmt);
  for (const s of stmt.body?.statements ?? []) collect(s.node, stmt);
  // names the parser keeps without a location: found in the statement's text
  if (stmt.kind === 'CreateFunctionStmt') {
    const parts = nameParts(n.funcname);
    const at = findName(text, stmt.start, stmt.end, parts, /^CREATE\s+(OR\s+REPLACE\s+)?(FUNCTION|PROCEDURE)\s+/i);
    if (at) out.push({ kind: 'function', parts, ...at, definition: true, stmt });
  } else if (stmt.kind === 'CreateTrigStmt') {
    const parts = nameParts(n.funcname);
    const m = /\bEXECUTE\s+(FUNCTION|PROCEDURE)\s+/i.exec(text.slice(stmt.start, stmt.end));
    const at = m ? findName(text, stmt.start + m.index + m[0].length, stmt.end, parts) : undefined;
    if (at) out.push({ kind: 'function', parts, ...at, definition: false, argCount: (n.args ?? []).length, stmt });
  } else {
    const objs: Node[] = [];
    if (stmt.kind === 'GrantStmt' && ['OBJECT_FUNCTION', 'OBJECT_PROCEDURE', 'OBJECT_ROUTINE'].includes(n.objtype)) objs.push(...(n.objects ?? []));
    else if (stmt.kind === 'AlterFunctionStmt') objs.push(n.func);
    else if ((stmt.kind === 'AlterOwnerStmt' || stmt.kind === 'CommentStmt') && ['OBJECT_FUNCTION', 'OBJECT_PROCEDURE', 'OBJECT_ROUTINE'].includes(n.objectType ?? n.objtype)) objs.push(n.object);
    else if (stmt.kind === 'DropStmt' && ['OBJECT_FUNCTION', 'OBJECT_PROCEDURE', 'OBJECT_ROUTINE'].includes(n.removeType)) objs.push(...(n.objects ?? []));
    let from = stmt.start;
    for (const o of objs) {
      const owa = o?.ObjectWithArgs ?? o;
      const parts = nameParts(owa?.objname);
      if (!parts.length) continue;
      const at = findName(text, from, stmt.end, parts);
      if (!at) continue;
      out.push({ kind: 'function', parts, ...at, definition: false, argCount: owa.args_unspecified ? undefined : (owa.objargs ?? []).length, stmt });
      from = at.end;
    }
  }
  out.sort((a, b) => a.start - b.start);
  rawCache.set(stmt, { start: stmt.start, refs: out });
  return out;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The (optionally qualified, optionally quoted) name `parts` in text[from, to), after an optional prefix. */
function findName(text: string, from: number, to: number, parts: string[], prefix?: RegExp): Span | undefined {
  const src = text.slice(from, to);
  let offset = 0;
  if (prefix) {
    const m = prefix.exec(src);
    if (!m) return undefined;
    offset = m[0].length;
  }
  const part = (p: string) => `(?:"${escapeRe(p)}"|${escapeRe(p)})`;
  const last = parts[parts.length - 1]!;
  const qualified = parts.length > 1 ? `${parts.slice(0, -1).map(part).join('\\s*\\.\\s*')}\\s*\\.\\s*` : `(?:(?:"[^"]+"|[\\w$]+)\\s*\\.\\s*)?`;
  const re = new RegExp(`(?<![\\w$."])${qualified}${part(last)}(?![\\w$"])`, 'iu');
  const m = re.exec(src.slice(offset));
  if (!m) return undefined;
  const start = from + offset + m.index;
  return { start, end: start + m[0].length };
}

// ---------------------------------------------------------------------------------------
// The per-model index

interface InsightIndex {
  /** refs of one file, sorted by start (resolved on first use) */
  refsOf(file: string): Ref[];
  /** refs per `kind:key` over every file (built on first use) */
  byKey(): Map<string, Ref[]>;
  /** function → policies calling it directly in USING / WITH CHECK (built on first use) */
  callers(): Map<Func, Policy[]>;
  fileOf: Map<string, ParsedFile>;
  tablesOf: Map<string, Table[]>;
  viewsOf: Map<string, View[]>;
  functionsOf: Map<string, Func[]>;
  policiesOf: Map<string, Policy[]>;
  triggersOf: Map<string, Trigger[]>;
}

const indexCache = new WeakMap<Model, InsightIndex>();
const resolvedCache = new WeakMap<ParsedFile, { schemaKey: string; refs: Ref[] }>();

const push = <K, V>(m: Map<K, V[]>, k: K, v: V) => {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
};

/** The model's index, built once per model; its costly parts (refs, callers) on first use. */
function index(model: Model): InsightIndex {
  const hit = indexCache.get(model);
  if (hit) return hit;
  const fileOf = new Map<string, ParsedFile>();
  for (const f of model.files) fileOf.set(f.file, f);
  const refsByFile = new Map<string, Ref[]>();
  // resolved names of an unchanged file are reused across models unless the resolution may
  // differ: another default schema, or workspace functions in pg_catalog (the fallback of
  // unqualified calls)
  const schemaKey = model.key(['x']);
  const reusable = ![...model.functions.keys()].some((k) => k.startsWith('pg_catalog.'));
  const refsOf = (file: string): Ref[] => {
    let refs = refsByFile.get(file);
    if (refs) return refs;
    const f = fileOf.get(file);
    if (!f) return [];
    const cached = reusable ? resolvedCache.get(f) : undefined;
    if (cached && cached.schemaKey === schemaKey) refs = cached.refs;
    else {
      refs = [];
      for (const stmt of f.statements) {
        for (const r of statementRefs(f.text, stmt)) {
          const key = r.kind === 'function' ? functionKey(model, r.parts, r.argCount) : model.key(r.parts);
          refs.push({ ...r, key, file });
        }
      }
      refs.sort((a, b) => a.start - b.start);
      if (reusable) resolvedCache.set(f, { schemaKey, refs });
    }
    refsByFile.set(file, refs);
    return refs;
  };
  let byKey: Map<string, Ref[]> | undefined;
  let callers: Map<Func, Policy[]> | undefined;
  const tablesOf = new Map<string, Table[]>();
  for (const t of model.tables.values()) push(tablesOf, t.created.file, t);
  const viewsOf = new Map<string, View[]>();
  for (const v of model.views.values()) push(viewsOf, v.created.file, v);
  const functionsOf = new Map<string, Func[]>();
  for (const fn of model.allFunctions()) push(functionsOf, fn.created.file, fn);
  const policiesOf = new Map<string, Policy[]>();
  for (const p of model.policies) push(policiesOf, p.created.file, p);
  const triggersOf = new Map<string, Trigger[]>();
  for (const t of model.triggers) push(triggersOf, t.loc.file, t);
  const ix: InsightIndex = {
    refsOf,
    byKey() {
      if (byKey) return byKey;
      byKey = new Map();
      for (const f of model.files) for (const r of refsOf(f.file)) push(byKey, `${r.kind}:${r.key}`, r);
      return byKey;
    },
    callers() {
      if (callers) return callers;
      callers = new Map();
      for (const p of model.policies) {
        const seen = new Set<Func>();
        for (const e of policyExprs(p)) {
          for (const c of callsIn(e.node)) {
            const fn = model.findFunction(c.name, c.args.length);
            if (fn && !seen.has(fn)) {
              seen.add(fn);
              push(callers, fn, p);
            }
          }
        }
      }
      return callers;
    },
    fileOf,
    tablesOf,
    viewsOf,
    functionsOf,
    policiesOf,
    triggersOf,
  };
  indexCache.set(model, ix);
  return ix;
}

function functionKey(model: Model, parts: string[], argCount?: number): string {
  return model.findFunction(parts, argCount)?.key ?? model.key(parts);
}

/** 1-based line of an offset of a workspace file. */
export function lineOf(model: Model, loc: Loc): number {
  const f = index(model).fileOf.get(loc.file);
  return f ? f.positionAt(loc.start).line + 1 : 1;
}

/** The relation or function name at `offset` of `file` (an offset at the name's end counts). */
export function refAt(model: Model, file: string, offset: number): Ref | undefined {
  const refs = index(model).refsOf(file);
  // last ref starting at or before offset
  let lo = 0;
  let hi = refs.length - 1;
  let k = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (refs[mid]!.start <= offset) {
      k = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  for (let i = k; i >= 0 && i > k - 4; i--) {
    const r = refs[i]!;
    if (r.start <= offset && offset <= r.end) return r;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------
// Hover data

export interface PolicyInfo {
  name: string;
  table: string;
  command: PolicyCommand;
  permissive: boolean;
  roles: string[];
  /** source text of USING ( … ) / WITH CHECK ( … ), without the parentheses */
  using?: string;
  withCheck?: string;
  loc: Loc;
  /** 1-based line of the CREATE POLICY */
  line: number;
}

export interface RelationInfo {
  kind: 'table' | 'view' | 'unknown';
  key: string;
  /** where it is created (the name) */
  definition?: Loc;
  rlsEnabled?: boolean;
  rlsForced?: boolean;
  owner?: string;
  securityInvoker?: boolean;
  policies: PolicyInfo[];
}

export interface FunctionInfo {
  key: string;
  signature: string;
  returnsTrigger: boolean;
  language: string;
  isProcedure: boolean;
  securityDefiner: boolean;
  volatility: Func['volatility'];
  /** values of `SET search_path`, undefined when not set */
  searchPath?: string[];
  owner?: string;
  publicExecute: boolean;
  executeGrants: string[];
  definition: Loc;
  /** policies calling it directly */
  calledBy: PolicyInfo[];
}

const COMMAND_ORDER: Record<PolicyCommand, number> = { all: 0, select: 1, insert: 2, update: 3, delete: 4 };

export function policyInfo(model: Model, p: Policy): PolicyInfo {
  const info: PolicyInfo = { name: p.name, table: p.table, command: p.command, permissive: p.permissive, roles: p.roles, loc: p.created, line: lineOf(model, p.created) };
  for (const e of policyExprs(p)) {
    const text = exprText(model, e);
    if (e.clause === 'using') info.using = text;
    else info.withCheck = text;
  }
  return info;
}

function policiesOfKey(model: Model, key: string): Policy[] {
  const t = model.tables.get(key);
  const list = t ? t.policies : model.policies.filter((p) => p.table === key);
  return [...list].sort((a, b) => COMMAND_ORDER[a.command] - COMMAND_ORDER[b.command] || (a.roles.join(',') < b.roles.join(',') ? -1 : a.roles.join(',') > b.roles.join(',') ? 1 : 0));
}

export function relationInfo(model: Model, key: string): RelationInfo {
  const t = model.tables.get(key);
  const policies = policiesOfKey(model, key).map((p) => policyInfo(model, p));
  if (t) return { kind: 'table', key, definition: t.nameLoc, rlsEnabled: t.rlsEnabled, rlsForced: t.rlsForced, owner: t.owner?.role, policies };
  const v = model.views.get(key);
  if (v) return { kind: 'view', key, definition: v.nameLoc, owner: v.owner?.role, securityInvoker: v.securityInvoker, policies };
  // a table the workspace does not create (e.g. auth.users, storage.objects): what it does to it
  let rlsEnabled: boolean | undefined;
  let rlsForced: boolean | undefined;
  for (const e of model.rlsEventsOfUncreatedTables.get(key) ?? []) {
    if (e.kind === 'enable' || e.kind === 'disable') rlsEnabled = e.kind === 'enable';
    else rlsForced = e.kind === 'force';
  }
  return { kind: 'unknown', key, rlsEnabled, rlsForced, policies };
}

/** The function a reference means: the overload created by that statement, or the one a call resolves to. */
export function functionOf(model: Model, ref: Ref): Func | undefined {
  const list = model.functions.get(ref.key) ?? [];
  if (ref.definition) {
    const own = list.find((f) => f.created.file === ref.file && f.created.start === ref.stmt.start);
    if (own) return own;
  }
  return model.findFunction(ref.parts, ref.argCount) ?? list[list.length - 1];
}

export function functionInfo(model: Model, f: Func): FunctionInfo {
  return {
    key: f.key,
    signature: f.signature,
    returnsTrigger: f.returnsTrigger,
    language: f.language,
    isProcedure: f.isProcedure,
    securityDefiner: f.securityDefiner,
    volatility: f.volatility,
    searchPath: f.settings.find((s) => s.name === 'search_path')?.values,
    owner: f.owner?.role,
    publicExecute: f.publicExecute,
    executeGrants: [...f.executeGrants].sort(),
    definition: f.nameLoc,
    calledBy: (index(model).callers().get(f) ?? []).map((p) => policyInfo(model, p)),
  };
}

// ---------------------------------------------------------------------------------------
// Navigation

/** Where the object a reference names is created (its name), if the workspace creates it. */
export function definitionOf(model: Model, ref: Ref): Loc | undefined {
  if (ref.kind === 'function') return functionOf(model, ref)?.nameLoc;
  return model.tables.get(ref.key)?.nameLoc ?? model.views.get(ref.key)?.nameLoc;
}

/** Every mention of the object a reference names, in file order (the CREATE included when asked). */
export function referencesOf(model: Model, ref: Ref, includeDeclaration: boolean): Loc[] {
  const refs = index(model).byKey().get(`${ref.kind}:${ref.key}`) ?? [];
  return refs.filter((r) => includeDeclaration || !r.definition).map(({ file, start, end }) => ({ file, start, end }));
}

// ---------------------------------------------------------------------------------------
// CodeLens

export interface TableLens {
  table: string;
  /** the table's name in its CREATE TABLE */
  at: Loc;
  /** `RLS on · forced · 4 policies`, `RLS on · not forced · 0 policies`, `RLS off`, `RLS off · 2 policies` */
  title: string;
  /** the CREATE POLICY statements of its policies */
  policies: Loc[];
}

export function rlsSummary(enabled: boolean, forced: boolean, policyCount: number): string {
  const n = `${policyCount} ${policyCount === 1 ? 'policy' : 'policies'}`;
  if (!enabled) return policyCount ? `RLS off · ${n}` : 'RLS off';
  return `RLS on · ${forced ? 'forced' : 'not forced'} · ${n}`;
}

/** One lens per CREATE TABLE of the file (tables as they stand after every migration). */
export function tableLenses(model: Model, file: string): TableLens[] {
  return (index(model).tablesOf.get(file) ?? [])
    .filter((t) => !t.temp)
    .sort((a, b) => a.nameLoc.start - b.nameLoc.start)
    .map((t) => ({
      table: t.key,
      at: t.nameLoc,
      title: rlsSummary(t.rlsEnabled, t.rlsForced, t.policies.length),
      policies: t.policies.map((p) => p.created),
    }));
}

// ---------------------------------------------------------------------------------------
// Symbols

export type SymbolKind = 'table' | 'view' | 'function' | 'policy' | 'trigger' | 'role';

export interface OutlineSymbol {
  name: string;
  kind: SymbolKind;
  detail?: string;
  /** the whole statement */
  range: Loc;
  /** the name */
  selection: Loc;
  children: OutlineSymbol[];
}

function policyDetail(p: Policy): string {
  return `${p.permissive ? '' : 'restrictive · '}${p.command === 'all' ? 'ALL' : p.command.toUpperCase()} · TO ${p.roles.map(roleText).join(', ')}`;
}

function functionDetail(f: Func): string {
  return `${f.securityDefiner ? 'SECURITY DEFINER' : 'SECURITY INVOKER'} · ${f.language} · ${f.volatility}`;
}

const baseName = (file: string) => file.slice(file.lastIndexOf('/') + 1);

/** The file's outline: tables (with their policies and triggers of this file nested), views, functions, roles. */
export function documentSymbols(model: Model, file: string): OutlineSymbol[] {
  const ix = index(model);
  const out: OutlineSymbol[] = [];
  const policyNode = (p: Policy): OutlineSymbol => ({ name: p.name, kind: 'policy', detail: policyDetail(p), range: p.created, selection: p.nameLoc, children: [] });
  const triggerNode = (t: Trigger): OutlineSymbol => {
    const text = ix.fileOf.get(file)?.text ?? '';
    const at = findName(text, t.loc.start, t.loc.end, [t.name], /^CREATE\s+(OR\s+REPLACE\s+)?(CONSTRAINT\s+)?TRIGGER\s+/i);
    return { name: t.name, kind: 'trigger', detail: `EXECUTE FUNCTION ${t.func}`, range: t.loc, selection: at ? { file, ...at } : t.loc, children: [] };
  };
  const inThisFile = (loc: Loc) => loc.file === file;
  const grouped = new Set<string>();
  for (const t of ix.tablesOf.get(file) ?? []) {
    grouped.add(t.key);
    const here = t.policies.filter((p) => inThisFile(p.created));
    const elsewhere = t.policies.filter((p) => !inThisFile(p.created));
    let detail = rlsSummary(t.rlsEnabled, t.rlsForced, t.policies.length);
    if (elsewhere.length) detail += ` (in other files: ${elsewhere.map((p) => `${p.name} (${baseName(p.created.file)}:${lineOf(model, p.created)})`).join(', ')})`;
    out.push({
      name: t.key,
      kind: 'table',
      detail,
      range: t.created,
      selection: t.nameLoc,
      children: [...here.map(policyNode), ...t.triggers.filter((x) => inThisFile(x.loc)).map(triggerNode)].sort((a, b) => a.range.start - b.range.start),
    });
  }
  // policies and triggers of this file on tables created elsewhere (or not in the workspace)
  const foreign = new Map<string, OutlineSymbol[]>();
  for (const p of ix.policiesOf.get(file) ?? []) if (!grouped.has(p.table)) push(foreign, p.table, policyNode(p));
  for (const t of ix.triggersOf.get(file) ?? []) if (!grouped.has(t.table)) push(foreign, t.table, triggerNode(t));
  for (const [key, children] of foreign) {
    children.sort((a, b) => a.range.start - b.range.start);
    const t = model.tables.get(key);
    const first = children[0]!;
    const last = children[children.length - 1]!;
    const where = t ? `created in ${baseName(t.created.file)}:${lineOf(model, t.created)}` : 'not created in the workspace';
    out.push({
      name: key,
      kind: 'table',
      detail: t ? `${rlsSummary(t.rlsEnabled, t.rlsForced, t.policies.length)} · ${where}` : where,
      range: { file, start: first.range.start, end: last.range.end },
      selection: first.selection,
      children,
    });
  }
  for (const v of ix.viewsOf.get(file) ?? []) {
    out.push({ name: v.key, kind: 'view', detail: `${v.materialized ? 'materialized view' : 'view'}${v.securityInvoker ? ' · security_invoker' : ''}`, range: v.created, selection: v.nameLoc, children: [] });
  }
  for (const f of ix.functionsOf.get(file) ?? []) {
    out.push({ name: `${f.key}(${f.argTypes.join(', ')})`, kind: 'function', detail: functionDetail(f), range: f.created, selection: f.nameLoc, children: [] });
  }
  for (const r of model.roles.values()) {
    if (!r.declared || !r.loc || r.loc.file !== file) continue;
    const text = ix.fileOf.get(file)?.text ?? '';
    const at = findName(text, r.loc.start, r.loc.end, [r.name], /^CREATE\s+(ROLE|USER|GROUP)\s+/i);
    out.push({ name: r.name, kind: 'role', detail: [r.superuser && 'SUPERUSER', r.bypassRls && 'BYPASSRLS'].filter(Boolean).join(' · ') || undefined, range: r.loc, selection: at ? { file, ...at } : r.loc, children: [] });
  }
  return out.sort((a, b) => a.range.start - b.range.start);
}

export interface WorkspaceSymbol {
  name: string;
  kind: SymbolKind;
  container?: string;
  loc: Loc;
}

/** Whether every character of `query` occurs in `name` in order (case-insensitive); an empty query matches all. */
export function fuzzyMatch(query: string, name: string): boolean {
  const q = query.toLowerCase();
  const s = name.toLowerCase();
  let i = 0;
  for (let k = 0; k < s.length && i < q.length; k++) if (s[k] === q[i]) i++;
  return i === q.length;
}

/** Tables, views, functions, policies, triggers and declared roles whose name matches the query. */
export function workspaceSymbols(model: Model, query: string, limit = 1000): WorkspaceSymbol[] {
  const out: WorkspaceSymbol[] = [];
  const add = (s: WorkspaceSymbol, ...names: string[]) => {
    if (out.length < limit && names.some((n) => fuzzyMatch(query, n))) out.push(s);
  };
  for (const t of model.tables.values()) add({ name: t.key, kind: 'table', loc: t.nameLoc }, t.key);
  for (const v of model.views.values()) add({ name: v.key, kind: 'view', loc: v.nameLoc }, v.key);
  for (const f of model.allFunctions()) add({ name: `${f.key}(${f.argTypes.join(', ')})`, kind: 'function', loc: f.nameLoc }, f.key);
  for (const p of model.policies) add({ name: p.name, kind: 'policy', container: p.table, loc: p.nameLoc }, p.name);
  for (const t of model.triggers) add({ name: t.name, kind: 'trigger', container: t.table, loc: t.loc }, t.name);
  for (const r of model.roles.values()) if (r.declared && r.loc) add({ name: r.name, kind: 'role', loc: r.loc }, r.name);
  return out;
}

// ---------------------------------------------------------------------------------------
// Completion

export interface CompletionContext {
  kind: 'role' | 'table';
}

/**
 * What to complete at the end of `before` (the file text up to the cursor): roles after
 * `CREATE/ALTER POLICY … TO [role, …]`, tables after `CREATE/ALTER POLICY name ON`,
 * `CREATE TRIGGER … ON`, `ALTER TABLE [IF EXISTS] [ONLY]`, `CREATE INDEX … ON`,
 * `GRANT/REVOKE … ON [TABLE]`. Works on text that does not parse (typing).
 */
export function completionContext(before: string): CompletionContext | undefined {
  const stmt = currentStatement(before);
  const word = String.raw`(?:"[^"]*"|[\w$]+)`;
  const name = String.raw`${word}(?:\s*\.\s*${word})?`;
  const partial = String.raw`(?:"[^"]*|[\w$]*(?:\.[\w$]*)?)$`;
  const roles = new RegExp(String.raw`^\s*(CREATE|ALTER)\s+POLICY\s+[\s\S]*\bTO\s+(?:${word}\s*,\s*)*${partial}`, 'i');
  if (roles.test(stmt) && !/\b(USING|WITH\s+CHECK)\s*\(/i.test(stmt)) return { kind: 'role' };
  const tables = [
    new RegExp(String.raw`^\s*(CREATE|ALTER)\s+POLICY\s+${word}\s+ON\s+${partial}`, 'i'),
    new RegExp(String.raw`^\s*CREATE\s+(OR\s+REPLACE\s+)?(CONSTRAINT\s+)?TRIGGER\s+[\s\S]*\bON\s+${partial}`, 'i'),
    new RegExp(String.raw`^\s*ALTER\s+TABLE\s+(IF\s+EXISTS\s+)?(ONLY\s+)?${partial}`, 'i'),
    new RegExp(String.raw`^\s*CREATE\s+(UNIQUE\s+)?INDEX\s+[\s\S]*\bON\s+(ONLY\s+)?${partial}`, 'i'),
    new RegExp(String.raw`^\s*(GRANT|REVOKE)\s+[\s\S]*\bON\s+(TABLE\s+)?(?:${name}\s*,\s*)*${partial}`, 'i'),
  ];
  if (tables.some((re) => re.test(stmt))) {
    // not after ON FUNCTION / ON SCHEMA / ON ALL … / ON SEQUENCE
    if (/^\s*(GRANT|REVOKE)\b/i.test(stmt) && /\bON\s+(FUNCTION|PROCEDURE|ROUTINE|SCHEMA|ALL|SEQUENCE|DATABASE|TYPE|DOMAIN|LANGUAGE)\b/i.test(stmt)) return undefined;
    // nothing after the table name yet (e.g. `ALTER TABLE t ENABLE`): only while typing the name
    return { kind: 'table' };
  }
  return undefined;
}

/** Text of the statement being typed: after the last top-level `;`, comments and strings blanked. */
function currentStatement(before: string): string {
  const text = before.length > 4000 ? before.slice(before.length - 4000) : before;
  let out = '';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '-' && text[i + 1] === '-') {
      const nl = text.indexOf('\n', i);
      const end = nl < 0 ? text.length : nl;
      out += ' '.repeat(end - i);
      i = end - 1;
    } else if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      const end = close < 0 ? text.length : close + 2;
      out += ' '.repeat(end - i);
      i = end - 1;
    } else if (c === "'") {
      const close = text.indexOf("'", i + 1);
      const end = close < 0 ? text.length : close + 1;
      out += ' '.repeat(end - i);
      i = end - 1;
    } else if (c === '$') {
      const m = /^\$([A-Za-z_]\w*)?\$/.exec(text.slice(i, i + 64));
      if (m) {
        const close = text.indexOf(m[0], i + m[0].length);
        const end = close < 0 ? text.length : close + m[0].length;
        out += ' '.repeat(end - i);
        i = end - 1;
      } else out += c;
    } else if (c === ';') {
      out += c;
      start = out.length;
    } else out += c;
  }
  return out.slice(start);
}

const PSEUDO_ROLES = new Set(['current_user', 'session_user', 'current_role']);

export interface RoleCandidate {
  name: string;
  /** where it comes from */
  detail: string;
}

/** Whether the workspace looks like Supabase: its layout, or its use of the platform's roles or auth schema. */
export function supabaseLike(model: Model): boolean {
  if (model.supabase) return true;
  if (model.policies.some((p) => p.roles.includes('authenticated') || p.roles.includes('anon'))) return true;
  return model.grantEvents.some((g) => g.grantees.includes('authenticated') || g.grantees.includes('anon'));
}

/** Roles known to the workspace: declared, named in policies' TO lists and in GRANTs, PUBLIC, and Supabase's when Supabase-like. */
export function roleCandidates(model: Model): RoleCandidate[] {
  const out = new Map<string, string>();
  for (const r of model.roles.values()) if (r.declared) out.set(r.name, 'role · CREATE ROLE');
  for (const p of model.policies) for (const r of p.roles) if (!out.has(r) && r !== 'public' && !PSEUDO_ROLES.has(r)) out.set(r, 'role · used in policies');
  for (const g of model.grantEvents) for (const r of g.grantees) if (!out.has(r) && r !== 'public' && !PSEUDO_ROLES.has(r)) out.set(r, 'role · used in GRANT');
  if (supabaseLike(model)) {
    if (!out.has('authenticated')) out.set('authenticated', 'role · Supabase: signed-in users');
    if (!out.has('anon')) out.set('anon', 'role · Supabase: anonymous requests');
  }
  out.set('public', 'PUBLIC · every role');
  // (as to be written: `"App_Visitor"` quoted, else PostgreSQL folds it into another role's name)
  return [...out].map(([name, detail]) => ({ name: name === 'public' ? name : roleText(name), detail }));
}

export interface TableCandidate {
  /** as to be written: unqualified in the default schema */
  name: string;
  key: string;
  detail: string;
}

export function tableCandidates(model: Model): TableCandidate[] {
  const defaultSchema = model.config.defaultSchema || 'public';
  return [...model.tables.values()]
    .filter((t) => !t.temp)
    .map((t) => ({ name: t.schema === defaultSchema ? t.name : t.key, key: t.key, detail: `table · ${rlsSummary(t.rlsEnabled, t.rlsForced, t.policies.length)}` }));
}
