// The one export list of rules: adding a rule = creating `<rule-id>.ts` + one line here.
// catalog.ts collects every export of this module that is a rule.
export { syntaxError } from './syntax-error.js';
export { rlsNotEnabled } from './rls-not-enabled.js';
export { rlsNotForced } from './rls-not-forced.js';
export { policyOnTableWithoutRls } from './policy-on-table-without-rls.js';
export { definerSearchPathMissing } from './definer-search-path-missing.js';
export { rlsDisabled } from './rls-disabled.js';
export { rlsEnabledWithoutPolicy } from './rls-enabled-without-policy.js';
export { partitionWithoutRls } from './partition-without-rls.js';
export { viewBypassesRls } from './view-bypasses-rls.js';
export { policyOnlyRestrictive } from './policy-only-restrictive.js';
export { policyRoleWithoutGrant } from './policy-role-without-grant.js';
export { policyMultiplePermissive } from './policy-multiple-permissive.js';
export { policyAppliesToPublic } from './policy-applies-to-public.js';
export { policyAlwaysTrue } from './policy-always-true.js';
export { policyInsertWithoutCheck } from './policy-insert-without-check.js';
export { policyMissingSelectCompanion } from './policy-missing-select-companion.js';
export { policyCurrentSettingUnsafe } from './policy-current-setting-unsafe.js';
export { policyPerRowFunction } from './policy-per-row-function.js';
export { policyColumnNotIndexed } from './policy-column-not-indexed.js';
export { policyHardcodedId } from './policy-hardcoded-id.js';
export { policyUserMetadata } from './policy-user-metadata.js';
export { definerSearchPathUnsafe } from './definer-search-path-unsafe.js';
export { definerExecuteGrantedToPublic } from './definer-execute-granted-to-public.js';
export { sessionContextNotLocal } from './session-context-not-local.js';
export { immutableFunctionReadsState } from './immutable-function-reads-state.js';
export { rowSecurityOffDoesNotBypass } from './row-security-off-does-not-bypass.js';
