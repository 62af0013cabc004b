import { resolvedThroughPath, TRIGGER_INSERT, type Func, type Model, type Policy, type Table } from '../analysis/model.js';
import { conjuncts, constValue, locationBounds, matchParen, memoised } from '../analysis/ast.js';
import { mayBeDynamic } from '../analysis/dynamic-rls.js';
import { nameParts, sval } from '../analysis/parse.js';
import { appliesToRole, roleList, rolesSubjectToRls } from '../analysis/policies.js';
import { activePoliciesWithKey, activeRowsWith, constBool, FLAG_READS_RELATION, memoModel, textOfFile, type PolicyExpr } from '../analysis/policy-exprs.js';
import { recursionCycles } from '../analysis/recursion.js';
import type { Node, Span } from '../analysis/types.js';
import { defineRule, type Report } from './types.js';
import { API_ROLES, bareValue, columnRef, inputParams, mayHoldPrivilege, onSupabasePlatform, tableName } from './lib/util.js';
import { isIdentity } from './policy-membership-self-join.js';
import { hiddenFrom, linkKeys, requiredLinks, type Hidden } from './lib/hidden.js';
import { cannotReadKept } from './lib/unreadable.js';

const NO_ROLES: string[] = [];

type Link = ReturnType<typeof requiredLinks>[number];

/**
 * The sub-selects each branch of an OR requires (requiredLinks of the branch), for an OR that is
 * the expression or one of its AND-ed parts (nested ORs flattened); none without an OR.
 */
const branchLinks = memoised((e: Node): Link[] => {
  const out: Link[] = [];
  const visit = (n: Node, top: boolean) => {
    const b = n?.BoolExpr;
    if (b?.boolop === 'AND_EXPR' && top) {
      for (const a of (b.args ?? []) as Node[]) visit(a, true);
    } else if (b?.boolop === 'OR_EXPR') {
      for (const a of (b.args ?? []) as Node[]) {
        if (a?.BoolExpr?.boolop === 'OR_EXPR') visit(a, false);
        else for (const l of requiredLinks(a)) out.push(l);
      }
    }
  };
  visit(e, true);
  return out;
});

/**
 * The first table of the link's FROM with row-level security that no row of is visible to any of
 * the roles (hiddenFrom), and which each of them may read (else the sub-select fails with 42501:
 * policy-reads-without-grant); undefined when there is none.
 */
function blindTable(model: Model, l: Link, t: Table, roles: readonly string[], probe: string, fresh: boolean): Table | undefined {
  const keys = linkKeys(model, l, probe, fresh);
  for (let i = 0; i < keys.length; i++) {
    const v = model.tables.get(keys[i]!);
    if (!v || v === t || !v.rlsEnabled) continue;
    // (a role that may not read the table at all gets 42501 from the sub-select, not an
    // empty result: policy-reads-without-grant says so; sheenapps' EXISTS (… auth.users …)
    // for PUBLIC, on Supabase, where the API roles are granted nothing on auth.users)
    let readable = true;
    for (let j = 0; j < roles.length && readable; j++) if (cannotReadKept(model, v.key, roles[j]!)) readable = false;
    if (!readable) continue;
    let all = true;
    for (let j = 0; j < roles.length && all; j++) if (!hiddenFrom(model, v, roles[j]!)) all = false;
    if (all) return v;
  }
  return undefined;
}

/**
 * The span of the link in the text of the statement that wrote the expression: `EXISTS (…)`, or
 * `x IN (…)` from its left operand; undefined where the text does not agree (dynamic SQL).
 */
