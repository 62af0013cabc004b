import { resolvedThroughPath, type Func, type Model, type Policy, type Table } from '../analysis/model.js';
import { appliesToRole, readUnfilteredFor, usingFoldedAway } from '../analysis/policies.js';
import { callsIn } from '../analysis/ast.js';
import { activeRuns, memoModel, orderOf, policyExprs, textOfFile, type ActiveRun } from '../analysis/policy-exprs.js';
import { functionsFacts, keeper, sameFacts } from './lib/kept.js';
import { declaredOrdinaryRole, definersInCycles, functionKeys, policyCallNames } from '../analysis/recursion.js';
import type { Loc } from '../analysis/types.js';
import { defineRule, type Fix, type Report } from './types.js';
import { fileOf, forEachInvokerCallee, insertAfter, latestInReplay, ownerBypassesRls, quoteIdent, roleText, rowSecurityOffClause, tableName, functionLists } from './lib/util.js';


/** Definer functions a call reaches (the function itself, or through invoker functions it calls). */
function definersReached(model: Model, f: Func, seen = new Set<Func>()): Func[] {
  if (seen.has(f)) return [];
  seen.add(f);
  if (f.securityDefiner) return [f];
  const out: Func[] = [];
  for (const k of f.calls) for (const g of model.functions.get(k) ?? []) out.push(...definersReached(model, g, seen));
  return out;
}

/** Lower-cased file texts (per parsed file, reused across lints). */
const lowerTexts = new WeakMap<object, string>();
function lowerText(model: Model, file: string): string {
  const pf = fileOf(model, file);
  if (!pf) return '';
  let t = lowerTexts.get(pf);
  if (t === undefined) lowerTexts.set(pf, (t = pf.text.toLowerCase()));
  return t;
}

function mentions(model: Model, loc: Loc, names: string[]): boolean {
  const seg = lowerText(model, loc.file).slice(loc.start, loc.end);
  return names.some((n) => seg.includes(n));
}

/** The first call in a policy of `t` that reaches definer `f` (directly or through invoker functions). */
function firstCall(model: Model, t: Table, f: Func, names: string[]): DefinerCall | undefined {
  // (the text first: a policy naming none of the functions on the way to a reached definer calls none of them)
  const named = (p: Policy) => mentions(model, p.loc, names) || (p.created !== p.loc && mentions(model, p.created, names));
  for (const call of callsToDefiners(model, t, named)) if (call.reached.includes(f)) return call;
  return undefined;
}

/**
 * The calls of the policies of t (those `keep` keeps) that reach definer functions, in order: each
 * with its policy, the call's place, the function called and the definers it reaches. A USING
 * PostgreSQL folds away is left out (never evaluated: the helper is not called from it).
 */
function callsToDefiners(model: Model, t: Table, keep?: (p: Policy) => boolean): DefinerCall[] {
  const out: DefinerCall[] = [];
  for (const p of t.policies) {
    if (keep && !keep(p)) continue;
    const folded = usingFoldedAway(model, p);
    for (const e of policyExprs(p)) {
      if (folded && e.clause === 'using') continue;
      for (const c of callsIn(e.node)) {
        const called = c.location < 0 ? undefined : model.findFunction(c.name, c.args.length);
        const reached = called ? definersReached(model, called) : [];
        if (!called || reached.length === 0) continue;
        const open = textOfFile(model, e.file).indexOf('(', c.location);
        out.push({ p, loc: { file: e.file, start: c.location, end: open > c.location ? open : c.location + 1 }, called, clause: e.clause === 'using' ? 'using' : 'check', reached });
      }
    }
  }
  return out;
}

/** Tables a definer function reads as its owner: its own reads and those of the invoker functions it calls. */
export function readsAsOwner(model: Model, f: Func): ReadonlySet<string> {
  if (f.calls.size === 0) return f.reads;
  const out = new Set<string>(f.reads);
  forEachInvokerCallee(model, f, (g) => g.reads.forEach((x) => out.add(x)));
  return out;
}

/**
 * The SECURITY DEFINER functions active policies can call (per model): from the functions they
 * call by name, following the invoker functions those call down to the definers they reach; and
 * the names of the functions on the way (a policy's text must name one to call them).
 */
