import { callSpan, constValue, disjuncts, locationBounds, TEXT_TYPES, typeName } from '../analysis/ast.js';
import type { Model, Policy, Table } from '../analysis/model.js';
import { nameParts, quoteIdent, sqlOneLine, sval, walk } from '../analysis/parse.js';
import { appliesToRole, commandList, coversCommand, roleList } from '../analysis/policies.js';
import { activeRows, FLAG_COALESCE_CONST, FLAG_TAUTOLOGY, rowOf, type PolicyRow, callParts, constBool, exprClauseSpan, policyExprs, textOfFile, unsafeSettingCalls, type PolicyExpr, policiesWithKey } from '../analysis/policy-exprs.js';
import type { Node, Span } from '../analysis/types.js';
import {
  clauseUses,
  contextKeys,
  contextKeysNow,
  policyKeeper,
  settingDefaults,
  rowUses,
  failsOpen,
  failsOpenNow,
  neverTrueIn,
  opaqueClause,
  raisesIn,
  raisesInNow,
  settingCallOf,
  trueIn,
  unsetConstant,
  unsetStates,
  type CallRewrite,
  type ClauseUse,
  type EvalMode,
  type EvalOptions,
  type ContextKey,
  type OpenState,
  type UnsetState,
} from '../analysis/unset-context.js';
import { defineRule, type Edit, type Fix, type Report } from './types.js';
import { refusedWrites } from './lib/util.js';
import { locateParts, skipQuoted, trimSpan } from './lib/clause-parts.js';

const ID = 'policy-context-fails-open';

/** Roles of the policy that are subject to it: not BYPASSRLS/superuser roles, not the table's owner (as in policy-always-true). */
function subjectRoles(model: Model, p: Policy, t: Table | undefined): string[] {
  return p.roles.filter((r) => r === 'public' || (!model.roleBypassesRls(r) && t?.owner?.role !== r));
}

function policiesOn(model: Model, p: Policy): Policy[] {
  return model.tables.get(p.table)?.policies ?? policiesWithKey(model, p.table);
}

/** The use of another policy's clause that PostgreSQL combines with `use` (same command, filter or check). */
function sameUse(model: Model, q: Policy, use: ClauseUse): ClauseUse | undefined {
  return rowUses(rowOf(model, q)).find((x) => x.cmd === use.cmd && (x.effect === 'write') === (use.effect === 'write'));
}

/** A restrictive policy (other than `self`) that still narrows `use` for `role` in `state`. */
function restrictedBy(model: Model, self: Policy, role: string, use: ClauseUse, key: ContextKey, state: UnsetState): Policy | undefined {
  for (const q of policiesOn(model, self)) {
    if (q === self || q.permissive || !coversCommand(q, use.cmd)) continue;
    // for PUBLIC, any restrictive policy may narrow some of the roles: do not claim every row
    if (role !== 'public' && !appliesToRole(model, q, role)) continue;
    const qu = sameUse(model, q, use);
    if (!qu) continue;
    if (constBool(qu.expr.node) === true || trueIn(model, qu.expr.node, key, state, optsOf(qu.mode))) continue;
    return q;
  }
  return undefined;
}

interface OpenUse {
  use: ClauseUse;
  states: OpenState[];
}

/** Evaluation options per mode, made once (asked per use of every policy). */
const FILTER: EvalOptions = Object.freeze({ mode: 'filter' });
const CHECK: EvalOptions = Object.freeze({ mode: 'check' });
const optsOf = (mode: EvalMode): EvalOptions => (mode === 'filter' ? FILTER : CHECK);

/** The states in which a use of the policy's clauses admits every row when `key` is unset. */
function openStates(model: Model, uses: ClauseUse[], use: ClauseUse, key: ContextKey): OpenState[] {
  let states = failsOpen(model, use.expr.node, key, optsOf(use.mode));
  if (states.length && use.effect === 'write' && use.cmd === 'update') {
    // an UPDATE also plans USING as its filter: if that raises, the statement fails
    const reach = uses.find((u) => u.cmd === 'update' && u.effect === 'reach');
    if (reach) states = states.filter((s) => !raisesIn(model, reach.expr.node, key, s.state, FILTER));
  }
  return states;
}

/** The uses of the policy's clauses that admit every row when `key` is unset, and in which states. */
function openUses(model: Model, row: PolicyRow, key: ContextKey): OpenUse[] {
  const uses = rowUses(row);
  const out: OpenUse[] = [];
  // (UPDATE and DELETE an append-only table refuses whatever the policies say admit nothing)
  const refused = row.policy.command === 'select' || row.policy.command === 'insert' ? undefined : refusedWrites(model, row.table, 'always');
  for (const use of uses) {
    if (refused?.has(use.cmd as 'update' | 'delete')) continue;
    const states = openStates(model, uses, use, key);
    if (states.length) out.push({ use, states });
  }
  return out;
}

/** Open uses per role, without the (use, state) pairs a restrictive policy still narrows. */
function unrestricted(model: Model, p: Policy, roles: string[], key: ContextKey, uses: OpenUse[]): Array<{ role: string; uses: OpenUse[] }> {
  return roles
    .map((role) => ({
      role,
      uses: uses
        .map((u) => ({ use: u.use, states: u.states.filter((s) => !restrictedBy(model, p, role, u.use, key, s.state)) }))
        .filter((u) => u.states.length > 0),
    }))
    .filter((r) => r.uses.length > 0);
}

const useKey = (u: OpenUse) => `${u.use.cmd}:${u.use.effect}:${u.states.map((s) => s.state).join(',')}`;

/** The roles that share the first role's open uses (so one sentence is true of all of them). */
function commonGroup(perRole: Array<{ role: string; uses: OpenUse[] }>): { roles: string[]; uses: OpenUse[] } {
  const first = perRole[0]!;
  const want = first.uses.map(useKey);
  const roles = perRole.filter((r) => want.every((k) => r.uses.some((u) => useKey(u) === k))).map((r) => r.role);
  return { roles, uses: first.uses };
}

// ---------------------------------------------------------------------------------------
// The fix: drop the branches that are true when the context is unset

interface ClauseFix {
  edits: Edit[];
  dropped: string[];
  /** the columns whose COALESCE fallback was dropped */
  fallbacks: string[];
  /** the first dropped branch */
  at: Span;
  rewroteCalls: boolean;
}

/** What rewritePart drops: COALESCE fallbacks to these columns (lower-case) after arguments that read the context. */
interface Fallbacks {
  model: Model;
  cols: ReadonlySet<string>;
  /** the COALESCE calls trimmed, with the column each fell back to */
  trimmed: Array<{ span: Span; col: string }>;
}

