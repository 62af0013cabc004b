import { census, roleText } from '../analysis/ast.js';
import type { Model, Policy, Table, View } from '../analysis/model.js';
import type { Node } from '../analysis/types.js';
import { nameParts, walk } from '../analysis/parse.js';
import { defineRule } from './types.js';
import { columnRef, looksAtCaller, mayHoldPrivilege, onSupabasePlatform, requestsReach, where } from './lib/util.js';
import { appliesToRole } from '../analysis/policies.js';
import { activePoliciesWithKey } from '../analysis/policy-exprs.js';
import type { Config } from '../analysis/config.js';
import { mayBeDynamic } from '../analysis/dynamic-rls.js';
import { platformMayGrant, PSEUDO_ROLES, workspaceManagesTableGrants } from '../analysis/privileges.js';

const SELECT = ['select'];
import { constantPolicies, readsAll, selectsAdmitted } from './lib/admitted.js';
import { invokerFix, mayBeDropped, neverCreated, readsAsCaller, viewNameSpan } from './lib/views.js';
import { listOr } from '../analysis/words.js';

interface Hit {
  table: Table;
}

/**
 * RLS tables a view reads directly (joins and sub-queries included). A security_invoker view
 * nested inside it checks its own tables as the querying role, not as the outer view's owner
 * (measured), and a view that is not security_invoker on the way is a finding of its own, so
 * other views are not followed. A materialized view follows them: it stores what its query
 * read when it was created or refreshed, a security_invoker view's tables read then as the
 * materialized view's owner (PGlite: anon reads every user's rows through one over a
 * security_invoker view of an RLS table, whose policy admits anon none), so making the views
 * security_invoker does not keep its rows from its readers.
 */
function rlsTablesReached(model: Model, v: View): Hit[] {
  const hits: Hit[] = [];
  const seen = new Set<string>([v.key]);
  const visit = (reads: ReadonlySet<string>) => {
    for (const r of reads) {
      const t = model.tables.get(r);
      if (t?.rlsEnabled) {
        if (!hits.some((h) => h.table === t)) hits.push({ table: t });
        continue;
      }
      const inner = v.materialized && !seen.has(r) ? model.views.get(r) : undefined;
      if (inner) {
        seen.add(r);
        visit(inner.reads);
      }
    }
  };
  visit(v.reads);
  return hits;
}

/**
 * The roles subject to RLS that may select from the view, when the migrations tell them all: on
 * Supabase, anon and authenticated as far as their privileges go (an exposed schema) and the
 * roles granted SELECT on it; elsewhere, only a view granted to named roles and not in an exposed
 * schema (the roles of an exposed schema are not known). Undefined when not known.
 */
function viewReaders(model: Model, config: Config, v: View): string[] | undefined {
  const exposed = config.exposedSchemas.includes(v.schema);
  const supabase = model.supabase || onSupabasePlatform(model);
  if (exposed && !supabase) return undefined;
  const out = new Set<string>();
  if (exposed) for (const r of ['anon', 'authenticated']) if (mayHoldPrivilege(model, v, r, SELECT)) out.add(r);
  for (const [role, privileges] of v.grants) {
    if (!privileges.has('select') && !privileges.has('all')) continue;
    if (role === 'public' && !supabase) return undefined;
    if (model.roleBypassesRls(role) !== true) out.add(role);
  }
  if (out.has('public')) {
    out.delete('public');
    out.add('anon');
    out.add('authenticated');
  }
  return [...out];
}

/**
 * Whether, outside Supabase, no role but the view's owner (and roles that bypass RLS anyway) may
 * select from it: the workspace grants privileges on tables or views to roles (so it manages them:
 * a missing GRANT says something) but nothing on this view to a role subject to RLS — by name,
 * through a group role, to PUBLIC, by GRANT … ON ALL TABLES IN SCHEMA after it or by default
 * privileges (all replayed into its grants) — and no dynamic SQL may grant on it. Every other role
 * gets 42501 permission denied for the view; its owner reads the tables with the same rights
 * directly (naytife/commerce's materialized view over orders). On Supabase, or where the platform
 * may grant anon and authenticated every new view in public, its default privileges are not in
 * the migrations: not said.
 */
