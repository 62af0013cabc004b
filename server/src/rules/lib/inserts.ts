// What trigger functions insert, and which policies admit an insert: shared by the trigger rules.
import type { Func, Model, Policy } from '../../analysis/model.js';
import { walk } from '../../analysis/parse.js';
import { appliesToRole } from '../../analysis/policies.js';
import type { Loc, Node } from '../../analysis/types.js';

export interface InsertRef {
  table: string;
  /** `INSERT INTO name` in the body */
  loc: Loc;
}

/** INSERTs of the function body (also inside writable CTEs), with their target keys. */
export function insertsOf(model: Model, f: Func): InsertRef[] {
  const out: InsertRef[] = [];
  for (const s of f.body?.statements ?? []) {
    const visit = (key: string, v: Node) => {
      if (key !== 'InsertStmt' || !v.relation?.relname) return;
      const rv = v.relation;
      const at: number = typeof rv.location === 'number' && rv.location >= s.start ? rv.location : s.start;
      const end = at + String(rv.relname).length + (rv.schemaname ? String(rv.schemaname).length + 1 : 0);
      let table = model.key([rv.schemaname, rv.relname]);
      // (an unqualified name resolved through the search_path the function was created under, or its own: as its writes say)
      if (rv.schemaname === undefined && !f.writes.has(table)) for (const w of f.writes) if (w.endsWith(`.${rv.relname}`)) table = w;
      out.push({ table, loc: { file: f.created.file, start: s.start, end: Math.max(s.start + 6, end) } });
    };
    if (s.kind === 'InsertStmt') visit('InsertStmt', s.node);
    walk(s.node, (k, v) => {
      visit(k, v);
    });
  }
  return out;
}

/**
 * Whether a policy can admit a new row inserted by `role`: permissive, for INSERT or ALL, with a
 * check that is not `false` (an INSERT policy without WITH CHECK admits nothing, T14). With no
 * role (a function owner the workspace does not show), only a policy for PUBLIC or CURRENT_USER.
 */
export function admitsInsert(model: Model, p: Policy, role: string | undefined): boolean {
  if (!p.permissive || (p.command !== 'insert' && p.command !== 'all')) return false;
  const check = p.withCheck ?? (p.command === 'all' ? p.using : undefined);
  if (!check) return false;
  if (check.A_Const?.boolval !== undefined && check.A_Const.boolval.boolval !== true) return false; // WITH CHECK (false)
  if (role) return appliesToRole(model, p, role);
  return p.roles.some((r) => r === 'public' || r === 'current_user' || r === 'current_role' || r === 'session_user');
}
