import { invalidEnumValues, uncommittedOutsidePolicies, type BadValue } from '../analysis/enum-values.js';
import { defineRule } from './types.js';

// A policy comparing a column of an enum type with a string that is not one of the type's
// values: PostgreSQL converts the string to the enum when it analyses the CREATE POLICY and
// rejects the statement with 22P02 invalid input value for enum (event-spark-plan's 'usuario'),
// or with 55P04 unsafe use of new value when ALTER TYPE … ADD VALUE added it in the same
// transaction (a Supabase CLI migration adding a role and the policies for it).
// And a view, or a LANGUAGE sql function (check_function_bodies on), using a value the same
// transaction adds: PostgreSQL analyses them as it creates them, 55P04 too (PL/pgSQL: only when run).
// (What is found: analysis/enum-values.ts, which rejected.ts reads too.)

/** What the statement does with the string: compares a column with it, passes it for a parameter, or casts it. */
function subjectOf(bad: BadValue): string {
  return bad.column
    ? `compares ${bad.column}, of the enum type ${bad.type.name}, with '${bad.value}'`
    : bad.param
      ? `passes '${bad.value}' for ${bad.param}, of the enum type ${bad.type.name}`
      : `casts '${bad.value}' to the enum type ${bad.type.name}`;
}

export const policyInvalidEnumValue = defineRule({
  meta: {
    id: 'policy-invalid-enum-value',
    description: 'A policy compares a column of an enum type with a string that is not one of its values, casts such a string to the type or passes it for a parameter of the type (22P02), or uses a value the same transaction adds (55P04): PostgreSQL rejects the CREATE POLICY. So does a view or a LANGUAGE sql function using such a new value (55P04).',
    severity: 'error',
    category: 'correctness',
    fixKind: 'none',
    guards:
      "PostgreSQL converts a string compared with an enum column to the enum when it analyses the policy: a string that is not one of the type's values fails the CREATE POLICY (or ALTER POLICY) with 22P02 invalid input value for enum, one that ALTER TYPE … ADD VALUE added in the same uncommitted transaction with 55P04 unsafe use of new value, and the policy does not exist.",
    shownBy: { statement: ['22P02'] },
  },
  check({ model, report }) {
    for (const { file, stmt, bad } of invalidEnumValues(model)) {
      const n = stmt.node;
      const name = String(n.policy_name ?? '');
      const what = stmt.kind === 'AlterPolicyStmt' ? 'ALTER' : 'CREATE';
      const u = bad.uncommitted;
      const subject = subjectOf(bad);
      if (u) {
        const line = (s: { start: number }) => file.positionAt(s.start).line + 1;
        report({
          file: bad.file,
          start: bad.location,
          end: bad.location + (bad.length ?? bad.value.length + 2),
          message:
            `Policy "${name}" on ${model.relKey(n.table)} ${subject}, a value the ALTER TYPE … ADD VALUE of line ${line(u.add)} adds in the same transaction (${u.begin ? `the one its BEGIN of line ${line(u.begin)} opens` : u.tool}): ` +
            `PostgreSQL refuses to use an enum value before the transaction that added it commits, and rejects the ${what} POLICY with 55P04 unsafe use of new value "${bad.value}" of enum type ${bad.type.name}, so ${what === 'ALTER' ? 'the policy keeps its old expressions' : 'the policy is not created'} and the transaction rolls back, the ADD VALUE with it (a migration tool stops here). ` +
            `Add the value in an earlier migration (or commit it before this statement), or create the type with it.`,
        });
        continue;
      }
      const list = [...bad.values].map((v) => `'${v}'`).join(', ');
      report({
        file: bad.file,
        start: bad.location,
        end: bad.location + (bad.length ?? bad.value.length + 2),
        message:
          `Policy "${name}" on ${model.relKey(n.table)} ${subject}, ${bad.column || bad.param ? 'which is not one of its values' : 'which has no such value'} (${list}) when the policy is made: ` +
          `PostgreSQL converts the string to ${bad.type.name} as it analyses the policy${bad.param ? ' (as it resolves the call)' : ''} and rejects the ${what} POLICY with 22P02 invalid input value for enum ${bad.type.name}: "${bad.value}", so ${what === 'ALTER' ? 'the policy keeps its old expressions' : 'the policy is not created'} (a migration tool stops here). ` +
          `Use one of its values, or add this one first (ALTER TYPE ${bad.type.name} ADD VALUE '${bad.value}', in an earlier migration).`,
      });
    }
    // (a view, or a LANGUAGE sql function whose body PostgreSQL analyses as it creates it, using a value the same transaction added)
    for (const { file, what, name, bad } of uncommittedOutsidePolicies(model)) {
      const u = bad.uncommitted;
      const line = (s: { start: number }) => file.positionAt(s.start).line + 1;
      const subject = subjectOf(bad);
      const head = what === 'view' ? `View ${name} ${subject}` : `The body of function ${name} (LANGUAGE sql, which PostgreSQL analyses as it creates the function: check_function_bodies is on) ${subject}`;
      const made = what === 'view' ? 'CREATE VIEW' : 'CREATE FUNCTION';
      report({
        file: bad.file,
        start: bad.location,
        end: bad.location + (bad.length ?? bad.value.length + 2),
        message:
          `${head}, a value the ALTER TYPE … ADD VALUE of line ${line(u.add)} adds in the same transaction (${u.begin ? `the one its BEGIN of line ${line(u.begin)} opens` : u.tool}): ` +
          `PostgreSQL refuses to use an enum value before the transaction that added it commits, and rejects the ${made} with 55P04 unsafe use of new value "${bad.value}" of enum type ${bad.type.name}, so the ${what} is not created and the transaction rolls back, the ADD VALUE with it (a migration tool stops here). ` +
          `Add the value in an earlier migration (or commit it before this statement), or create the type with it.`,
      });
    }
  },
});