/** The spans of a call's top-level arguments (trimmed), outside quotes and comments. */
function argSpans(text: string, call: Span): Span[] | undefined {
  const open = text.indexOf('(', call.start);
  if (open < 0 || open >= call.end) return undefined;
  const out: Span[] = [];
  let depth = 0;
  let start = open + 1;
  let i = open + 1;
  const end = call.end - 1;
  while (i < end) {
    const c = text[i]!;
    if (c === "'" || c === '"' || c === '$' || (c === '-' && text[i + 1] === '-') || (c === '/' && text[i + 1] === '*')) {
      i = skipQuoted(text, i, end);
      continue;
    }
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === ',' && depth === 0) {
      out.push(trimSpan(text, { start, end: i }));
      start = i + 1;
    }
    i++;
  }
  out.push(trimSpan(text, { start, end }));
  return out;
}

/** The column a value is (through casts), lower-case, or undefined. */
function columnOf(n: Node): string | undefined {
  if (n?.TypeCast) return columnOf(n.TypeCast.arg);
  const f: Node[] | undefined = n?.ColumnRef?.fields;
  if (!f || f.length < 1 || f.length > 3 || !f.every((x) => x?.String)) return undefined;
  return String(f[f.length - 1].String.sval ?? '').toLowerCase();
}

/** Nodes that stand alone where a COALESCE stood (no parentheses needed around them). */
const selfContained = (n: Node) => !!(n?.SubLink || n?.FuncCall || n?.ColumnRef || n?.A_Const || n?.TypeCast || n?.CoalesceExpr || n?.CaseExpr || n?.A_Expr?.kind === 'AEXPR_NULLIF');

/** The node with `target` (an object inside it) replaced, copying only the objects on the way. */
function replaced(node: Node, target: Node, by: Node): Node {
  if (node === target) return by;
  if (!node || typeof node !== 'object') return node;
  let changed = false;
  const copy: Node = Array.isArray(node) ? [] : {};
  for (const k of Object.keys(node)) {
    const v = replaced(node[k], target, by);
    if (v !== node[k]) changed = true;
    copy[k] = v;
  }
  return changed ? copy : node;
}

/**
 * Text and node of `span` with the current_setting() calls inside it rewritten as
 * policy-current-setting-unsafe would, and COALESCE fallbacks to the row's own column dropped
 * (`tenant_id = coalesce(<setting>, tenant_id)` → `tenant_id = <setting>`).
 */
function rewritePart(text: string, span: Span, node: Node, rewritten: Map<Node, CallRewrite>, fb: Fallbacks): { text: string; node: Node } | undefined {
  const reps: Array<{ start: number; end: number; newText: string }> = [];
  /** the dropped fallback arguments */
  const gone: Span[] = [];
  let out = node;
  if (fb.cols.size) {
    const found: Array<{ wrapper: Node; keep: number; col: string }> = [];
    const visit = (n: Node) => {
      walk(n, (k, v, parent) => {
        if (k === 'SubLink' && v.subselect?.SelectStmt?.fromClause) return false; // evaluated as a whole, not through its text
        if (k !== 'CoalesceExpr') return true;
        const args: Node[] = v.args ?? [];
        const j = args.findIndex((a, i) => i > 0 && fb.cols.has(columnOf(a) ?? ''));
        if (j > 0 && args.slice(0, j).some((a) => contextKeys(fb.model, a).length > 0)) {
          found.push({ wrapper: parent, keep: j, col: columnOf(args[j])! });
          return false;
        }
        return true;
      });
    };
    visit({ root: node });
    for (const f of found) {
      const co = f.wrapper.CoalesceExpr;
      const cs = callSpan(text, co.location ?? -1);
      const spans = cs && argSpans(text, cs);
      const args: Node[] = co.args;
      if (!cs || !spans || spans.length !== args.length || cs.start < span.start || cs.end > span.end) return undefined;
      for (let i = 0; i < args.length; i++) {
        const loc = locationBounds(args[i]).min;
        if (loc !== Infinity && (loc < spans[i]!.start || loc >= spans[i]!.end)) return undefined;
      }
      if (f.keep === 1) {
        const bare = selfContained(args[0]);
        reps.push({ start: cs.start, end: spans[0]!.start, newText: bare ? '' : '(' });
        reps.push({ start: spans[0]!.end, end: cs.end, newText: bare ? '' : ')' });
        gone.push({ start: spans[0]!.end, end: cs.end });
        out = replaced(out, f.wrapper, args[0]);
      } else {
        reps.push({ start: spans[f.keep - 1]!.end, end: cs.end - 1, newText: '' });
        gone.push({ start: spans[f.keep - 1]!.end, end: cs.end - 1 });
        out = replaced(out, f.wrapper, { CoalesceExpr: { ...co, args: args.slice(0, f.keep) } });
      }
      fb.trimmed.push({ span: cs, col: f.col });
    }
  }
  const deleted = (s: Span) => gone.some((g) => s.start < g.end && s.end > g.start);
  for (const c of unsafeSettingCalls(node)) {
    const cs = callSpan(text, c.location);
    const parts = cs && callParts(text, cs);
    if (!cs || !parts || parts.args.length < 1 || cs.start < span.start || cs.end > span.end) return undefined;
    if (deleted(cs)) continue; // in a dropped fallback
    const withOk = c.missing ? `${parts.name}(${parts.args[0]}, true)` : text.slice(cs.start, cs.end);
    reps.push({ start: cs.start, end: cs.end, newText: c.castType ? `nullif(${withOk}, '')` : withOk });
    rewritten.set(c.node, c.castType ? 'nullif' : 'missing-ok');
  }
  reps.sort((a, b) => b.start - a.start);
  if (gone.length) for (let i = 1; i < reps.length; i++) if (reps[i]!.end > reps[i - 1]!.start) return undefined; // overlapping edits
  let t = text.slice(span.start, span.end);
  for (const r of reps) t = t.slice(0, r.start - span.start) + r.newText + t.slice(r.end - span.start);
  return { text: t, node: out };
}

