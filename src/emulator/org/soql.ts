/**
 * SOQL over the org's records, parsed with @jetstreamapp/soql-parser-js.
 *
 * Supported: field lists with parent relationship paths (polymorphic at the last hop), child
 * relationship subqueries, WHERE (=, !=, <>, <, <=, >, >=, LIKE, IN, NOT IN, INCLUDES, EXCLUDES, semi-join
 * `IN (SELECT …)`, AND/OR/NOT with parentheses), literals (strings, numbers, booleans, null, dates,
 * datetimes, TODAY/YESTERDAY/TOMORROW, LAST_N_DAYS:n, NEXT_N_DAYS:n, N_DAYS_AGO:n, THIS_MONTH,
 * LAST_MONTH), ORDER BY (several fields, ASC/DESC, NULLS FIRST/LAST), LIMIT, OFFSET (≤ 2000), COUNT() and
 * aggregate functions (COUNT, COUNT_DISTINCT, SUM, AVG, MIN, MAX) with GROUP BY.
 *
 * Without ORDER BY the result order is deliberately not insertion order, as Salesforce promises none.
 */
import { parseQuery } from '@jetstreamapp/soql-parser-js';
import type {
  Query,
  WhereClause,
  Condition,
  FieldType as ParsedFieldType,
} from '@jetstreamapp/soql-parser-js';
import type { FieldDef, ObjectDef, Schema } from '../schema/model';
import { invalidType, malformedQuery, noSuchColumnOnEntity, sfError } from './errors';
import { normalizeId } from './ids';
import type { QueryResult, SObjectRecord } from './types';
import { isValidDate, parseDateTime } from './values';

export interface QueryContext {
  schema: Schema;
  rows(sobject: string, includeDeleted: boolean): SObjectRecord[];
  /**
   * Optional fast path: live records whose Id or indexed field equals `value` (same order rules as
   * `rows`), or undefined when the field is not indexed.
   */
  candidates?(sobject: string, field: string, value: unknown): SObjectRecord[] | undefined;
  get(id: string): { sobject: string; record: SObjectRecord } | undefined;
  now(): Date;
}

export interface QueryOptions {
  includeDeleted: boolean;
  apiVersion: string;
}

export const MAX_OFFSET = 2000;

/** A resolved field path: parent hops then the leaf field. */
interface Path {
  rels: FieldDef[];
  /** Leaf field for each possible object at the end of the path (polymorphic last hop). */
  leaf: FieldDef;
  leafByObject: Map<string, FieldDef>;
  text: string;
}

type Expr =
  | { kind: 'and' | 'or'; left: Expr; right: Expr }
  | { kind: 'not'; expr: Expr }
  | { kind: 'cond'; test: (r: SObjectRecord) => boolean };

type Row = SObjectRecord;

const invalidRelationship = (name: string): Error =>
  sfError(
    400,
    'INVALID_FIELD',
    `Didn't understand relationship '${name}' in field path. If you are attempting to use a custom relationship, ` +
      `be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the ` +
      `describe call for the appropriate names.`,
  );

const filterTypeError = (field: string, type: string, quoted: boolean): Error =>
  sfError(
    400,
    'INVALID_QUERY_FILTER_OPERATOR',
    `value of filter criterion for field '${field}' must be of type ${type} and should ${quoted ? '' : 'not '}be enclosed in quotes`,
  );

function isLongText(f: FieldDef): boolean {
  return f.type === 'textarea' && f.length > 255;
}

export function runQuery(ctx: QueryContext, soql: string, options: QueryOptions): QueryResult {
  let q: Query;
  try {
    q = parseQuery(soql);
  } catch (e) {
    throw malformedQuery(`\n${soql}\n^\nERROR at Row:1:Column:1\n${(e as Error).message}`);
  }
  return new QueryRunner(ctx, options).run(q, soql);
}

class QueryRunner {
  constructor(
    private readonly ctx: QueryContext,
    private readonly options: QueryOptions,
  ) {}

