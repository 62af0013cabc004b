import { constValue, disjuncts, stringConst, TEXT_TYPES, typeName } from '../analysis/ast.js';
import type { Model, Policy } from '../analysis/model.js';
import { appSetting, onSupabasePlatform } from '../analysis/policies.js';
import { nameParts, sqlOneLine, sval } from '../analysis/parse.js';
import { activeRows, activeRowsWith, BODY_CURRENT_SETTING, bodyFlags, exprClauseSpan, FLAG_CALL_OUTSIDE_SELECT, FLAG_CONST_ARG_CALL, memoModel, textOfFile, type PolicyExpr, type PolicyRow } from '../analysis/policy-exprs.js';
import type { Node } from '../analysis/types.js';
import { listOr } from '../analysis/words.js';
import { calledHelper, returnedExpr } from './policy-always-true.js';
import { defineRule, type Edit, type Fix } from './types.js';
import { locateParts, type Part } from './lib/clause-parts.js';
import { contextKeys } from '../analysis/unset-context.js';
import { API_ROLES, removeStatement } from './lib/util.js';

/** A switch: a condition true for every row once a custom setting holds a value. */
interface Switch {
  setting: string;
  value: string;
  /** the current_setting() call (its location: where the finding goes) */
  call: Node;
  /** the branch the switch is (its location: the start of the text quoted) */
  branch: Node;
}

/**
 * The custom setting an expression is the value of: `current_setting('app.x'[, true])`, under
 * casts to text, lower()/upper()/btrim(), coalesce(…, '…') and nullif(…, '…'), bare or in a
 * scalar sub-select of its own; a setting the application sets (appSetting: a built-in one has
 * no dot, and most cannot be set at all: is_superuser, session_authorization's value).
 */
function settingOf(n: Node, depth = 0): { setting: string; call: Node } | undefined {
  if (!n || depth > 6) return undefined;
  if (n.TypeCast) return TEXT_TYPES.has(typeName(n.TypeCast.typeName)) ? settingOf(n.TypeCast.arg, depth + 1) : undefined;
  const sub = n.SubLink?.subLinkType === 'EXPR_SUBLINK' ? n.SubLink.subselect?.SelectStmt : undefined;
  if (sub) return sub.targetList?.length === 1 && !sub.fromClause && !sub.whereClause ? settingOf(sub.targetList[0]?.ResTarget?.val, depth + 1) : undefined;
  if (n.CoalesceExpr) {
    const [a, ...rest] = (n.CoalesceExpr.args ?? []) as Node[];
    return rest.every((r) => stringConst(r) !== undefined) ? settingOf(a!, depth + 1) : undefined;
  }
  // (NULLIF is an A_Expr of its own kind)
  if (n.A_Expr?.kind === 'AEXPR_NULLIF') return stringConst(n.A_Expr.rexpr) !== undefined ? settingOf(n.A_Expr.lexpr, depth + 1) : undefined;
  const c = n.FuncCall;
  if (!c) return undefined;
  const name = nameParts(c.funcname);
  const fn = name[name.length - 1]?.toLowerCase();
  if (name.length > 2 || (name.length === 2 && name[0]!.toLowerCase() !== 'pg_catalog')) return undefined;
  const args = (c.args ?? []) as Node[];
  if (fn === 'current_setting' && (args.length === 1 || args.length === 2)) {
    const s = stringConst(args[0]!);
    return s !== undefined && appSetting(s) ? { setting: s, call: n } : undefined;
  }
  // (COALESCE is a CoalesceExpr, above; trim(x) is pg_catalog.btrim)
  if ((fn === 'lower' || fn === 'upper' || fn === 'btrim') && args.length === 1) return settingOf(args[0]!, depth + 1);
  return undefined;
}

const unCast = (n: Node): Node => {
  let e = n;
  while (e?.TypeCast) e = e.TypeCast.arg;
  return e;
};

/** A value the setting can be given that makes a comparison true: a non-empty literal (`''` is the unset state, policy-context-fails-open's). */
function settable(v: unknown): string | undefined {
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (typeof v === 'number' || v === true) return String(v);
  return undefined;
}

/**
 * Whether a condition is true for every row when some custom settings hold some values, and
 * reads nothing else: `current_setting('app.bypass_rls', true) = 'on'`, `… IN ('on', 'true')`,
 * `current_setting('app.is_admin')::boolean` (`IS TRUE`, `= true`), an AND of such conditions,
 * or a call of a boolean helper whose body only returns one (`SELECT current_setting(…) = 'on'`).
 */