function grantedToNobody(model: Model, v: View): boolean {
  if (model.supabase || onSupabasePlatform(model) || ['anon', 'authenticated'].some((r) => platformMayGrant(model, v.schema, r))) return false;
  for (const [role, privileges] of v.grants) {
    if (privileges.size === 0 || role === v.owner?.role || (PSEUDO_ROLES.has(role) && role !== 'public') || model.roleBypassesRls(role) === true) continue;
    return false;
  }
  if (!workspaceManagesTableGrants(model) && !model.grantEvents.some((g) => g.isGrant && g.objectKind === 'table')) return false;
  return !mayBeDynamic(model, 'grant', v);
}

/**
 * Whether each of `roles` reads every row of the table anyway: it may hold SELECT on it, a
 * permissive SELECT (or ALL) policy USING (true) applies to it and no restrictive one does. A view
 * over such tables shows those roles nothing the tables do not (yugi-forge-arena's
 * user_profile_stats over profiles and tournament_participants, read by everyone).
 */
function readByAll(model: Model, v: View, t: Table, roles: readonly string[]): boolean {
  if (roles.length === 0) return false;
  const ps = activePoliciesWithKey(model, t.key);
  const reads = (p: (typeof ps)[number]) => p.command === 'select' || p.command === 'all';
  return roles.every(
    (r) =>
      mayHoldPrivilege(model, t, r, SELECT) &&
      !ps.some((p) => !p.permissive && reads(p) && appliesToRole(model, p, r)) &&
      // (a materialized view keeps the rows its WHERE chose when it was refreshed, a row the
      // policy admitted then may be hidden by now: only a policy admitting every row answers for it)
      (readsAll(model, t, r, ps) || (!v.materialized && queriesAdmitted(model, v, t, r))),
  );
}

/**
 * Whether the view's query reads `t` only where its WHERE asks at least what a constant-only
 * SELECT policy for `role` asks (sellspay's public_products, `WHERE pr.status = 'published'`
 * over a policy USING (status = 'published')): the rows it shows are rows the role reads itself.
 */
function queriesAdmitted(model: Model, v: View, t: Table, role: string): boolean {
  const policies = constantPolicies(model, t, role);
  if (policies.length === 0 || !v.stmt.node?.query) return false;
  const seen = { reads: 0, admitted: true };
  selectsAdmitted(model, v.stmt.node.query, t, policies, seen);
  return seen.admitted && seen.reads > 0;
}

/**
 * The parts of a view's query that choose its rows: the WHERE, HAVING and join conditions of each
 * SELECT (of a UNION, each arm), of a sub-select in its FROM, and of a WITH query its FROM reads
 * (swan-erp's view_total_shares: `WITH approved_tx AS (… WHERE et.tenant_id =
 * app.current_tenant_id()), share_legs AS (… FROM approved_tx …) SELECT … FROM share_legs`). A
 * call of auth.uid() in the select list only computes a column (`rq.requested_by = auth.uid() AS
 * is_owner`): every row is still returned; so does a WITH query read only in a sub-select of the
 * select list or of a condition. With `whereOnly`, the WHERE clauses alone.
 */
function rowFilters(q: Node, whereOnly = false, out: Node[] = [], ctes: ReadonlyMap<string, Node> = new Map(), seen: Set<string> = new Set()): Node[] {
  const s = q?.SelectStmt;
  if (!s) return out;
  // (the WITH queries this SELECT and the ones inside it see, by name)
  let scope = ctes;
  const list = s.withClause?.ctes as Node[] | undefined;
  if (list?.length) {
    const m = new Map(ctes);
    for (const c of list) if (c?.CommonTableExpr?.ctename) m.set(String(c.CommonTableExpr.ctename).toLowerCase(), c.CommonTableExpr.ctequery);
    scope = m;
  }
  if (s.op && s.op !== 'SETOP_NONE') {
    rowFilters({ SelectStmt: s.larg }, whereOnly, out, scope, seen);
    return rowFilters({ SelectStmt: s.rarg }, whereOnly, out, scope, seen);
  }
  if (s.whereClause) out.push(s.whereClause);
  if (s.havingClause && !whereOnly) out.push(s.havingClause);
  walk(s.fromClause, (k, v) => {
    if (k === 'JoinExpr' && v.quals && !whereOnly) out.push(v.quals);
    // (a sub-select in FROM: its own conditions choose the rows it gives)
    if (k === 'RangeSubselect') {
      rowFilters(v.subquery, whereOnly, out, scope, seen);
      return false;
    }
    // (a sub-select in a join condition reads no rows into the view's)
    if (k === 'SubLink') return false;
    // (a WITH query read in FROM: likewise; once each, a recursive one reads itself)
    if (k === 'RangeVar' && !v.schemaname && v.relname) {
      const name = String(v.relname).toLowerCase();
      const cte = scope.get(name);
      if (cte && !seen.has(name)) {
        seen.add(name);
        rowFilters(cte, whereOnly, out, scope, seen);
      }
    }
  });
  return out;
}