  run(q: Query, soql: string): QueryResult {
    if (!q.sObject) throw malformedQuery(`\n${soql}\n^\nERROR at Row:1:Column:1\nunexpected token: FROM`);
    const o = this.ctx.schema.object(q.sObject);
    if (!o) throw invalidType(q.sObject);
    if (q.having) throw malformedQuery('HAVING is not supported by the local org emulator');
    if (q.offset !== undefined && q.offset > MAX_OFFSET) {
      throw sfError(400, 'NUMBER_OUTSIDE_VALID_RANGE', `Maximum SOQL offset allowed is ${MAX_OFFSET}`);
    }
    const where = q.where ? this.compileWhere(o, q.where) : undefined;
    let rows = (q.where && this.narrow(o, q.where)) ?? this.ctx.rows(o.name, this.options.includeDeleted);
    if (where) rows = rows.filter((r) => evaluate(where, r));

    const fields = q.fields ?? [];
    const aggregates = fields.filter(
      (f): f is Extract<ParsedFieldType, { type: 'FieldFunctionExpression' }> =>
        f.type === 'FieldFunctionExpression' && f.isAggregateFn === true,
    );
    const countOnly =
      aggregates.length === 1 && fields.length === 1 && (aggregates[0]?.parameters ?? []).length === 0;
    if (countOnly) {
      if (q.groupBy) throw malformedQuery('COUNT() cannot be used with GROUP BY');
      let n = rows.length;
      if (q.offset) n = Math.max(0, n - q.offset);
      if (q.limit !== undefined) n = Math.min(n, q.limit);
      return { totalSize: n, done: true, records: [] };
    }
    if (aggregates.length > 0 || q.groupBy) return this.aggregate(o, q, rows);

    rows = this.order(o, q, rows);
    if (q.offset) rows = rows.slice(q.offset);
    if (q.limit !== undefined) rows = rows.slice(0, q.limit);
    const shape = this.compileSelect(o, fields);
    const records = rows.map((r) => this.shapeRecord(o, r, shape));
    return { totalSize: records.length, done: true, records };
  }