function switchOf(model: Model, n: Node, depth = 0): Switch | undefined {
  if (!n || depth > 3) return undefined;
  const b = n.BoolExpr;
  if (b?.boolop === 'AND_EXPR') {
    const parts = (b.args as Node[]).map((a) => switchOf(model, a, depth));
    return parts.every(Boolean) ? { ...parts[0]!, branch: n } : undefined;
  }
  if (b) return undefined;
  const x = n.A_Expr;
  const op = x?.name?.length === 1 ? sval(x.name[0]) : undefined;
  if (x && op === '=' && x.kind === 'AEXPR_OP') {
    for (const [s, v] of [
      [x.lexpr, x.rexpr],
      [x.rexpr, x.lexpr],
    ] as Array<[Node, Node]>) {
      const found = settingOf(s);
      const value = settable(constValue(unCast(v)));
      if (found && value !== undefined) return { ...found, value, branch: n };
      // (`current_setting(…)::boolean = true`)
      const asBool = s?.TypeCast && typeName(s.TypeCast.typeName) === 'boolean' ? settingOf(s.TypeCast.arg) : undefined;
      if (asBool && constValue(unCast(v)) === true) return { ...asBool, value: 'on', branch: n };
    }
    return undefined;
  }
  if (x && op === '=' && x.kind === 'AEXPR_IN') {
    const found = settingOf(x.lexpr);
    const values = ((x.rexpr?.List?.items ?? x.rexpr ?? []) as Node[]).map((v) => settable(constValue(unCast(v))));
    const value = values.find((v) => v !== undefined);
    return found && value !== undefined ? { ...found, value, branch: n } : undefined;
  }
  if (n.TypeCast && typeName(n.TypeCast.typeName) === 'boolean') {
    const found = settingOf(n.TypeCast.arg);
    return found ? { ...found, value: 'on', branch: n } : undefined;
  }
  if (n.BooleanTest?.booltesttype === 'IS_TRUE') {
    const inner = switchOf(model, n.BooleanTest.arg, depth);
    return inner && { ...inner, branch: n };
  }
  // (a scalar sub-select of its own: `(select current_setting('app.bypass', true) = 'on')`)
  const sub = n.SubLink?.subLinkType === 'EXPR_SUBLINK' ? n.SubLink.subselect?.SelectStmt : undefined;
  if (sub) {
    const inner = sub.targetList?.length === 1 && !sub.fromClause && !sub.whereClause ? switchOf(model, sub.targetList[0]?.ResTarget?.val, depth + 1) : undefined;
    return inner && { ...inner, branch: n };
  }
  if (n.FuncCall) {
    const f = calledHelper(model, n, 0);
    const e = f && returnedExpr(model, f);
    const inner = e ? switchOf(model, e, depth + 1) : undefined;
    // (the helper's expression is in its own file: the finding goes on the call, the text quoted is the call's)
    return inner && { ...inner, call: n, branch: n };
  }
  return undefined;
}

/** The commands a clause admits rows for, by the policy's command. */
function commandsOf(p: Policy, clause: PolicyExpr['clause'], hasCheck: boolean): string[] {
  const all = p.command === 'all';
  if (clause === 'check') return all ? ['INSERT', 'UPDATE'] : [p.command.toUpperCase()];
  if (all) return hasCheck ? ['SELECT', 'UPDATE', 'DELETE'] : ['SELECT', 'INSERT', 'UPDATE', 'DELETE'];
  // (an UPDATE policy's USING is its WITH CHECK too when it has none)
  return p.command === 'update' && !hasCheck ? ['UPDATE (old and new rows)'] : [p.command.toUpperCase()];
}

const ORDER = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'];
const byCommand = (a: string, b: string): number => ORDER.indexOf(a.split(' ')[0]!) - ORDER.indexOf(b.split(' ')[0]!);
const quoted = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** A policy with a switch: its switch branches (by the OR branch node, disjuncts()), the first of them and its clause, the roles it applies to that do not bypass RLS. */
export interface SettingSwitch {
  row: PolicyRow;
  s: Switch;
  e: PolicyExpr;
  roles: string[];
  /** every switch branch of the policy's clauses */
  switches: ReadonlyMap<Node, Switch>;
}

/**
 * The active permissive policies with a switch on a custom setting (see switchOf), in model order
 * (per model): this rule's findings, and what session-context-not-local says a session-level
 * value of the setting opens.
 */