function policyDefiners(model: Model): { reached: ReadonlySet<Func>; names: string[] } {
  return memoModel(model, 'definer-helper-under-force-rls:definers', (m) => {
    const called = policyCallNames(m);
    if (called.size === 0) return NO_DEFINERS;
    const isCalled = (g: Func) => called.has(g.name) || called.has(`${g.schema}.${g.name}`);
    // functions named as called: a bare name `n` is looked up as `schema.n` in each schema of the
    // model's function keys; keys with more dots (a dotted schema or name) are checked function
    // by function (functionKeys: one pass over the keys per model, shared with the recursion
    // graph, instead of a pass over the bench's 4,469 keys here that allocated an entry per key)
    const { schemas, irregular } = functionKeys(m);
    const byName: Func[] = [];
    for (const n of called) {
      if (n.includes('.')) continue;
      for (const s of schemas) for (const g of m.functions.get(`${s}.${n}`) ?? []) if (g.name === n) byName.push(g);
    }
    for (const { key: k, list } of irregular) {
      const dot = k.indexOf('.');
      if (dot !== k.lastIndexOf('.')) {
        for (const g of list) if (isCalled(g)) byName.push(g);
        continue;
      }
      // (a key without a dot: the function named as called is its whole key)
      if (called.has(k)) for (const g of list) if (g.name === k) byName.push(g);
    }
    const visited = new Set<Func>();
    const reached = new Set<Func>();
    const visit = (g: Func) => {
      if (visited.has(g)) return;
      visited.add(g);
      if (g.securityDefiner) {
        reached.add(g);
        return;
      }
      for (const k of g.calls) for (const h of m.functions.get(k) ?? []) visit(h);
    };
    for (const g of byName) visit(g);
    for (const n of called) for (const g of m.functions.get(n) ?? []) if (isCalled(g)) visit(g);
    if (reached.size === 0) return NO_DEFINERS;
    // the names of the functions a policy's call can go through to a reached definer
    return { reached, names: [...new Set([...visited].map((g) => g.name.toLowerCase()))] };
  });
}
const NO_DEFINERS = { reached: new Set<Func>(), names: [] as string[] };

/**
 * Fix: have the function owned by a BYPASSRLS role — one the workspace declares, or a
 * placeholder role created for it — with SELECT on the tables it reads.
 */
export function bypassOwnerFix(model: Model, f: Func): Fix | undefined {
  const declared = [...model.roles.values()].find((r) => r.declared && r.bypassRls && !r.superuser);
  let role = declared?.name;
  const lines: string[] = [];
  const tables = [...readsAsOwner(model, f)].map((k) => model.tables.get(k)).filter((t): t is Table => !!t);
  const at = latestInReplay(model, [f.created, ...f.alters, ...(f.owner?.loc ? [f.owner.loc] : []), ...tables.map((t) => t.created)]);
  // (schema-qualified, as the messages name them, whether or not the CREATE TABLE wrote the schema;
  // as written where a later migration renames the table: the name it has where the fix goes)
  const renamedLater = (t: Table) => !!t.renamed && orderOf(model, at) < orderOf(model, t.renamed);
  const names = tables.map((t) => (renamedLater(t) ? tableName(model, t, at) : `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`));
  const shown = tables.map((t) => (renamedLater(t) ? tableName(model, t, at) : t.key));
  lines.push(
    `-- FORCE ROW LEVEL SECURITY applies the policies of ${shown.join(', ') || 'the table'} to the owner of ${f.name}() too: unless`,
    rowSecurityOffClause(f)
      ? "-- that owner bypasses RLS, the function's read fails under its SET row_security = off (T08: 42501)."
      : "-- that owner bypasses RLS, the function's read is filtered by those policies (T06: 54001; T06b: no rows).",
  );
  if (!role) {
    role = 'rls_helper_owner';
    for (let i = 2; model.roles.has(role); i++) role = `rls_helper_owner_${i}`;
    lines.push(
      `-- ${quoteIdent(role)} is a placeholder: use a BYPASSRLS role of your platform if there is one. Creating a BYPASSRLS`,
      '-- role and giving it this function needs a superuser.',
      `CREATE ROLE ${quoteIdent(role)} NOLOGIN BYPASSRLS;`,
    );
  }
  const schemas = new Set(tables.map((t) => t.schema).filter((s) => s !== 'public'));
  for (const s of schemas) lines.push(`GRANT USAGE ON SCHEMA ${quoteIdent(s)} TO ${quoteIdent(role)};`);
  if (names.length) lines.push(`GRANT SELECT ON ${names.join(', ')} TO ${quoteIdent(role)};`);
  const sig = `${quoteIdent(f.schema)}.${quoteIdent(f.name)}(${f.argTypes.join(', ')})`;
  lines.push(`ALTER FUNCTION ${sig} OWNER TO ${quoteIdent(role)};`);
  // (the old owner executed it as its owner: with PUBLIC's EXECUTE revoked, the new owner takes its
  // place in the ACL and the old owner's queries its policies call it in fail with 42501, PGlite)
  const old = f.owner?.role;
  if (!f.publicExecute && old && old !== role && !f.executeGrants.has(old)) {
    lines.push(`GRANT EXECUTE ON FUNCTION ${sig} TO ${quoteIdent(old)};`);
  }
  return {
    title: `Have ${f.name}() owned by ${declared ? `${roleText(role)} (BYPASSRLS)` : `a BYPASSRLS role (placeholder ${role})`}, with SELECT on the tables it reads`,
    kind: 'unsafe',
    edits: [insertAfter(model, at, lines)],
  };
}

