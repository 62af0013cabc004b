// trigger-write-denied: a SECURITY INVOKER trigger function inserts into a table that a role
// whose writes fire the trigger cannot insert into, so those writes fail.
//
// A trigger function runs with the rights of the role whose statement fires it (unless it is
// SECURITY DEFINER). An audit or history trigger that inserts into a log table therefore needs
// every role that writes the audited table to be able to insert into the log: the INSERT
// privilege, and, when the log has row-level security, a permissive INSERT policy admitting
// it. Without them the trigger's INSERT fails with 42501 and takes the user's statement down
// with it (measured on PGlite: test/rules/trigger-write-denied.test.ts). The same when the INSERT
// is in a SECURITY INVOKER function the trigger function calls (`PERFORM write_audit(NEW.id)`),
// through any number of them: they run with the same rights. A SECURITY DEFINER function on the
// way runs as its owner, and stops the chain.
//
// Reported for a role the workspace shows can make the write: it holds the privilege on the
// audited table (granted, or Supabase's default privileges in a Supabase layout) and, when that
// table has RLS, a permissive policy for the command applies to it and may admit its row (not anon's
// where each needs a signed-in user: needsSignedIn). Not reported when the role
// bypasses RLS (for the policy case), when the function may catch the error (an EXCEPTION
// clause) or changes role, when dynamic SQL may create the log's policies, or when the log is
// the audited table itself.
import type { Func, Model, Policy, Table, Trigger } from '../analysis/model.js';
import { memoModel } from '../analysis/policy-exprs.js';
import { functionsFacts, keeper } from './lib/kept.js';
import { neverTrueIn, requiresKeyIn } from '../analysis/unset-context.js';
import { TRIGGER_DELETE, TRIGGER_INSERT, TRIGGER_UPDATE } from '../analysis/model.js';
import { appliesToRole, commandList, coversCommand, onSupabasePlatform, roleList, type Command } from '../analysis/policies.js';
import { privilegesOf, privilegesToken, PSEUDO_ROLES, rolesActingAs, SUPABASE_PLATFORM_GRANTEES } from '../analysis/privileges.js';
import { mayBeDynamic } from '../analysis/dynamic-rls.js';
import type { Loc, Node } from '../analysis/types.js';
import { conjuncts, constValue } from '../analysis/ast.js';
import { sval } from '../analysis/parse.js';
import { defineRule, type Report } from './types.js';
import { admitsInsert, callSite, insertRoute, insertsReached, mayEscape, type ReachedInsert } from './lib/inserts.js';
import { hiddenFrom, requiredSubselects } from './lib/hidden.js';
import { asksRole, calledHelper, returnedExpr } from './policy-always-true.js';
import { authCallOf, bareValue, columnRef, forEachInvokerCallee, insertAfter, mayHoldPrivilege, mayReadAuthUsers, quoteIdent, tableName, usesSchema } from './lib/util.js';
import { listOr } from '../analysis/words.js';

const EVENTS: Array<[number, Command]> = [
  [TRIGGER_INSERT, 'insert'],
  [TRIGGER_UPDATE, 'update'],
  [TRIGGER_DELETE, 'delete'],
];

/** The commands of the trigger's events that `role` can run on `t` (commandsOf). */
function commandsFiring(model: Model, t: Table, tr: Trigger, role: string): Command[] {
  const all = commandsOf(model, t, role);
  return all.length === 0 ? all : all.filter((cmd) => EVENTS.some(([bit, c]) => c === cmd && tr.events & bit));
}

/** The commands `role` can run on `t`: it holds the privilege, and a permissive policy for it applies when RLS is on (once per table and role in a lint: many triggers share them). */
function commandsOf(model: Model, t: Table, role: string): Command[] {
  const byTable = memoModel(model, 'trigger-write-denied:commands', () => new Map<Table, Map<string, Command[]>>());
  let byRole = byTable.get(t);
  if (!byRole) byTable.set(t, (byRole = new Map()));
  let out = byRole.get(role);
  if (!out) byRole.set(role, (out = commandsOfUncached(model, t, role)));
  return out;
}

