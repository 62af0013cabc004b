import { columnDataType, TRIGGER_UPDATE, type Model, type Policy, type Table } from '../analysis/model.js';
import { appliesToRole } from '../analysis/policies.js';
import { conjuncts, memoised, roleText } from '../analysis/ast.js';
import { activeRuns, constBool, type ActiveRun } from '../analysis/policy-exprs.js';
import { keeper, NO_FACTS } from './lib/kept.js';
import type { Node } from '../analysis/types.js';
import { defineRule, type Report } from './types.js';
import { columnRef, functionLists, mayHoldPrivilege } from './lib/util.js';

// A soft delete is an UPDATE that marks a row deleted (`SET deleted_at = now()`). Where the
// policies a role reads rows through admit only rows not so marked (`USING (… AND deleted_at IS
// NULL)`), PostgreSQL refuses that UPDATE with 42501: it checks the new row of an UPDATE that reads
// a column (a WHERE, a RETURNING) against the role's SELECT policies too, and the new row of any
// UPDATE against the UPDATE policy's WITH CHECK (its USING when it has none). Measured on PGlite
// (cal194: a public HR time-tracking app's staff_select_own_entries; Supabase users meet it as
// "new row violates row-level security policy" on their soft-delete button).

/** The column a condition requires to be unset, as written: `c IS NULL`, `NOT c`, `c = false`, `c IS FALSE`, `c IS NOT TRUE`. */
function unsetRef(n: Node): { name: string; qual?: string } | undefined {
  if (n?.NullTest?.nulltesttype === 'IS_NULL') return columnRef(n.NullTest.arg);
  if (n?.BooleanTest && (n.BooleanTest.booltesttype === 'IS_FALSE' || n.BooleanTest.booltesttype === 'IS_NOT_TRUE')) return columnRef(n.BooleanTest.arg);
  if (n?.BoolExpr?.boolop === 'NOT_EXPR' && n.BoolExpr.args?.length === 1) return columnRef(n.BoolExpr.args[0]);
  const e = n?.A_Expr;
  if (e?.kind === 'AEXPR_OP' && e.name?.length === 1 && e.name[0]?.String?.sval === '=') {
    if (constBool(e.rexpr) === false) return columnRef(e.lexpr);
    if (constBool(e.lexpr) === false) return columnRef(e.rexpr);
  }
  return undefined;
}

/**
 * A soft-delete mark by its name (deleted_at, is_deleted, archived, removed_on…): a column a policy
 * keeps false for another reason (use60's `enable_copilot_sharing` "ALWAYS remains false") is an
 * invariant, not a mark a soft delete sets.
 */
const MARK = /^(?:is_)?(?:soft_)?(?:deleted|archived|removed|trashed|discarded)(?:_at|_on|_date|_time)?$/;

/** Whether a column written so is t's (unqualified, or qualified by its name) and a soft-delete mark. */
const ofTable = (r: { name: string; qual?: string }, t: Table): boolean => MARK.test(r.name) && (!r.qual || r.qual === t.name.toLowerCase()) && t.columns.includes(r.name);

/** The columns (as written: name and qualifier) a condition tests unset at its top, kept on the node (parsed once, asked at every lint). */
const unsetTests = memoised((n: Node): ReadonlyArray<{ name: string; qual?: string; node: Node }> => {
  const out: Array<{ name: string; qual?: string; node: Node }> = [];
  for (const c of conjuncts(n)) {
    const ref = unsetRef(c);
    if (ref) out.push({ ...ref, node: c });
  }
  return out;
});

/** Whether the expression, ANDed at its top, requires `column` unset. */
function requiresUnset(n: Node | undefined, t: Table, column: string): boolean {
  return !!n && unsetTests(n).some((r) => r.name === column && ofTable(r, t));
}

/**
 * The check PostgreSQL applies to an UPDATE's new row for the policy where it stands for no
 * written WITH CHECK: its USING. (A WITH CHECK written to require the mark unset says that the role
 * may not set it: by intent, not reported.)
 */
const checkOf = (p: Policy): Node | undefined => (p.withCheck ? undefined : p.using);

const isSelect = (p: Policy) => p.command === 'select' || p.command === 'all';
const isUpdate = (p: Policy) => p.command === 'update' || p.command === 'all';

