import type { GrantEvent, Model, Table } from '../analysis/model.js';
import { roleName } from '../analysis/ast.js';
import { platformGrantee } from '../analysis/privileges.js';
import type { Loc, Node } from '../analysis/types.js';
import { anyStatementIn } from '../analysis/policy-exprs.js';
import { defineRule, type Fix } from './types.js';
import { insertAfter, quoteIdent, tableName } from './lib/util.js';
import { listOr } from '../analysis/words.js';

/** Whether a parsed file has a REVOKE of a column privilege. */
const revokesColumns = anyStatementIn((s) => s.kind === 'GrantStmt' && !s.node?.is_grant && (s.node?.privileges ?? []).some((p: Node) => p?.AccessPriv?.cols?.length));

/** The column privileges a GRANT or REVOKE statement names: `select` → its columns. */
function columnPrivilegesOf(n: Node): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const p of (n?.privileges ?? []) as Node[]) {
    const cols = p?.AccessPriv?.cols as Node[] | undefined;
    if (cols?.length) out.set(String(p.AccessPriv.priv_name).toLowerCase(), cols.map((c) => String(c?.String?.sval ?? '')));
  }
  return out;
}

/**
 * Whether `role` holds `privilege` on the whole table at the end of the migrations, and from
 * where: the table's grants as replayed (which take a column GRANT for the command), less the
 * case where every GRANT of it to the role there names columns; or Supabase's platform
 * defaults, unless a table-wide REVOKE took it. Membership is not followed (not reported).
 */
function tableWide(model: Model, t: Pick<Table, 'key' | 'schema'> & { grants?: Table['grants'] }, role: string, privilege: string, columnGrants: Set<string>): 'grant' | 'default' | 'public' | 'platform' | undefined {
  let granted: boolean | undefined;
  for (const e of model.grantEvents) {
    if (e.objectKind !== 'table' || !e.grantees.includes(role)) continue;
    if (!e.objects.includes(t.key) && !e.objects.includes(`schema:${t.schema}`)) continue;
    if (!e.privileges.includes(privilege) && !e.privileges.includes('all')) continue;
    if (e.isGrant && columnGrants.has(`${e.loc.file}\u0000${e.loc.start}\u0000${privilege}`)) continue;
    granted = e.isGrant;
  }
  if (granted === true) return role === 'public' ? 'public' : 'grant';
  if (granted === false) return undefined;
  // no table-wide GRANT or REVOKE of it here: default privileges (in the replayed grants, when
  // no column GRANT put it there) or the platform's
  // (grida's ALTER DEFAULT PRIVILEGES … IN SCHEMA grida_library GRANT ALL ON TABLES: no GRANT names the table)
  if (t.grants?.get(role)?.has(privilege) && ![...columnGrants].some((k) => k.endsWith(`\u0000${privilege}`))) return role === 'public' ? 'public' : 'default';
  return platformGrantee(model, t.schema, role) ? 'platform' : undefined;
}

const SOURCE = {
  grant: (p: string) => `a GRANT of ${p} on the table`,
  default: (p: string) => `${p} given by the default privileges of its schema when the table was created: ALTER DEFAULT PRIVILEGES … GRANT … ON TABLES`,
  public: (p: string) => `${p} granted to PUBLIC on the table`,
  platform: () => "Supabase's default privileges, ALL on every table in public",
} as const;

export const columnRevokeIneffective = defineRule({
  meta: {
    id: 'column-revoke-ineffective',
    description: 'A REVOKE of a column privilege from a role that holds the privilege on the whole table: it takes nothing away.',
    severity: 'error',
    category: 'security',
    fixKind: 'unsafe',
    guards:
      "PostgreSQL checks a column's privilege only when the table's is missing, and a column REVOKE does not touch a table-wide grant: the role still reads (or writes) the columns meant to be hidden.",
    sources: ['PostgreSQL docs: GRANT (column privileges), REVOKE'],
  },
  check({ model, report }) {
    if (!model.files.some(revokesColumns)) return;
    const revokeAt = new Map<string, GrantEvent>();
    for (const e of model.grantEvents) if (!e.isGrant && e.objectKind === 'table') revokeAt.set(`${e.loc.file}\u0000${e.loc.start}`, e);
    // the column GRANTs (file, start, privilege): not table-wide
    const columnGrants = new Set<string>();
    for (const { file, stmt } of model.statements) {
      if (stmt.kind === 'GrantStmt' && stmt.node?.is_grant) for (const p of columnPrivilegesOf(stmt.node).keys()) columnGrants.add(`${file.file}\u0000${stmt.start}\u0000${p}`);
    }
    for (const { file, stmt } of model.statements) {
      const n = stmt.node;
      if (stmt.kind !== 'GrantStmt' || n?.is_grant || n?.objtype !== 'OBJECT_TABLE' || n?.targtype !== 'ACL_TARGET_OBJECT') continue;
      const revoked = columnPrivilegesOf(n);
      if (revoked.size === 0) continue;
      const loc: Loc = { file: file.file, start: stmt.start, end: stmt.end };
      const roles: string[] = ((n.grantees ?? []) as Node[]).map(roleName);
      for (const key of revokeAt.get(`${loc.file}\u0000${loc.start}`)?.objects ?? []) {
        // (a table the migrations do not create, e.g. made in Supabase's dashboard: its grants
        // as far as they show)
        const t = model.tables.get(key) ?? { key, schema: key.slice(0, key.indexOf('.')), columns: [] as string[] };
        const name = 'created' in t ? tableName(model, t, loc) : key;
        for (const role of roles) {
          for (const [privilege, columns] of revoked) {
            const source = tableWide(model, t, role, privilege, columnGrants);
            if (!source) continue;
            const P = privilege.toUpperCase();
            const cols = columns.map(quoteIdent);
            const rest = t.columns.filter((c) => !columns.includes(c));
            const who = role === 'public' ? 'PUBLIC' : quoteIdent(role);
            const fixes: Fix[] = [];
            if (rest.length && source !== 'public') {
              fixes.push({
                title: `Revoke ${P} on ${name} from ${who} and grant it on the other columns`,
                kind: 'unsafe',
                edits: [insertAfter(model, loc, [`REVOKE ${P} ON ${name} FROM ${who};`, `GRANT ${P} (${rest.map(quoteIdent).join(', ')}) ON ${name} TO ${who};`])],
              });
            }
            const verb = privilege === 'select' ? 'reads' : privilege === 'update' ? 'updates' : privilege === 'insert' ? 'writes' : 'uses';
            const list = listOr(cols, 'and');
            report({
              ...loc,
              message:
                `REVOKE ${P} (${cols.join(', ')}) ON ${name} FROM ${who} takes nothing away: ${who} holds ${P} on the whole table (${SOURCE[source](P)}), ` +
                `and a column REVOKE does not touch a table-wide privilege — PostgreSQL looks at a column's privilege only when the table's is missing. ${who} still ${verb} ${list}. ` +
                `Revoke ${P} on the table from ${who}, then grant ${P} on the columns it may ${privilege === 'select' ? 'read' : 'use'} (REVOKE ${P} ON ${name} FROM ${who}; GRANT ${P} (…) ON ${name} TO ${who};).`,
              fixes,
            });
          }
        }
      }
    }
  },
});