function linkSpan(model: Model, e: PolicyExpr, link: Node): Span | undefined {
  const text = textOfFile(model, e.file);
  const { start: lo, end: hi } = e.stmt;
  const at = link.location;
  if (typeof at !== 'number' || at < lo || at >= hi) return undefined;
  const open = text.indexOf('(', at);
  if (open < 0 || open >= hi) return undefined;
  const kw = text.slice(at, open);
  if (link.subLinkType === 'EXISTS_SUBLINK' ? !/^EXISTS\s*$/i.test(kw) : !/^(IN|=\s*ANY|=\s*SOME)\s*$/i.test(kw)) return undefined;
  const close = matchParen(text, open, hi);
  if (close < 0) return undefined;
  let start = at;
  if (link.subLinkType === 'ANY_SUBLINK') {
    const min = link.testexpr ? locationBounds(link.testexpr).min : Infinity;
    if (!Number.isFinite(min) || min >= at || min < lo) return undefined;
    start = min;
  }
  return { start, end: close + 1 };
}

export const policySubquerySeesNoRows = defineRule({
  meta: {
    id: 'policy-subquery-sees-no-rows',
    description: "A policy admits a row only when its sub-select finds one in another table with row-level security, and no policy of that table lets the policy's roles see any row: the policy (or that branch of its OR) admits nothing; or an insert check looks for a row its roles see only through a row of the policy's own table, so the first such row never passes.",
    severity: 'warning',
    category: 'correctness',
    fixKind: 'none',
    guards:
      "Row-level security applies inside a policy's sub-selects as in any query of the role: a required EXISTS (or IN) on a table whose policies show that role no row is never true, so the policy admits no row (reads return nothing, writes fail with 42501); in one branch of an OR, that branch never admits a row. An INSERT check whose EXISTS looks for a row the role sees only once it has a row of the checked table for it (a workspace visible to its members) never admits the first one (42501).",
    truths: ['T12'],
    shownBy: { emptyRead: true, asPolicyRole: true },
  },
  check({ model, report }) {
    const supabase = onSupabasePlatform(model);
    const probe = model.key([undefined, '']);
    for (const row of activeRowsWith(model, FLAG_READS_RELATION)) {
      const p = row.policy;
      const t = row.table;
      if (!p.permissive || !t) continue;
      let roles: readonly string[] | undefined;
      let done = false;
      // (the links the whole expression requires first, then those of one branch of an OR: one finding a policy)
      for (let pass = 0; pass < 2 && !done; pass++) {
        for (let ei = 0; ei < row.exprs.length && !done; ei++) {
          const e = row.exprs[ei]!;
          const links = pass === 0 ? requiredLinks(e.node) : branchLinks(e.node);
          if (links.length === 0) continue;
          // the roles it is for: those it names (subject to RLS); for PUBLIC, Supabase's API roles
          roles ??= p.roles.includes('public') ? (supabase ? API_ROLES : NO_ROLES) : rolesSubjectToRls(model, p);
          if (roles.length === 0) break;
          // (the links' keys and the tables looked up in place: a list per link and policy was most of the rule's garbage)
          const fresh = resolvedThroughPath(p.stmt);
          for (let li = 0; li < links.length; li++) {
            const l = links[li]!;
            const u = blindTable(model, l, t, roles, probe, fresh);
            if (!u) continue;
            report(pass === 0 ? whole(model, p, e, l.link, u, roles) : branch(model, p, e, l.link, u, roles));
            done = true;
            break;
          }
        }
        if (roles?.length === 0) break;
      }
      // (the second situation: an insert check looking for a row its roles see only through a row of this very table, the first never passes)
      if (done || (p.command !== 'insert' && p.command !== 'all')) continue;
      const e = row.check ?? (p.command === 'all' ? row.using : undefined);
      if (!e || requiredLinks(e.node).length === 0) continue;
      roles ??= p.roles.includes('public') ? (supabase ? API_ROLES : NO_ROLES) : rolesSubjectToRls(model, p);
      if (roles.length === 0) continue;
      const x = firstRowNeeded(model, e, t, roles, probe, resolvedThroughPath(p.stmt));
      if (x) report(firstRow(model, p, t, x, roles));
    }
  },
});