function clauseFix(model: Model, e: PolicyExpr, uses: ClauseUse[], nonNull: ReadonlySet<string>): ClauseFix | undefined {
  const text = textOfFile(model, e.file);
  const clause = exprClauseSpan(model, e);
  if (!clause) return undefined;
  const conj = locateParts(text, { start: clause.start + 1, end: clause.end - 1 }, e.node, 'AND_EXPR');
  if (!conj) return undefined;
  const keys = contextKeys(model, e.node);
  const trueWhenUnset = (n: Node) => keys.some((k) => unsetStates(k).some((s) => uses.some((u) => trueIn(model, n, k, s, { mode: u.mode }))));
  const rewritten = new Map<Node, CallRewrite>();
  const fb: Fallbacks = { model, cols: nonNull, trimmed: [] };
  const edits: Edit[] = [];
  const dropped: string[] = [];
  let at: Span | undefined;
  const newConj: Node[] = [];
  for (const c of conj) {
    if (!trueWhenUnset(c.node)) {
      const r = rewritePart(text, c.span, c.node, rewritten, fb);
      if (r === undefined) return undefined;
      if (r.text !== text.slice(c.span.start, c.span.end)) edits.push({ file: e.file, start: c.span.start, end: c.span.end, newText: r.text });
      newConj.push(r.node);
      continue;
    }
    const arms = locateParts(text, c.span, c.node, 'OR_EXPR');
    if (!arms || arms.length < 2) return undefined;
    const drop = arms.filter((a) => trueWhenUnset(a.node));
    const keep = arms.filter((a) => !drop.includes(a));
    if (drop.length === 0 || keep.length === 0) return undefined;
    const kept: Array<{ text: string; node: Node }> = [];
    for (const a of keep) {
      const r = rewritePart(text, a.span, a.node, rewritten, fb);
      if (r === undefined) return undefined;
      kept.push(r);
    }
    at ??= drop[0]!.span;
    // (as shown in the message: without the comments an arm's span takes along, on one line)
    dropped.push(...drop.map((a) => sqlOneLine(text.slice(a.span.start, a.span.end))));
    edits.push({ file: e.file, start: arms[0]!.span.start, end: arms[arms.length - 1]!.span.end, newText: kept.map((k) => k.text).join(' OR ') });
    newConj.push(kept.length === 1 ? kept[0]!.node : { BoolExpr: { boolop: 'OR_EXPR', args: kept.map((k) => k.node) } });
  }
  at ??= fb.trimmed[0]?.span;
  if (!at) return undefined;
  // the rewritten clause must admit no row when any context value it reads is unset
  const fixed = newConj.length === 1 ? newConj[0] : { BoolExpr: { boolop: 'AND_EXPR', args: newConj } };
  for (const k of keys) for (const u of uses) if (failsOpen(model, fixed, k, { mode: u.mode, rewritten }).length) return undefined;
  return { edits, dropped, fallbacks: [...new Set(fb.trimmed.map((t) => t.col))], at, rewroteCalls: rewritten.size > 0 };
}

function fixFor(model: Model, row: PolicyRow, key: ContextKey): { fix: Fix; at: Span; dropped: string[]; file: string } | undefined {
  const all = rowUses(row);
  // every clause that fails open for some use must be fixed, or the finding stays
  const open = openUses(model, row, key);
  const clauses = [...new Set(open.map((u) => u.use.expr))];
  const fixes: ClauseFix[] = [];
  for (const e of clauses) {
    const nonNull = new Set(open.filter((u) => u.use.expr === e).flatMap((u) => u.states.flatMap((s) => s.nonNull ?? [])));
    const f = clauseFix(model, e, all.filter((u) => u.expr === e), nonNull);
    if (!f) return undefined;
    fixes.push(f);
  }
  if (fixes.length === 0) return undefined;
  const dropped = fixes.flatMap((f) => f.dropped);
  const fallbacks = [...new Set(fixes.flatMap((f) => f.fallbacks))];
  const what = key === 'auth.uid' ? 'a NULL auth.uid()' : `an unset ${key.slice('setting:'.length)}`;
  const title =
    `Drop ${dropped.map((d) => (d.length > 60 ? `${d.slice(0, 57)}…` : d)).concat(fallbacks.length ? [`the COALESCE fallback to the row's own ${fallbacks.join(' and ')}`] : []).join(' and ')}` +
    (fixes.some((f) => f.rewroteCalls) ? " and read the setting with nullif(…, '')" : '') +
    ` (${what} then admits no row; code that relied on seeing every row needs BYPASSRLS or its own policy)`;
  return { fix: { title, kind: 'unsafe', edits: fixes.flatMap((f) => f.edits) }, at: fixes[0]!.at, dropped, file: clauses[0]!.file };
}

// ---------------------------------------------------------------------------------------
// The message

/** The first call that reads the context value, as written (and the helper it is in, if not in the policy). */
function firstCall(model: Model, p: Policy, key: ContextKey): { text: string; via?: string } | undefined {
  const isKey = (v: Node) => {
    const s = settingCallOf(v);
    return s ? `setting:${s.setting}` === key : key === 'auth.uid' && nameParts(v.funcname).join('.').toLowerCase() === 'auth.uid';
  };
  const find = (node: Node, file: string, via: string | undefined, depth: number): { text: string; via?: string } | undefined => {
    let found: { text: string; via?: string } | undefined;
    const calls: Node[] = [];
    walk(node, (k, v) => {
      if (found || k !== 'FuncCall') return !found;
      if (isKey(v)) {
        const text = textOfFile(model, file);
        const span = callSpan(text, v.location ?? -1);
        if (span) found = { text: text.slice(span.start, span.end), via };
      } else calls.push(v);
      return !found;
    });
    if (found || depth > 4) return found;
    for (const v of calls) {
      const f = model.findFunction(nameParts(v.funcname), (v.args ?? []).length);
      for (const st of f?.body?.statements ?? []) {
        const r = find(st.node, f!.created.file, via ?? `${f!.schema}.${f!.name}()`, depth + 1);
        if (r) return r;
      }
    }
    return undefined;
  };
  for (const e of clauseUses(p).map((u) => u.expr)) {
    const r = find(e.node, e.file, undefined, 0);
    if (r) return r;
  }
  return undefined;
}

/** The non-text type the setting is cast to somewhere, in the policy or the functions it calls (for the suggested nullif form). */
function castOf(model: Model, p: Policy, key: ContextKey): string | undefined {
  const readsKey = (n: Node) => {
    let reads = false;
    walk(n, (k, v) => {
      if (k === 'FuncCall' && `setting:${settingCallOf(v)?.setting}` === key) reads = true;
      return !reads;
    });
    return reads;
  };
  const seen = new Set<unknown>();
  const find = (node: Node, depth: number): string | undefined => {
    let type: string | undefined;
    const calls: Node[] = [];
    walk(node, (k, v) => {
      if (type) return false;
      if (k === 'FuncCall') calls.push(v);
      if (k !== 'TypeCast') return true;
      const t = typeName(v.typeName);
      if (!TEXT_TYPES.has(t) && readsKey(v.arg)) type = t;
      return !type;
    });
    if (type || depth > 4) return type;
    for (const v of calls) {
      const f = model.findFunction(nameParts(v.funcname), (v.args ?? []).length);
      if (!f || seen.has(f)) continue;
      seen.add(f);
      for (const st of f.body?.statements ?? []) {
        const t = find(st.node, depth + 1);
        if (t) return t;
      }
    }
    return undefined;
  };
  for (const e of policyExprs(p)) {
    const t = find(e.node, 0);
    if (t) return t;
  }
  return undefined;
}

