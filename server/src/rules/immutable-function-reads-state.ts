import { callsIn } from '../analysis/ast.js';
import type { Func, Model } from '../analysis/model.js';
import { walk } from '../analysis/parse.js';
import type { Node } from '../analysis/types.js';
import { defineRule, type Fix } from './types.js';
import { textOf, functionLists } from './lib/util.js';

const CLOCK = new Set(['now', 'clock_timestamp', 'statement_timestamp', 'transaction_timestamp', 'timeofday']);
const SESSION = new Set(['current_setting', 'current_user', 'session_user', 'current_role', 'current_schema', 'current_schemas', 'pg_backend_pid', 'txid_current', 'pg_current_xact_id']);
const SVF: Record<string, string> = {
  SVFOP_CURRENT_DATE: 'CURRENT_DATE',
  SVFOP_CURRENT_TIME: 'CURRENT_TIME',
  SVFOP_CURRENT_TIME_N: 'CURRENT_TIME',
  SVFOP_CURRENT_TIMESTAMP: 'CURRENT_TIMESTAMP',
  SVFOP_CURRENT_TIMESTAMP_N: 'CURRENT_TIMESTAMP',
  SVFOP_LOCALTIME: 'LOCALTIME',
  SVFOP_LOCALTIME_N: 'LOCALTIME',
  SVFOP_LOCALTIMESTAMP: 'LOCALTIMESTAMP',
  SVFOP_LOCALTIMESTAMP_N: 'LOCALTIMESTAMP',
  SVFOP_CURRENT_ROLE: 'CURRENT_ROLE',
  SVFOP_CURRENT_USER: 'CURRENT_USER',
  SVFOP_USER: 'USER',
  SVFOP_SESSION_USER: 'SESSION_USER',
  SVFOP_CURRENT_SCHEMA: 'CURRENT_SCHEMA',
};

/**
 * A relation a body reads, as PostgreSQL resolves it: an unqualified system catalog name
 * (pg_class, pg_namespace…) is pg_catalog's, searched before the search_path's schemas, where the
 * model keys it under the default schema; unless the workspace makes a relation of that key.
 */
function shownRelation(model: Model, key: string): string {
  const m = /^[^.]+\.(pg_[a-z0-9_]+)$/.exec(key);
  return m && !model.tables.has(key) && !model.views.has(key) ? `pg_catalog.${m[1]}` : key;
}

/** What the body itself reads that can change between calls with the same arguments (not following calls). */
function ownState(model: Model, f: Func): string[] {
  const out = new Set<string>();
  for (const r of f.reads) out.add(`table ${shownRelation(model, r)}`);
  for (const s of f.body?.statements ?? []) {
    for (const c of callsIn(s.node)) {
      const name = c.name[c.name.length - 1]!;
      const schema = c.name.length > 1 ? c.name[c.name.length - 2] : undefined;
      // (Supabase's auth.uid() & co. read the request's settings; a function of schema auth the
      // workspace makes itself is followed like any other: chatterbox's IMMUTABLE auth.url_encode)
      if (schema === 'auth' && !model.functions.get(`auth.${name.toLowerCase()}`)?.some((g) => g.stmt.origin === 'file')) out.add(`${c.name.join('.')}()`);
      else if ((!schema || schema === 'pg_catalog') && (CLOCK.has(name) || SESSION.has(name))) out.add(`${name}()`);
    }
    walk(s.node, (k: string, v: Node) => {
      if (k === 'SQLValueFunction' && SVF[v.op]) out.add(SVF[v.op]!);
    });
  }
  return [...out];
}

/**
 * The overloads of `key` that `caller`'s body may call: those taking as many arguments as one of
 * its calls of that name passes (docker4gis's wms.envelope(text) calls the setter wms.env(text,
 * text), not the getter wms.env(text) reading current_setting), or all of them when none does
 * (defaults, VARIADIC).
 */
function calledOverloads(model: Model, key: string, caller: Func): Func[] {
  const list = model.functions.get(key) ?? [];
  if (list.length <= 1) return list;
  const name = list[0]!.name.toLowerCase();
  const counts = new Set<number>();
  for (const s of caller.body?.statements ?? []) for (const c of callsIn(s.node)) if (c.name[c.name.length - 1]?.toLowerCase() === name) counts.add(c.args.length);
  const meant = list.filter((g) => counts.has(g.argTypes.length));
  return meant.length ? meant : list;
}