/** The roles, the sub-select's form and why the table is hidden from them, for a message. */
function parts(model: Model, p: Policy, link: Node, u: Table, roles: readonly string[]) {
  const hidden: Array<Hidden | undefined> = roles.map((r) => hiddenFrom(model, u, r));
  const who = p.roles.includes('public') ? 'anon and authenticated (it is for PUBLIC)' : roleList(roles);
  const uName = tableName(model, u, p.created);
  const form = link.subLinkType === 'EXISTS_SUBLINK' ? `EXISTS (SELECT … FROM ${uName} …)` : `… IN (SELECT … FROM ${uName} …)`;
  const why = [...new Set(hidden.map((h) => h!.why))].join('; ');
  const them = roles.length === 1 ? 'that role' : 'those roles';
  return { who, uName, form, why, them, related: [{ ...u.nameLoc, message: `${uName}: row-level security enabled, no row visible to ${roleList(roles)}` }] };
}

/** A sub-select the whole expression requires finds nothing: the policy admits no row. */
function whole(model: Model, p: Policy, e: PolicyExpr, link: Node, u: Table, roles: readonly string[]): Report {
  const { who, uName, form, why, them, related } = parts(model, p, link, u, roles);
  const effect =
    e.clause === 'using'
      ? `${p.command === 'select' || p.command === 'all' ? 'their queries of' : `their ${p.command.toUpperCase()}s on`} ${p.table} get no row through it, with no error`
      : `every ${p.command === 'update' ? 'UPDATE' : 'INSERT'} it alone would admit fails with 42501 new row violates row-level security policy`;
  return {
    ...p.nameLoc,
    message:
      `Policy "${p.name}" on ${p.table} is for ${who} and admits a row only when its sub-select ${form} finds one, but no row of ${uName} is visible to ${them}: ` +
      `${why}. Row-level security applies inside a policy's sub-selects as in any query of the role, so the sub-select finds nothing and the policy admits no row: ${effect}. ` +
      `Add a SELECT policy on ${uName} for ${roles.length === 1 ? 'the role' : 'these roles'} admitting the rows this policy needs (e.g. the published ones), or look the row up through a SECURITY DEFINER function (with SET search_path) that reads ${uName} as its owner.`,
    related,
  };
}

/**
 * A sub-select one branch of an OR requires finds nothing: that branch is never true, and the
 * policy admits only what its other branches admit (collaborative-editor's document policy,
 * `creator_id = current_user_id() OR is_public OR id IN (SELECT document_id FROM user_document …)`,
 * with no SELECT policy on user_document for postgraphile_user: an invited user never saw the
 * document). Reported on the sub-select.
 */
function branch(model: Model, p: Policy, e: PolicyExpr, link: Node, u: Table, roles: readonly string[]): Report {
  const { who, uName, form, why, them, related } = parts(model, p, link, u, roles);
  const span = linkSpan(model, e, link);
  const effect =
    e.clause === 'using'
      ? `${p.command === 'select' || p.command === 'all' ? 'their queries of' : `their ${p.command.toUpperCase()}s on`} ${p.table} get no row through this branch, only the rows its other branches admit, with no error`
      : `a new row only this branch would admit is refused with 42501 new row violates row-level security policy`;
  return {
    ...(span ? { file: e.file, ...span } : p.nameLoc),
    message:
      `Policy "${p.name}" on ${p.table} is for ${who}, and this branch of its OR is true only when its sub-select ${form} finds a row, but no row of ${uName} is visible to ${them}: ` +
      `${why}. Row-level security applies inside a policy's sub-selects as in any query of the role, so the sub-select finds nothing and this branch is never true: ${effect}. ` +
      `Add a SELECT policy on ${uName} for ${roles.length === 1 ? 'the role' : 'these roles'} admitting the rows this branch needs, or look the row up through a SECURITY DEFINER function (with SET search_path) that reads ${uName} as its owner.`,
    related,
  };
}