export function settingSwitches(model: Model): readonly SettingSwitch[] {
  return memoModel(model, 'rules:settingSwitches', () => {
    // (a switch calls current_setting() with a literal, or a helper outside any SELECT whose body
    // reads a setting: only asked when some function body of the workspace does. The bench's
    // policies call no function with a literal, its functions read no setting, and the 2,235
    // policies calling auth.uid() outside a SELECT cost ≈ 4 ms a re-lint when asked)
    const out: SettingSwitch[] = [];
    const seen = new Set<object>();
    const flags = bodyFlags(model) & BODY_CURRENT_SETTING ? [FLAG_CONST_ARG_CALL, FLAG_CALL_OUTSIDE_SELECT] : [FLAG_CONST_ARG_CALL];
    for (const flag of flags) {
      for (const row of activeRowsWith(model, flag)) {
        if (seen.has(row)) continue;
        seen.add(row);
        const p = row.policy;
        if (!p.permissive) continue;
        const roles = p.roles.filter((r) => r === 'public' || !model.roleBypassesRls(r));
        if (roles.length === 0) continue;
        // (Supabase's API roles: a client of its API cannot run SET; what reaches the database is PostgREST's own SET of request.*)
        if (onSupabasePlatform(model) && roles.every((r) => r === 'public' || API_ROLES.includes(r))) continue;
        const switches = new Map<Node, Switch>();
        let first: { s: Switch; e: PolicyExpr } | undefined;
        for (const e of row.exprs) {
          for (const br of disjuncts(e.node)) {
            const s = switchOf(model, br);
            if (!s) continue;
            switches.set(br, s);
            first ??= { s, e };
          }
        }
        if (first) out.push({ row, ...first, roles, switches });
      }
    }
    // (in model order, whichever flag found them: each list is; the second's few rows merged in)
    if (flags.length === 1 || out.length < 2) return out;
    const found = new Set<PolicyRow>(out.map((x) => x.row));
    const at = new Map<PolicyRow, number>();
    activeRows(model).forEach((r, i) => found.has(r) && at.set(r, i));
    return out.sort((a, b) => at.get(a.row)! - at.get(b.row)!);
  });
}

/** The commands for which the policy's switches admit every row (`UPDATE (old and new rows)` for an UPDATE policy's USING without WITH CHECK), in SELECT, INSERT, UPDATE, DELETE order. */
export function switchCommands({ row, switches }: SettingSwitch): string[] {
  const cmds = row.exprs.filter((x) => disjuncts(x.node).some((br) => switches.has(br))).flatMap((x) => commandsOf(row.policy, x.clause, !!row.check));
  return [...new Set(cmds)].sort(byCommand);
}

/** A clause's OR branches located in its text (clause-parts.ts), or undefined where it is no OR or the text and the tree disagree. */
function armsOf(model: Model, e: PolicyExpr): Part[] | undefined {
  const clause = e.node?.BoolExpr?.boolop === 'OR_EXPR' ? exprClauseSpan(model, e) : undefined;
  const arms = clause && locateParts(textOfFile(model, e.file), { start: clause.start + 1, end: clause.end - 1 }, e.node, 'OR_EXPR');
  return arms && arms.length > 1 ? arms : undefined;
}