/**
 * A policy of `t` calling a SECURITY DEFINER function (directly or through invoker functions) that
 * reads `t` as its owner, an owner not known to bypass RLS: FORCE on `t` would filter that read by
 * the policies of `t` (54001, T06; or no rows, T06b). What the FORCE fixes check before adding it.
 */
export function helperForceWouldBreak(model: Model, t: Table): { p: Policy; f: Func } | undefined {
  if (t.policies.length === 0) return undefined;
  // (once per table and model: rls-not-forced and policy-on-table-without-rls both ask, at every re-lint)
  const memo = memoModel(model, 'definer-helper-under-force-rls:forceBreaks', () => ({ byTable: new Map<Table, { p: Policy; f: Func } | null>(), reads: new Map<Func, ReadonlySet<string>>() }));
  const hit = memo.byTable.get(t);
  if (hit !== undefined) return hit ?? undefined;
  let out: { p: Policy; f: Func } | null = null;
  search: for (const p of t.policies) {
    const folded = usingFoldedAway(model, p); // (its USING is never evaluated: the helper is not called from it)
    for (const e of policyExprs(p)) {
      if (folded && e.clause === 'using') continue;
      for (const c of callsIn(e.node)) {
        const called = model.findFunction(c.name, c.args.length);
        if (!called) continue;
        for (const f of definersReached(model, called)) {
          if (f.returnsTrigger) continue;
          if (ownerBypassesRls(model, f)) continue;
          const owner = f.owner?.role;
          let reads = memo.reads.get(f);
          if (!reads) memo.reads.set(f, (reads = readsAsOwner(model, f)));
          // (a policy giving the owner every row, USING (true) for PUBLIC: its read stays whole under FORCE)
          if (reads.has(t.key) && !readUnfilteredFor(model, t.key, t.policies, owner)) {
            out = { p, f };
            break search;
          }
        }
      }
    }
  }
  // a policy of another table calling a definer that reads t, an owner no permissive SELECT policy of
  // t gives a row (T06b), or with row_security off (42501): FORCE would break that call too. From the
  // definers policies call (policyDefiners, per model), not from every table's policies.
  if (out === null) {
    const { reached } = policyDefiners(model);
    for (const f of reached) {
      if (f.returnsTrigger) continue;
      if (ownerBypassesRls(model, f)) continue;
      const owner = f.owner?.role;
      let reads = memo.reads.get(f);
      if (!reads) memo.reads.set(f, (reads = readsAsOwner(model, f)));
      if (!reads.has(t.key) || readUnfilteredFor(model, t.key, t.policies, owner)) continue;
      if (!breaksAcross(model, f, t)) continue;
      const runs = activeRuns(model);
      for (let i = 0; i < runs.length && out === null; i++) {
        const caller = runs[i]!.table;
        const hit = caller && caller !== t ? callOf(model, runs[i]!, caller, f) : undefined;
        if (hit) out = { p: hit.p, f };
      }
      if (out !== null) break;
    }
  }
  memo.byTable.set(t, out);
  return out ?? undefined;
}