// ---------------------------------------------------------------------------------------------
// The first row: a check whose sub-select looks for a row of another table that the role sees
// only through the very kind of row being inserted (quick-paste-magic's workspace_members: `EXISTS
// (SELECT 1 FROM workspaces w WHERE w.id = workspace_id AND w.owner_id = auth.uid())`, workspaces
// visible only to their members, through is_workspace_member(auth.uid(), id)).

/** `a = b` as its two sides. */
function equality(n: Node): [Node, Node] | undefined {
  const e = n?.A_Expr;
  if (!e || e.kind !== 'AEXPR_OP' || e.name?.length !== 1 || sval(e.name[0]) !== '=') return undefined;
  return [e.lexpr, e.rexpr];
}

type Col = { qual?: string; name: string } | undefined;
interface Pair {
  wCol: string;
  mCol: string;
}

/**
 * The pairs (column of `w`, column of `m`) a required sub-select of a check of `m` matches with the
 * new row: `w.id = workspace_id` AND-ed in its WHERE (the other side a column of the new row, no
 * column of the sub-select's tables), or `workspace_id IN (SELECT w.id FROM w …)`.
 */
function newRowPairs(model: Model, link: Link, keys: readonly string[], w: Table, m: Table): Pair[] {
  const i = keys.indexOf(w.key);
  if (i < 0 || keys.indexOf(w.key, i + 1) >= 0) return [];
  const rv = link.rvs[i]!;
  const alias = String(rv.alias?.aliasname ?? rv.relname).toLowerCase();
  const inner = new Set<string>();
  const aliases = new Set<string>();
  for (let j = 0; j < keys.length; j++) {
    const x = link.rvs[j]!;
    aliases.add(String(x.alias?.aliasname ?? x.relname).toLowerCase());
    const v = model.tables.get(keys[j]!);
    if (!v) return [];
    for (const c of v.columns) inner.add(c);
  }
  const ofW = (c: Col) => !!c && (c.qual === undefined ? keys.length === 1 : c.qual === alias) && w.columns.includes(c.name);
  const mName = m.name.toLowerCase();
  const outer = (c: Col) => !!c && (c.qual === undefined ? !inner.has(c.name) : c.qual === mName && !aliases.has(mName)) && m.columns.includes(c.name);
  const out: Pair[] = [];
  const l = link.link;
  const q = l.subselect?.SelectStmt;
  if (l.subLinkType === 'ANY_SUBLINK') {
    const c = columnRef(l.testexpr);
    const t = q?.targetList?.length === 1 ? columnRef(q.targetList[0]?.ResTarget?.val) : undefined;
    if (c && (c.qual === undefined || c.qual === mName) && m.columns.includes(c.name) && ofW(t)) out.push({ wCol: t!.name, mCol: c.name });
    return out;
  }
  for (const c of conjuncts(q?.whereClause)) {
    const eq = equality(c);
    if (!eq) continue;
    for (const [a, b] of [eq, [eq[1], eq[0]] as [Node, Node]]) {
      const x = columnRef(a);
      const y = columnRef(b);
      if (ofW(x) && outer(y)) out.push({ wCol: x!.name, mCol: y!.name });
    }
  }
  return out;
}

/**
 * The pairs (column of `w`, column of `m`) such that the sub-select `q` (of a policy of `w`, or of
 * a function's body) finds a row only when a row of `m` has `m.mCol` equal to that value and its
 * user column equal to who calls: `side` classifies the other side of each `m.col = …` of its WHERE
 * (the caller, a column of w, or neither).
 */
