import { parseQuery } from '@jetstreamapp/soql-parser-js';
import type { OrgApi } from '../org/types';

/** One column of `GET /query?q=…&columns=true` (the shape the Developer Console and the sf CLI read). */
export interface ColumnMetadata {
  aggregate: boolean;
  apexType: string | null;
  booleanType: boolean;
  columnName: string;
  custom: boolean;
  displayName: string;
  foreignKeyName: string | null;
  insertable: boolean;
  joinColumns: ColumnMetadata[];
  numberType: boolean;
  textType: boolean;
  updatable: boolean;
}

const APEX_TYPES: Record<string, string> = {
  id: 'Id',
  reference: 'Id',
  boolean: 'Boolean',
  int: 'Integer',
  double: 'Double',
  currency: 'Double',
  percent: 'Double',
  date: 'Date',
  datetime: 'Datetime',
};

function column(name: string, joins: ColumnMetadata[] = [], aggregate = false): ColumnMetadata {
  return {
    aggregate,
    apexType: null,
    booleanType: false,
    columnName: name,
    custom: name.endsWith('__c') || name.endsWith('__r'),
    displayName: name,
    foreignKeyName: null,
    insertable: false,
    joinColumns: joins,
    numberType: false,
    textType: false,
    updatable: false,
  };
}

type ParsedField = ReturnType<typeof parseQuery>['fields'] extends (infer F)[] | undefined ? F : never;

/** Column metadata of a SOQL query (after the org has accepted the query). */
export function queryColumns(org: OrgApi, soql: string): Record<string, unknown> {
  const parsed = parseQuery(soql);
  const sobject = typeof parsed.sObject === 'string' ? parsed.sObject : '';
  let describe: ReturnType<OrgApi['describe']> | undefined;
  try {
    describe = org.describe(sobject);
  } catch {
    describe = undefined;
  }
  const typed = (name: string): ColumnMetadata => {
    const c = column(name);
    const f = describe?.fields.find((x) => x.name.toLowerCase() === name.toLowerCase());
    if (!f) return c;
    const apexType = APEX_TYPES[f.type] ?? 'String';
    return {
      ...c,
      columnName: f.name,
      displayName: f.name,
      apexType,
      custom: f.custom,
      booleanType: apexType === 'Boolean',
      numberType: apexType === 'Integer' || apexType === 'Double',
      textType: apexType === 'String',
      insertable: f.createable,
      updatable: f.updateable,
    };
  };
  const toColumn = (field: ParsedField, idx: number): ColumnMetadata => {
    switch (field.type) {
      case 'Field':
        return typed(field.field);
      case 'FieldRelationship': {
        // Account.Owner.Name → Account { Owner { Name } }
        const chain = [...field.relationships, field.field];
        let inner = column(chain[chain.length - 1] ?? field.field);
        for (let i = chain.length - 2; i >= 0; i--) inner = column(chain[i] ?? '', [inner]);
        return inner;
      }
      case 'FieldSubquery': {
        const sub = field.subquery;
        const joins = (sub.fields ?? []).map((f, i) => toColumn(f, i));
        return column(sub.relationshipName, joins, true);
      }
      case 'FieldFunctionExpression': {
        const name =
          field.alias ?? (field.isAggregateFn ? `expr${idx}` : (field.rawValue ?? field.functionName));
        return { ...column(name), displayName: field.rawValue ?? name };
      }
      default:
        return column(`expr${idx}`);
    }
  };
  const fields = parsed.fields ?? [];
  return {
    columnMetadata: fields.map((f, i) => toColumn(f, i)),
    entityName: describe?.name ?? sobject,
    groupBy: parsed.groupBy !== undefined,
    idSelected: fields.some((f) => f.type === 'Field' && f.field.toLowerCase() === 'id'),
    keyPrefix: describe?.keyPrefix ?? null,
  };
}
