export { Schema } from './model.js';
export type { DeleteConstraint, FieldDef, ObjectDef } from './model.js';
export {
  standardObjects,
  PERSON_ACCOUNT_MIRRORS,
  CASE_STATUSES,
  AGENT_WORK_STATUSES,
} from './standard-objects.js';
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
} from './force-app.js';
export type {
  BuildSchemaOptions,
  FieldPermission,
  ForceAppField,
  ForceAppObject,
  ForceAppPicklistValue,
  ForceAppSource,
  ObjectPermission,
  PermissionSetSource,
} from './force-app.js';