/** The sentence the FORCE fixes add when `helperForceWouldBreak` finds a helper. */
export function helperForceNote(hit: { p: Policy; f: Func }, t: Table): string {
  return (
    `But policy "${hit.p.name}"${hit.p.table === t.key ? '' : ` on ${hit.p.table}`} calls ${hit.f.name}(), a SECURITY DEFINER function that reads ${t.key}, and nothing in the workspace shows its owner is a superuser or has BYPASSRLS: ` +
    `FORCE would apply the policies of ${t.key} to that owner's read too, so ${
      rowSecurityOffClause(hit.f)
        ? `under its SET row_security = off that read would fail with 42501 query would be affected by row-level security policy (T08), and so would every statement evaluating the policy for a row`
        : hit.p.table === t.key
          ? 'the function would recurse (54001, T06) or see no rows and deny every row (T06b)'
          : `the function would see no rows of ${t.key}, no policy of which applies to that owner, and answer as if it were empty (T06b)`
    }. ` +
    `Have ${hit.f.name}() owned by a role with BYPASSRLS first (or set definerOwnerBypassesRls to true if its owner already bypasses RLS).`
  );
}

function forceLoc(t: Table): Loc {
  return [...t.rlsEvents].reverse().find((e) => e.kind === 'force')?.loc ?? t.created;
}

export const definerHelperUnderForceRls = defineRule({
  meta: {
    id: 'definer-helper-under-force-rls',
    description: "A policy calls a SECURITY DEFINER helper that reads a FORCE'd table — the policy's own, or another whose policies give the helper's owner no row — and nothing shows the helper's owner bypasses RLS.",
    severity: 'warning',
    category: 'correctness',
    fixKind: 'unsafe',
    guards:
      "FORCE applies a table's policies to its owner too: a definer helper owned by a role without BYPASSRLS reads the table through its policies, and recurses (54001, T06) or sees no rows so the policy silently denies every row (T06b).",
    truths: ['T06', 'T06b', 'T03', 'T04'],
    shownBy: { probe: ['54001'] },
  },
  check({ model, report }) {
    // Start from the functions active policies call (by name), and follow the invoker
    // functions they call down to the definer functions they reach: only those can be called
    // by a policy. Then keep the definers whose owner is not known to bypass RLS that read a
    // FORCE'd table with policies, and look for the policies of those tables that call them
    // (the text is looked at first).
    const { reached, names } = policyDefiners(model);
    if (reached.size === 0) return;
    const candidates: Array<{ f: Func; tables: Table[] }> = [];
    for (const f of reached.size === 1 ? reached : functionLists(model).definers) {
      if (!reached.has(f) || f.returnsTrigger || ownerBypassesRls(model, f)) continue;
      const owner = f.owner?.role;
      const tables: Table[] = [];
      for (const k of readsAsOwner(model, f)) {
        const t = model.tables.get(k);
        if (t && t.rlsEnabled && t.rlsForced && t.policies.length && !readUnfilteredFor(model, t.key, t.policies, owner)) tables.push(t);
      }
      if (tables.length) candidates.push({ f, tables });
    }
    let inCycles: Set<string> | undefined;
    // (definers whose read of a FORCE'd table its policies filter to nothing, or fail under row_security
    // off, called by policies of other tables only: reported at those calls below)
    let cross: Array<{ f: Func; t: Table }> | undefined;
    for (const { f, tables } of candidates) {
      for (const t of tables) {
        const id = `${f.key}\u0000${t.key}`;
        if (declaredOrdinaryRole(model, f.owner?.role) && (inCycles ??= definersInCycles(model)).has(id)) continue;
        const hit = firstCall(model, t, f, names);
        if (!hit) {
          if (breaksAcross(model, f, t)) (cross ??= []).push({ f, t });
          continue;
        }
        const { p, loc, called } = hit;
        report({
          ...loc,
          message: messageOf(model, p, t, f, called),
          related: [
            { ...f.nameLoc, message: `${f.name}() is SECURITY DEFINER and reads ${t.key}` },
            { ...forceLoc(t), message: `FORCE ROW LEVEL SECURITY on ${t.key}` },
            ...(f.owner?.loc ? [{ ...f.owner.loc, message: `${f.name}() is owned by ${roleText(f.owner.role)}` }] : []),
          ],
          fixes: [bypassOwnerFix(model, f)!],
        });
      }
    }
    if (cross) reportCrossTable(model, cross, report);
  },
});