/** PostgreSQL's aggregate functions (pg_catalog) a materialized view's select list may compute figures with. */
const AGGREGATES = new Set([
  'count', 'sum', 'avg', 'min', 'max', 'array_agg', 'string_agg', 'json_agg', 'jsonb_agg', 'json_object_agg', 'jsonb_object_agg',
  'bool_and', 'bool_or', 'every', 'bit_and', 'bit_or', 'bit_xor', 'stddev', 'stddev_pop', 'stddev_samp', 'variance', 'var_pop',
  'var_samp', 'percentile_cont', 'percentile_disc', 'mode', 'xmlagg', 'range_agg', 'range_intersect_agg', 'corr', 'covar_pop', 'covar_samp',
]);

/**
 * Whether each SELECT that gives a query its rows (each arm of a UNION) aggregates: it has a GROUP
 * BY, or its select list calls an aggregate function (not as a window function, not inside a
 * sub-select). Its rows are then figures computed over the rows it reads, none of them one of
 * those rows (yotadata/adult_matching's video_popularity_daily: `video_id, date_trunc('day', …),
 * count(*) … GROUP BY video_id, …` over every user's decisions).
 */
function aggregates(q: Node): boolean {
  const s = q?.SelectStmt;
  if (!s) return false;
  if (s.op && s.op !== 'SETOP_NONE') return aggregates({ SelectStmt: s.larg }) && aggregates({ SelectStmt: s.rarg });
  if ((s.groupClause as Node[] | undefined)?.length) return true;
  // (no FROM: the one row it gives holds what its sub-selects compute; when each is a scalar
  // sub-select that aggregates, or an EXISTS, that row is figures, not one of the rows read:
  // sortavo/raffle-builder's mv_admin_stats, `SELECT (SELECT COUNT(*) FROM organizations) AS …, …, NOW()`)
  if (!(s.fromClause as Node[] | undefined)?.length && (s.targetList as Node[] | undefined)?.length) {
    let subs = 0;
    let figures = true;
    walk(s.targetList, (k, v) => {
      if (k !== 'SubLink') return undefined;
      subs++;
      if (v.subLinkType !== 'EXISTS_SUBLINK' && !(v.subLinkType === 'EXPR_SUBLINK' && aggregates(v.subselect))) figures = false;
      return false;
    });
    if (subs > 0 && figures) return true;
  }
  let found = false;
  walk(s.targetList, (k, v) => {
    if (found || k === 'SubLink') return false;
    if (k === 'FuncCall' && !v.over) {
      const parts = nameParts(v.funcname);
      const name = parts[parts.length - 1]?.toLowerCase();
      if (name && AGGREGATES.has(name) && (parts.length === 1 || parts[0]!.toLowerCase() === 'pg_catalog')) found = true;
    }
  });
  return found;
}

/**
 * Whether each SELECT that gives a query its rows (each arm of a UNION) aggregates without a GROUP
 * BY: it then gives one row of figures (counts, sums…) computed over the rows it reads, none of the
 * tables' values as they are (adminesde/TabunganKu_V2's app_global_stats_view: `SELECT (SELECT
 * COUNT(*) FROM students), SUM(…) FROM transactions`). A GROUP BY is left out: its groups may be
 * the rows themselves (`GROUP BY s.id, s.name, …`).
 */
function totalsOnly(q: Node): boolean {
  const s = q?.SelectStmt;
  if (!s) return false;
  if (s.op && s.op !== 'SETOP_NONE') return totalsOnly({ SelectStmt: s.larg }) && totalsOnly({ SelectStmt: s.rarg });
  return !(s.groupClause as Node[] | undefined)?.length && aggregates(q);
}