/** When the policy opens, for the headline: "when app.tenant_id is unset", … */
function whenText(key: ContextKey, states: UnsetState[]): string {
  if (key === 'auth.uid') return 'when auth.uid() is NULL';
  const name = key.slice('setting:'.length);
  if (states.length > 1) return `when ${name} is unset`;
  return states[0] === 'never' ? `in a session that never set ${name}` : `once a transaction-local set of ${name} (\`set_config(…, true)\` or \`SET LOCAL\`) has ended`;
}

/** Why the context value is unset then (PostgreSQL's behaviour, with the TRUTHS rows). */
function whyText(model: Model, p: Policy, key: ContextKey, states: UnsetState[], roles: string[]): string {
  if (key === 'auth.uid') {
    const anon = roles.some((r) => r === 'public' || r === 'anon');
    return `auth.uid() returns NULL ${anon ? 'for a request without a signed-in user (anon) and ' : ''}in a session that never set the request's JWT claims`;
  }
  const name = key.slice('setting:'.length);
  const call = firstCall(model, p, key);
  const callText = call ? `\`${call.text}\`${call.via ? ` (in \`${call.via}\`)` : ''}` : `\`current_setting('${name}', …)\``;
  const never = `NULL in a session that never set ${name} (T15)`;
  const ended = "'' for the rest of a session after a transaction-local set (\`set_config(…, true)\` or \`SET LOCAL\`) has ended (T15b)";
  if (states.length > 1) return `${callText} returns ${never} and ${ended}`;
  return states[0] === 'never' ? `${callText} then returns NULL (T15)` : `${callText} then returns '' for the rest of the session (T15b)`;
}

/** The columns the admitted rows must have non-NULL (a column compared with itself whose NULL rows no other branch admits, see OpenState.nonNull). */
function nonNullOf(uses: OpenUse[]): string[] {
  return [...new Set(uses.flatMap((u) => u.states.flatMap((s) => (s.nonNull ?? []).filter((c) => !s.nullAdmitted?.includes(c)))))];
}

/** The columns compared with themselves (the fallbacks to the row's own value), whatever admits their NULL rows. */
function fallbackOf(uses: OpenUse[]): string[] {
  return [...new Set(uses.flatMap((u) => u.states.flatMap((s) => s.nonNull ?? [])))];
}

/** Of fallbackOf, the columns whose NULL rows another branch admits (`tenant_id IS NULL OR …`). */
function nullAdmittedOf(uses: OpenUse[]): string[] {
  return [...new Set(uses.flatMap((u) => u.states.flatMap((s) => s.nullAdmitted ?? [])))];
}

/** `whose tenant_id is not NULL`, or ''. */
function nonNullText(cols: string[]): string {
  if (cols.length === 0) return '';
  return `whose ${cols.join(' and ')} ${cols.length > 1 ? 'are' : 'is'} not NULL`;
}

function onlyIn(states: UnsetState[], all: UnsetState[]): string {
  if (states.length === all.length) return '';
  return states[0] === 'never' ? ' (while the setting was never set)' : ' (once a transaction-local set has ended)';
}

/** `residual`: the policy has other conditions (the headline's "that meets …"), so the rows are "those rows". */
/**
 * Whether the policy's table has a column naming whose rows they are (a tenant, user, owner,
 * organization, account, team…): then "another tenant's or user's" rows is a fair example of
 * what an open write may write (debt-manager's lists has none).
 */
function ownedRows(model: Model, p: Policy): boolean {
  const t = model.tables.get(p.table);
  return !t || t.columns.some((c) => /tenant|user|owner|org|account|team|company|workspace|member|client|customer|author|created_by/i.test(c));
}

/**
 * Whether the policy's writes may name another tenant's or user's rows (ownedRows), and its other
 * conditions do not tie every row it admits to the caller: kirill-markin/expense-budget-tracker's
 * `workspace_id IN (SELECT … FROM workspace_members wm WHERE wm.user_id = current_setting('app.user_id',
 * true)) AND (current_setting('app.workspace_id', true) IS NULL OR …)` admits, with no workspace set,
 * the rows of every workspace the user is a member of, none of another's.
 */
function othersRows(model: Model, p: Policy, uses: OpenUse[]): boolean {
  if (!ownedRows(model, p)) return false;
  const writes = uses.filter((u) => u.use.effect === 'write');
  return !writes.length || !writes.every((u) => u.states.every((s) => s.residual.some((n) => tiedToCaller(model, n, u.use.expr.clause === 'check' ? 'check' : 'filter'))));
}

/**
 * Whether a condition admits no row while another context it reads is unset (a membership lookup
 * of `current_setting('app.user_id', true)` or auth.uid(): no user, no row), so each row it admits
 * is one of the caller's; not a fallback to the row's own value (`coalesce(current_setting(…)::int, user_id)`).
 */
function tiedToCaller(model: Model, n: Node, mode: EvalMode): boolean {
  return contextKeys(model, n).some((k) => unsetStates(k).some((st) => neverTrueIn(model, n, k, st, { mode })));
}

function effectsText(uses: OpenUse[], allStates: UnsetState[], residual = false, owned = true): string {
  const parts: string[] = [];
  const nn = nonNullText(nonNullOf(uses));
  const rows = residual ? 'those rows' : `every row${nn ? ` ${nn}` : ''}`;
  const reach = uses.filter((u) => u.use.effect !== 'write');
  const write = uses.filter((u) => u.use.effect === 'write');
  const byStates = (list: OpenUse[]) => {
    const m = new Map<string, OpenUse[]>();
    for (const u of list) {
      const k = u.states.map((s) => s.state).join(',');
      m.set(k, [...(m.get(k) ?? []), u]);
    }
    return [...m.values()];
  };
  for (const group of byStates(reach)) {
    const verbs = group.map((u) => (u.use.cmd === 'select' ? 'read' : u.use.cmd));
    parts.push(`${commandList(verbs).toLowerCase()} ${rows}${onlyIn(group[0]!.states.map((s) => s.state), allStates)}`);
  }
  for (const group of byStates(write)) {
    const cmds = group.map((u) => u.use.cmd);
    const any = nonNullOf(uses);
    const but = (any.length ? ` but a NULL ${any.join(' or ')}` : '') + (residual ? ' that still meet its other conditions' : '');
    const what = cmds.includes('insert') && cmds.includes('update') ? `insert or update rows to any values${but}` : cmds.includes('insert') ? `insert rows with any values${but}` : `update rows to any values${but}`;
    parts.push(`${what}${owned ? " (e.g. another tenant's or user's)" : ''}${onlyIn(group[0]!.states.map((s) => s.state), allStates)}`);
  }
  const caveat =
    reach.some((u) => u.use.cmd !== 'select') && !reach.some((u) => u.use.cmd === 'select')
      ? ' (a statement that reads columns is also limited to the rows the SELECT policies admit, T26/T27)'
      : '';
  const usingAsCheck = write.some((u) => u.use.expr.clause === 'using') ? '; without WITH CHECK, USING is also the check for new rows (T14c)' : '';
  return `${parts.join(', and ')}${caveat}${usingAsCheck}`;
}