  /**
   * When the WHERE clause is a plain conjunction containing `Field = 'value'` on Id or an indexed field,
   * the records that can match, from the index (the full WHERE is still applied to them).
   */
  private narrow(o: ObjectDef, where: WhereClause): SObjectRecord[] | undefined {
    if (this.options.includeDeleted || !this.ctx.candidates) return undefined;
    type Loose = { left: Record<string, unknown> | null; operator?: string; right?: Loose };
    const conds: Record<string, unknown>[] = [];
    for (let n: Loose | undefined = where as unknown as Loose; n; n = n.right) {
      if (!n.left || (n.right && n.operator !== 'AND')) return undefined;
      if (n.left.openParen || n.left.closeParen) return undefined;
      conds.push(n.left);
    }
    for (const c of conds) {
      if (
        c.operator !== '=' ||
        c.literalType !== 'STRING' ||
        typeof c.field !== 'string' ||
        c.field.includes('.')
      ) {
        continue;
      }
      const f = this.ctx.schema.field(o.name, c.field);
      if (!f || typeof c.value !== 'string') continue;
      let value: unknown = unquote(c.value);
      if (f.type === 'id' || f.type === 'reference') value = normalizeId(value);
      if (value === null) continue;
      const found = this.ctx.candidates(o.name, f.name, value);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  // ------------------------------------------------------------------------------------------------
  // Paths

  private resolvePath(o: ObjectDef, text: string): Path {
    const parts = text.split('.');
    const rels: FieldDef[] = [];
    let current: ObjectDef[] = [o];
    // An explicit leading object name is allowed: `Case.Subject` from Case.
    if (
      parts.length > 1 &&
      parts[0]?.toLowerCase() === o.name.toLowerCase() &&
      !this.ctx.schema.relationshipField(o.name, parts[0] ?? '')
    ) {
      parts.shift();
    }
    for (let i = 0; i < parts.length - 1; i++) {
      const name = parts[i] ?? '';
      if (current.length !== 1) throw invalidRelationship(name);
      const cur = current[0] as ObjectDef;
      const rel = this.ctx.schema.relationshipField(cur.name, name);
      if (!rel) throw invalidRelationship(name);
      rels.push(rel);
      current = rel.referenceTo
        .map((t) => this.ctx.schema.object(t))
        .filter((x): x is ObjectDef => x !== undefined);
    }
    const leafName = parts[parts.length - 1] ?? '';
    const leafByObject = new Map<string, FieldDef>();
    for (const obj of current) {
      const f = this.ctx.schema.field(obj.name, leafName);
      if (f) leafByObject.set(obj.name, f);
      // A single target must have the field; a polymorphic one (Owner → User/Group) needs it on one of them.
      else if (current.length === 1) throw noSuchColumnOnEntity(leafName, obj.name);
    }
    if (leafByObject.size === 0) throw noSuchColumnOnEntity(leafName, 'Name');
    const leaf = leafByObject.values().next().value as FieldDef;
    return { rels, leaf, leafByObject, text };
  }

  /** The value at the end of a path for a row, or null when a parent is missing. */
  private valueAt(row: Row, path: Path): unknown {
    let rec: Row | undefined = row;
    let sobject: string | undefined;
    for (const rel of path.rels) {
      const id: unknown = rec?.[rel.name];
      if (typeof id !== 'string') return null;
      const parent = this.ctx.get(id);
      if (!parent) return null;
      rec = parent.record;
      sobject = parent.sobject;
    }
    if (!rec) return null;
    const leaf = sobject ? path.leafByObject.get(sobject) : path.leaf;
    return leaf ? (rec[leaf.name] ?? null) : null;
  }

  // ------------------------------------------------------------------------------------------------
  // SELECT

  private compileSelect(o: ObjectDef, fields: ParsedFieldType[]): SelectItem[] {
    const items: SelectItem[] = [];
    for (const f of fields) {
      switch (f.type) {
        case 'Field':
        case 'FieldRelationship': {
          const text = f.type === 'Field' ? f.field : (f.rawValue ?? [...f.relationships, f.field].join('.'));
          items.push({ kind: 'path', path: this.resolvePath(o, text) });
          break;
        }
        case 'FieldSubquery': {
          const sub = f.subquery;
          const relName = sub.relationshipName;
          const child = this.ctx.schema
            .childReferences(o.name)
            .find((c) => c.field.childRelationshipName?.toLowerCase() === relName.toLowerCase());
          if (!child) throw invalidRelationship(relName);
          items.push({
            kind: 'sub',
            child: child.child,
            field: child.field,
            query: sub,
            name: child.field.childRelationshipName ?? relName,
          });
          break;
        }
        case 'FieldFunctionExpression':
          throw malformedQuery(`Field must be grouped or aggregated: ${f.rawValue ?? f.functionName}`);
        default:
          throw malformedQuery('TYPEOF and FIELDS() are not supported by the local org emulator');
      }
    }
    return items;
  }

  private attributes(sobject: string, id: string): { type: string; url: string } {
    return { type: sobject, url: `/services/data/v${this.options.apiVersion}/sobjects/${sobject}/${id}` };
  }

  private shapeRecord(o: ObjectDef, row: Row, items: SelectItem[]): Record<string, unknown> {
    const out: Record<string, unknown> = { attributes: this.attributes(o.name, row.Id) };
    for (const item of items) {
      if (item.kind === 'path') this.place(out, row, item.path);
      else out[item.name] = this.subquery(row, item);
    }
    return out;
  }

  /** Writes a path's value into the output, nesting parent objects with their own attributes. */
  private place(out: Record<string, unknown>, row: Row, path: Path): void {
    let target = out;
    let rec: Row | undefined = row;
    let sobject: string | undefined;
    for (const rel of path.rels) {
      const key = rel.relationshipName ?? rel.name;
      const id: unknown = rec?.[rel.name];
      const parent: { sobject: string; record: SObjectRecord } | undefined =
        typeof id === 'string' ? this.ctx.get(id) : undefined;
      if (!parent) {
        if (!(key in target)) target[key] = null;
        return;
      }
      let nested = target[key] as Record<string, unknown> | null | undefined;
      if (!nested) {
        nested = { attributes: this.attributes(parent.sobject, parent.record.Id) };
        target[key] = nested;
      }
      target = nested;
      rec = parent.record;
      sobject = parent.sobject;
    }
    const leaf = sobject ? path.leafByObject.get(sobject) : path.leaf;
    target[(leaf ?? path.leaf).name] = leaf ? structuredClone(rec?.[leaf.name] ?? null) : null;
  }

  private subquery(row: Row, item: Extract<SelectItem, { kind: 'sub' }>): QueryResult | null {
    const q = item.query;
    const where = q.where ? this.compileWhere(item.child, q.where) : undefined;
    let rows = this.ctx
      .rows(item.child.name, this.options.includeDeleted)
      .filter((r) => r[item.field.name] === row.Id);
    if (where) rows = rows.filter((r) => evaluate(where, r));
    rows = this.order(item.child, q, rows);
    if (q.offset) rows = rows.slice(q.offset);
    if (q.limit !== undefined) rows = rows.slice(0, q.limit);
    if (rows.length === 0) return null;
    const shape = this.compileSelect(item.child, q.fields ?? []);
    const records = rows.map((r) => this.shapeRecord(item.child, r, shape));
    return { totalSize: records.length, done: true, records };
  }

  // ------------------------------------------------------------------------------------------------
  // ORDER BY

  private order(o: ObjectDef, q: Query, rows: Row[]): Row[] {
    const ob = q.orderBy ? (Array.isArray(q.orderBy) ? q.orderBy : [q.orderBy]) : [];
    if (ob.length === 0) return rows;
    const keys = ob.map((clause) => {
      if (!('field' in clause) || typeof clause.field !== 'string') {
        throw malformedQuery('ORDER BY supports fields only in the local org emulator');
      }
      const path = this.resolvePath(o, clause.field);
      if (isLongText(path.leaf)) {
        throw sfError(400, 'INVALID_FIELD', `field '${path.leaf.name}' can not be sorted in a query call`);
      }
      const desc = clause.order === 'DESC';
      const nullsFirst = clause.nulls ? clause.nulls === 'FIRST' : !desc;
      return { path, desc, nullsFirst };
    });
    const decorated = rows.map((r, i) => ({ r, i, v: keys.map((k) => this.valueAt(r, k.path)) }));
    decorated.sort((a, b) => {
      for (let k = 0; k < keys.length; k++) {
        const key = keys[k];
        if (!key) continue;
        const av = a.v[k];
        const bv = b.v[k];
        const an = av === null || av === undefined;
        const bn = bv === null || bv === undefined;
        if (an && bn) continue;
        if (an) return key.nullsFirst ? -1 : 1;
        if (bn) return key.nullsFirst ? 1 : -1;
        const c = compareValues(key.path.leaf, av, bv);
        if (c !== 0) return key.desc ? -c : c;
      }
      return a.i - b.i;
    });
    return decorated.map((d) => d.r);
  }

  // ------------------------------------------------------------------------------------------------
  // Aggregates

  private aggregate(o: ObjectDef, q: Query, rows: Row[]): QueryResult {
    const groupBy = (q.groupBy ? (Array.isArray(q.groupBy) ? q.groupBy : [q.groupBy]) : []).map((g) => {
      if (!('field' in g) || typeof g.field !== 'string')
        throw malformedQuery('GROUP BY supports fields only');
      return this.resolvePath(o, g.field);
    });
    type Col = { name: string; group?: Path; fn?: string; arg?: Path };
    const cols: Col[] = [];
    let expr = 0;
    for (const f of q.fields ?? []) {
      if (f.type === 'FieldFunctionExpression' && f.isAggregateFn) {
        const param = (f.parameters ?? [])[0];
        const arg = typeof param === 'string' ? this.resolvePath(o, param) : undefined;
        cols.push({
          name: f.alias ?? `expr${expr++}`,
          fn: f.functionName.toUpperCase(),
          ...(arg ? { arg } : {}),
        });
      } else if (f.type === 'Field' || f.type === 'FieldRelationship') {
        const text = f.type === 'Field' ? f.field : (f.rawValue ?? f.field);
        const path = this.resolvePath(o, text);
        const g = groupBy.find((p) => p.text.toLowerCase() === text.toLowerCase());
        if (!g) throw malformedQuery(`Field must be grouped or aggregated: ${path.leaf.name}`);
        const alias = (f as { alias?: string }).alias;
        cols.push({ name: alias ?? path.leaf.name, group: g });
      } else {
        throw malformedQuery('Unsupported field in an aggregate query');
      }
    }
    const groups = new Map<string, { key: unknown[]; rows: Row[] }>();
    for (const r of rows) {
      const key = groupBy.map((p) => this.valueAt(r, p));
      const k = JSON.stringify(key.map((v) => (typeof v === 'string' ? v.toLowerCase() : v)));
      const g = groups.get(k);
      if (g) g.rows.push(r);
      else groups.set(k, { key, rows: [r] });
    }
    if (groupBy.length === 0 && groups.size === 0) groups.set('[]', { key: [], rows: [] });
    let records = [...groups.values()].map((g) => {
      const out: Record<string, unknown> = { attributes: { type: 'AggregateResult' } };
      for (const c of cols) {
        if (c.group) {
          out[c.name] = g.key[groupBy.indexOf(c.group)] ?? null;
          continue;
        }
        const vals = c.arg
          ? g.rows.map((r) => this.valueAt(r, c.arg as Path)).filter((v) => v !== null)
          : g.rows.map(() => 1);
        out[c.name] = aggregateValue(c.fn ?? 'COUNT', vals, c.arg?.leaf);
      }
      return out;
    });
    const ob = q.orderBy ? (Array.isArray(q.orderBy) ? q.orderBy : [q.orderBy]) : [];
    if (ob.length > 0) {
      records.sort((a, b) => {
        for (const clause of ob) {
          const name = 'field' in clause && typeof clause.field === 'string' ? clause.field : '';
          const col = cols.find(
            (c) =>
              c.name.toLowerCase() === name.toLowerCase() ||
              c.group?.text.toLowerCase() === name.toLowerCase(),
          );
          if (!col) throw malformedQuery(`ORDER BY ${name} is not supported in an aggregate query`);
          const av = a[col.name];
          const bv = b[col.name];
          if (av === bv) continue;
          const desc = clause.order === 'DESC';
          if (av === null) return desc ? 1 : -1;
          if (bv === null) return desc ? -1 : 1;
          const c = (av as number | string) < (bv as number | string) ? -1 : 1;
          return desc ? -c : c;
        }
        return 0;
      });
    }
    if (q.offset) records = records.slice(q.offset);
    if (q.limit !== undefined) records = records.slice(0, q.limit);
    return { totalSize: records.length, done: true, records };
  }

  // ------------------------------------------------------------------------------------------------
  // WHERE

  private compileWhere(o: ObjectDef, where: WhereClause): Expr {
    const tokens: Token[] = [];
    type Loose = {
      left: (Condition & { openParen?: number; closeParen?: number }) | null;
      operator?: string;
      right?: Loose;
    };
    let node: Loose | undefined = where as unknown as Loose;
    while (node) {
      const left = node.left;
      if (node.operator === 'NOT' && (left === null || !('field' in left || 'fn' in left))) {
        for (let i = 0; i < (left?.openParen ?? 0); i++) tokens.push('(');
        tokens.push('NOT');
        node = node.right;
        continue;
      }
      if (!left) throw malformedQuery('unexpected token in WHERE');
      for (let i = 0; i < (left.openParen ?? 0); i++) tokens.push('(');
      tokens.push({ cond: this.compileCondition(o, left) });
      for (let i = 0; i < (left.closeParen ?? 0); i++) tokens.push(')');
      if (node.right) {
        if (node.operator !== 'AND' && node.operator !== 'OR')
          throw malformedQuery(`unexpected token: ${String(node.operator)}`);
        tokens.push(node.operator);
      }
      node = node.right;
    }
    let pos = 0;
    const peek = (): Token | undefined => tokens[pos];
    // SOQL has no precedence between AND and OR: mixing them needs parentheses.
    const parseOr = (): Expr => {
      let left = parseNot();
      let levelOp: 'AND' | 'OR' | undefined;
      for (let t = peek(); t === 'AND' || t === 'OR'; t = peek()) {
        if (levelOp && t !== levelOp) {
          throw malformedQuery(`unexpected token: ${t} (use parentheses when mixing AND and OR)`);
        }
        levelOp = t;
        pos++;
        left = { kind: t === 'AND' ? 'and' : 'or', left, right: parseNot() };
      }
      return left;
    };
    const parseNot = (): Expr => {
      const t = peek();
      if (t === 'NOT') {
        pos++;
        return { kind: 'not', expr: parseNot() };
      }
      if (t === '(') {
        pos++;
        const e = parseOr();
        if (peek() !== ')') throw malformedQuery('unbalanced parentheses in WHERE');
        pos++;
        return e;
      }
      if (t && typeof t === 'object') {
        pos++;
        return t.cond;
      }
      throw malformedQuery('unexpected token in WHERE');
    };
    const e = parseOr();
    if (pos !== tokens.length) throw malformedQuery('unexpected token in WHERE');
    return e;
  }

  private compileCondition(o: ObjectDef, c: Condition): Expr {
    if (!('field' in c) || typeof c.field !== 'string') {
      throw malformedQuery('functions in WHERE are not supported by the local org emulator');
    }
    const path = this.resolvePath(o, c.field);
    const f = path.leaf;
    if (isLongText(f))
      throw sfError(400, 'INVALID_FIELD', `field '${f.name}' can not be filtered in a query call`);
    const op = c.operator.toUpperCase();
    const get = (r: Row): unknown => this.valueAt(r, path);

    if (c.literalType === 'SUBQUERY' || ('valueQuery' in c && c.valueQuery)) {
      const sub = (c as { valueQuery?: Query }).valueQuery;
      if (!sub) throw malformedQuery('bad semi-join');
      const res = this.run({ ...sub }, '(subquery)');
      const subField = (sub.fields ?? [])[0];
      const name = subField && subField.type === 'Field' ? subField.field : '';
      const set = new Set(res.records.map((r) => r[this.subLeafName(sub, name)]));
      const neg = op === 'NOT IN';
      return { kind: 'cond', test: (r) => set.has(get(r)) !== neg };
    }

    const literalTypes = Array.isArray(c.literalType) ? c.literalType : [c.literalType];
    const rawValues = Array.isArray(c.value) ? c.value : [c.value];
    const values = rawValues.map((v, i) =>
      this.literal(f, String(v), String(literalTypes[i] ?? literalTypes[0]), c),
    );

    switch (op) {
      case '=':
      case '!=':
      case '<>': {
        const lit = values[0] as Literal;
        const neg = op !== '=';
        return { kind: 'cond', test: (r) => matchesEq(f, get(r), lit) !== neg };
      }
      case '<':
      case '<=':
      case '>':
      case '>=': {
        const lit = values[0] as Literal;
        return { kind: 'cond', test: (r) => compareOp(f, get(r), lit, op) };
      }
      case 'LIKE': {
        const lit = values[0] as Literal;
        if (lit.kind !== 'value' || typeof lit.value !== 'string')
          throw malformedQuery('LIKE needs a string');
        const re = likeToRegExp(lit.value);
        return {
          kind: 'cond',
          test: (r) => {
            const v = get(r);
            return typeof v === 'string' && re.test(v);
          },
        };
      }
      case 'IN':
      case 'NOT IN': {
        const neg = op === 'NOT IN';
        return {
          kind: 'cond',
          test: (r) => {
            const v = get(r);
            if (neg && v === null) return !values.some((l) => l.kind === 'value' && l.value === null);
            return values.some((l) => matchesEq(f, v, l)) !== neg;
          },
        };
      }
      case 'INCLUDES':
      case 'EXCLUDES': {
        const sets = values.map((l) =>
          l.kind === 'value'
            ? String(l.value)
                .toLowerCase()
                .split(';')
                .map((s) => s.trim())
            : [],
        );
        const neg = op === 'EXCLUDES';
        return {
          kind: 'cond',
          test: (r) => {
            const v = get(r);
            const have = new Set(typeof v === 'string' ? v.toLowerCase().split(';') : []);
            return sets.some((s) => s.every((x) => have.has(x))) !== neg;
          },
        };
      }
      default:
        throw malformedQuery(`unexpected token: ${c.operator}`);
    }
  }

  private subLeafName(sub: Query, name: string): string {
    const o = this.ctx.schema.object(sub.sObject ?? '');
    return (o && this.ctx.schema.field(o.name, name)?.name) ?? name;
  }

  /** Converts a literal to a comparable value for field `f`, checking its type as Salesforce does. */
  private literal(f: FieldDef, raw: string, type: string, c: Condition): Literal {
    const fieldName = f.name;
    switch (type) {
      case 'NULL':
        return { kind: 'value', value: null };
      case 'STRING': {
        const s = unquote(raw);
        if (f.type === 'boolean') throw filterTypeError(fieldName, 'boolean', false);
        if (['int', 'double', 'currency', 'percent'].includes(f.type))
          throw filterTypeError(fieldName, 'number', false);
        if (f.type === 'date') throw filterTypeError(fieldName, 'date', false);
        if (f.type === 'datetime') throw filterTypeError(fieldName, 'dateTime', false);
        if (f.type === 'id' || f.type === 'reference') {
          const n = normalizeId(s);
          if (!n) throw sfError(400, 'INVALID_QUERY_FILTER_OPERATOR', `invalid ID field: ${s}`);
          return { kind: 'value', value: n };
        }
        return { kind: 'value', value: s };
      }
      case 'BOOLEAN':
        if (f.type !== 'boolean') throw filterTypeError(fieldName, typeName(f), isQuoted(f));
        return { kind: 'value', value: raw.toLowerCase() === 'true' };
      case 'INTEGER':
      case 'DECIMAL':
      case 'INTEGER_WITH_CURRENCY_PREFIX':
      case 'DECIMAL_WITH_CURRENCY_PREFIX': {
        if (!['int', 'double', 'currency', 'percent'].includes(f.type)) {
          throw filterTypeError(fieldName, typeName(f), isQuoted(f));
        }
        return { kind: 'value', value: Number(raw.replace(/^[A-Z]{3}/, '')) };
      }
      case 'DATE': {
        if (f.type === 'date') {
          if (!isValidDate(raw)) throw malformedQuery(`invalid date: ${raw}`);
          return { kind: 'value', value: raw };
        }
        if (f.type === 'datetime') throw filterTypeError(fieldName, 'dateTime', false);
        throw filterTypeError(fieldName, typeName(f), isQuoted(f));
      }
      case 'DATETIME': {
        if (f.type !== 'datetime') throw filterTypeError(fieldName, typeName(f), isQuoted(f));
        const d = parseDateTime(raw);
        if (!d) throw malformedQuery(`invalid datetime: ${raw}`);
        return { kind: 'value', value: d.getTime() };
      }
      case 'DATE_LITERAL':
      case 'DATE_N_LITERAL': {
        if (f.type !== 'date' && f.type !== 'datetime')
          throw filterTypeError(fieldName, typeName(f), isQuoted(f));
        const dv = (c as { dateLiteralVariable?: number | number[] }).dateLiteralVariable;
        const n = Array.isArray(dv) ? dv[0] : dv;
        return { kind: 'range', ...dateRange(raw.toUpperCase(), n, this.ctx.now()) };
      }
      default:
        throw malformedQuery(`unsupported literal ${raw}`);
    }
  }
}

type SelectItem =
  | { kind: 'path'; path: Path }
  | { kind: 'sub'; child: ObjectDef; field: FieldDef; query: Query; name: string };

type Token = 'AND' | 'OR' | 'NOT' | '(' | ')' | { cond: Expr };

/** A literal: a plain value, or a half-open UTC range [start, end) for date literals. */
type Literal = { kind: 'value'; value: unknown } | { kind: 'range'; start: number; end: number };

function evaluate(e: Expr, r: Row): boolean {
  switch (e.kind) {
    case 'and':
      return evaluate(e.left, r) && evaluate(e.right, r);
    case 'or':
      return evaluate(e.left, r) || evaluate(e.right, r);
    case 'not':
      return !evaluate(e.expr, r);
    case 'cond':
      return e.test(r);
  }
}

function typeName(f: FieldDef): string {
  switch (f.type) {
    case 'boolean':
      return 'boolean';
    case 'int':
    case 'double':
    case 'currency':
    case 'percent':
      return 'number';
    case 'date':
      return 'date';
    case 'datetime':
      return 'dateTime';
    default:
      return 'string';
  }
}

function isQuoted(f: FieldDef): boolean {
  return typeName(f) === 'string';
}

function unquote(raw: string): string {
  const inner = raw.startsWith("'") && raw.endsWith("'") ? raw.slice(1, -1) : raw;
  return inner.replace(/\\(.)/g, (_m, ch: string) => {
    switch (ch) {
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      default:
        return ch;
    }
  });
}

function likeToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] ?? '';
    if (ch === '\\' && i + 1 < pattern.length) {
      re += (pattern[++i] ?? '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    } else if (ch === '%') re += '[\\s\\S]*';
    else if (ch === '_') re += '[\\s\\S]';
    else re += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'i');
}

const DAY = 86_400_000;

function startOfDay(d: Date): number {
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}

/** Date literal → [start, end) in UTC milliseconds (the emulator's org time zone is GMT). */
function dateRange(lit: string, n: number | undefined, now: Date): { start: number; end: number } {
  const today = startOfDay(now);
  const name = lit.split(':')[0] ?? lit;
  const k = n ?? Number(lit.split(':')[1] ?? 0);
  switch (name) {
    case 'TODAY':
      return { start: today, end: today + DAY };
    case 'YESTERDAY':
      return { start: today - DAY, end: today };
    case 'TOMORROW':
      return { start: today + DAY, end: today + 2 * DAY };
    case 'LAST_N_DAYS':
      return { start: today - k * DAY, end: today + DAY };
    case 'NEXT_N_DAYS':
      return { start: today, end: today + (k + 1) * DAY };
    case 'N_DAYS_AGO':
      return { start: today - k * DAY, end: today - (k - 1) * DAY };
    case 'THIS_MONTH': {
      const s = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
      return { start: s, end: Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1) };
    }
    case 'LAST_MONTH': {
      const s = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1);
      return { start: s, end: Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1) };
    }
    default:
      throw malformedQuery(`date literal ${lit} is not supported by the local org emulator`);
  }
}