function memberPairs(q: Node, m: Table, key: string, side: (n: Node) => 'caller' | string | undefined): { user: boolean; pairs: Pair[] } {
  const from = q?.fromClause as Node[] | undefined;
  const rv = from?.length === 1 ? from[0]?.RangeVar : undefined;
  if (!rv?.relname || key !== m.key || (q.op && q.op !== 'SETOP_NONE')) return { user: false, pairs: [] };
  const alias = String(rv.alias?.aliasname ?? rv.relname).toLowerCase();
  const ofM = (c: Col) => !!c && (c.qual === undefined || c.qual === alias) && m.columns.includes(c.name);
  let user = false;
  const out: Pair[] = [];
  for (const c of conjuncts(q.whereClause)) {
    const eq = equality(c);
    if (!eq) continue;
    for (const [a, b] of [eq, [eq[1], eq[0]] as [Node, Node]]) {
      const x = columnRef(a);
      if (!ofM(x)) continue;
      const s = side(b);
      if (s === 'caller') user = true;
      else if (s !== undefined) out.push({ wCol: s, mCol: x!.name });
    }
  }
  return { user, pairs: user ? out : [] };
}

/** The function's one read a true result (`EXISTS`) or a row (`column`) of it needs: a SQL `SELECT EXISTS (…)` or `SELECT col FROM …`, a PL/pgSQL `RETURN EXISTS (…)`. */
function helperRead(f: Func): { q: Node; kind: 'exists' | 'column' } | undefined {
  const sts = f.body?.statements;
  if (!sts || sts.length !== 1 || f.body!.lexical || sts[0]!.kind !== 'SelectStmt') return undefined;
  const s = sts[0]!;
  if (f.language === 'plpgsql' ? !s.reported : f.language !== 'sql') return undefined;
  const n = s.node;
  if (n?.targetList?.length !== 1 || (n.op && n.op !== 'SETOP_NONE')) return undefined;
  const v = n.targetList[0]?.ResTarget?.val;
  if (!n.fromClause && !n.whereClause && v?.SubLink?.subLinkType === 'EXISTS_SUBLINK') return { q: v.SubLink.subselect?.SelectStmt, kind: 'exists' };
  if (f.language === 'sql' && n.fromClause && columnRef(v)) return { q: n, kind: 'column' };
  return undefined;
}

/** What a call form of a condition needs of its function: true (`f(…)`, `f(…) IS TRUE`), or a row (`f(…) = 'owner'`, `IN (…)`, `IS NOT NULL`). */
function callNeeds(c: Node): { call: Node; kind: 'exists' | 'column' } | undefined {
  const bare = bareValue(c);
  if (bare?.FuncCall) return { call: bare, kind: 'exists' };
  if (c?.BooleanTest?.booltesttype === 'IS_TRUE' && bareValue(c.BooleanTest.arg)?.FuncCall) return { call: bareValue(c.BooleanTest.arg), kind: 'exists' };
  if (c?.NullTest?.nulltesttype === 'IS_NOT_NULL' && bareValue(c.NullTest.arg)?.FuncCall) return { call: bareValue(c.NullTest.arg), kind: 'column' };
  const e = c?.A_Expr;
  if (e && e.name?.length === 1 && sval(e.name[0]) === '=' && (e.kind === 'AEXPR_OP' || e.kind === 'AEXPR_IN')) {
    const isConst = (x: Node) => constValue(x?.TypeCast ? x.TypeCast.arg : x) != null;
    const l = bareValue(e.lexpr);
    const r = e.rexpr;
    if (l?.FuncCall && (e.kind === 'AEXPR_IN' ? (r?.List?.items ?? []).length > 0 && r.List.items.every(isConst) : isConst(r))) return { call: l, kind: 'column' };
    if (e.kind === 'AEXPR_OP' && bareValue(r)?.FuncCall && isConst(e.lexpr)) return { call: bareValue(r), kind: 'column' };
  }
  return undefined;
}

/**
 * The pairs (column of `w`, column of `m`) policy `q` of `w` requires a row of `m` for: with `m.mCol
 * = w.wCol` and its user column the caller's. An AND-ed `EXISTS (SELECT … FROM m WHERE m.x = w.c
 * AND m.user_id = auth.uid())`, `c IN (SELECT m.x FROM m WHERE m.user_id = auth.uid())`, or a call of
 * a SQL or PL/pgSQL function reading m so, its arguments the caller and w's column
 * (`is_workspace_member(auth.uid(), id)`).
 */