/**
 * Whether definer f's read of t, as an owner t's policies apply to, breaks the policies of other
 * tables calling f whatever t's policies say: under its SET row_security = off it fails (42501,
 * T08), or no permissive SELECT policy of t applies to the owner and it sees no rows (T06b).
 */
function breaksAcross(model: Model, f: Func, t: Table): boolean {
  return rowSecurityOffClause(f) || !permissiveSelectFor(model, t, f.owner?.role);
}

/**
 * Whether a permissive SELECT (or ALL) policy of `t` applies to `owner` (a declared ordinary role:
 * by its memberships; another or none: a policy for PUBLIC only is known to): the owner's read of t
 * then sees the rows that policy admits it, which may be right. None: the read sees no rows.
 */
function permissiveSelectFor(model: Model, t: Table, owner: string | undefined): boolean {
  const known = owner !== undefined && declaredOrdinaryRole(model, owner);
  return t.policies.some((q) => q.permissive && (q.command === 'select' || q.command === 'all') && (known ? appliesToRole(model, q, owner) : q.roles.includes('public')));
}

/**
 * The policies of other tables calling a definer `f` that reads a FORCE'd `t` as an owner no
 * permissive SELECT policy of t applies to (its read sees no rows, T06b), or with SET row_security
 * = off (42501, T08): one finding per such pair — one cause, the function's owner — at the first
 * calling policy of the first table calling it (in the policy index's order), naming how many other
 * tables' policies call it too. (A policy of t itself calling it is the same-table case above.)
 */
function reportCrossTable(model: Model, cross: ReadonlyArray<{ f: Func; t: Table }>, report: (r: Report) => void): void {
  const runs = activeRuns(model);
  const facts = functionsFacts(model);
  const nextHits = new Map<string, KeptHits>();
  for (const { f, t } of cross) {
    // (the first in the policy index's order of tables; no object per calling table, and no
    // replay position asked of each: the bench's 2,234 are asked at every lint)
    let first: DefinerCall | undefined;
    let firstCaller: Table | undefined;
    const others: Table[] = [];
    // (each run's answer, kept for the next lint: a run at the same place that is the same object,
    // under the same facts, answers as it did — no lookup of its kept calls)
    const key = `${t.key}\u0000${f.key}`;
    const last = lastHits.get(key);
    const same = last !== undefined && last.stmt === f.stmt && sameFacts(last.facts, facts) ? last : undefined;
    const hits: Array<DefinerCall | typeof UNKEPT | undefined> = new Array(runs.length);
    for (let i = 0; i < runs.length; i++) {
      const caller = runs[i]!.table;
      if (!caller || caller === t) continue;
      let hit: DefinerCall | undefined;
      const was = same !== undefined && same.runs[i] === runs[i] ? same.hits[i] : UNKEPT;
      if (was !== UNKEPT) hit = was as DefinerCall | undefined;
      else {
        hit = callOf(model, runs[i]!, caller, f);
        // (not where a policy's names resolved through a SET search_path: definerCalls keeps nothing then either)
        if (caller.policies.some((q) => resolvedThroughPath(q.stmt))) {
          hits[i] = UNKEPT;
          if (!hit) continue;
        }
      }
      if (hits[i] !== UNKEPT) hits[i] = hit;
      if (!hit) continue;
      if (first === undefined) {
        first = hit;
        firstCaller = caller;
      } else others.push(caller);
    }
    nextHits.set(key, { stmt: f.stmt, facts, runs, hits });
    if (!first || !firstCaller) continue;
    const { p, loc, called, clause } = first;
    const caller = firstCaller;
    report({
      ...loc,
      message: crossMessage(model, p, caller, t, f, called, clause, others),
      related: [
        { ...f.nameLoc, message: `${f.name}() is SECURITY DEFINER and reads ${t.key}` },
        { ...forceLoc(t), message: `FORCE ROW LEVEL SECURITY on ${t.key}` },
        ...(f.owner?.loc ? [{ ...f.owner.loc, message: `${f.name}() is owned by ${roleText(f.owner.role)}` }] : []),
      ],
      fixes: [bypassOwnerFix(model, f)!],
    });
  }
  lastHits = nextHits;
}