function tableReports(model: Model, t: Table, active: readonly Policy[], definerWrites: ReadonlySet<string>, beforeUpdate: ReadonlySet<string>): Report[] {
  // (a definer writing it: the app may soft-delete through it; a BEFORE UPDATE trigger may set or clear the column itself)
  if (!t.rlsEnabled || definerWrites.has(t.key) || beforeUpdate.has(t.key)) return [];
  // the columns a SELECT or UPDATE policy requires unset: the soft-delete marks
  const columns = new Set<string>();
  for (const p of active) if (isSelect(p) || isUpdate(p)) for (const n of [p.using, p.withCheck]) if (n) for (const r of unsetTests(n)) if (ofTable(r, t)) columns.add(r.name);
  if (columns.size === 0) return [];
  // the roles the policies name (PUBLIC's policies apply to each of them; PUBLIC itself when none is named)
  const named = [...new Set(active.flatMap((p) => p.roles))].filter((r) => r !== 'public');
  const roles = named.length ? named : ['public'];
  const out: Report[] = [];
  const said = new Set<string>();
  for (const column of columns) {
    for (const role of roles) {
      if (model.roleBypassesRls(role) === true || role === t.owner?.role) continue;
      const applies = (p: Policy) => appliesToRole(model, p, role);
      const updates = active.filter((p) => p.permissive && isUpdate(p) && applies(p));
      if (updates.length === 0 || !mayHoldPrivilege(model, t, role, ['update'])) continue;
      const selects = active.filter((p) => p.permissive && isSelect(p) && applies(p));
      const restrictiveSelect = active.find((p) => !p.permissive && isSelect(p) && applies(p) && requiresUnset(p.using, t, column));
      const restrictiveUpdate = active.find((p) => !p.permissive && isUpdate(p) && applies(p) && requiresUnset(checkOf(p), t, column));
      // every UPDATE check refuses a marked row: any soft delete fails
      const always = restrictiveUpdate ? [restrictiveUpdate] : updates.every((p) => requiresUnset(checkOf(p), t, column)) ? updates : undefined;
      // every SELECT policy (or a restrictive one) refuses it: a soft delete with a WHERE or RETURNING fails
      const reading = restrictiveSelect ? [restrictiveSelect] : selects.length && selects.every((p) => requiresUnset(p.using, t, column)) ? selects : undefined;
      if (!always && !reading) continue;
      const at = updates[0]!;
      const key = `${at.name}\u0000${column}`;
      if (said.has(key)) continue;
      said.add(key);
      // (a restrictive policy that refuses the row is named in PostgreSQL's error; PGlite)
      const restrictive = always ? restrictiveUpdate : restrictiveSelect;
      const who = roles.length === 1 && role === 'public' ? 'every role' : roleText(role);
      const name = t.name;
      const names = (ps: readonly Policy[]) => ps.map((p) => `"${p.name}"`).join(', ');
      const why = always
        ? `the check of the new row — ${always.length > 1 ? `the USING of each of ${names(always)}, which stands for the WITH CHECK they lack` : `the USING of ${names(always)}, which stands for the WITH CHECK it lacks`}${restrictiveUpdate ? ' (restrictive)' : ''} — requires ${column} to be ${unsetWords(always[0]!, t, column)}, so PostgreSQL refuses every UPDATE of ${who} that sets it`
        : `every SELECT policy for ${who} — ${names(reading!)}${restrictiveSelect ? ' (restrictive)' : ''} — admits only rows whose ${column} is ${unsetWords(reading![0]!, t, column)}, and PostgreSQL checks the new row of an UPDATE that reads a column (a WHERE, a RETURNING) against the SELECT policies too`;
      out.push({
        ...at.nameLoc,
        message:
          `Policy "${at.name}" lets ${who} update rows of ${t.key}, but ${why}: a soft delete by ${who}, \`UPDATE ${name} SET ${column} = ${setValue(t, column)} WHERE id = …\`, fails with 42501 new row violates row-level security policy ${restrictive ? `"${restrictive.name}" ` : ''}for table "${name}". ` +
          (always
            ? `If ${who} ${roles.length === 1 && role === 'public' ? 'soft-deletes' : 'soft-delete'} rows, give ${updates.length > 1 ? 'those policies' : 'the policy'} a WITH CHECK that does not require ${column} unset. `
            : `If ${who} ${roles.length === 1 && role === 'public' ? 'soft-deletes' : 'soft-delete'} rows, add a SELECT policy for ${who} that admits the rows it may update whatever ${column} holds (the UPDATE policy's condition without the ${column} test), so that each query filters deleted rows itself, or soft-delete through a SECURITY DEFINER function that checks the caller. `) +
          'If rows are never soft-deleted through the API, this does not apply: lower the rule.',
        related: [...(always ?? reading!)].filter((p) => p !== at).map((p) => ({ ...p.nameLoc, message: `policy "${p.name}" requires ${column} unset` })),
      });
    }
  }
  return out;
}

