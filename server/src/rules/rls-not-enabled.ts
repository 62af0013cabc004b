import { defineRule } from './types.js';
import { API_ROLES, apiUsesSchema, policySubjects, enabledInUnappliedFile, enabledTooEarly, enabledUnderAnotherSchema, enableRlsFix, forceMatters, policiesTooEarly, grantedToRlsSubject, insertAfter, lastGrantOf, where, mayHoldPrivilege, onSupabasePlatform, requestsReach, quoteIdent, rlsAncestor, roleText, tableName, tableList, usesSchema } from './lib/util.js';
import { PLATFORM_SCHEMAS } from '../analysis/ast.js';
import { enableLoopsBefore, mayBeDynamic } from '../analysis/dynamic-rls.js';
import { exposedWhy } from '../analysis/supabase-config.js';
import { COMMAND_PRIVILEGES, platformPrivileges, privilegesOf } from '../analysis/privileges.js';
import type { Model, Table } from '../analysis/model.js';
import { listOr } from '../analysis/words.js';

/** The first of `roles` granted a command privilege on the table (not its owner), with those privileges. */
function grantedTo(model: Model, t: Table, roles: readonly string[]): { role: string; privileges: string[] } | undefined {
  for (const role of roles) {
    if (t.owner?.role === role) continue;
    const privs = privilegesOf(model, t, role);
    const list = COMMAND_PRIVILEGES.filter((p) => privs.has(p));
    if (list.length) return { role, privileges: list.map((p) => p.toUpperCase()) };
  }
  return undefined;
}

/** Whether a REVOKE names the table and, after the migrations, no role subject to RLS but its owner holds a privilege to query it. */
function revokedFromAll(model: Model, t: Table): boolean {
  return model.grantEvents.some((e) => !e.isGrant && e.objectKind === 'table' && e.objects.includes(t.key)) && !grantedToRlsSubject(model, t, COMMAND_PRIVILEGES) &&
    // (nor what Supabase's defaults leave an API role where the migrations may run on it: platformReach)
    !API_ROLES.some((r) => platformPrivileges(model, t, r, true).length > 0);
}

/**
 * ` (public.f(), which enables RLS on every table of the catalog it loops over, …)` for a table
 * made after such a function last runs, or after it is dropped uncalled (astrotribe's
 * add_authorize_rls_policies()): a loop over the catalog reaches the tables that exist when it runs. Or ''.
 */
function loopsTooEarly(model: Model, t: Table): string {
  const l = enableLoopsBefore(model, t)[0];
  if (!l?.last) return '';
  const when = l.called
    ? `last runs at ${where(model, l.last)}`
    : `${l.uncalled ? 'is never called by the migrations and ' : ''}is ${model.statements[l.until]?.stmt.kind === 'DropStmt' ? 'dropped' : 'given another body'} at ${where(model, l.last)}`;
  return ` (${l.name}() at ${where(model, l.defined)} enables row-level security on each table its loop over the catalog finds, but it ${when}, before the CREATE TABLE at ${where(model, t.created)}: such a loop reaches only the tables that exist when it runs)`;
}

const VERBS: Record<string, string> = { select: 'read', insert: 'insert', update: 'update', delete: 'delete' };

/** What the privileges let a role do: `read and write`, or the verbs (`read, insert and update`). */
const what = (c: string[]) => (c.length === COMMAND_PRIVILEGES.length ? 'read and write' : c.map((x) => VERBS[x]).join(', ').replace(/, ([^,]*)$/, ' and $1'));

/** `who may read and write all of its rows` (or `… may insert rows`): what the privileges let them do to the table. */
const mayDo = (who: string, c: string[]) => `${who} may ${what(c)} ${c.length === 1 && c[0] === 'insert' ? 'rows' : 'all of its rows'}`;

/**
 * On Supabase, what the API roles may do to the table as far as the migrations' grants and
 * REVOKEs tell (the platform grants them everything by default): oasis's staff roles table,
 * revoked from both and granted SELECT to authenticated, is read, never written. Undefined
 * elsewhere, or when neither may do anything (another role subject to RLS is granted it).
 */