/** reportCrossTable's answers per run of the last lint, by (table read, definer): the runs they were for, in order, under which facts. */
interface KeptHits {
  stmt: Func['stmt'];
  facts: readonly unknown[];
  runs: readonly ActiveRun[];
  hits: Array<DefinerCall | typeof UNKEPT | undefined>;
}
let lastHits = new Map<string, KeptHits>();
/** a run whose answer is not kept */
const UNKEPT = Symbol('unkept');

/** A call in a policy of a table that reaches definer functions (directly or through invoker functions). */
interface DefinerCall {
  p: Policy;
  loc: Loc;
  called: Func;
  clause: 'using' | 'check';
  reached: Func[];
}

/**
 * The calls of a table's policies that reach definer functions, in order (a USING PostgreSQL
 * folds away left out). Kept on the policy index's run of the table (the same object while the
 * table and its active policies are: policy-exprs.ts activeRuns) while calls resolve the same
 * (functionsToken): the cross-table case asks every table with policies at every lint, ≈ 12 ms of
 * a bench re-lint when each table's policies were walked again, ≈ 4 with a tableKeeper's checks.
 */
function definerCalls(model: Model, run: ActiveRun, t: Table): readonly DefinerCall[] {
  const facts = functionsFacts(model);
  const kept = callsByRun.get(model, run, facts, t);
  if (kept !== undefined) return kept.value;
  const out = callsToDefiners(model, t);
  const list = out.length ? out : NO_CALLS;
  if (!t.policies.some((q) => resolvedThroughPath(q.stmt))) callsByRun.set(run, facts, t, list);
  return list;
}
const callsByRun = keeper<ActiveRun, readonly DefinerCall[]>();
const NO_CALLS: readonly DefinerCall[] = [];

/** The first call of the policies of a run's table reaching definer f (the same function: its statement, when a later lint made it again). */
function callOf(model: Model, run: ActiveRun, t: Table, f: Func): DefinerCall | undefined {
  const list = definerCalls(model, run, t);
  for (let i = 0; i < list.length; i++) {
    const r = list[i]!.reached;
    for (let j = 0; j < r.length; j++) if (r[j] === f || r[j]!.stmt === f.stmt) return list[i];
  }
  return undefined;
}

/**
 * What the messages of a policy of `caller` calling definer f (through `called`), which reads the
 * FORCE'd t, begin and end with: the call and the FORCE; who owns f ("Its owner r is neither…: "
 * for a declared ordinary role, else "Here … Unless it is, "); and what to do.
 */
function messageParts(model: Model, p: Policy, caller: Table, t: Table, f: Func, called: Func): { head: string; owner: string | undefined; known: boolean; intro: string; fix: string } {
  const owner = f.owner?.role;
  const via = called === f ? '' : ` (through ${called.name}())`;
  const head =
    `Policy "${p.name}" on ${caller.key} calls ${f.name}()${via}, a SECURITY DEFINER function that reads ${t.key}, and ${t.key} has FORCE ROW LEVEL SECURITY, ` +
    "which applies its policies to the function's owner too. ";
  const known = owner !== undefined && declaredOrdinaryRole(model, owner);
  const intro = known
    ? `Its owner ${roleText(owner)} is neither a superuser nor BYPASSRLS: `
    : `Here ${owner ? `its owner ${roleText(owner)} is not shown to have BYPASSRLS or to be a superuser` : "nothing in the workspace shows the function's owner (the role that ran this migration, unless changed) is a superuser or has BYPASSRLS (setting definerOwnerBypassesRls)"}. Unless it is, `;
  const fix = `Have the function owned by a role with BYPASSRLS (or a superuser)${known ? '' : ', or set definerOwnerBypassesRls to true if it already is'}.`;
  return { head, owner, known, intro, fix };
}