function clausesText(uses: OpenUse[], residual = false): string {
  const clauses = [...new Set(uses.map((u) => u.use.expr.clause))].map((c) => (c === 'using' ? 'USING' : 'WITH CHECK'));
  const cols = fallbackOf(uses);
  if (cols.length) {
    // NULL = NULL is NULL: a row whose column is NULL is still not admitted, unless another branch admits it
    const self = cols.map((c) => `${c} with itself`).join(' and ');
    const nulls = nullAdmittedOf(uses);
    const also = nulls.length ? `, and another branch admits the rows where ${nulls.join(' or ')} ${nulls.length > 1 ? 'are' : 'is'} NULL` : '';
    return `its ${clauses.join(' and ')} then ${clauses.length > 1 ? 'compare' : 'compares'} ${self} (a fallback to the row's own value), which is true for every row ${nonNullText(cols)}${also}`;
  }
  return `its ${clauses.join(' and ')} ${clauses.length > 1 ? 'are' : 'is'} then true for every ${residual ? 'such ' : ''}row`;
}

/** Which rows the headline says are admitted: "every row", "every row that meets … and whose tenant_id is not NULL (…)". */
function rowsText(model: Model, uses: OpenUse[]): string {
  const residual = residualText(model, uses);
  const nn = nonNullText(nonNullOf(uses));
  if (!nn) return `every row${residual}`;
  return `every row${residual}${residual ? ' and' : ''} ${nn} (whichever tenant's or user's it is)`;
}

function residualText(model: Model, uses: OpenUse[]): string {
  const res = uses.flatMap((u) => u.states.flatMap((s) => s.residual.map((n) => ({ n, e: u.use.expr }))));
  if (res.length === 0) return '';
  const first = res[0]!;
  const text = textOfFile(model, first.e.file);
  const clause = exprClauseSpan(model, first.e);
  const parts = clause && locateParts(text, { start: clause.start + 1, end: clause.end - 1 }, first.e.node, 'AND_EXPR');
  const shown = parts?.filter((p) => res.some((r) => r.n === p.node)).map((p) => sqlOneLine(text.slice(p.span.start, p.span.end)));
  return shown?.length ? ` that meets ${shown.join(' AND ')}` : ' that meets its other conditions';
}

function adviceText(model: Model, p: Policy, key: ContextKey, dropped: string[] | undefined, nonNull: string[] = []): string {
  // the same branch in USING and WITH CHECK is named once
  const named = [...new Set(dropped ?? [])];
  const fallback = nonNull.length ? `drop the fallback to the row's own ${nonNull.join(' and ')}; ` : '';
  const drop = (named.length ? `drop ${named.map((d) => `\`${d}\``).join(' and ')}${named.length < dropped!.length ? ' wherever it stands' : ''}; ` : '') + fallback;
  const bypass = ' If some code must see every row (migrations, admin jobs), run it as a role with BYPASSRLS or give it a separate policy TO that role.';
  if (key === 'auth.uid') return `Make the case without a user admit no row: ${drop}a comparison with \`auth.uid()\` (e.g. \`owner_id = (select auth.uid())\`) matches no row when it is NULL.${bypass}`;
  const name = key.slice('setting:'.length);
  const cast = castOf(model, p, key);
  return (
    `Make the unset case admit no row: ${drop}compare with \`nullif(current_setting('${name}', true), '')${cast ? `::${cast}` : ''}\`, ` +
    `which is NULL when the setting is unset or '', and no row matches NULL.${bypass}`
  );
}

// ---------------------------------------------------------------------------------------

export const policyContextFailsOpen = defineRule({
  meta: {
    id: ID,
    description: "A policy admits every row when the session context it reads (a current_setting() value, auth.uid()) is unset or ''.",
    severity: 'warning',
    category: 'security',
    fixKind: 'unsafe',
    guards:
      "current_setting('x', true) is NULL in a session that never set x and '' after a transaction-local set has ended: a policy branch that is true then (`coalesce(current_setting('x', true), '') = '' OR …`, `auth.uid() IS NULL OR …`) admits every row to a pooled connection, a job or any code path that does not set x.",
    truths: ['T15', 'T15b'],
    sources: ['splinter 0030 rls_policy_null_auth_disjunct'],
  },
  check({ model, report }) {
    // the context keys the policy's clauses read, when some use of a clause fails open for one
    const keysOf = policyKeeper(model, 'fails-open:keys', openKeys);
    const rows = activeRows(model);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const p = row.policy;
      // (clauses always true, whatever the context: policy-always-true's; versale's CASE … THEN true ELSE true END)
      if ((!row.using || row.usingFlags & FLAG_TAUTOLOGY) && (!row.check || row.checkFlags & FLAG_TAUTOLOGY)) continue;
      const keys = keysOf(row);
      if (!keys) {
        // (not open: a fallback to a literal may still make a session without context act as that value)
        const lit = hasFallbackShape(row) ? literalFinding(model, row, subjectRoles(model, p, row.table)) : undefined;
        if (lit) report(lit);
        continue;
      }
      const roles = subjectRoles(model, p, row.table);
      if (roles.length === 0) continue;
      // (one finding per policy: a second context value that fails open in it is said in it —
      // Row-Level-Security-Backend's posts, `tenant_id = COALESCE(…, tenant_id) AND user_id =
      // COALESCE(…, user_id)`, whose finding quoted the second fallback as the condition that
      // still restricts the rows)
      let first: Finding | undefined;
      let also: string[] | undefined;
      for (const key of keys) {
        // (a setting every session starts with: never unset, ALTER DATABASE … SET)
        if (key.startsWith('setting:') && settingDefaults(model).has(key.slice(8))) continue;
        const found = p.permissive ? permissiveFinding(model, row, roles, key) : restrictiveFinding(model, row, roles, key);
        if (!found) continue;
        if (!first) first = found;
        else (also ??= []).push(key === 'auth.uid' ? 'auth.uid() is NULL' : `${key.slice('setting:'.length)} is unset`);
      }
      if (!first) {
        const lit = hasFallbackShape(row) ? literalFinding(model, row, roles) : undefined;
        if (lit) report(lit);
        continue;
      }
      report(
        also
          ? {
              ...first,
              message: `${first.message} The policy also fails open when ${also.join(', and when ')} (said here: one finding per policy), so make that case admit no row too.`,
            }
          : first,
      );
    }
  },
});