/**
 * Whether a query reading one table (a FROM of that relation alone, no join) groups its rows by
 * columns that hold none of the table's keys (primary key, unique constraints) and aggregates:
 * each row it gives is then figures computed over a group of the table's rows, never one of them
 * (Aimtara/teachmo's analytics_event_rollups_daily: `date_trunc('day', event_ts)::date, event_name,
 * district_id, school_id, count(*) … GROUP BY 1,2,3,4` over analytics_events, whose key is id).
 * A GROUP BY naming a key (`GROUP BY s.id, …`) gives the rows themselves; a table whose keys the
 * migrations do not show is not judged.
 */
function groupsFigures(q: Node, t: Table): boolean {
  const s = q?.SelectStmt;
  if (!s || (s.op && s.op !== 'SETOP_NONE') || !aggregates(q)) return false;
  const groups = s.groupClause as Node[] | undefined;
  const from = s.fromClause as Node[] | undefined;
  if (!groups?.length || from?.length !== 1 || t.keys.length === 0) return false;
  const rv = from[0]?.RangeVar;
  if (!rv?.relname || rv.relname !== t.name || (rv.schemaname && rv.schemaname !== t.schema)) return false;
  const targets = ((s.targetList as Node[] | undefined) ?? []).map((x) => x?.ResTarget);
  const cols = new Set<string>();
  for (const g of groups) {
    let e: Node = g;
    // (a position names a select-list entry; an output name that is no column of the table too)
    const pos = g?.A_Const?.ival?.ival;
    if (typeof pos === 'number' && targets[pos - 1]) e = targets[pos - 1]!.val;
    const c = columnRef(e);
    if (c && !c.qual && !t.columns.includes(c.name)) {
      const named = targets.find((x) => x?.name === c.name);
      if (named) e = named.val;
    }
    const col = columnRef(e);
    if (col) cols.add(col.name);
    else if (g?.GroupingSet || g?.RowExpr) return false;
  }
  return !t.keys.some((k) => k.every((c) => cols.has(c)));
}

/** Whether a view's query (any branch of a UNION, a sub-select or WITH query it reads from) filters its rows with a WHERE. */
function filters(q: Node): boolean {
  return rowFilters(q, true).length > 0;
}

/**
 * The SELECT (or ALL) policies of the tables the view reads whose USING reads the view itself in a
 * sub-select (mdsamialsohan/EmployeeManagementBackend's admin_user_ids over profiles, read by the
 * policy "Admins can view all profiles" on profiles "to avoid recursion"). Made security_invoker,
 * the view's read of the table applies that policy again for the caller, and PostgreSQL raises
 * 42P17 infinite recursion detected in policy for every query of the table the policy applies to
 * (PGlite; the view as it is works): the fix offered elsewhere would break the table.
 */
function policiesReadingView(model: Model, v: View, tables: readonly Table[]): Policy[] {
  const out: Policy[] = [];
  for (const t of tables) {
    for (const p of activePoliciesWithKey(model, t.key)) {
      if ((p.command !== 'select' && p.command !== 'all') || !p.using) continue;
      const reads = census(p.using).rangeVars.some((n) => n?.relname && model.relKey(n) === v.key);
      if (reads && !out.includes(p)) out.push(p);
    }
  }
  return out;
}

