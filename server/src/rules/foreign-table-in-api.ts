import type { Model, View } from '../analysis/model.js';
import { exposedWhy } from '../analysis/supabase-config.js';
import { platformPrivileges, privilegesOf } from '../analysis/privileges.js';
import { defineRule } from './types.js';
import { apiUsesSchema, grantEventsNaming, insertAfter, lastGrantOf, mayHoldPrivilege, quoteIdent, roleText, usesSchema } from './lib/util.js';
import { listOr } from '../analysis/words.js';

// A foreign table (CREATE FOREIGN TABLE: postgres_fdw, Supabase Wrappers' Stripe or Firebase
// tables…) has no row-level security: PostgreSQL rejects ENABLE ROW LEVEL SECURITY and CREATE
// POLICY on it (42809), and a role with SELECT on it reads every row its server returns, fetched
// with the credentials of its user mapping where its wrapper uses one. In a schema an API exposes, the API's roles
// read them all (measured on PGlite with file_fdw: anon, granted by default privileges, reads the
// file's rows; revoked, 42501 permission denied for foreign table).

/** The roles that may read the foreign table, as far as the migrations tell: on Supabase, anon and authenticated unless revoked; elsewhere, the roles granted it. */
function readersOf(model: Model, v: View): string[] {
  const out: string[] = [];
  if (model.supabase) {
    for (const role of ['anon', 'authenticated']) if (apiUsesSchema(model, v.schema, role) && mayHoldPrivilege(model, v, role, ['select'])) out.push(role);
    return out;
  }
  for (const role of v.grants.keys()) {
    if (role === v.owner?.role || model.roleBypassesRls(role) === true) continue;
    if (privilegesOf(model, v, role).has('select')) out.push(role);
  }
  // (migrations that call Supabase's auth functions may run there: its default privileges then grant it)
  for (const role of ['anon', 'authenticated']) if (!out.includes(role) && usesSchema(model, v.schema, role) && platformPrivileges(model, v, role, true).includes('select')) out.push(role);
  return out;
}

export const foreignTableInApi = defineRule({
  meta: {
    id: 'foreign-table-in-api',
    description: 'A foreign table in an exposed schema that the API roles may read: foreign tables have no row-level security.',
    severity: 'warning',
    category: 'security',
    fixKind: 'unsafe',
    guards:
      'PostgreSQL has no row-level security for foreign tables (ENABLE ROW LEVEL SECURITY and CREATE POLICY on one fail with 42809): every role with SELECT on one reads all the rows its server returns.',
    sources: ['splinter 0017 foreign_table_in_api'],
  },
  check({ model, config, report }) {
    if (model.views.size === 0) return;
    for (const v of model.views.values()) {
      if (!v.foreign || !config.exposedSchemas.includes(v.schema)) continue;
      const readers = readersOf(model, v);
      if (readers.length === 0) continue;
      const name = `${quoteIdent(v.schema)}.${quoteIdent(v.name)}`;
      const who = listOr(readers.map((r) => (r === 'public' ? 'PUBLIC (every role)' : roleText(r))), 'and');
      // (said only where no GRANT of the migrations gives it to them: then the platform's defaults do)
      const granted = grantEventsNaming(model, 'table', [v.key, `schema:${v.schema}`]).some((i) => model.grantEvents[i]!.isGrant && model.grantEvents[i]!.grantees.some((r) => readers.includes(r)));
      const by = model.supabase && !granted && readers.every((r) => r === 'anon' || r === 'authenticated') ? " (Supabase's default privileges grant new tables in it to them)" : '';
      report({
        file: v.nameLoc.file,
        start: v.nameLoc.start,
        end: v.nameLoc.end,
        message:
          `Foreign table ${v.key} is in the exposed schema "${v.schema}"${exposedWhy(config, v.schema)}, and ${who} may read it${by}: PostgreSQL has no row-level security for foreign tables ` +
          '(ENABLE ROW LEVEL SECURITY and CREATE POLICY on one fail with 42809), so every row its server returns — fetched with the credentials of its user mapping, where its wrapper uses one — is theirs to read through the API, whoever asks. ' +
          `Move it to a schema the API does not expose (ALTER FOREIGN TABLE ${name} SET SCHEMA private) and serve what each user may see through a SECURITY DEFINER function that checks the caller, or REVOKE ALL ON ${name} FROM ${readers.map((r) => (r === 'public' ? 'PUBLIC' : quoteIdent(r))).join(', ')}.`,
        fixes: [
          {
            title: `Revoke ${name} from ${who} (the API then no longer serves it)`,
            kind: 'unsafe',
            edits: [insertAfter(model, lastGrantOf(model, v.created, 'table', [v.key, `schema:${v.schema}`], readers), [`REVOKE ALL ON ${name} FROM ${readers.map((r) => (r === 'public' ? 'PUBLIC' : quoteIdent(r))).join(', ')};`])],
          },
        ],
      });
    }
  },
});
