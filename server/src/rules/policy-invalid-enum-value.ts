import { invalidEnumValues } from '../analysis/enum-values.js';
import { defineRule } from './types.js';

// A policy comparing a column of an enum type with a string that is not one of the type's
// values: PostgreSQL converts the string to the enum when it analyses the CREATE POLICY and
// rejects the statement with 22P02 invalid input value for enum (event-spark-plan's 'usuario').
// (What is found: analysis/enum-values.ts, which rejected.ts reads too.)

export const policyInvalidEnumValue = defineRule({
  meta: {
    id: 'policy-invalid-enum-value',
    description: 'A policy compares a column of an enum type with a string that is not one of its values, or casts such a string to the type: PostgreSQL rejects the CREATE POLICY (22P02).',
    severity: 'error',
    category: 'correctness',
    fixKind: 'none',
    guards:
      "PostgreSQL converts a string compared with an enum column to the enum when it analyses the policy: a string that is not one of the type's values fails the CREATE POLICY (or ALTER POLICY) with 22P02 invalid input value for enum, and the policy does not exist.",
    shownBy: { statement: ['22P02'] },
  },
  check({ model, report }) {
    for (const { stmt, bad } of invalidEnumValues(model)) {
      const n = stmt.node;
      const name = String(n.policy_name ?? '');
      const list = [...bad.values].map((v) => `'${v}'`).join(', ');
      report({
        file: bad.file,
        start: bad.location,
        end: bad.location + bad.value.length + 2,
        message:
          (bad.column
            ? `Policy "${name}" on ${model.relKey(n.table)} compares ${bad.column}, of the enum type ${bad.type.name}, with '${bad.value}', which is not one of its values (${list}) when the policy is made: `
            : `Policy "${name}" on ${model.relKey(n.table)} casts '${bad.value}' to the enum type ${bad.type.name}, which has no such value (${list}) when the policy is made: `) +
          `PostgreSQL converts the string to ${bad.type.name} as it analyses the policy and rejects the ${stmt.kind === 'AlterPolicyStmt' ? 'ALTER' : 'CREATE'} POLICY with 22P02 invalid input value for enum ${bad.type.name}: "${bad.value}", so ${stmt.kind === 'AlterPolicyStmt' ? 'the policy keeps its old expressions' : 'the policy is not created'} (a migration tool stops here). ` +
          `Use one of its values, or add this one first (ALTER TYPE ${bad.type.name} ADD VALUE '${bad.value}', in an earlier migration).`,
      });
    }
  },
});
