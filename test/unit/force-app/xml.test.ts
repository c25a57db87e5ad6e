// Every XML file under force-app is well formed and uses the Metadata API namespace, and the metadata
// elements appear in schema order (the order a retrieve writes: fullName first, then alphabetical),
// which the Metadata API expects when it parses a deploy.
import fs from 'node:fs';
import path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { listFiles } from '../../support/force-app-model';

const REPO = path.resolve(__dirname, '../../..');
const FORCE_APP = path.join(REPO, 'force-app');
const xmlFiles = listFiles(FORCE_APP, '.xml');
const rel = (f: string): string => path.relative(REPO, f);

describe('force-app XML', () => {
  it('finds the metadata files', () => {
    expect(xmlFiles.length).toBeGreaterThan(90);
  });

  it.each(xmlFiles.map((f) => [rel(f), f]))('%s is well formed', (_name, file) => {
    const result = XMLValidator.validate(fs.readFileSync(file, 'utf8'));
    expect(result).toBe(true);
  });

  it.each(xmlFiles.map((f) => [rel(f), f]))('%s uses the Metadata API namespace', (_name, file) => {
    const content = fs.readFileSync(file, 'utf8');
    expect(content).toMatch(
      /^<\?xml version="1\.0" encoding="UTF-8" \?>\n<\w+ xmlns="http:\/\/soap\.sforce\.com\/2006\/04\/metadata">/,
    );
  });

  const ordered = [
    ...listFiles(FORCE_APP, '.field-meta.xml'),
    ...listFiles(FORCE_APP, '.object-meta.xml'),
    ...listFiles(FORCE_APP, '.permissionset-meta.xml'),
  ];
  it.each(ordered.map((f) => [rel(f), f]))('%s lists its elements in schema order', (_name, file) => {
    const parsed = new XMLParser({ preserveOrder: true, ignoreAttributes: true }).parse(
      fs.readFileSync(file, 'utf8'),
    ) as Record<string, unknown[]>[];
    const root = parsed.find((n) => !('?xml' in n));
    const rootName = root ? Object.keys(root)[0] : undefined;
    const children = (root && rootName ? (root[rootName] ?? []) : []) as Record<string, unknown>[];
    const names = children.map((c) => Object.keys(c)[0] ?? '').filter((n) => n !== 'fullName');
    const sorted = [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    expect(names).toEqual(sorted);
  });
});