function commandsOfUncached(model: Model, t: Table, role: string): Command[] {
  const privileges = privilegesOf(model, t, role);
  const out: Command[] = [];
  for (const [, cmd] of EVENTS) {
    if (!privileges.has(cmd)) continue;
    const admitting = t.policies.filter((p) => p.permissive && coversCommand(p, cmd) && appliesToRole(model, p, role));
    if (t.rlsEnabled && admitting.length === 0) continue;
    // (a request without a signed-in user gets no row from policies that need auth.uid(): anon never fires a row trigger there)
    if (t.rlsEnabled && role === 'anon' && admitting.every((p) => needsSignedIn(model, p, cmd))) continue;
    out.push(cmd);
  }
  return out;
}

/**
 * Whether the policy admits no row of anon's, a request without a signed-in user (auth.uid() NULL,
 * the role claim 'anon'): its USING (or, for INSERT, its check) compares a column with auth.uid(),
 * is never true without a user (`auth.uid() IS NOT NULL`), asks for another role (`auth.role() =
 * 'authenticated'`), or requires a row of a sub-select that finds none for anon — one limited to
 * the caller's rows (affiliate-finance-hub's financial_events: `workspace_id IN (SELECT workspace_id
 * FROM workspace_members WHERE user_id = auth.uid())`), or reading a table hidden from anon. Its
 * INSERT is then refused (42501) before an AFTER trigger runs, its UPDATE or DELETE reaches no row.
 */
function needsSignedIn(model: Model, p: Policy, cmd: Command): boolean {
  const expr = cmd === 'insert' ? (p.withCheck ?? (p.command === 'all' ? p.using : undefined)) : p.using;
  return !!expr && falseForAnon(model, expr, cmd, 0);
}

/**
 * Whether a condition admits no row of anon's (needsSignedIn), and an OR where each of its branches
 * admits none — `public.is_service_role() OR user_id = (SELECT auth.uid())`, SixtySecondsApp/use60's
 * activities_insert, where is_service_role() only returns `auth.role() = 'service_role'`: a helper
 * without arguments whose body only returns such a condition is read as that condition.
 */
function falseForAnon(model: Model, expr: Node, cmd: Command, depth: number): boolean {
  if (requiresKeyIn(model, expr, 'auth.uid')) return true;
  if (!onSupabasePlatform(model)) return false;
  if (neverTrueIn(model, expr, 'auth.uid', 'no-user', { mode: cmd === 'insert' ? 'check' : 'filter' })) return true;
  if (conjuncts(expr).some(asksAnotherRole)) return true;
  if (depth < 3) {
    const or = expr.BoolExpr?.boolop === 'OR_EXPR' ? (expr.BoolExpr.args as Node[]) : undefined;
    if (or?.length && or.every((a) => falseForAnon(model, a, cmd, depth + 1))) return true;
    const f = bareValue(expr)?.FuncCall ? calledHelper(model, expr, 0) : undefined;
    const e = f && returnedExpr(model, f);
    if (e && falseForAnon(model, e, cmd, depth + 1)) return true;
  }
  return requiredSubselects(model, expr, '', true).some(({ link, tables }) => {
    const sel = link.subselect?.SelectStmt;
    return plainRows(sel) && ((!!sel.whereClause && requiresKeyIn(model, sel.whereClause, 'auth.uid')) || tables.some((u) => !!hiddenFrom(model, u, 'anon')));
  });
}

/** `auth.role() = 'authenticated'` (or on `auth.jwt() ->> 'role'`, or `IN (…)` without 'anon'): false for anon's requests, whose role claim is 'anon'. */
function asksAnotherRole(c: Node): boolean {
  const x = c?.A_Expr;
  if (!x || x.name?.length !== 1 || sval(x.name[0]) !== '=') return false;
  const named = (v: Node) => constValue(bareValue(v));
  if (x.kind === 'AEXPR_OP') {
    const [ask, lit] = asksRole(x.lexpr) ? [x.lexpr, x.rexpr] : [x.rexpr, x.lexpr];
    const v = named(lit);
    return asksRole(ask) && typeof v === 'string' && v !== 'anon';
  }
  const items: Node[] | undefined = x.rexpr?.List?.items;
  return x.kind === 'AEXPR_IN' && asksRole(x.lexpr) && !!items?.length && items.every((v) => typeof named(v) === 'string' && named(v) !== 'anon');
}

/** A SELECT whose rows are rows of its FROM (no aggregate, grouping or set operation): it finds none where they find none (`SELECT count(*)` finds one). */
function plainRows(sel: Node): boolean {
  if (!sel || sel.groupClause || sel.havingClause || (sel.op && sel.op !== 'SETOP_NONE')) return false;
  return ((sel.targetList as Node[] | undefined) ?? []).every((t) => {
    let v = t?.ResTarget?.val;
    while (v?.TypeCast) v = v.TypeCast.arg;
    return !!v && (!!v.ColumnRef || !!v.A_Const);
  });
}