/** How the policy's test of the column reads: NULL, not true (`IS NOT TRUE` admits NULL too), or false. */
function unsetWords(p: Policy, t: Table, column: string): string {
  for (const n of [p.withCheck, p.using]) if (n) for (const r of unsetTests(n)) if (r.name === column && ofTable(r, t)) return r.node.NullTest ? 'NULL' : r.node.BooleanTest?.booltesttype === 'IS_NOT_TRUE' ? 'not true' : 'false';
  return 'unset';
}

/** The value a soft delete sets: now() for a timestamp, true for a boolean. */
function setValue(t: Table, column: string): string {
  const ty = columnDataType(t, column) ?? '';
  return /bool/.test(ty) ? 'true' : /time|date/.test(ty) ? 'now()' : '…';
}

const marksKept = keeper<ActiveRun, boolean>();

export const policySoftDeleteDenied = defineRule({
  meta: {
    id: 'policy-soft-delete-denied',
    description: 'A role may update a table whose policies admit only rows not marked deleted (deleted_at IS NULL): its soft delete, an UPDATE setting the mark, fails with 42501.',
    severity: 'warning',
    category: 'correctness',
    fixKind: 'none',
    guards:
      "PostgreSQL checks an UPDATE's new row against the UPDATE policies' WITH CHECK (their USING when they have none), and, when the UPDATE reads a column (a WHERE, a RETURNING), against the SELECT policies too: where these admit only rows whose deleted_at is NULL, setting it fails with 42501 new row violates row-level security policy.",
  },
  check({ model, report }) {
    // (the tables a SECURITY DEFINER function writes: the app may soft-delete through it, as its owner)
    let definerWrites: Set<string> | undefined;
    let beforeUpdate: Set<string> | undefined;
    const runs = activeRuns(model);
    for (let i = 0; i < runs.length; i++) {
      const t = runs[i]!.table;
      if (!t || !t.rlsEnabled) continue;
      const rows = runs[i]!.active;
      // (cheap first: a SELECT or UPDATE policy of the table tests a soft-delete mark of it for NULL
      // or false at its top; kept on the policy index's run, the same object while the table and its
      // active policies are: the bench's ≈ 6,700 such policies were asked at every re-lint)
      let any = marksKept.get(model, runs[i]!, NO_FACTS, t)?.value;
      if (any === undefined) {
        any = false;
        for (let j = 0; j < rows.length && !any; j++) {
          const p = rows[j]!.policy;
          if (!isSelect(p) && !isUpdate(p)) continue;
          if ((p.using && unsetTests(p.using).some((r) => ofTable(r, t))) || (p.withCheck && unsetTests(p.withCheck).some((r) => ofTable(r, t)))) any = true;
        }
        marksKept.set(runs[i]!, NO_FACTS, t, any);
      }
      if (!any) continue;
      if (!definerWrites || !beforeUpdate) {
        definerWrites = new Set();
        for (const f of functionLists(model).definers) f.writes.forEach((k) => definerWrites!.add(k));
        beforeUpdate = new Set();
        for (const tr of model.triggers) if (tr.before && tr.events & TRIGGER_UPDATE) beforeUpdate.add(tr.table);
      }
      for (const r of tableReports(model, t, rows.map((x) => x.policy), definerWrites, beforeUpdate)) report(r);
    }
  },
});

