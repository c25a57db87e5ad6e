export { Schema } from './model';
export type { DeleteConstraint, FieldDef, ObjectDef } from './model';
export {
  standardObjects,
  PERSON_ACCOUNT_MIRRORS,
  CASE_STATUSES,
  AGENT_WORK_STATUSES,
} from './standard-objects';
export {
  buildSchema,
  buildSchemaWithInfo,
  customKeyPrefix,
  listForceAppFields,
  permissionSetFieldGrants,
  readForceApp,
  readPermissionSets,
  relationshipNameOf,
  toFieldDef,
} from './force-app';
export type {
  BuildSchemaOptions,
  FieldPermission,
  ForceAppField,
  ForceAppObject,
  ForceAppPicklistValue,
  ForceAppSource,
  ObjectPermission,
  PermissionSetSource,
} from './force-app';
