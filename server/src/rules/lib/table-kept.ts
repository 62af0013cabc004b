// What a rule found on a table, kept on the table object across lints. A re-lint's model shares
// the tables an edit does not touch (the same objects: model.ts "sharing the replay's state"), and
// a rule that derives its reports of a table from the table, its policies, the tables their
// conditions name, how calls resolve and what privileges.ts answers need not derive them again:
// on the bench (2,234 tables), asking each table's policies again was the largest part of a
// re-lint (policy-update-moves-row: 20–25 ms before, 10 after). Pure: reads the model.
import { resolvedThroughPath, type Model, type Policy, type Table } from '../../analysis/model.js';
import { census } from '../../analysis/ast.js';
import { activeRows, functionsToken, type PolicyRow } from '../../analysis/policy-exprs.js';
import type { Report } from '../types.js';
import { privilegesToken } from '../../analysis/privileges.js';
import { isRejected, rejectedPolicies } from '../../analysis/rejected.js';

/**
 * What is kept for a table: valid while calls resolve the same (functionsToken), privileges.ts
 * answers the same (privilegesToken: roles, memberships, grant events), the same of its policies
 * are accepted (rejected.ts) in the same order, and each relation its policies' conditions name is
 * the same table object (or still none).
 */
export interface Kept<V> {
  token: object;
  privileges: object;
  accepted: readonly Policy[];
  deps: Array<string | Table | undefined>;
  value: V;
}

/**
 * A keeper of one rule's results per table. `get` gives the kept value when it still holds;
 * `set` keeps one, unless a policy of the table resolved a name through a SET search_path (a
 * later replay may resolve it otherwise). `accepted`: the table's policies PostgreSQL accepts,
 * in order.
 */
export function tableKeeper<V>(): {
  get(model: Model, t: Table, accepted: readonly Policy[]): Kept<V> | undefined;
  set(model: Model, t: Table, accepted: readonly Policy[], value: V): Kept<V>;
} {
  const kept = new WeakMap<Table, Kept<V>>();
  return {
    get(model, t, accepted) {
      const k = kept.get(t);
      if (!k || k.token !== functionsToken(model) || k.privileges !== privilegesToken(model) || !samePolicies(k.accepted, accepted) || !depsHold(model, k.deps)) return undefined;
      return k;
    },
    set(model, t, accepted, value) {
      const k: Kept<V> = { token: functionsToken(model), privileges: privilegesToken(model), accepted, deps: [], value };
      if (t.policies.some((q) => resolvedThroughPath(q.stmt))) return k;
      namedTables(model, t, k.deps);
      kept.set(t, k);
      return k;
    },
  };
}

function samePolicies(a: readonly Policy[], b: readonly Policy[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Whether each relation key of `deps` (key, table, key, table, …) is still the table it was. */
export function depsHold(model: Model, deps: ReadonlyArray<string | Table | undefined>): boolean {
  for (let i = 0; i < deps.length; i += 2) if (model.tables.get(deps[i] as string) !== deps[i + 1]) return false;
  return true;
}

/**
 * The relations the conditions of t's policies name, each key once with the table it is: a
 * superset of what a rule reads of other tables through them. (Only where no policy of t resolved
 * a name through a SET search_path: model.relKey is then model.key.)
 */
function namedTables(model: Model, t: Table, deps: Array<string | Table | undefined>): void {
  for (const q of t.policies) {
    for (let i = 0; i < 2; i++) {
      const n = i === 0 ? q.using : q.withCheck;
      if (!n) continue;
      const rvs = census(n).rangeVars;
      for (let j = 0; j < rvs.length; j++) {
        const k = model.key([rvs[j]!.schemaname, rvs[j]!.relname]);
        if (!hasKey(deps, k)) deps.push(k, model.tables.get(k));
      }
    }
  }
}

function hasKey(deps: ReadonlyArray<string | Table | undefined>, k: string): boolean {
  for (let i = 0; i < deps.length; i += 2) if (deps[i] === k) return true;
  return false;
}

/** The table's policies PostgreSQL accepts (rejected.ts), in order: its own list when it accepts them all. */
export function acceptedPolicies(model: Model, t: Table): readonly Policy[] {
  if (rejectedPolicies(model).size === 0) return t.policies;
  for (let i = 0; i < t.policies.length; i++) if (isRejected(model, t.policies[i]!)) return t.policies.filter((q) => !isRejected(model, q));
  return t.policies;
}

/** Whether `active` holds the policies of rows[from..to) (reportPerTable's run of a table), in order. */
export function sameActiveRows(active: readonly Policy[], rows: readonly PolicyRow[], from: number, to: number): boolean {
  if (active.length !== to - from) return false;
  for (let i = from; i < to; i++) if (rows[i]!.policy !== active[i - from]) return false;
  return true;
}

/**
 * Reports each table's results, table by table in model order: `ofTable` gets a table and the run
 * of its active policies' rows (activeRows lists a table's policies one after the other), rows[from..to).
 */
export function reportPerTable(model: Model, report: (r: Report) => void, ofTable: (t: Table, rows: readonly PolicyRow[], from: number, to: number) => readonly Report[]): void {
  // (indexed loops: run once per lint, the check may not be optimised, and for…of then makes an iterator result per element)
  const rows = activeRows(model);
  for (let i = 0; i < rows.length; ) {
    const t = rows[i]!.table;
    let j = i + 1;
    while (j < rows.length && rows[j]!.table === t) j++;
    if (t) {
      const list = ofTable(t, rows, i, j);
      for (let k = 0; k < list.length; k++) report(list[k]!);
    }
    i = j;
  }
}