type Finding = Report;

/**
 * The context keys the policy's clauses read, when some use of a clause fails open for one.
 * (Asked of every policy: the keys of its USING and WITH CHECK nodes, each asked once, and the
 * first open use found answers; no list of open uses, no set of keys, bench.) The uses are those
 * of rowUses, without making them: USING planned as the filter of SELECT, UPDATE and DELETE (one
 * question: the same node and mode), the check (WITH CHECK, else USING) of INSERT and UPDATE,
 * an UPDATE's only where its USING does not raise (openStates). Not making each policy's uses
 * (kept on its row): what the rule keeps after the bench's cold lint went from 2.5 to 1.3 MB, its
 * CPU from 169 [135–184] to 156 [130–214] ms (the rule alone after the other rules, 8 rounds).
 */
function openKeys(model: Model, row: PolicyRow): ContextKey[] | undefined {
  const cmd = row.policy.command;
  const all = cmd === 'all';
  const using = row.using;
  const check = row.check ?? using;
  const sel = (all || cmd === 'select') && using !== undefined;
  const ins = (all || cmd === 'insert') && check !== undefined;
  const upd = all || cmd === 'update';
  const filters = using !== undefined && (sel || upd || cmd === 'delete');
  const checks = check !== undefined && (ins || upd);
  const u = filters ? using!.node : undefined;
  const c = checks ? check!.node : undefined;
  // (a clause that is one sub-select with FROM is closed whatever the key: no keys asked; a warm
  // pass over the bench's policies went from 40 [30–47] to 33 [31–41] ms, the cold one within
  // the noise, 8 rounds)
  if ((u === undefined || opaqueClause(u)) && (c === undefined || opaqueClause(c))) return undefined;
  // the keys in the order of the uses (rowUses: select, insert, update's reach, update's check, delete)
  const usingFirst = sel || (!ins && filters && (upd || !checks));
  const first = usingFirst ? u : c;
  const second = usingFirst ? c : u;
  let ks: ContextKey[] = first === undefined ? NO_KEYS : contextKeysNow(model, first);
  if (second !== undefined && second !== first) {
    const more = contextKeysNow(model, second);
    if (first === undefined) ks = more;
    else if (more !== ks && more.some((k) => !ks.includes(k))) ks = [...new Set([...ks, ...more])];
  }
  for (let j = 0; j < ks.length; j++) {
    const key = ks[j]!;
    if (u !== undefined && failsOpenNow(model, u, key, FILTER).length > 0) return ks;
    if (c === undefined) continue;
    const states = failsOpenNow(model, c, key, CHECK);
    if (states.length === 0) continue;
    // an INSERT's check is open as it is; an UPDATE's also plans USING as its filter: if that raises, the statement fails
    if (ins || using === undefined) return ks;
    for (let i = 0; i < states.length; i++) if (!raisesInNow(model, using.node, key, states[i]!.state, FILTER)) return ks;
  }
  return undefined;
}
const NO_KEYS: ContextKey[] = [];

function locate(model: Model, p: Policy, uses: OpenUse[], fix: ReturnType<typeof fixFor>): Pick<Finding, 'file' | 'start' | 'end'> {
  if (fix) return { file: fix.file, start: fix.at.start, end: fix.at.end };
  const e = uses[0]!.use.expr;
  const span = exprClauseSpan(model, e);
  return span ? { file: e.file, start: span.start, end: span.end } : p.nameLoc;
}

function permissiveFinding(model: Model, row: PolicyRow, roles: string[], key: ContextKey): Finding | undefined {
  const p = row.policy;
  const open = openUses(model, row, key);
  if (open.length === 0) return undefined;
  const perRole = unrestricted(model, p, roles, key, open);
  if (perRole.length === 0) return undefined;
  const group = commonGroup(perRole);
  const states = unsetStates(key).filter((s) => group.uses.some((u) => u.states.some((x) => x.state === s)));
  const fix = fixFor(model, row, key);
  const who = group.roles.includes('public') ? 'every role granted the command (the policy is for PUBLIC)' : roleList(group.roles);
  const residual = group.uses.some((u) => u.states.some((s) => s.residual.length > 0));
  const via = key === 'auth.uid' ? 'on any request or connection without a user id' : 'e.g. on a pooled connection, in a background job, or on any code path that does not set it';
  return {
    ...locate(model, p, group.uses, fix),
    message:
      `Policy "${p.name}" on ${p.table} admits ${rowsText(model, group.uses)} ${whenText(key, states)}: ${clausesText(group.uses, residual)}, as ${whyText(model, p, key, states, group.roles)}. ` +
      `So ${who} may ${effectsText(group.uses, states, residual, othersRows(model, p, group.uses))} — ${via}. ${adviceText(model, p, key, fix?.dropped, fallbackOf(group.uses))}`,
    fixes: fix ? [fix.fix] : [],
  };
}

/**
 * A restrictive policy that is true when the context is unset stops narrowing; that admits
 * every row only where a permissive policy for the same roles and command admits every row
 * anyway (e.g. `USING (true)` + a restrictive tenant check), and no other restrictive policy
 * still narrows. Otherwise the permissive policies decide (and are checked on their own).
 */
