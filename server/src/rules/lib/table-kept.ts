// What a rule found on a table, kept on the table object across lints. A re-lint's model shares
// the tables an edit does not touch (the same objects: model.ts "sharing the replay's state"), and
// a rule that derives its reports of a table from the table, its policies, the tables their
// conditions name, how calls resolve and what privileges.ts answers need not derive them again:
// on the bench (2,234 tables), asking each table's policies again was the largest part of a
// re-lint (policy-update-moves-row: 20–25 ms before, 10 after). Pure: reads the model.
import { resolvedThroughPath, type Model, type Policy, type Table } from '../../analysis/model.js';
import { census } from '../../analysis/ast.js';
import { activeRuns, functionsToken, memoModel, type PolicyRow } from '../../analysis/policy-exprs.js';
import type { Report } from '../types.js';
import { privilegesToken } from '../../analysis/privileges.js';
import { isRejected, rejectedPolicies } from '../../analysis/rejected.js';
import { keeper, modelFacts, type TableDeps } from './kept.js';

/**
 * A keeper of one rule's results per table (lib/kept.ts), valid while calls resolve the same
 * (functionsToken), privileges.ts answers the same (privilegesToken: roles, memberships, grant
 * events), the same of its policies are accepted (rejected.ts) in the same order, and each
 * relation its policies' conditions name is the same table object (or still none). `get` gives
 * the kept value when it still holds; `set` keeps one, unless a policy of the table resolved a
 * name through a SET search_path (a later replay may resolve it otherwise). `accepted`: the
 * table's policies PostgreSQL accepts, in order.
 */
export function tableKeeper<V>(): {
  get(model: Model, t: Table, accepted: readonly Policy[]): V | undefined;
  set(model: Model, t: Table, accepted: readonly Policy[], value: V): void;
} {
  const kept = keeper<Table, V>();
  return {
    get: (model, t, accepted) => kept.get(model, t, tableFacts(model), accepted)?.value,
    set(model, t, accepted, value) {
      if (!t.policies.some((q) => resolvedThroughPath(q.stmt))) kept.set(t, tableFacts(model), accepted, value, namedTables(model, t));
    },
  };
}
const tableFacts = modelFacts('table-kept:facts', (m) => [functionsToken(m), privilegesToken(m)]);

/**
 * The relations the conditions of t's policies name, each key once with the table it is: a
 * superset of what a rule reads of other tables through them. (Only where no policy of t resolved
 * a name through a SET search_path: model.relKey is then model.key.)
 */
function namedTables(model: Model, t: Table): TableDeps {
  const deps: TableDeps = [];
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
  return deps;
}

function hasKey(deps: ReadonlyArray<string | Table | undefined>, k: string): boolean {
  for (let i = 0; i < deps.length; i += 2) if (deps[i] === k) return true;
  return false;
}

/** The table's policies PostgreSQL accepts (rejected.ts), in order: its own list when it accepts them all. */
export function acceptedPolicies(model: Model, t: Table): readonly Policy[] {
  if (rejectedPolicies(model).size === 0 || !rejectingTables(model).has(t)) return t.policies;
  return t.policies.filter((q) => !isRejected(model, q));
}

/**
 * The tables some policy of which PostgreSQL rejects, once per model (a table's policies are on
 * its key: model.ts renames them with it). Each of the bench's 2,234 tables had its ≈ 4 policies
 * looked up in the rejections by each rule asking (four), at every re-lint: one rejected policy of
 * the workspace made the shortcut of none fail.
 */
const rejectingTables = (model: Model): Set<Table> =>
  memoModel(model, 'table-kept:rejecting', (m) => {
    const out = new Set<Table>();
    rejectedPolicies(m).forEach((_, p) => {
      const t = m.tables.get(p.table);
      if (t !== undefined && t.policies.includes(p)) out.add(t);
    });
    return out;
  });

/** Whether `active` holds the policies of `rows` (reportPerTable's run of a table), in order. */
export function sameActiveRows(active: readonly Policy[], rows: readonly PolicyRow[]): boolean {
  if (active.length !== rows.length) return false;
  for (let i = 0; i < rows.length; i++) if (rows[i]!.policy !== active[i]) return false;
  return true;
}

/**
 * Reports each table's results, table by table in model order: `ofTable` gets a table and the run
 * of its active policies' rows. The runs are the policy index's (activeRuns: a
 * table's active rows, one run per table, as activeRows lists them one after the other): a
 * table's run kept by the index from the last model is the same array (a rule may take its
 * kept results as following the same rows without comparing them), and no row is looked at here (the bench's ≈ 9,000 rows were each read by each of three rules).
 */
export function reportPerTable(model: Model, report: (r: Report) => void, ofTable: (t: Table, rows: readonly PolicyRow[]) => readonly Report[]): void {
  // (indexed loops: run once per lint, the check may not be optimised, and for…of then makes an iterator result per element)
  const runs = activeRuns(model);
  for (let i = 0; i < runs.length; i++) {
    const run = runs[i]!;
    const t = run.table;
    if (t) {
      const list = ofTable(t, run.active);
      for (let k = 0; k < list.length; k++) report(list[k]!);
    }
  }
}