/**
 * Roles that write `t` as the workspace shows: roles its policies are written for (named in a TO
 * list of the workspace's policies), or Supabase's API roles, granted on it (or by Supabase's
 * default privileges in a Supabase layout). A role merely covered by a blanket grant
 * (`GRANT ALL ON ALL TABLES IN SCHEMA public TO supabase_auth_admin`) is not taken to write it.
 */
function writers(model: Model, t: Table): string[] {
  const kept = memoModel(model, 'trigger-write-denied:writers', () => new Map<Table, string[]>());
  let list = kept.get(t);
  if (!list) kept.set(t, (list = writersUncached(model, t)));
  return list;
}

function writersUncached(model: Model, t: Table): string[] {
  // (the API roles, a role the table's policies name, or one any policy names: asked in that order, the last one lint-wide)
  const subject = (r: string) =>
    r === 'anon' ||
    r === 'authenticated' ||
    t.policies.some((p) => p.roles.includes(r)) ||
    memoModel(model, 'trigger-write-denied:subjects', (m) => {
      const out = new Set<string>();
      for (const p of m.policies) for (const x of p.roles) if (x !== 'public' && !PSEUDO_ROLES.has(x)) out.add(x);
      return out;
    }).has(r);
  const out = new Set<string>();
  for (const r of t.grants.keys()) if (!PSEUDO_ROLES.has(r) && subject(r)) out.add(r);
  if (model.supabase && t.schema === 'public') for (const r of SUPABASE_PLATFORM_GRANTEES) out.add(r);
  return [...out].filter((r) => !model.roles.get(r)?.superuser && t.owner?.role !== r);
}

/** Why `role` cannot insert into `log`: no privilege, or RLS with no policy admitting it; undefined when it can (as far as the migrations say). Once per table and role in a lint. */
function denial(model: Model, log: Table, role: string): 'privilege' | 'policy' | undefined {
  const byTable = memoModel(model, 'trigger-write-denied:denial', () => new Map<Table, Map<string, 'privilege' | 'policy' | undefined>>());
  let byRole = byTable.get(log);
  if (!byRole) byTable.set(log, (byRole = new Map()));
  if (!byRole.has(role)) byRole.set(role, denialUncached(model, log, role));
  return byRole.get(role);
}

function denialUncached(model: Model, log: Table, role: string): 'privilege' | 'policy' | undefined {
  if (!mayHoldPrivilege(model, log, role, ['insert'])) return 'privilege';
  if (!log.rlsEnabled || model.roleBypassesRls(role) === true) return undefined;
  if (log.owner?.role === role && !log.rlsForced) return undefined;
  if (log.policies.some((p) => admitsInsert(model, p, role))) return undefined;
  if (mayBeDynamic(model, 'policy', log)) return undefined;
  return 'policy';
}

/** What pinnedOut finds: the column, the value written there and the table it is looked up from, and a policy tying the column. */
interface Pinned {
  column: string;
  value: string;
  from: string;
  policy: string;
}

/**
 * Why the rows an INSERT of the trigger writes are refused though policies admit `role`: every
 * permissive INSERT policy admitting it pins a column to the caller (`user_id = auth.uid()`), and
 * the INSERT writes there a value looked up from another table (workover's notify_host_new_review:
 * `SELECT s.host_id INTO v_host FROM spaces s …`, then `INSERT INTO user_notifications (user_id, …)
 * VALUES (v_host, …)`), in general another user than the caller. Undefined otherwise.
 */
function pinnedOut(model: Model, f: Func, log: Table, ins: { node: Node }, role: string): Pinned | undefined {
  if (!log.rlsEnabled || model.roleBypassesRls(role) === true || (log.owner?.role === role && !log.rlsForced) || mayBeDynamic(model, 'policy', log)) return undefined;
  const admitting = log.policies.filter((p) => admitsInsert(model, p, role));
  if (admitting.length === 0) return undefined;
  let found: Pinned | undefined;
  for (const p of admitting) {
    const column = pinnedColumn(p.withCheck ?? p.using);
    const v = column ? lookedUp(f, valueOf(ins.node, column)) : undefined;
    // (each ties the same column: the message names it for all)
    if (!column || !v || (found && found.column !== column)) return undefined;
    found ??= { column, value: v.value, from: v.from, policy: p.name };
  }
  return found;
}