/** A branch's text on one line (comments out), at most `max` characters. */
function armText(model: Model, e: PolicyExpr, a: Part, max: number): string {
  const t = sqlOneLine(textOfFile(model, e.file).slice(a.span.start, a.span.end));
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

export const policySettingBypass = defineRule({
  meta: {
    id: 'policy-setting-bypass',
    description: 'A permissive policy admits every row when a custom setting holds a value (current_setting(\'app.bypass_rls\', true) = \'on\' OR …): a switch every role can turn on.',
    severity: 'warning',
    category: 'security',
    fixKind: 'unsafe',
    guards:
      'Any role may SET a custom setting or call set_config() on it — no privilege is needed and REVOKE SET ON PARAMETER does not stop it — so a policy branch that only reads a setting lets any SQL running as the policy\'s roles turn the table\'s row-level security off for itself.',
    shownBy: { exposure: 'setting-switch' },
  },
  check({ model, report }) {
    for (const sw of settingSwitches(model)) {
      const { row, s, e, roles, switches } = sw;
      const p = row.policy;
      const text = textOfFile(model, e.file);
      const start = s.call.FuncCall?.location ?? s.branch.location ?? 0;
      const name = /^[\w.]+/.exec(text.slice(start))?.[0] ?? 'current_setting';
      const whole = e.node === s.branch;
      const arm = whole ? undefined : armsOf(model, e)?.find((a) => a.node === s.branch);
      const cmds = switchCommands(sw);
      const who = roles.includes('public') ? 'any role (the policy has no TO, or TO PUBLIC)' : listOr(roles, 'or');
      // (the context setting beside it is trusted the same way: what the switch adds is all of it at once)
      const context = contextBeside(model, row, s.setting);
      report({
        file: e.file,
        start,
        end: start + name.length,
        fixes: dropFix(model, sw),
        message:
          `Policy "${p.name}" on ${p.table} admits every row for ${listOr(cmds, 'and')} when the session sets ${s.setting} = ${quoted(s.value)}` +
          `${whole ? " (the policy's whole condition)" : arm ? ` (\`${armText(model, e, arm, 120)}\`, a branch of its OR)` : ' (a branch of its OR)'}: a custom setting is not a privilege. ` +
          'Any role may SET it or call set_config() on it — no GRANT is needed, and REVOKE SET ON PARAMETER does not stop it — ' +
          `so any SQL that runs as ${who} turns this table's row-level security off for itself${cmds.length < ORDER.length ? ` (for ${listOr(cmds, 'and')})` : ''}: a script, an injected statement, ` +
          'a pooled connection that an earlier request left with a session-level SET. ' +
          (context
            ? `The ${context} setting the policy also reads is set the same way, but a wrong or leaked value of it opens one tenant's rows; this one opens every row at once${cmds.some((c) => !c.startsWith('SELECT')) ? ', for writing too' : ''}. `
            : '') +
          'Give the code that must see every row a login role of its own with BYPASSRLS and its own credentials (snippet rls-admin-role; not a role the application\'s role is a member of, which it could SET ROLE to), and remove this branch.',
      });
    }
  },
});

/** Another custom setting the policy's expressions read, directly or through SQL helpers (`app.current_tenant_id` beside the switch `app.bypass_rls`), if any. */
function contextBeside(model: Model, row: PolicyRow, setting: string): string | undefined {
  for (const e of row.exprs) {
    for (const k of contextKeys(model, e.node)) {
      const name = k.startsWith('setting:') ? k.slice('setting:'.length) : undefined;
      if (name !== undefined && name !== setting.toLowerCase() && appSetting(name)) return name;
    }
  }
  return undefined;
}

/**
 * The editor's fix: each clause's OR without its switch branches (the other branches as written),
 * where every clause with a switch is an OR with another branch; where the switch is a whole
 * clause, the policy's CREATE POLICY removed (the policy exists for the switch).
 */
function dropFix(model: Model, { row, switches }: SettingSwitch): Fix[] {
  const p = row.policy;
  // (the switch is a whole clause: the policy exists for it. Its CREATE POLICY removed, where that
  // statement is the policy's last word, in a file of the migrations)
  if (row.exprs.some((e) => switches.has(e.node))) {
    if (p.stmt.kind !== 'CreatePolicyStmt' || p.stmt.origin !== 'file' || p.loc.file !== p.created.file || p.loc.start !== p.created.start) return [];
    return [{ title: `Remove policy "${p.name}" (it admits rows through the switch alone); code that must see every row then connects as a login role with BYPASSRLS (snippet rls-admin-role)`, kind: 'unsafe', edits: [removeStatement(model, p.created)] }];
  }
  const edits: Edit[] = [];
  let what: string | undefined;
  for (const e of row.exprs) {
    if (!disjuncts(e.node).some((br) => switches.has(br))) continue;
    const arms = armsOf(model, e);
    const keep = arms?.filter((a) => !switches.has(a.node)) ?? [];
    if (!arms || keep.length === 0) return [];
    what ??= armText(model, e, arms.find((a) => switches.has(a.node))!, 60);
    const text = textOfFile(model, e.file);
    edits.push({ file: e.file, start: arms[0]!.span.start, end: arms[arms.length - 1]!.span.end, newText: keep.map((k) => text.slice(k.span.start, k.span.end)).join(' OR ') });
  }
  if (edits.length === 0) return [];
  return [{ title: `Drop the branch ${what}${edits.length > 1 ? ` (from ${edits.length} clauses)` : ''}; code that must see every row then connects as a login role with BYPASSRLS (snippet rls-admin-role)`, kind: 'unsafe', edits }];
}
