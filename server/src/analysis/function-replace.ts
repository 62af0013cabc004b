// CREATE OR REPLACE FUNCTION over a function of the same argument types that PostgreSQL refuses
// to replace (ProcedureCreate, measured on PGlite): it keeps the function as it was, its body,
// SECURITY DEFINER and SET clauses included, and the migration stops there.
// - another routine kind (a PROCEDURE over a FUNCTION): 42809 cannot change routine kind;
// - another return type (`RETURNS text` over `RETURNS boolean`, SETOF or not, another row type of
//   OUT / TABLE parameters when there are several: their names count): 42P13 cannot change return
//   type of existing function;
// - an input parameter renamed, or its name removed: 42P13 cannot change name of input parameter;
// - fewer parameter defaults: 42P13 cannot remove parameter defaults from existing function.
// Renaming the one OUT / TABLE column, or writing a type by another of its names (int4, integer),
// is accepted.
import { typeName } from './ast.js';
import type { Node } from './types.js';

export interface ReplaceRejection {
  code: '42P13' | '42809';
  /** PostgreSQL's message */
  message: string;
  /** what changed, said for a message: `the name of input parameter p_org (now org)` */
  change: string;
}

const INPUT = new Set(['FUNC_PARAM_DEFAULT', 'FUNC_PARAM_IN', 'FUNC_PARAM_INOUT', 'FUNC_PARAM_VARIADIC']);
const OUTPUT = new Set(['FUNC_PARAM_OUT', 'FUNC_PARAM_INOUT', 'FUNC_PARAM_TABLE']);

interface Param {
  name: string;
  mode: string;
  type: Node;
  hasDefault: boolean;
}

function paramsOf(n: Node): Param[] {
  const out: Param[] = [];
  for (const x of n?.parameters ?? []) {
    const p = x?.FunctionParameter;
    if (!p) continue;
    out.push({ name: typeof p.name === 'string' ? p.name : '', mode: String(p.mode ?? 'FUNC_PARAM_DEFAULT'), type: p.argType, hasDefault: !!p.defexpr });
  }
  return out;
}

/** A type as PostgreSQL compares it: by its name with aliases resolved, the default schema left out; undefined when not told. */
function typeKey(t: Node, defaultSchema: string): string | undefined {
  const name = typeName(t);
  if (!name) return undefined;
  return name.startsWith(`${defaultSchema}.`) ? name.slice(defaultSchema.length + 1) : name;
}

/** The return type (and whether a set), and the row type of several OUT parameters (names and types). */
function returnOf(n: Node, params: Param[], defaultSchema: string): { type: string | undefined; set: boolean; row: string | undefined } {
  const outs = params.filter((p) => OUTPUT.has(p.mode));
  const set = !!n?.returnType?.setof;
  if (outs.length > 1) {
    const cols = outs.map((p) => `${p.name} ${typeKey(p.type, defaultSchema) ?? '?'}`);
    return { type: 'record', set, row: cols.some((c) => c.endsWith(' ?')) ? undefined : cols.join(', ') };
  }
  if (outs.length === 1) return { type: typeKey(outs[0]!.type, defaultSchema), set, row: undefined };
  return { type: n?.returnType ? typeKey(n.returnType, defaultSchema) : 'void', set, row: undefined };
}

/**
 * Why PostgreSQL rejects `next` (a CREATE OR REPLACE FUNCTION / PROCEDURE node) over the routine
 * `old` made (its CreateFunctionStmt node), both of the same name and argument types; undefined
 * when it replaces it (or when what decides is not told by the text).
 */
export function replaceRejection(old: Node, next: Node, defaultSchema: string): ReplaceRejection | undefined {
  if (!!old?.is_procedure !== !!next?.is_procedure) {
    return { code: '42809', message: 'cannot change routine kind', change: `the kind of routine (a ${next?.is_procedure ? 'procedure' : 'function'} over a ${old?.is_procedure ? 'procedure' : 'function'})` };
  }
  const before = paramsOf(old);
  const after = paramsOf(next);
  if (!next?.is_procedure) {
    const a = returnOf(old, before, defaultSchema);
    const b = returnOf(next, after, defaultSchema);
    const returns = (r: typeof a) => (r.row !== undefined ? `TABLE (${r.row})` : `${r.set ? 'SETOF ' : ''}${r.type}`);
    if (a.type !== undefined && b.type !== undefined && (a.type !== b.type || a.set !== b.set || (a.type === 'record' && a.row !== undefined && b.row !== undefined && a.row !== b.row))) {
      return { code: '42P13', message: 'cannot change return type of existing function', change: `the return type (${returns(b)}, where the function returns ${returns(a)})` };
    }
  }
  const ins = before.filter((p) => INPUT.has(p.mode));
  const newIns = after.filter((p) => INPUT.has(p.mode));
  for (let i = 0; i < ins.length && i < newIns.length; i++) {
    const was = ins[i]!.name;
    const now = newIns[i]!.name;
    if (was !== '' && was !== now) {
      return { code: '42P13', message: `cannot change name of input parameter "${was}"`, change: now ? `the name of input parameter ${was} (now ${now})` : `the name of input parameter ${was} (now none)` };
    }
  }
  const defaults = (ps: Param[]) => ps.filter((p) => p.hasDefault).length;
  if (defaults(newIns) < defaults(ins)) {
    return { code: '42P13', message: 'cannot remove parameter defaults from existing function', change: `the parameter defaults (${defaults(newIns)}, where the function has ${defaults(ins)})` };
  }
  return undefined;
}