/** The column a check ties to the caller with an AND-ed `col = auth.uid()` (bare, cast or in a sub-select). */
function pinnedColumn(check: Node | undefined): string | undefined {
  for (const c of conjuncts(check)) {
    const e = c?.A_Expr;
    if (!e || e.kind !== 'AEXPR_OP' || sval(e.name?.[0]) !== '=') continue;
    for (const [a, b] of [[e.lexpr, e.rexpr], [e.rexpr, e.lexpr]] as Array<[Node, Node]>) {
      const col = columnRef(a)?.name;
      if (col && authCallOf(b) === 'uid') return col;
    }
  }
  return undefined;
}

/** The value an INSERT … (cols) VALUES (…) writes in `column` (one row), if written so. */
function valueOf(ins: Node, column: string): Node | undefined {
  const cols: Node[] = ins?.cols ?? [];
  const rows: Node[] | undefined = ins?.selectStmt?.SelectStmt?.valuesLists;
  const i = cols.findIndex((c) => c?.ResTarget?.name === column);
  if (i < 0 || rows?.length !== 1) return undefined;
  return rows[0]?.List?.items?.[i];
}

/** A value looked up from a table: a variable every assignment of which is `SELECT col INTO v FROM t …`, or `(SELECT col FROM t …)`: its text and the table. */
function lookedUp(f: Func, v: Node | undefined): { value: string; from: string } | undefined {
  const fromOf = (sel: Node): string | undefined => {
    const from: Node[] | undefined = sel?.fromClause;
    const rv = from?.length === 1 ? from[0]?.RangeVar : undefined;
    const target: Node = sel?.targetList?.[0]?.ResTarget?.val;
    if (!rv || sel.targetList?.length !== 1 || !target?.ColumnRef || authCallOf(target)) return undefined;
    return rv.schemaname ? `${rv.schemaname}.${rv.relname}` : String(rv.relname);
  };
  const sub = v?.SubLink?.subLinkType === 'EXPR_SUBLINK' ? v.SubLink.subselect?.SelectStmt : undefined;
  if (sub) {
    const from = fromOf(sub);
    return from ? { value: 'a sub-select', from } : undefined;
  }
  const name = columnRef(v)?.name;
  if (!name || columnRef(v)?.qual !== undefined) return undefined;
  const assigns = (f.body?.statements ?? []).filter((s) => s.assigns?.includes(name));
  if (assigns.length === 0) return undefined;
  let from: string | undefined;
  for (const s of assigns) {
    const t = s.kind === 'SelectStmt' && s.assigns!.length === 1 ? fromOf(s.node) : undefined;
    if (!t || (from !== undefined && from !== t)) return undefined;
    from = t;
  }
  return from ? { value: name, from } : undefined;
}

/** A SECURITY INVOKER PL/pgSQL trigger function that writes a table, or calls a function that may. */
const candidateFunction = (f: Func) => !f.securityDefiner && f.returnsTrigger && f.language === 'plpgsql' && !!f.body && (f.writes.size !== 0 || f.calls.size !== 0);

interface Firing {
  trigger: Trigger;
  table: Table;
  role: string;
  commands: Command[];
}

/**
 * The tables a function writes with its caller's rights: its own writes and those of the invoker
 * functions it calls (forEachInvokerCallee), each once. Kept on the function while calls resolve
 * the same (functionsToken): the bench's 2,234 trigger functions were each walked at every lint.
 */
function writtenAsInvoker(model: Model, f: Func): readonly string[] {
  const facts = functionsFacts(model);
  const kept = writtenKept.get(model, f, facts);
  if (kept !== undefined) return kept.value;
  const out = new Set<string>(f.writes);
  if (f.calls.size !== 0) forEachInvokerCallee(model, f, (g) => g.writes.forEach((k) => out.add(k)));
  return writtenKept.set(f, facts, undefined, out.size === 0 ? NO_KEYS : [...out]).value;
}
const writtenKept = keeper<Func, readonly string[]>();
const NO_KEYS: readonly string[] = [];

/**
 * The tables the candidate functions a trigger executes (candidateFunction: invoker PL/pgSQL
 * trigger functions) write with the caller's rights, each once; kept on the trigger while calls
 * resolve the same (functionsToken). The bench's 2,234 triggers each had their functions looked up
 * and asked at every re-lint.
 */