function restrictiveFinding(model: Model, row: PolicyRow, roles: string[], key: ContextKey): Finding | undefined {
  const p = row.policy;
  const open = openUses(model, row, key);
  for (const role of roles) {
    const uses: OpenUse[] = [];
    let partner: Policy | undefined;
    for (const u of open) {
      const permissive = policiesOn(model, p).find((q) => {
        if (!q.permissive || !coversCommand(q, u.use.cmd) || !appliesToRole(model, q, role)) return false;
        const qu = sameUse(model, q, u.use);
        return !!qu && constBool(qu.expr.node) === true;
      });
      if (!permissive) continue;
      const states = u.states.filter((s) => !restrictedBy(model, p, role, u.use, key, s.state));
      if (states.length === 0) continue;
      partner ??= permissive;
      uses.push({ use: u.use, states });
    }
    if (!partner || uses.length === 0) continue;
    const states = unsetStates(key).filter((s) => uses.some((u) => u.states.some((x) => x.state === s)));
    const fix = fixFor(model, row, key);
    const who = role === 'public' ? 'every role granted the command (the policy is for PUBLIC)' : role;
    const partnerClause = sameUse(model, partner, uses[0]!.use)!.expr.clause === 'using' ? 'USING' : 'WITH CHECK';
    const residual = uses.some((u) => u.states.some((s) => s.residual.length > 0));
    return {
      ...locate(model, p, uses, fix),
      message:
        `Restrictive policy "${p.name}" on ${p.table} stops narrowing${residual ? ` (but to every row${residualText(model, uses)})` : ''} ${whenText(key, states)}: ${clausesText(uses, residual)}, as ${whyText(model, p, key, states, [role])}, ` +
        `and permissive policy "${partner.name}" admits every row (its ${partnerClause} is always true). ` +
        `So ${who} may ${effectsText(uses, states, residual, othersRows(model, p, uses))}. ${adviceText(model, p, key, fix?.dropped, fallbackOf(uses))}`,
      fixes: fix ? [fix.fix] : [],
    };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------
// A fallback to a literal: a session without the context acts as that value
//
// callgent-api (Prisma) compares `"tenantPk" = (select COALESCE(NULLIF(current_setting(
// 'tenancy.tenantPk', true), ''), '0')::int)`: a session that never set tenancy.tenantPk (or whose
// transaction-local set has ended) is tenant 0 — the "system official" tenant whose rows its
// SELECT policy admits to every tenant (`"tenantPk" = 0 OR …`). Measured on PGlite (the test):
// with no context the app role deletes and updates tenant 0's rows and inserts rows for it, which
// no tenant's session may. A fallback to a sentinel no row has (the nil UUID, 0 with serial keys)
// admits no row, and the migrations rarely say which: the finding is made only where a SELECT
// policy singles the value out (a branch `col = <the literal>` that reads no context), so rows
// with it exist, and not for the commands some policy admits those rows for anyway (callgent's
// own FOR ALL policy, whose `"tenantPk" = 0` branch gives every tenant what the fallback gives).

/** The column a value is (through casts), as written (PostgreSQL folded unquoted names), or undefined. */
function columnName(n: Node): string | undefined {
  if (n?.TypeCast) return columnName(n.TypeCast.arg);
  const f: Node[] | undefined = n?.ColumnRef?.fields;
  if (!f || f.length < 1 || f.length > 3) return undefined;
  const names = f.map((x) => sval(x));
  return names.every((x) => x !== undefined) ? names[names.length - 1] : undefined;
}

/** The value under casts and scalar sub-selects of one value (`(select coalesce(…)::int)` → `coalesce(…)`). */
function valueCore(n: Node): Node {
  for (;;) {
    const s = n?.SubLink?.subLinkType === 'EXPR_SUBLINK' ? n.SubLink.subselect?.SelectStmt : undefined;
    if (n?.TypeCast) n = n.TypeCast.arg;
    else if (s && !s.fromClause && !s.whereClause && !s.groupClause && !s.havingClause && !s.withClause && (!s.op || s.op === 'SETOP_NONE') && s.targetList?.length === 1)
      n = s.targetList[0].ResTarget?.val;
    else return n;
  }
}

/** A literal (through casts), as text, lower-case (`0`, `'0'::int` and `'0'` are all "0"), or undefined. */
function literalOf(n: Node): string | undefined {
  if (n?.TypeCast) return literalOf(n.TypeCast.arg);
  const v = constValue(n);
  return v === undefined || v === null ? undefined : String(v).toLowerCase();
}

interface ColumnCmp {
  col: string;
  value: Node;
}

/** `col = value` (or `value = col`): the clause itself or each of its top-level OR arms. */
function columnComparisons(node: Node): ColumnCmp[] {
  const out: ColumnCmp[] = [];
  for (const arm of disjuncts(node)) {
    const a = arm?.A_Expr;
    if (a?.kind !== 'AEXPR_OP' || !a.lexpr || !a.rexpr || (a.name?.length ?? 0) !== 1 || sval(a.name[0]) !== '=') continue;
    const l = columnName(a.lexpr);
    const r = columnName(a.rexpr);
    if (l !== undefined && r === undefined) out.push({ col: l, value: a.rexpr });
    else if (r !== undefined && l === undefined) out.push({ col: r, value: a.lexpr });
  }
  return out;
}

/** Whether the clause admits the rows whose `col` is `value` whatever the context: it is, or has a top-level OR arm, `col = <that literal>`. */
function admitsLiteral(node: Node, col: string, value: string): boolean {
  return columnComparisons(node).some((c) => c.col === col && literalOf(c.value) === value);
}

/** A cheap first look (asked of every policy): some clause has a COALESCE and a literal (the row's flags), and compares a column with a COALESCE. */
function hasFallbackShape(row: PolicyRow): boolean {
  if (!((row.usingFlags | row.checkFlags) & FLAG_COALESCE_CONST)) return false;
  for (const e of [row.using, row.check]) if (e && columnComparisons(e.node).some((c) => valueCore(c.value)?.CoalesceExpr)) return true;
  return false;
}

interface LiteralUse {
  use: ClauseUse;
  col: string;
  /** the literal, as literalOf gives it */
  value: string;
  /** the COALESCE that falls back to it */
  coalesce: Node;
  states: UnsetState[];
}

/** The comparisons of a use's clause with a COALESCE that falls back to a literal when `key` is unset, and in which states (the clause raising in none). */
function literalUses(model: Model, use: ClauseUse, key: ContextKey): LiteralUse[] {
  const out: LiteralUse[] = [];
  const opts = optsOf(use.mode);
  for (const cmp of columnComparisons(use.expr.node)) {
    const core = valueCore(cmp.value);
    const args: Node[] = core?.CoalesceExpr?.args ?? [];
    const value = args.length >= 2 ? literalOf(args[args.length - 1]) : undefined;
    if (value === undefined || !contextKeys(model, core).includes(key)) continue;
    const states = unsetStates(key).filter((st) => {
      const c = unsetConstant(model, core, key, st, opts);
      return c !== undefined && c.v !== null && String(c.v).toLowerCase() === value && !raisesIn(model, use.expr.node, key, st, opts);
    });
    if (states.length) out.push({ use, col: cmp.col, value, coalesce: core, states });
  }
  return out;
}

/** A permissive SELECT policy on the table that admits the rows whose `col` is `value` whatever the context (`col = 0 OR …`). */
function sharedBy(model: Model, p: Policy, col: string, value: string): Policy | undefined {
  return policiesOn(model, p).find((q) => {
    if (!q.permissive || !coversCommand(q, 'select')) return false;
    const u = rowUses(rowOf(model, q)).find((x) => x.cmd === 'select');
    return !!u && admitsLiteral(u.expr.node, col, value);
  });
}

/** Whether a permissive policy for every one of `roles` admits the rows whose `col` is `value` to `use`'s command whatever the context (the fallback then gives nothing more). */
function admittedAnyway(model: Model, p: Policy, roles: string[], use: ClauseUse, col: string, value: string): boolean {
  return policiesOn(model, p).some((q) => {
    if (!q.permissive || !coversCommand(q, use.cmd)) return false;
    if (!q.roles.includes('public') && !roles.every((r) => r !== 'public' && appliesToRole(model, q, r))) return false;
    const qu = sameUse(model, q, use);
    return !!qu && admitsLiteral(qu.expr.node, col, value);
  });
}

/** The value as SQL text for the message: a number as it is, anything else quoted. */
const literalText = (v: string) => (/^-?\d+$/.test(v) ? v : `'${v.replace(/'/g, "''")}'`);

function literalFinding(model: Model, row: PolicyRow, roles: string[]): Finding | undefined {
  const p = row.policy;
  if (!p.permissive || roles.length === 0) return undefined;
  const refused = p.command === 'select' || p.command === 'insert' ? undefined : refusedWrites(model, row.table, 'always');
  const uses = rowUses(row).filter((u) => !refused?.has(u.cmd as 'update' | 'delete'));
  const keys = [...new Set(uses.flatMap((u) => contextKeys(model, u.expr.node)))].filter((k) => !(k.startsWith('setting:') && settingDefaults(model).has(k.slice(8))));
  for (const key of keys) {
    const found = uses.flatMap((u) => literalUses(model, u, key));
    if (found.length === 0) continue;
    const { col, value } = found[0]!;
    const same = found.filter((f) => f.col === col && f.value === value);
    const shared = sharedBy(model, p, col, value);
    if (!shared) continue;
    // the uses that give a session without the context rows no policy gives every session, and no restrictive policy narrows
    const open = same.filter(
      (f) => !admittedAnyway(model, p, roles, f.use, col, value) && !roles.some((r) => f.states.some((st) => restrictedBy(model, p, r, f.use, key, st))),
    );
    if (open.length === 0) continue;
    const states = unsetStates(key).filter((st) => open.some((f) => f.states.includes(st)));
    const text = textOfFile(model, open[0]!.use.expr.file);
    const cs = callSpan(text, open[0]!.coalesce.CoalesceExpr.location ?? -1);
    const fix = literalFix(model, key, same);
    const colText = quoteIdent(col);
    const lit = literalText(value);
    const who = roles.includes('public') ? 'every role granted the command (the policy is for PUBLIC)' : roleList(roles);
    const reach = [...new Set(open.filter((f) => f.use.effect !== 'write').map((f) => (f.use.cmd === 'select' ? 'read' : f.use.cmd)))];
    const write = [...new Set(open.filter((f) => f.use.effect === 'write').map((f) => f.use.cmd))];
    const effects = [
      ...(reach.length ? [`${commandList(reach).toLowerCase()} those rows`] : []),
      ...(write.length ? [`${write.length > 1 ? 'insert or update rows to' : write[0] === 'insert' ? 'insert rows with' : 'update rows to'} ${colText} = ${lit}`] : []),
    ].join(', and ');
    const fallback = cs ? `\`${sqlOneLine(text.slice(cs.start, cs.end))}\`` : 'its COALESCE';
    const sharedRoles = shared.roles.includes('public') ? 'every role' : roleList(shared.roles);
    const name = key === 'auth.uid' ? 'auth.uid()' : key.slice('setting:'.length);
    const cast = key === 'auth.uid' ? undefined : castOf(model, p, key);
    const advice =
      key === 'auth.uid'
        ? `drop the fallback to ${lit}: a comparison with \`auth.uid()\` matches no row when it is NULL.`
        : `drop the fallback to ${lit} and compare with \`nullif(current_setting('${name}', true), '')${cast ? `::${cast}` : ''}\`, which is NULL when the setting is unset or '', and no row matches NULL; code that must act as ${lit} can set ${name} to it.`;
    return {
      ...(cs ? { file: open[0]!.use.expr.file, start: cs.start, end: cs.end } : locate(model, p, [{ use: open[0]!.use, states: [] }], undefined)),
      message:
        `Policy "${p.name}" on ${p.table} admits the rows whose ${colText} is ${lit} ${whenText(key, states)}: ${fallback} then falls back to ${lit}, as ${whyText(model, p, key, states, roles)}, ` +
        `so a session without ${name} acts as if ${key === 'auth.uid' ? `${name} were` : `${name} were set to`} ${lit}. Those are the rows SELECT policy "${shared.name}" admits to ${sharedRoles} whatever the context (${colText} = ${lit}): ` +
        `so ${who} may ${effects} — e.g. on a pooled connection, in a background job, or on any code path that does not set ${name}. ` +
        `Make the unset case admit no row: ${advice}`,
      fixes: fix ? [fix] : [],
    };
  }
  return undefined;
}

/**
 * Drops the literal each COALESCE falls back to (`COALESCE(NULLIF(current_setting(…), ''), '0')` →
 * `NULLIF(current_setting(…), '')`), when what is left is NULL in every unset state; else none.
 */
function literalFix(model: Model, key: ContextKey, found: LiteralUse[]): Fix | undefined {
  const edits: Edit[] = [];
  const seen = new Set<Node>();
  for (const f of found) {
    if (seen.has(f.coalesce)) continue;
    seen.add(f.coalesce);
    const co = f.coalesce.CoalesceExpr;
    const args: Node[] = co.args;
    const text = textOfFile(model, f.use.expr.file);
    const cs = callSpan(text, co.location ?? -1);
    const spans = cs && argSpans(text, cs);
    if (!cs || !spans || spans.length !== args.length) return undefined;
    const rest: Node = args.length === 2 ? args[0] : { CoalesceExpr: { ...co, args: args.slice(0, -1) } };
    if (!unsetStates(key).every((st) => unsetConstant(model, rest, key, st, optsOf(f.use.mode))?.v === null)) return undefined;
    if (args.length === 2) edits.push({ file: f.use.expr.file, start: cs.start, end: cs.end, newText: selfContained(args[0]) ? text.slice(spans[0]!.start, spans[0]!.end) : `(${text.slice(spans[0]!.start, spans[0]!.end)})` });
    else edits.push({ file: f.use.expr.file, start: spans[args.length - 2]!.end, end: spans[args.length - 1]!.end, newText: '' });
  }
  if (edits.length === 0) return undefined;
  const name = key === 'auth.uid' ? 'a NULL auth.uid()' : `an unset ${key.slice('setting:'.length)}`;
  return { title: `Drop the COALESCE fallback to ${literalText(found[0]!.value)} (${name} then admits no row; code that relied on acting as it must set it)`, kind: 'unsafe', edits };
}