function apiReach(model: Model, t: Table): string | undefined {
  if (!model.supabase) return grantReach(model, t);
  const per: Array<[string, string[]]> = [];
  const noUsage: string[] = [];
  for (const role of ['anon', 'authenticated']) {
    // (a role without USAGE on the schema is refused before any table privilege counts, 42501:
    // MakerKit's `revoke all privileges on schema "public" from "anon"`)
    if (!apiUsesSchema(model, t.schema, role)) {
      noUsage.push(role);
      continue;
    }
    const can = COMMAND_PRIVILEGES.filter((c) => mayHoldPrivilege(model, t, role, [c]));
    if (can.length) per.push([role, can]);
  }
  if (per.length === 0) return undefined;
  if (per.length === 2 && per.every(([, c]) => c.length === COMMAND_PRIVILEGES.length)) return 'anon and authenticated, the roles of every API request, may read and write all of its rows';
  const other = per.length === 1 ? (per[0]![0] === 'anon' ? 'authenticated' : 'anon') : undefined;
  const none = other === undefined ? '' : noUsage.includes(other) ? ` (${other} has no USAGE on schema ${t.schema}, so it cannot reach it)` : ` (${other} holds no privilege on it)`;
  return `${per.map(([r, c]) => mayDo(r, c)).join(' and ')}${none}`;
}

/**
 * Elsewhere, what the roles the migrations grant the table to may do as those grants tell
 * (GamingPlatform's player and manager, granted SELECT: they read, never write). Undefined when
 * they grant it to no role but its owner.
 */
function grantReach(model: Model, t: Table): string | undefined {
  const byPrivileges = new Map<string, string[]>();
  const holders = new Set<string>();
  // (the roles granted the table, and those any table grant names: privilegesOf decides)
  const candidates = new Set<string>(t.grants.keys());
  for (const g of model.grantEvents) if (g.objectKind === 'table' && g.isGrant) for (const r of g.grantees) candidates.add(r);
  for (const role of candidates) {
    if (t.owner?.role === role || model.roleBypassesRls(role) === true) continue;
    const privs = privilegesOf(model, t, role);
    const can = COMMAND_PRIVILEGES.filter((c) => privs.has(c));
    if (can.length === 0) continue;
    holders.add(role);
    const k = can.join(',');
    byPrivileges.set(k, [...(byPrivileges.get(k) ?? []), role === 'public' ? 'PUBLIC (every role)' : roleText(role)]);
  }
  const granted = byPrivileges.size ? `${[...byPrivileges].map(([k, roles]) => mayDo(listOr(roles, 'and'), k.split(','))).join(', and ')} (as the migrations grant it)` : undefined;
  const platform = platformReach(model, t, holders);
  return granted && platform ? `${granted}; and ${platform}` : (granted ?? platform);
}

/**
 * Outside a Supabase layout, where the migrations call auth.uid() & co. and do not create
 * Supabase's API roles (platformMayGrant: they may run on Supabase, imake's Drizzle migrations):
 * what the platform's default privileges would let anon and authenticated do, less what the
 * migrations revoke. Said as a condition: the lint cannot tell the database, nor the role they
 * run as (Supabase's defaults are for tables postgres creates).
 */
function platformReach(model: Model, t: Table, granted: ReadonlySet<string>): string | undefined {
  const per: Array<[string, string[]]> = [];
  for (const role of API_ROLES) {
    if (granted.has(role) || !usesSchema(model, t.schema, role)) continue;
    const can = platformPrivileges(model, t, role, true);
    if (can.length) per.push([role, can]);
  }
  if (per.length === 0) return undefined;
  const roles = per.length === 2 && per[0]![1].join() === per[1]![1].join() ? [['anon and authenticated', per[0]![1]] as [string, string[]]] : per;
  return `if the migrations run on Supabase as postgres (they call Supabase's auth functions), the platform's default privileges grant the table to the roles of every API request: ${roles.map(([r, c]) => mayDo(r, c)).join(' and ')}`;
}