function logsOf(model: Model, tr: Trigger): readonly string[] {
  const facts = functionsFacts(model);
  const kept = logsKept.get(model, tr, facts);
  if (kept !== undefined) return kept.value;
  let out: string[] | undefined;
  const list = model.functions.get(tr.func);
  if (list !== undefined) {
    for (let i = 0; i < list.length; i++) {
      const f = list[i]!;
      if (!candidateFunction(f)) continue;
      const keys = writtenAsInvoker(model, f);
      for (let j = 0; j < keys.length; j++) {
        const k = keys[j]!;
        if (out === undefined) out = [k];
        else if (!out.includes(k)) out.push(k);
      }
    }
  }
  return logsKept.set(tr, facts, undefined, out ?? NO_KEYS).value;
}
const logsKept = keeper<Trigger, readonly string[]>();

/**
 * The roles mayDeny asks about: the API roles and every role granted anything on a table a trigger
 * is on (PUBLIC and other pseudo-roles aside). Kept while what privileges.ts answers is the same
 * (privilegesToken: the grant events, default privileges and roles, from which the tables' grants
 * are made) and the triggers are on the same tables, in order: the bench's 2,234 triggered tables'
 * grants were gone through at every re-lint.
 */
function candidateRoles(model: Model): readonly string[] {
  const token = privilegesToken(model);
  const triggers = model.triggers;
  const last = lastCandidates;
  if (last !== undefined && last.token === token && last.tables.length === triggers.length) {
    let same = true;
    for (let i = 0; i < triggers.length && same; i++) same = triggers[i]!.table === last.tables[i];
    if (same) return last.roles;
  }
  const all = new Set<string>(SUPABASE_PLATFORM_GRANTEES);
  const tables: string[] = new Array(triggers.length);
  for (let i = 0; i < triggers.length; i++) {
    tables[i] = triggers[i]!.table;
    const t = model.tables.get(triggers[i]!.table);
    if (t) t.grants.forEach((_, r) => all.add(r));
  }
  const roles = [...all].filter((r) => !PSEUDO_ROLES.has(r));
  lastCandidates = { token, tables, roles };
  return roles;
}
let lastCandidates: { token: object; tables: string[]; roles: readonly string[] } | undefined;

export const triggerWriteDenied = defineRule({
  meta: {
    id: 'trigger-write-denied',
    description: 'A SECURITY INVOKER trigger function inserts into a table that a role whose writes fire the trigger cannot insert into (no INSERT privilege, or row-level security with no INSERT policy for it).',
    severity: 'error',
    category: 'correctness',
    fixKind: 'unsafe',
    guards:
      "A trigger function runs with the rights of the role whose statement fires it: when that role cannot insert into the audit or history table the trigger writes, its INSERT fails with 42501 and every write that fires the trigger fails with it.",
  },
  check({ model, report }) {
    // (the roles granted on a triggered table, and the API roles: a log none of them may be refused is left at once)
    let candidates: readonly string[] | undefined;
    const deniable = new Map<string, boolean>();
    const mayDeny = (logKey: string): boolean => {
      let v = deniable.get(logKey);
      if (v === undefined) {
        const log = model.tables.get(logKey);
        candidates ??= candidateRoles(model);
        // (or one whose INSERT policies tie a column to the caller: pinnedOut)
        v = !!log && !log.temp && (candidates.some((r) => denial(model, log, r) !== undefined) || (log.rlsEnabled && log.policies.some((p) => (p.command === 'insert' || p.command === 'all') && !!pinnedColumn(p.withCheck ?? p.using))));
        deniable.set(logKey, v);
      }
      return v;
    };
    // the triggers that may matter: those executing an invoker PL/pgSQL trigger function that
    // writes a log that may refuse a writer (logsOf: what its functions write, kept on the trigger)
    const byFunc = new Map<string, Trigger[]>();
    for (let i = 0; i < model.triggers.length; i++) {
      const tr = model.triggers[i]!;
      const logs = logsOf(model, tr);
      let v = false;
      for (let j = 0; j < logs.length && !v; j++) v = mayDeny(logs[j]!);
      if (!v) continue;
      const list = byFunc.get(tr.func);
      if (list) list.push(tr);
      else byFunc.set(tr.func, [tr]);
    }
    for (const [key, triggers] of byFunc) {
      for (const f of model.functions.get(key) ?? []) {
        if (!candidateFunction(f) || mayEscape(model, f)) continue;
        const inserts = insertsReached(model, f);
        const firings: Firing[] = [];
        for (const tr of triggers) {
          const t = model.tables.get(tr.table);
          if (!t) continue;
          for (const role of writers(model, t)) {
            const commands = commandsFiring(model, t, tr, role);
            if (commands.length) firings.push({ trigger: tr, table: t, role, commands });
          }
        }
        if (firings.length === 0) continue;
        const seen = new Set<string>();
        for (const ins of inserts) {
          if (seen.has(ins.table)) continue;
          // (a function on the way may catch the error, or change role: as the trigger function's own)
          if (ins.chain.length > 1 && ins.chain.some((g, i) => i > 0 && mayEscape(model, g))) continue;
          seen.add(ins.table);
          const log = model.tables.get(ins.table);
          if (!log || log.temp) continue;
          const denied: Denied[] = [];
          for (const x of firings) {
            if (x.table === log) continue;
            const why = denial(model, log, x.role);
            if (why) denied.push({ ...x, why });
            else {
              const pinned = pinnedOut(model, ins.func, log, ins, x.role);
              if (pinned) denied.push({ ...x, why: 'pinned', pinned });
            }
          }
          if (denied.length === 0) continue;
          // (an INSERT reached through a call: reported at the trigger function's call, where the fix goes)
          const at = ins.chain.length > 1 ? (callSite(model, f, ins.chain[1]!) ?? ins.loc) : ins.loc;
          reportDenied(model, f, log, ins, at, denied, report);
        }
      }
    }
  },
});