function requiredMembership(model: Model, q: Policy, w: Table, m: Table): Pair[] {
  const out: Pair[] = [];
  const wName = w.name.toLowerCase();
  for (const c of conjuncts(q.using)) {
    const link = c?.SubLink;
    if (link?.subLinkType === 'EXISTS_SUBLINK' || link?.subLinkType === 'ANY_SUBLINK') {
      const sq = link.subselect?.SelectStmt;
      const rv = (sq?.fromClause as Node[] | undefined)?.[0]?.RangeVar;
      if (!rv?.relname) continue;
      const key = model.relKey(rv);
      const alias = String(rv.alias?.aliasname ?? rv.relname).toLowerCase();
      const side = (n: Node) => {
        if (isIdentity(model, n)) return 'caller';
        const x = columnRef(n);
        return x && link.subLinkType === 'EXISTS_SUBLINK' && (x.qual === undefined ? !m.columns.includes(x.name) : x.qual === wName && alias !== wName) && w.columns.includes(x.name) ? x.name : undefined;
      };
      const r = memberPairs(sq, m, key, side);
      if (link.subLinkType === 'ANY_SUBLINK') {
        // (`id IN (SELECT m.workspace_id FROM m WHERE m.user_id = auth.uid())`)
        const t = columnRef(link.testexpr);
        const target = sq?.targetList?.length === 1 ? columnRef(sq.targetList[0]?.ResTarget?.val) : undefined;
        if (r.user && t && (t.qual === undefined || t.qual === wName) && w.columns.includes(t.name) && target && (target.qual === undefined || target.qual === alias) && m.columns.includes(target.name)) out.push({ wCol: t.name, mCol: target.name });
      } else out.push(...r.pairs);
      continue;
    }
    const need = callNeeds(c);
    const call = need?.call.FuncCall;
    if (!call) continue;
    const args = (call.args ?? []) as Node[];
    const f = model.findFunction(nameParts(call.funcname), args.length);
    const read = f ? helperRead(f) : undefined;
    if (!f || !read || (read.kind === 'column' && need!.kind !== 'column')) continue;
    const sq = read.q;
    const rv = (sq?.fromClause as Node[] | undefined)?.[0]?.RangeVar;
    if (!rv?.relname) continue;
    // (an unqualified name resolved as the model does in the function: its own search_path, or the one it was made under)
    const key = model.funcRelKey(f, rv);
    const params = inputParams(f).map((x) => String(x?.FunctionParameter?.name ?? '').toLowerCase());
    const fname = f.name.toLowerCase();
    const alias = String(rv.alias?.aliasname ?? rv.relname).toLowerCase();
    const side = (n: Node) => {
      if (isIdentity(model, n)) return 'caller';
      const ref = columnRef(n);
      const i = n?.ParamRef ? Number(n.ParamRef.number) - 1 : ref && ((ref.qual === undefined && !m.columns.includes(ref.name)) || (ref.qual === fname && ref.qual !== alias)) ? params.indexOf(ref.name) : -1;
      const a = i >= 0 && i < args.length ? args[i]! : undefined;
      if (!a) return undefined;
      if (isIdentity(model, a)) return 'caller';
      const x = columnRef(a);
      return x && (x.qual === undefined || x.qual === wName) && w.columns.includes(x.name) ? x.name : undefined;
    };
    out.push(...memberPairs(sq, m, key, side).pairs);
  }
  return out;
}


/**
 * The pairs (column of `w`, column of `m`) every permissive SELECT (or ALL) policy of `w` applying
 * to `role` requires a row of `m` for (requiredMembership), with those policies; undefined when
 * none applies (the first situation of the rule), one requires no such row, or the role reads `w`
 * unfiltered or may not read it. Kept per model.
 */