/** A stored value as a number for range comparisons (dates and datetimes → UTC ms). */
function timeOf(f: FieldDef, v: unknown): number | null {
  if (typeof v !== 'string') return null;
  if (f.type === 'date') return Date.parse(`${v}T00:00:00Z`);
  return parseDateTime(v)?.getTime() ?? null;
}

function comparable(f: FieldDef, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (f.type === 'datetime') return timeOf(f, v);
  if (typeof v === 'string' && f.type !== 'id' && f.type !== 'reference' && f.type !== 'date')
    return v.toLowerCase();
  return v;
}

function matchesEq(f: FieldDef, v: unknown, lit: Literal): boolean {
  if (lit.kind === 'range') {
    const t = timeOf(f, v);
    return t !== null && t >= lit.start && t < lit.end;
  }
  if (lit.value === null) return v === null || v === undefined;
  const a = comparable(f, v);
  const b =
    typeof lit.value === 'string' && f.type !== 'id' && f.type !== 'reference' && f.type !== 'date'
      ? lit.value.toLowerCase()
      : lit.value;
  return a === b;
}

function compareOp(f: FieldDef, v: unknown, lit: Literal, op: string): boolean {
  if (v === null || v === undefined) return false;
  if (lit.kind === 'range') {
    const t = timeOf(f, v);
    if (t === null) return false;
    switch (op) {
      case '<':
        return t < lit.start;
      case '<=':
        return t < lit.end;
      case '>':
        return t >= lit.end;
      default:
        return t >= lit.start;
    }
  }
  if (lit.value === null) return false;
  const a = comparable(f, v) as number | string;
  const b = (
    typeof lit.value === 'string' && f.type !== 'id' && f.type !== 'reference' && f.type !== 'date'
      ? lit.value.toLowerCase()
      : lit.value
  ) as number | string;
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    default:
      return a >= b;
  }
}

function compareValues(f: FieldDef, a: unknown, b: unknown): number {
  const x = comparable(f, a) as number | string | boolean;
  const y = comparable(f, b) as number | string | boolean;
  if (x === y) return 0;
  return x < y ? -1 : 1;
}

function aggregateValue(fn: string, vals: unknown[], f: FieldDef | undefined): unknown {
  switch (fn) {
    case 'COUNT':
      return vals.length;
    case 'COUNT_DISTINCT':
      return new Set(vals.map((v) => (typeof v === 'string' ? v.toLowerCase() : v))).size;
    case 'SUM':
      return vals.length ? vals.reduce<number>((s, v) => s + Number(v), 0) : null;
    case 'AVG':
      return vals.length ? vals.reduce<number>((s, v) => s + Number(v), 0) / vals.length : null;
    case 'MIN':
    case 'MAX': {
      if (vals.length === 0) return null;
      const sorted = [...vals].sort((a, b) => (f ? compareValues(f, a, b) : 0));
      return fn === 'MIN' ? sorted[0] : sorted[sorted.length - 1];
    }
    default:
      throw malformedQuery(`aggregate function ${fn} is not supported by the local org emulator`);
  }
}