/**
 * Whether the workspace uses no row-level security at all, off Supabase: no policy, no table whose
 * RLS is enabled or that an ENABLE names. A plain application database reached by its own role only
 * (agent-first-simple-newsletter-cms: 97 findings, one per table) is reported table by table under
 * the default exposedSchemas; the message then says how to tell the lint so.
 */
function usesNoRls(model: Model): boolean {
  if (model.policies.length !== 0 || model.supabase || onSupabasePlatform(model)) return false;
  for (const t of model.tables.values()) if (t.rlsEnabled || t.rlsEvents.length !== 0) return false;
  return true;
}

export const rlsNotEnabled = defineRule({
  meta: {
    id: 'rls-not-enabled',
    description: 'A table in an exposed schema, or granted to a role the policies are written for, never gets ENABLE ROW LEVEL SECURITY.',
    severity: 'warning',
    category: 'security',
    fixKind: 'unsafe',
    guards: 'Without RLS, any role granted access to the table reads and writes every row; no policy filters them.',
    sources: ['splinter 0013 rls_disabled_in_public', 'pgrls'],
    shownBy: { exposure: 'no-rls' },
  },
  check({ model, config, report }) {
    const tables = tableList(model);
    let subjects: readonly string[] | undefined;
    // (a workspace no table of which has RLS, and no policy, off Supabase: said once it matters)
    let noRls: boolean | undefined;
    for (let ti = 0; ti < tables.length; ti++) {
      const t = tables[ti]!;
      if (t.temp) continue;
      const exposed = config.exposedSchemas.includes(t.schema);
      // outside the exposed schemas: a table granted to a role the policies are written for
      let granted: { role: string; privileges: string[] } | undefined;
      if (!exposed) {
        if (t.rlsEnabled || t.rlsEvents.length || t.policies.length) continue;
        // (Supabase's own schemas, realtime.*, supabase_functions.*: the platform secures them)
        if (PLATFORM_SCHEMAS.has(t.schema) && (model.supabase || onSupabasePlatform(model))) continue;
        subjects ??= policySubjects(model);
        granted = grantedTo(model, t, subjects);
        if (!granted) continue;
      }
      if (t.rlsEnabled || t.rlsEvents.some((e) => e.kind === 'enable')) continue;
      if (t.policies.length > 0) continue; // policy-on-table-without-rls reports it
      if (t.rlsEvents.some((e) => e.kind === 'disable')) continue; // rls-disabled reports the DISABLE
      if (rlsAncestor(model, t)) continue; // partition-without-rls reports a child of an RLS table
      if (mayBeDynamic(model, 'enable', t)) continue; // (dynamic SQL may enable it: analysis/dynamic-rls.ts)
      if (mayBeDynamic(model, 'dropTable', t)) continue; // (dynamic SQL may drop it: EXECUTE 'DROP TABLE …')
      // (made without a schema, and enabled by a name with another schema no statement makes: the
      // migrations' session has that schema first on its search_path, set outside them, and the
      // table is that one, with RLS: which schema it is in the lint cannot tell, so it says nothing)
      if (enabledUnderAnotherSchema(model, t)) continue;
      // (on Supabase, a table every API role lost its privileges on, and granted to no other role
      // subject to RLS: no request reaches it; gearup's trigger_debug, written by definer triggers)
      if (exposed && model.supabase && !requestsReach(model, t, COMMAND_PRIVILEGES)) continue;
      // (elsewhere, a table a REVOKE names whose privileges no role but its owner and roles that
      // bypass RLS keeps: logto's systems and service_logs, revoked from the tenant role that
      // every other table is granted to)
      if (exposed && !model.supabase && revokedFromAll(model, t)) continue;
      const name = tableName(model, t);
      // (a table renamed later: the fix goes after its CREATE TABLE, under the name it has there;
      // a statement written after the migrations needs the name it ends with: sqoop's
      // twitter_accounts, renamed twitter_sources)
      // (FORCE only where it changes something for the owner: rls-not-forced)
      const force = forceMatters(model, t);
      const fix = enableRlsFix(name, force);
      const add = t.renamed ? `${tableName(model, t, t.renamed)} (named ${name} where it is created)` : name;
      // (an ENABLE the replay leaves out with its file, as the migration tool does: said where it is)
      const unapplied = enabledInUnappliedFile(model, t);
      report({
        file: t.nameLoc.file,
        start: t.nameLoc.start,
        end: t.nameLoc.end,
        message: granted
          ? // (an ENABLE or policies of the table replayed before its CREATE TABLE are said too, as for an
            // exposed table: DAST-SV/es-lecto-escritura-web-nextjs's schemas/books/rls/ sorts before tables/)
            `Table ${t.key} never gets row-level security${enabledTooEarly(model, t) || policiesTooEarly(model, t) || loopsTooEarly(model, t)}, yet ${roleText(granted.role)}, a role the workspace's policies are written for (its queries are meant to be filtered), is granted ${granted.privileges.join(', ')} on it: ` +
            `without RLS, privileges alone decide, so ${roleText(granted.role)} ` +
            // (INSERT alone reaches no row there: it adds rows, for whichever tenant or user it names;
            // truealpha's append-only audit tables, granted INSERT only)
            (granted.privileges.length === 1 && granted.privileges[0] === 'INSERT'
              ? 'inserts rows naming any tenant or user it likes: nothing checks the rows it writes (it reads none of them). '
              : `${granted.privileges.includes('SELECT') ? 'reads' : 'reaches'} every row of it, ` +
                // (read-only: a catalog every tenant shares, fundament's kubernetes_versions, is fine as it is)
                (granted.privileges.length === 1 && granted.privileges[0] === 'SELECT' ? 'whichever tenant or user a row belongs to, if rows belong to one (a catalog every tenant shares has none). ' : 'whatever tenant or user it belongs to. ')) +
            `${unapplied}Add ALTER TABLE ${add} ENABLE ROW LEVEL SECURITY${force ? ' (and FORCE)' : ''} with policies for ${roleText(granted.role)}, or revoke its privileges if it must not reach the table (a table every tenant may share can stay as it is: turn this finding off for it).`
          : `Table ${t.key} is in the exposed schema "${t.schema}"${exposedWhy(config, t.schema)} but row-level security is never enabled${enabledTooEarly(model, t) || policiesTooEarly(model, t) || loopsTooEarly(model, t)}: ` +
            `${apiReach(model, t) ?? (model.supabase ? 'every role granted access to it reads and writes all rows' : 'the migrations give no role but its owner (or one that bypasses RLS) access to it, yet any role granted access elsewhere or later reads and writes all rows')}, and no policy can filter them. ` +
            `${unapplied}Add ALTER TABLE ${add} ENABLE ROW LEVEL SECURITY${force ? ' (and FORCE)' : ''}, then policies for the roles that need access.` +
            (!config.exposedBy?.[t.schema] && (noRls ??= usesNoRls(model))
              ? ` (No table of these migrations has row-level security, and no policy: if no API such as PostgREST serves schema "${t.schema}" and only the application's own role reaches its tables, say so with "exposedSchemas": [] in .pg-rls-lint.json; this rule then reports only tables granted to a role that policies are written for.)`
              : ''),
        // (for a table granted to the policies' role, not enabling it: without its policies, that
        // role, which uses the table today, would get no row and every write would fail)
        fixes: granted
          ? [
              {
                title: `Revoke ${granted.privileges.join(', ')} on ${name} from ${roleText(granted.role)} (if it must not reach the table; if it must, write its policies instead)`,
                kind: 'unsafe',
                edits: [insertAfter(model, lastGrantOf(model, t.created, 'table', [t.key, `schema:${t.schema}`], [granted.role]), [`REVOKE ${granted.privileges.join(', ')} ON ${name} FROM ${quoteIdent(granted.role)};`])],
              },
            ]
          : [
              {
                // not applied by --fix or "fix all": until policies exist, every role but superusers
                // and BYPASSRLS roles (the owner too, once forced) gets no row and every write fails
                title: fix.title,
                kind: 'unsafe',
                edits: [insertAfter(model, t.created, fix.statements)],
              },
            ],
      });
    }
  },
});