/**
 * Under its SET row_security = off, f's read fails: under FORCE its read is one the policies of t
 * would filter, for any owner that does not bypass RLS, so it fails with 42501 instead of being
 * filtered — no recursion, no empty read (PGlite, both with a policy for the owner and with none).
 */
const offRead = (t: Table): string =>
  `its SET row_security = off makes that read fail: each call raises 42501 query would be affected by row-level security policy for table ${t.key} (T08), and so does every statement that evaluates the policy for a row`;

function crossMessage(model: Model, p: Policy, caller: Table, t: Table, f: Func, called: Func, clause: 'using' | 'check', others: readonly Table[]): string {
  const { head, owner, known, intro, fix } = messageParts(model, p, caller, t, f, called);
  if (rowSecurityOffClause(f))
    return `${head}${intro}${offRead(t)} of ${caller.key}${others.length ? ` or of the ${others.length} other table${others.length > 1 ? 's' : ''} whose policies call it` : ''}. ${fix}`;
  const selects = t.policies.filter((q) => q.permissive && (q.command === 'select' || q.command === 'all'));
  const roles = [...new Set(selects.flatMap((q) => q.roles))];
  const why = selects.length ? `its SELECT policies are for ${roles.map(roleText).join(', ')}` : 'it has no permissive SELECT policy';
  const effect =
    clause === 'check'
      ? `a write the policy would admit only through this call fails with 42501 new row violates row-level security policy for table "${caller.name}"`
      : `a row of ${caller.key} the policy would admit only through this call is filtered out without an error`;
  const also = others.length ? ` The policies of ${others.length === 1 ? `${others[0]!.key} call` : `${others.length} other tables call`} it too${others.length > 1 ? ` (${others.slice(0, 3).map((x) => x.key).join(', ')}${others.length > 3 ? ', …' : ''})` : ''}, with the same result.` : '';
  return (
    `${head}${intro}no policy of ${t.key} applies to ${known ? roleText(owner!) : 'that owner'} (${why}), so the function's read sees no rows: ` +
    `${f.name}() answers as if ${t.key} were empty, and ${effect} (T06b).${also} ${fix}`
  );
}

function messageOf(model: Model, p: Policy, t: Table, f: Func, called: Func): string {
  const { head, owner, known, intro, fix } = messageParts(model, p, t, t, f, called);
  if (rowSecurityOffClause(f)) return `${head}${intro}${offRead(t)} (it neither recurses nor sees no rows). ${fix}`;
  if (known) {
    // known ordinary owner and no recursion (policy-recursion reports those): the read is filtered by the policies that apply to the owner
    const forOwner = t.policies.filter((q) => (q.command === 'select' || q.command === 'all') && appliesToRole(model, q, owner!));
    const effect = forOwner.length
      ? `its read of ${t.key} sees only the rows the policies of ${t.key} admit for ${roleText(owner!)}, not every row, so the helper can answer false where it should not (compare T06b)`
      : `no policy of ${t.key} applies to ${roleText(owner!)}, so the function's read sees no rows: it answers as if ${t.key} were empty and the policy denies every row without an error (T06b)`;
    return `${head}${intro}${effect}. ${fix}`;
  }
  return (
    `${head}${intro}the function's read of ${t.key} is filtered by the policies of ${t.key}: if one applies to the owner, evaluating it for a row the read meets calls the function again, without end, and the query fails with 54001 stack depth limit exceeded (T06); ` +
    `otherwise the read sees no rows and the policy silently denies every row (T06b). ${fix}`
  );
}
