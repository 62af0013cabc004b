import { replayPlaces, type Func } from '../analysis/model.js';
import { roleName } from '../analysis/ast.js';
import { sval } from '../analysis/parse.js';
import type { Loc, Node, Statement } from '../analysis/types.js';
import { defineRule } from './types.js';
import { anyDefaultPrivileges } from './lib/util.js';

// PostgreSQL (ALTER DEFAULT PRIVILEGES): "Default privileges that are specified per-schema are
// added to whatever the global default privileges are for the particular object type. This
// means you cannot revoke privileges per-schema if they are granted globally (either by default,
// or according to a previous ALTER DEFAULT PRIVILEGES command that did not specify a schema).
// Per-schema REVOKE is only useful to reverse the effects of a previous per-schema GRANT."
// EXECUTE on functions for PUBLIC is such a global default: `ALTER DEFAULT PRIVILEGES IN SCHEMA s
// REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC` changes nothing (measured on PGlite).

/** What an ALTER DEFAULT PRIVILEGES on functions says: grant or revoke, of EXECUTE for PUBLIC, in which schemas. */
function publicExecute(s: Statement): { grant: boolean; schemas: string[] } | undefined {
  if (s.kind !== 'AlterDefaultPrivilegesStmt') return undefined;
  const a = s.node?.action;
  if (a?.objtype !== 'OBJECT_FUNCTION') return undefined;
  const privs: string[] = (a.privileges ?? []).map((p: Node) => String(p?.AccessPriv?.priv_name ?? '').toLowerCase());
  if (privs.length && !privs.includes('execute')) return undefined;
  if (!(a.grantees ?? []).map(roleName).includes('public')) return undefined;
  let schemas: string[] = [];
  for (const o of (s.node.options ?? []) as Node[]) {
    if (o?.DefElem?.defname === 'schemas') schemas = ((o.DefElem.arg?.List?.items ?? []) as Node[]).map((x) => String(sval(x) ?? ''));
  }
  return { grant: !!a.is_grant, schemas };
}

export const defaultPrivilegesRevokeIneffective = defineRule({
  meta: {
    id: 'default-privileges-revoke-ineffective',
    description: 'ALTER DEFAULT PRIVILEGES IN SCHEMA … REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC: it revokes nothing, and new functions stay executable by PUBLIC.',
    severity: 'warning',
    category: 'security',
    fixKind: 'unsafe',
    guards:
      "Per-schema default privileges only add to the global ones, and PUBLIC's EXECUTE on new functions is a global default: a per-schema REVOKE of it changes nothing, so every function created after it, SECURITY DEFINER ones too, is executable by PUBLIC.",
    truths: ['T22'],
    sources: ['PostgreSQL docs: ALTER DEFAULT PRIVILEGES (per-schema defaults are added to the global ones)'],
    shownBy: { exposure: 'execute', exposureOfRelated: true },
  },
  check({ model, report }) {
    // (most workspaces have no such statement)
    if (!anyDefaultPrivileges(model)) return;
    const position = new Map<Statement, number>();
    model.statements.forEach(({ stmt }, i) => position.set(stmt, i));
    // a global REVOKE (no IN SCHEMA) before: PUBLIC's default is gone, and a per-schema REVOKE undoes a per-schema GRANT
    let globallyRevoked = false;
    model.statements.forEach(({ file, stmt }, i) => {
      const d = publicExecute(stmt);
      if (!d) return;
      if (d.schemas.length === 0) {
        globallyRevoked = !d.grant;
        return;
      }
      if (d.grant || globallyRevoked) return;
      const schemas = d.schemas;
      // the functions created after it in those schemas that PUBLIC may still execute (the definer ones first);
      // not one made before it that a CREATE OR REPLACE after it replaces: PostgreSQL keeps the ACL it
      // got when it was made, which no default privilege set later changes (instantmed's
      // increment_cron_run_count(), made in the baseline and replaced a year later)
      const here: Loc = { file: file.file, start: stmt.start, end: stmt.end };
      const places = replayPlaces(model);
      const after: Func[] = [];
      for (const list of model.functions.values()) {
        for (const f of list) if (schemas.includes(f.schema) && f.publicExecute && (position.get(f.stmt) ?? -1) > i && !(f.made && places.before(f.made, here))) after.push(f);
      }
      after.sort((x, y) => Number(y.securityDefiner) - Number(x.securityDefiner) || x.signature.localeCompare(y.signature));
      const definers = after.filter((f) => f.securityDefiner);
      const named = (fs: Func[]) => `${fs.slice(0, 3).map((f) => f.signature).join(', ')}${fs.length > 3 ? ` and ${fs.length - 3} more` : ''}`;
      const left = after.length
        ? ` So PUBLIC may execute the ${after.length === 1 ? 'function' : `${after.length} functions`} the migrations create there after it${definers.length ? `, ${definers.length === after.length ? (after.length === 1 ? 'a SECURITY DEFINER one' : 'all SECURITY DEFINER') : `${definers.length} of them SECURITY DEFINER`}` : ''}: ${named(after)}.`
        : ' So every function created there after it is executable by PUBLIC.';
      const where = schemas.length === 1 ? `schema ${schemas[0]}` : `schemas ${schemas.join(', ')}`;
      const text = file.text.slice(stmt.start, stmt.end);
      const inSchema = /\s+IN\s+SCHEMA\s+(?:"(?:[^"]|"")*"|[^\s,]+)(?:\s*,\s*(?:"(?:[^"]|"")*"|[^\s,]+))*/i.exec(text);
      report({
        file: file.file,
        start: stmt.start,
        end: stmt.end,
        message:
          `This per-schema REVOKE of EXECUTE on functions from PUBLIC revokes nothing in ${where}: PostgreSQL adds per-schema default privileges to the global ones, and PUBLIC's EXECUTE on new functions is a global default, which only a REVOKE without IN SCHEMA removes (a per-schema REVOKE only undoes a per-schema GRANT).` +
          left +
          ` Write ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC without IN SCHEMA (it then holds in every schema, for the functions this role creates), or REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA ${schemas[0]} FROM PUBLIC after the functions are created, and grant EXECUTE to the roles that must call them.`,
        // (each function left executable, where it is created: verify's EXECUTE look of one shows the finding)
        related: after.map((f) => ({ file: f.created.file, start: f.nameLoc.start, end: f.nameLoc.end, message: `${f.signature}${f.securityDefiner ? ' (SECURITY DEFINER)' : ''}, created after it: PUBLIC may execute it` })),
        fixes: inSchema
          ? [
              {
                title: "Revoke PUBLIC's EXECUTE on new functions in every schema (drop IN SCHEMA)",
                kind: 'unsafe',
                edits: [{ file: file.file, start: stmt.start + inSchema.index, end: stmt.start + inSchema.index + inSchema[0].length, newText: '' }],
              },
            ]
          : undefined,
      });
    });
  },
});
