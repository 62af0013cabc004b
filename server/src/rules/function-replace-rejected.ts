import type { RejectedReplacement } from '../analysis/model.js';
import { defineRule } from './types.js';
import { failedFiles, rejectedBodies, rejectedParameters, stopsAt } from './policy-already-exists.js';
import { where } from './lib/util.js';

// CREATE OR REPLACE FUNCTION cannot change what callers of the function rely on: its input
// parameters' names, its return type, its defaults, whether it is a procedure
// (analysis/function-replace.ts). PostgreSQL rejects such a statement and keeps the function as it
// was: its body, SECURITY DEFINER and SET search_path too, which the new text may have meant to fix.
// The model records it when the migrations leave no doubt (Model.rejectedReplacements: both
// top-level statements of one folder, nothing between that may drop the function unseen) and keeps
// the old function, as PostgreSQL does; this rule tells.
// So for a LANGUAGE sql body that returns text where the function is declared to return a type
// text does not become by assignment (uuid, integer, boolean, jsonb…): PostgreSQL analyses the body
// as it creates the function and rejects it with 42P13 return type mismatch (function-replace.ts
// bodyReturnMismatch; MarcoFranca/ContemplaHub's auth.org_id() returns uuid from `… ->> 'org_id'`).
// The model makes no function of it: one made before with these arguments stays as it was.
// So for a parameter list PostgreSQL refuses (function-replace.ts parameterRejection): two
// parameters of one name (cdos' and evently's verify_password(email text, …) RETURNS TABLE (…, email
// text) LANGUAGE plpgsql), an input parameter without a default after one with a default (100IN's
// rpc_create_chat): 42P13.

/** What to do about it, for the message. */
function advice(r: RejectedReplacement): string {
  const drop = `DROP ${r.replaced.isProcedure ? 'PROCEDURE' : 'FUNCTION'} ${r.replaced.signature}`;
  if (r.rejection.code === '42809' || r.rejection.message.startsWith('cannot change return type')) {
    return `Run ${drop} before it (policies, triggers or views that use the function must be dropped and made again around it: DROP … CASCADE drops them silently), or give the new one another name.`;
  }
  if (r.rejection.message.startsWith('cannot change name')) {
    return `Keep the parameter's name (rename it in the body with a variable or $n if needed), or run ${drop} before it (policies and triggers that use the function must then be made again).`;
  }
  return `Keep the defaults, or run ${drop} before it (policies and triggers that use the function must then be made again).`;
}

export const functionReplaceRejected = defineRule({
  meta: {
    id: 'function-replace-rejected',
    description:
      'A CREATE OR REPLACE FUNCTION that renames an input parameter, changes the return type, removes a default or the routine kind, a LANGUAGE sql function whose body returns text where it is declared to return uuid, integer, boolean, jsonb…, or a parameter list PostgreSQL refuses (two parameters of one name, a default missing after one): PostgreSQL rejects it (42P13, 42809) and the function stays as it was (or is never made).',
    severity: 'error',
    category: 'correctness',
    fixKind: 'none',
    guards:
      "CREATE OR REPLACE cannot change a function's input parameter names, return type (OUT and TABLE columns included) or defaults, nor make a procedure of a function: PostgreSQL rejects it with 42P13 (42809) and keeps the old function — its body, SECURITY DEFINER and SET search_path — and the migration stops there. A LANGUAGE sql body is analysed as the function is created: one returning text (current_setting(), `->> 'key'`) where the function is declared to return uuid, integer, boolean or jsonb fails with 42P13 return type mismatch (text becomes those only by an explicit cast), and no function is made; so does one with two parameters of one name (42P13 parameter name used more than once; in PL/pgSQL an input parameter and an OUT or TABLE column too) or an input parameter without a default after one with a default (42P13).",
    shownBy: { statement: ['42P13', '42809'] },
  },
  check({ model, report }) {
    for (const r of rejectedBodies(model)) {
      report({
        ...r.nameLoc,
        message:
          `Function ${r.name} is declared to return ${r.declared}, but its body (LANGUAGE sql) returns text: PostgreSQL analyses a SQL function's body as it creates the function (check_function_bodies is on) and rejects this statement with 42P13 return type mismatch in function declared to return ${r.declared} (Actual return type is text), ` +
          `since text becomes ${r.declared} only by an explicit cast. So a migration tool applying the migrations in order ${stopsAt(model, r.loc)}, and no function is made of this body: a function of this name and argument types made before stays as it was, and where there is none, whatever calls ${r.name}() fails with 42883 function does not exist. ` +
          `Cast what the body returns (\`…::${r.declared}\`, through nullif(…, '') for a setting that may be empty, as current_setting(…, true) is after a transaction-local set ends), or declare the function RETURNS text.`,
        related: [{ ...r.result, message: 'the body returns text here' }],
      });
    }
    for (const r of rejectedParameters(model)) {
      const why = r.plpgsql
        ? `PL/pgSQL makes each parameter a variable of the body, an input parameter and an OUT or RETURNS TABLE column alike, and checks the body as the function is created (check_function_bodies is on), so PostgreSQL rejects this statement`
        : 'PostgreSQL rejects this statement';
      const fix = r.defaults
        ? `Give ${r.param} a default too, or move it before the parameters that have one (callers passing arguments by position then pass it first).`
        : `Rename one of them (the input parameter to p_${r.param}, say, and the body's uses of it): callers passing arguments by position are unaffected.`;
      report({
        ...r.nameLoc,
        message:
          `Function ${r.name} has ${r.what}: ${why} with 42P13 ${r.message}. ` +
          `So a migration tool applying the migrations in order ${stopsAt(model, r.loc)}, and no function is made of it: a function of this name and argument types made before stays as it was (a CREATE OR REPLACE of it, later, replaces that one, not this), and where there is none, whatever calls ${r.name}() fails with 42883 function does not exist. ` +
          fix,
      });
    }
    if (model.rejectedReplacements.length === 0) return;
    const failing = failedFiles(model);
    for (const r of model.rejectedReplacements) {
      const made = r.replaced.created;
      // (made in a file PostgreSQL rejects a statement of: a tool running each file in one
      // transaction never made it, and this is most likely the retry: as table-already-exists)
      if (made.file !== r.loc.file && failing.has(made.file)) continue;
      report({
        ...r.nameLoc,
        message:
          `CREATE OR REPLACE ${r.replaced.isProcedure ? 'PROCEDURE' : 'FUNCTION'} ${r.replaced.signature} changes ${r.rejection.change} of the one created at ${where(model, made)}, which nothing drops before this statement: ` +
          `PostgreSQL rejects it with ${r.rejection.code} ${r.rejection.message}, so a migration tool applying them in order ${stopsAt(model, r.loc)}, and the function stays as it was — its body${r.replaced.securityDefiner ? ', SECURITY DEFINER' : ''} and SET clauses too (the other rules read it so). ` +
          advice(r),
        related: [{ ...made, message: `${r.replaced.signature} is created here` }],
      });
    }
  },
});

