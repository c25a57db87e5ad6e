/**
 * Salesforce error answers the data layer throws. Codes and message shapes follow the REST API's
 * "Status Codes and Error Responses"; the ones marked UNCONFIRMED are the emulator's best reading.
 */
import { SalesforceApiError } from './types';
import type { SfErrorItem } from './types';

export function sfError(
  status: number,
  errorCode: string,
  message: string,
  fields?: string[],
): SalesforceApiError {
  const item: SfErrorItem = { message, errorCode };
  if (fields !== undefined) item.fields = fields;
  return new SalesforceApiError(status, [item]);
}

export const NOT_FOUND_MESSAGE = 'The requested resource does not exist';

export const notFound = (message = NOT_FOUND_MESSAGE): SalesforceApiError =>
  sfError(404, 'NOT_FOUND', message);

export const entityIsDeleted = (fields: string[] = []): SalesforceApiError =>
  sfError(404, 'ENTITY_IS_DELETED', 'entity is deleted', fields);

/** `<Label>: id value of incorrect type: <value>` (the REST documentation's MALFORMED_ID example). */
export const malformedId = (label: string, value: unknown, field = 'Id'): SalesforceApiError =>
  sfError(400, 'MALFORMED_ID', `${label}: id value of incorrect type: ${String(value)}`, [field]);

/** Unknown field in a write body. */
export const noSuchColumnOnSobject = (field: string, sobject: string): SalesforceApiError =>
  sfError(400, 'INVALID_FIELD', `No such column '${field}' on sobject of type ${sobject}`);

/** Unknown field in a query or a `fields=` list. */
export const noSuchColumnOnEntity = (field: string, sobject: string): SalesforceApiError =>
  sfError(
    400,
    'INVALID_FIELD',
    `No such column '${field}' on entity '${sobject}'. If you are attempting to use a custom field, be sure to ` +
      `append the '__c' after the custom field name. Please reference your WSDL or the describe call for the ` +
      `appropriate names.`,
  );

export const requiredMissing = (fields: string[]): SalesforceApiError =>
  sfError(400, 'REQUIRED_FIELD_MISSING', `Required fields are missing: [${fields.join(', ')}]`, fields);

export const notWritable = (fields: string[]): SalesforceApiError =>
  sfError(
    400,
    'INVALID_FIELD_FOR_INSERT_UPDATE',
    `Unable to create/update fields: ${fields.join(', ')}. Please check the security settings of this field and ` +
      `verify that it is read/write for your profile or permission set.`,
    fields,
  );

export const stringTooLong = (label: string, value: string, max: number, field: string): SalesforceApiError =>
  sfError(400, 'STRING_TOO_LONG', `${label}: data value too large: ${value} (max length=${max})`, [field]);

export const badRestrictedPicklist = (label: string, value: unknown, field: string): SalesforceApiError =>
  sfError(
    400,
    'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
    `${label}: bad value for restricted picklist field: ${String(value)}`,
    [field],
  );

export const numberOutOfRange = (label: string, value: unknown, field: string): SalesforceApiError =>
  sfError(
    400,
    'NUMBER_OUTSIDE_VALID_RANGE',
    `${label}: value outside of valid range on numeric field: ${String(value)}`,
    [field],
  );

/**
 * A JSON value of the wrong type for the field. Salesforce answers JSON_PARSER_ERROR with
 * "Cannot deserialize instance of <type> from <TOKEN> value <v> or request may be missing a required field
 * at [line:L, column:C]"; the data layer sees parsed JSON, so the position part is left out.
 */
export const cannotDeserialize = (type: string, value: unknown): SalesforceApiError => {
  const token =
    typeof value === 'string'
      ? 'VALUE_STRING'
      : typeof value === 'number'
        ? Number.isInteger(value)
          ? 'VALUE_NUMBER_INT'
          : 'VALUE_NUMBER_FLOAT'
        : typeof value === 'boolean'
          ? value
            ? 'VALUE_TRUE'
            : 'VALUE_FALSE'
          : Array.isArray(value)
            ? 'START_ARRAY'
            : 'START_OBJECT';
  const shown =
    token === 'START_ARRAY'
      ? '['
      : token === 'START_OBJECT'
        ? '{'
        : typeof value === 'string'
          ? value
          : String(value);
  return sfError(
    400,
    'JSON_PARSER_ERROR',
    `Cannot deserialize instance of ${type} from ${token} value ${shown} or request may be missing a required field`,
  );
};

export const invalidEmail = (label: string, value: string, field: string): SalesforceApiError =>
  sfError(400, 'INVALID_EMAIL_ADDRESS', `${label}: invalid email address: ${value}`, [field]);

export const invalidCrossReference = (field: string): SalesforceApiError =>
  sfError(400, 'INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', [field]);

export const duplicateValue = (field: string, id: string): SalesforceApiError =>
  sfError(
    400,
    'DUPLICATE_VALUE',
    `duplicate value found: ${field} duplicates value on record with id: ${id}`,
    [field],
  );

export const malformedQuery = (message: string): SalesforceApiError =>
  sfError(400, 'MALFORMED_QUERY', message);

export const invalidType = (sobject: string): SalesforceApiError =>
  sfError(
    400,
    'INVALID_TYPE',
    `sObject type '${sobject}' is not supported. If you are attempting to use a custom object, be sure to append ` +
      `the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`,
  );