function onlyThroughMembers(model: Model, w: Table, m: Table, role: string): { pairs: string[]; policies: Policy[] } | undefined {
  const memo = memoModel(model, 'policy-subquery-sees-no-rows:members', () => new Map<string, { pairs: string[]; policies: Policy[] } | null>());
  const k = `${w.key}\u0000${m.key}\u0000${role}`;
  let v = memo.get(k);
  if (v === undefined) memo.set(k, (v = onlyThroughMembersUncached(model, w, m, role) ?? null));
  return v ?? undefined;
}
function onlyThroughMembersUncached(model: Model, w: Table, m: Table, role: string): { pairs: string[]; policies: Policy[] } | undefined {
  if (model.roleBypassesRls(role) === true || (w.owner?.role === role && !w.rlsForced)) return undefined;
  if (mayBeDynamic(model, 'policy', w) || !mayHoldPrivilege(model, w, role, ['select'])) return undefined;
  let pairs: string[] | undefined;
  const policies: Policy[] = [];
  for (const q of activePoliciesWithKey(model, w.key)) {
    if (!q.permissive || (q.command !== 'select' && q.command !== 'all') || !appliesToRole(model, q, role)) continue;
    if (!q.using || constBool(q.using) === false) continue;
    const mine = requiredMembership(model, q, w, m).map((x) => `${x.wCol}\u0000${x.mCol}`);
    pairs = pairs === undefined ? mine : pairs.filter((x) => mine.includes(x));
    if (pairs.length === 0) return undefined;
    policies.push(q);
  }
  return pairs === undefined ? undefined : { pairs, policies };
}

interface FirstRow {
  link: Node;
  w: Table;
  pair: Pair;
  /** the policies of w that show it only to members, for the roles */
  policies: Policy[];
  /** a column of w the sub-select compares with who calls (`w.owner_id = auth.uid()`), if any */
  owner?: string;
}

/** A column of `w` the link's WHERE compares with who calls (`w.owner_id = auth.uid()`), AND-ed. */
function ownerColumn(model: Model, l: Link, keys: readonly string[], w: Table): string | undefined {
  const rv = l.rvs[keys.indexOf(w.key)]!;
  const alias = String(rv.alias?.aliasname ?? rv.relname).toLowerCase();
  for (const c of conjuncts(l.link.subselect?.SelectStmt?.whereClause)) {
    const eq = equality(c);
    if (!eq) continue;
    for (const [a, b] of [eq, [eq[1], eq[0]] as [Node, Node]]) {
      const x = columnRef(a);
      if (x && (x.qual === undefined ? keys.length === 1 : x.qual === alias) && w.columns.includes(x.name) && isIdentity(model, b)) return x.name;
    }
  }
  return undefined;
}

/**
 * A sub-select the insert check `e` of `p` on `m` requires, over a table `w` matched with the new
 * row (`w.id = workspace_id`), where every SELECT policy of `w` for the policy's roles shows a row
 * of `w` only to a user who has a row of `m` for it through that same column: the check passes only
 * for one who already has such a row.
 */
function firstRowNeeded(model: Model, e: PolicyExpr, m: Table, roles: readonly string[], probe: string, fresh: boolean): FirstRow | undefined {
  const links = requiredLinks(e.node);
  for (let li = 0; li < links.length; li++) {
    const l = links[li]!;
    const keys = linkKeys(model, l, probe, fresh);
    for (const k of new Set(keys)) {
      const w = model.tables.get(k);
      if (!w || w === m || !w.rlsEnabled) continue;
      const pairs = newRowPairs(model, l, keys, w, m);
      if (pairs.length === 0) continue;
      const policies: Policy[] = [];
      let common = pairs.map((x) => `${x.wCol}\u0000${x.mCol}`);
      for (let ri = 0; ri < roles.length && common.length; ri++) {
        const r = onlyThroughMembers(model, w, m, roles[ri]!);
        // (a role no row of w is visible to at all, anon of a policy for PUBLIC where w's are for authenticated: its check never passes either)
        if (!r && hiddenFrom(model, w, roles[ri]!)) continue;
        common = r ? common.filter((x) => r.pairs.includes(x)) : [];
        if (r) for (const q of r.policies) if (!policies.includes(q)) policies.push(q);
      }
      if (common.length === 0 || policies.length === 0) continue;
      // (a recursion through either table fails the insert with 42P17 or 54001 first: policy-recursion)
      if (recursionCycles(model).some((c) => c.start.table === m.key || c.start.table === w.key || c.steps.some((s) => s.table === m.key || s.table === w.key || s.reads === m.key || s.reads === w.key))) continue;
      const [wCol, mCol] = common[0]!.split('\u0000') as [string, string];
      const owner = ownerColumn(model, l, keys, w);
      return { link: l.link, w, pair: { wCol, mCol }, policies, ...(owner ? { owner } : {}) };
    }
  }
  return undefined;
}