/** State read by `f` or by the workspace functions it calls (transitively), each with the function that reads it. */
function stateOf(model: Model, f: Func): Array<{ what: string; via?: Func }> {
  const out: Array<{ what: string; via?: Func }> = ownState(model, f).map((what) => ({ what }));
  const seen = new Set<Func>([f]);
  // (each key called with the function whose body calls it: its calls say which overloads are meant)
  let level: Array<[string, Func]> = [...f.calls].map((k) => [k, f]);
  while (level.length && out.length === 0) {
    const next: Array<[string, Func]> = [];
    for (const [k, caller] of level) {
      for (const g of calledOverloads(model, k, caller)) {
        if (seen.has(g)) continue;
        seen.add(g);
        for (const what of ownState(model, g)) out.push({ what, via: g });
        for (const c of g.calls) next.push([c, g]);
      }
    }
    level = next;
  }
  return out;
}

/** Statements where PostgreSQL requires an IMMUTABLE function: index expressions/predicates, generated columns, partition keys. */
function requiresImmutable(model: Model, f: Func): string | undefined {
  const calls = (n: Node) => callsIn(n).some((c) => model.key(c.name) === f.key);
  for (const { stmt } of model.statements) {
    if (stmt.kind === 'IndexStmt' && calls(stmt.node)) return 'an index expression';
    let found: string | undefined;
    walk(stmt.node, (k: string, v: Node) => {
      if (found) return false;
      if (k === 'Constraint' && v.contype === 'CONSTR_GENERATED' && calls(v.raw_expr)) found = 'a generated column';
      if (k === 'PartitionSpec' && calls(v)) found = 'a partition key';
      return true;
    });
    if (found) return found;
  }
  return undefined;
}

export const immutableFunctionReadsState = defineRule({
  meta: {
    id: 'immutable-function-reads-state',
    description: 'A function marked IMMUTABLE that reads tables, settings (current_setting, auth.*), the current role or the clock.',
    severity: 'error',
    category: 'security',
    fixKind: 'safe',
    guards:
      'PostgreSQL may evaluate an IMMUTABLE call once at planning and reuse the value: a policy helper reading current_setting kept returning the first tenant’s rows under a cached generic plan (T24).',
    truths: ['T24', 'T24b'],
    sources: ['PostgreSQL docs: Function Volatility Categories'],
  },
  check({ model, report }) {
    for (const f of functionLists(model).immutables) {
      // (a set-returning function is never evaluated while planning: nothing is kept, txm's all_categories();
      // nor is a trigger function, which no query may call (0A000): energyaccessexplorer's before_any_create())
      if (f.volatility !== 'immutable' || !f.volatilityLoc || f.returnType.startsWith('setof ') || f.returnsTrigger) continue;
      const state = stateOf(model, f);
      if (!state.length) continue;
      const loc = f.volatilityLoc;
      const kw = textOf(model, loc);
      // (a body that writes rows or truncates: only VOLATILE runs it, STABLE fails with 0A000 … is not allowed in a non-volatile function)
      const target = f.writes.size || f.truncates.size ? 'VOLATILE' : 'STABLE';
      const blocker = requiresImmutable(model, f);
      const fixes: Fix[] = /^immutable$/i.test(kw)
        ? [
            {
              title: blocker ? `Mark ${f.signature} ${target} (it is used in ${blocker}, which PostgreSQL then rejects)` : `Mark ${f.signature} ${target}`,
              kind: blocker ? 'unsafe' : 'safe',
              edits: [{ file: loc.file, start: loc.start, end: loc.end, newText: target }],
            },
          ]
        : [];
      const via = state.find((s) => s.via)?.via;
      const whats = [...new Set(state.map((s) => s.what))];
      const listed = whats.slice(0, 3).join(', ') + (whats.length > 3 ? ', …' : '');
      report({
        ...loc,
        message:
          `Function ${f.signature} is marked IMMUTABLE but reads ${listed}${via ? ` (through ${via.signature})` : ''}, which can change between calls with the same arguments. ` +
          'PostgreSQL may evaluate an IMMUTABLE call with constant arguments once, while planning, and reuse the value: measured, a policy calling such a helper (reading current_setting) ' +
          "kept returning the first tenant's rows after the session switched tenants, under a cached generic plan (T24). " +
          `Mark it ${target} (T24b: then correct).` +
          (blocker ? ` It is used in ${blocker}, which requires IMMUTABLE: that use must change too.` : ''),
        fixes,
      });
    }
  },
});