type Denied = Firing & ({ why: 'privilege' | 'policy' } | { why: 'pinned'; pinned: Pinned });

function reportDenied(model: Model, f: Func, log: Table, ins: ReachedInsert, at: Loc, denied: Denied[], report: (r: Report) => void): void {
  const roles = [...new Set(denied.map((d) => d.role))];
  // (through SECURITY INVOKER functions it calls: each named, from the trigger function to the log)
  const via = ins.chain.slice(1);
  const through = `it ${insertRoute(ins, log.key, 'with the same rights')}`;
  const byPrivilege = denied.filter((d) => d.why === 'privilege').map((d) => d.role);
  const byPolicy = denied.filter((d) => d.why === 'policy').map((d) => d.role);
  const writes = [...new Set(denied.map((d) => `${commandList(d.commands)} on ${d.table.key} (trigger ${d.trigger.name})`))];
  const reasons: string[] = [];
  if (byPrivilege.length) {
    const who = [...new Set(byPrivilege)];
    // (without USAGE on the log's schema PostgreSQL stops at the schema: 42501 for it, or 42P01 where the name is unqualified and the schema is skipped on the search_path)
    const noUsage = log.schema !== 'public' && who.every((r) => !rolesActingAs(model, r).some((x) => usesSchema(model, log.schema, x)));
    const error = noUsage ? `42501 permission denied for schema ${log.schema}, or 42P01 relation "${log.name}" does not exist where the name is unqualified: the role has no USAGE on the schema either` : `42501 permission denied for table ${log.name}`;
    reasons.push(`${roleList(who)} ${who.length === 1 ? 'has' : 'have'} no INSERT privilege on it (${error})`);
  }
  if (byPolicy.length) reasons.push(`it has row-level security and no permissive INSERT policy admits ${roleList([...new Set(byPolicy)])} (42501 new row violates row-level security policy for table "${log.name}")`);
  const pins = denied.filter((d): d is Firing & { why: 'pinned'; pinned: Pinned } => d.why === 'pinned');
  if (pins.length) {
    const pin = pins[0]!.pinned;
    const who = [...new Set(pins.map((d) => d.role))];
    reasons.push(
      `every permissive INSERT policy admitting ${roleList(who)} requires ${pin.column} = auth.uid() (e.g. "${pin.policy}"), but the row it writes puts ${pin.value}, looked up from ${pin.from}, in ${pin.column}, ` +
        `in general another user than the one whose statement fires the trigger: such a row is refused (42501 new row violates row-level security policy for table "${log.name}")`,
    );
  }
  // (a table the body also reads that the roles may not read: auth.users on Supabase, paynless'
  // invite trigger; that read fails too, so letting the roles insert is not enough)
  const reads = new Set<string>();
  for (const g of ins.chain) g.reads.forEach((k) => reads.add(k));
  const unreadable = [...reads].filter((k) => {
    if (k === log.key) return false;
    if (k === 'auth.users' && model.supabase) return roles.every((r) => !mayReadAuthUsers(model, r));
    const t = model.tables.get(k);
    return !!t && roles.every((r) => !mayHoldPrivilege(model, t, r, ['select']));
  });
  const path = [...new Set([f.schema, ...via.map((g) => g.schema), log.schema, 'public'])].map(quoteIdent).join(', ');
  const statements = [`ALTER FUNCTION ${f.signature} SECURITY DEFINER SET search_path = ${path}, pg_temp;`];
  // (a log whose RLS is forced binds its owner too: the function's owner then needs a policy, as definer-trigger-blocked-by-force-rls says)
  const ownerBypasses = f.owner?.role ? model.roleBypassesRls(f.owner.role) === true : model.assumeUnknownOwnerBypassesRls;
  if (log.rlsEnabled && log.rlsForced && !ownerBypasses && !log.policies.some((p) => admitsInsert(model, p, f.owner?.role))) {
    const to = f.owner?.role ? quoteIdent(f.owner.role) : 'CURRENT_USER';
    statements.push(`CREATE POLICY ${quoteIdent(`${log.name}_insert_from_trigger`)} ON ${tableName(model, log)} FOR INSERT TO ${to}\n  WITH CHECK (pg_trigger_depth() > 0);`);
  }
  const ownersToo = via.length ? `, and ${listOr(via.map((g) => g.signature), 'and')} ${via.length === 1 ? 'runs' : 'run'} with them too` : '';
  const inside = via.length ? 'them' : 'it';
  // (who to record instead of current_user, the owner there: on Supabase session_user is the role
  // PostgREST logs in as for every request; elsewhere the login role, the user only where each logs in as one)
  const actor = onSupabasePlatform(model) ? 'auth.uid()' : 'session_user, the login role, which is the user only where each user logs in as a role of their own,';
  report({
    file: at.file,
    start: at.start,
    end: at.end,
    message:
      `Trigger function ${f.signature} is SECURITY INVOKER, so it runs with the rights of the role whose statement fires it, and ${through}, ${pins.length === denied.length ? `rows ${roleList(roles)} may not insert` : `which ${roleList(roles)} cannot insert into`}: ${reasons.join('; and ')}. ` +
      `So each ${writes.join(', ')} by ${roleList(roles)} that reaches this ${via.length ? 'call' : 'INSERT'}${pins.length === denied.length ? ' with such a row' : ''} fails, and the write is rolled back with it. ` +
      (unreadable.length
        ? `It also reads ${unreadable.join(', ')}, which ${roleList(roles)} may not read (42501 permission denied for table ${unreadable[0]!.split('.').pop()}): that read fails as well, so letting the ${roles.length === 1 ? 'role' : 'roles'} insert into ${log.key} is not enough. ` +
          `Make the function SECURITY DEFINER with a fixed search_path, so it reads and inserts with its owner's rights${ownersToo} (current_user inside ${inside} is then the owner: record ${actor} or the row's own columns instead).`
        : `Make the function SECURITY DEFINER with a fixed search_path, so the row is inserted with its owner's rights${ownersToo} (current_user inside ${inside} is then the owner: record ${actor} or the row's own columns instead), or let the ${roles.length === 1 ? 'role' : 'roles'} insert: ` +
          `${byPrivilege.length ? `GRANT INSERT ON ${tableName(model, log)} TO ${[...new Set(byPrivilege)].map(quoteIdent).join(', ')}` : ''}${byPrivilege.length && (byPolicy.length || log.rlsEnabled) ? ' and ' : ''}${byPolicy.length || log.rlsEnabled ? `an INSERT policy for ${roleList(roles)} (WITH CHECK (pg_trigger_depth() > 0) admits the trigger's rows and refuses direct inserts)` : ''}.`),
    fixes: [
      {
        title: `Make trigger function ${f.signature} SECURITY DEFINER (SET search_path = ${path}, pg_temp): it inserts into ${log.key}${via.length ? ` (through ${listOr(via.map((g) => g.signature), 'and')})` : ''} with its owner's rights${statements.length > 1 ? `, and add an INSERT policy for its owner on ${log.key}, whose RLS is forced` : ''}`,
        kind: 'unsafe',
        edits: [insertAfter(model, f.created, statements)],
      },
    ],
  });
}