/** SECURITY DEFINER functions inserting into both tables (a create_workspace() RPC, an AFTER INSERT trigger of `w` adding the membership), by name. */
function definerWriters(model: Model, w: Table, m: Table): string[] {
  const out: string[] = [];
  const triggered = new Set<string>();
  for (const t of w.triggers) if (t.events & TRIGGER_INSERT) triggered.add(t.func);
  for (const f of model.allFunctions()) {
    // (f.writes: the rows it inserts, updates or deletes; a table it only truncates, api.purge()'s
    // TRUNCATE … CASCADE, gets no row from it: in f.truncates alone)
    if (!f.securityDefiner || !f.writes.has(m.key) || !(f.writes.has(w.key) || triggered.has(f.key))) continue;
    const name = `${f.schema}.${f.name}()`;
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

/** The first row of `m` for a row of `w` can never pass the check. */
function firstRow(model: Model, p: Policy, m: Table, x: FirstRow, roles: readonly string[]): Report {
  const who = p.roles.includes('public') ? 'anon and authenticated (it is for PUBLIC)' : roleList(roles);
  const wName = tableName(model, x.w, p.created);
  const mName = tableName(model, m, p.created);
  const form = x.link.subLinkType === 'EXISTS_SUBLINK' ? `EXISTS (SELECT … FROM ${wName} …)` : `… IN (SELECT … FROM ${wName} …)`;
  const names = x.policies.map((q) => `"${q.name}"`).join(', ');
  const writers = definerWriters(model, x.w, m);
  const also = writers.length
    ? ` ${writers.join(' and ')} ${writers.length === 1 ? 'inserts' : 'insert'} into both tables as SECURITY DEFINER: if the first row is made there, this policy is not what admits it, and it admits only users who already have one.`
    : '';
  const one = x.policies.length === 1;
  return {
    ...p.nameLoc,
    message:
      `Policy "${p.name}" on ${mName} is for ${who} and admits a new row only when its sub-select ${form} finds the row of ${wName} whose ${x.pair.wCol} is the new row's ${x.pair.mCol}, ` +
      `but the SELECT ${one ? 'policy' : 'policies'} ${names} of ${wName} ${one ? 'shows' : 'show'} a row of it only to a user who already has a row of ${mName} for it. ` +
      `Row-level security applies inside a policy's sub-selects as in any query of the role, so the check passes only for a user who already has such a row: ` +
      `the first one for a row of ${wName} (e.g. its creator's own) never passes, and an INSERT only this policy would admit fails with 42501 new row violates row-level security policy.${also} ` +
      `Add the first row in a SECURITY DEFINER function (with SET search_path), e.g. an AFTER INSERT trigger on ${wName}, or add a SELECT policy on ${wName} admitting the rows this check needs${x.owner ? ` (those whose ${x.owner} is the caller's, as the sub-select asks)` : ''}.`,
    related: [{ ...x.w.nameLoc, message: `${wName}: rows visible only to users with a row of ${mName} for them` }],
  };
}