export const viewBypassesRls = defineRule({
  meta: {
    id: 'view-bypasses-rls',
    description: 'A view without security_invoker (or a materialized view) reads a table that has row-level security.',
    severity: 'error',
    category: 'security',
    fixKind: 'unsafe',
    guards:
      "A view reads its tables with its owner's rights: when the owner bypasses RLS, every role that can select from the view sees all rows.",
    truths: ['T18', 'T18b'],
    sources: ['splinter 0010 security_definer_view', 'splinter 0016 materialized_view_in_api'],
    shownBy: { exposure: 'view' },
  },
  check({ model, config, report }) {
    for (const v of model.views.values()) {
      if (readsAsCaller(model, v) || mayBeDropped(model, v) || neverCreated(model, v)) continue;
      const rv = v.materialized ? v.stmt.node?.into?.rel : v.stmt.node?.view;
      if (rv?.relpersistence === 't') continue; // a temporary view lives in one session
      // (a view granted only to roles that bypass RLS anyway, such as Supabase's service_role,
      // gives them nothing they do not read from the tables themselves)
      const reachable = config.exposedSchemas.includes(v.schema) || [...v.grants].some(([role, privileges]) => privileges.size > 0 && model.roleBypassesRls(role) !== true);
      if (!reachable) continue;
      // (on Supabase, a view in an exposed schema that every API role lost SELECT on, granted to
      // no other role subject to RLS, is read by no request: herocast's views, REVOKE ALL … FROM
      // anon, authenticated)
      if (model.supabase && config.exposedSchemas.includes(v.schema) && !requestsReach(model, v, SELECT)) continue;
      // (elsewhere, in an exposed schema too, a view the migrations grant to no role subject to RLS
      // while they grant privileges to roles: readable by its owner alone, 42501 for every other
      // role; the first GRANT on it makes it a bypass, and it is reported then)
      if (grantedToNobody(model, v)) continue;
      let hits = rlsTablesReached(model, v);
      // (tables every role that may read the view reads whole anyway: nothing is exposed through it)
      // (a materialized view too: veenis's user_follow_counts, follower counts over user_follows,
      // which every role reads whole through "read follows" USING (true))
      if (hits.length !== 0) {
        const readers = viewReaders(model, config, v);
        if (readers?.length) hits = hits.filter((h) => !readByAll(model, v, h.table, readers));
      }
      if (hits.length === 0) continue;
      // An owner known to be subject to the tables' policies does not bypass them.
      const owner = v.owner?.role;
      if (owner && model.roleBypassesRls(owner) === false && hits.every((h) => h.table.owner?.role !== owner || h.table.rlsForced)) continue;
      const tables = hits.map((h) => h.table.key).filter((k, i, a) => a.indexOf(k) === i);
      const tableText = listOr(tables, 'and');
      const ownerText = owner ? `its owner ${roleText(owner)}` : 'its owner';
      // An owner the migrations make BYPASSRLS or a superuser (CREATE ROLE … BYPASSRLS, then ALTER VIEW
      // … OWNER TO it): no "when", it does bypass them (AdelMej/portfolio-project's app_admin).
      const ownerRole = owner ? model.roles.get(owner) : undefined;
      const known = ownerRole?.declared && (ownerRole.superuser || ownerRole.bypassRls) ? `${roleText(owner!)} ${ownerRole.superuser ? 'is a superuser' : 'has BYPASSRLS'}` : undefined;
      const when = known
        ? `Its owner ${known} (as the migrations make it), so no policy of ${tables.length === 1 ? 'that table' : 'those tables'} applies to the view's reads: `
        : "When the owner bypasses RLS (a superuser, a BYPASSRLS role such as Supabase's postgres, or the table's owner while RLS is not forced), ";
      const otherwise = known ? '' : 'otherwise it gets the rows the policies give the owner. ';
      const at = viewNameSpan(model, v);
      const related = hits.map((h) => ({ file: h.table.nameLoc.file, start: h.table.nameLoc.start, end: h.table.nameLoc.end, message: `${h.table.key} (row-level security enabled; created at ${where(model, h.table.created)})` }));
      if (v.materialized) {
        const has = tables.length === 1 ? 'has' : 'have';
        const bypass = known ? `(its owner ${known}, as the migrations make it; T18)` : "when the owner bypasses RLS (a superuser, a BYPASSRLS role, or the tables' owner while RLS is not forced; T18)";
        const noRls = 'and a materialized view has no row-level security of its own (PostgreSQL rejects ENABLE ROW LEVEL SECURITY and security_invoker for it), ';
        // (a GROUP BY or an aggregate: what it stores are figures over the rows, not the rows)
        const figures = aggregates(v.stmt.node?.query);
        report({
          ...at,
          message:
            (figures
              ? `Materialized view ${v.key} stores figures its query computes over the rows of ${tableText} (a GROUP BY or aggregates, not the rows themselves), which ${has} row-level security: they are computed with ${ownerText}'s rights when it is created or refreshed, ` +
                noRls +
                `so every role that can select from ${v.key} reads them — figures over all the rows ${bypass}, those the policies hide from that role included. `
              : `Materialized view ${v.key} stores rows of ${tableText}, which ${has} row-level security: its rows are computed with ${ownerText}'s rights when it is created or refreshed, ` +
                noRls +
                `so every role that can select from ${v.key} reads the stored rows — all of them ${bypass}. `) +
            'Keep it out of exposed schemas and revoke SELECT on it from roles subject to RLS, or serve it through a function or view that filters.',
          related,
        });
        continue;
      }
      const readers = policiesReadingView(model, v, hits.map((h) => h.table));
      const readerTables = [...new Set(readers.map((p) => p.table))].join(' and ');
      // (aggregates and no GROUP BY: the view shows one row of figures, not the tables' rows)
      const query = v.stmt.node?.query;
      const ungrouped = totalsOnly(query);
      const grouped = !ungrouped && hits.length === 1 && groupsFigures(query, hits[0]!.table);
      const totals = ungrouped || grouped;
      report({
        ...at,
        message:
          `View ${v.key} reads ${tableText}, which ${tables.length === 1 ? 'has' : 'have'} row-level security, but is not security_invoker: PostgreSQL checks the tables behind a view with ${ownerText}'s privileges and policies, not the querying role's. ` +
          // (a view that looks at who is asking, WHERE member_id = auth.uid(), shows each caller the rows it chose: not all)
          (grouped
            ? `Its query groups the rows of ${tableText} by columns that hold none of its keys and aggregates them, so it shows figures (counts, sums…) computed over each group of the rows it reads, not the rows themselves. `
            : totals
              ? `Its query aggregates with no GROUP BY, so it shows one row of figures (counts, sums…) computed over the rows it reads, not the rows themselves. `
              : '') +
          (rowFilters(v.stmt.node?.query).some((n) => looksAtCaller(model, n))
            ? `Its query looks at who is asking (auth.uid(), current_user or the like). ${when}each role that can select from ${v.key} sees ${totals ? 'figures over ' : ''}the rows that query picks for it, whatever the tables' policies say (T18): its own filter stands in for them${known ? '. ' : '; '}` +
              (totals ? otherwise.replace('the rows', 'figures over the rows') : otherwise)
            : filters(v.stmt.node?.query)
              ? // (a view with a WHERE of its own, workover's spaces_public_safe `WHERE w.published = true …`: its rows, not all)
                (totals
                  ? `${when}every role that can select from ${v.key} reads figures over every row its query selects, whatever the tables' policies say (T18): its WHERE stands in for them, and rows it lets through that the policies would hide from that role count too${known ? '. ' : '; '}` +
                    otherwise.replace('the rows', 'figures over the rows')
                  : `${when}every role that can select from ${v.key} sees every row its query selects, whatever the tables' policies say (T18): its WHERE stands in for them, and a row it lets through that the policies would hide is exposed${known ? '. ' : '; '}` +
                    otherwise)
              : totals
                ? `${when}every role that can select from ${v.key} reads figures over all the rows, those the policies hide from that role included (T18)${known ? '. ' : '; '}` + otherwise.replace('the rows', 'figures over the rows')
                : `${when}every role that can select from ${v.key} sees all rows (T18)${known ? '. ' : '; '}` + otherwise) +
          (readers.length === 0
            ? `Add WITH (security_invoker = true) (PostgreSQL 15+) so the querying role's policies apply (T18b).`
            : `WITH (security_invoker = true) is no fix here: ${readers.length === 1 ? 'policy' : 'policies'} ${readers.map((p) => `"${p.name}" on ${p.table}`).join(', ')} ${readers.length === 1 ? 'reads' : 'read'} ${v.key} in a sub-select, so with it the view's read of ${readerTables} would apply ${readers.length === 1 ? 'that policy' : 'those policies'} again for the querying role, and every query of ${readerTables} by a role ${readers.length === 1 ? 'it applies' : 'they apply'} to would fail with 42P17 infinite recursion detected in policy. ` +
              `Replace the view in ${readers.length === 1 ? 'the policy' : 'the policies'} with a SECURITY DEFINER function that answers only what ${readers.length === 1 ? 'it asks' : 'they ask'} about the caller (e.g. whether auth.uid() is an admin; SET search_path = '', EXECUTE revoked from PUBLIC and anon), then drop the view or revoke SELECT on it from the roles subject to RLS.`),
        related,
        fixes: readers.length === 0 ? [{ title: `Make ${v.key} security_invoker (PostgreSQL 15+)`, kind: 'unsafe', edits: invokerFix(model, v) }] : [],
      });
    }
  },
});
