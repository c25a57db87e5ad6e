// A bank's auditors read the metadata: every object, field, permission set and skill explains itself.
import fs from 'node:fs';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { FORCE_APP_DEFAULT, listFiles, loadForceAppModel } from '../../support/force-app-model';

const model = loadForceAppModel();
const MIN = 20; // a sentence, not a placeholder

describe('descriptions', () => {
  const objects = Object.values(model.objects).filter((o) => o.definedHere);
  const fields = model.allFields();
  const permissionSets = Object.values(model.permissionSets);

  it('covers the objects, fields and permission sets (the model is not empty)', () => {
    expect(objects).toHaveLength(5);
    expect(fields.length).toBeGreaterThan(70);
    expect(permissionSets).toHaveLength(2);
  });

  it.each(objects.map((o) => [o.name, o.description]))('object %s has a description', (_name, d) => {
    expect((d ?? '').length).toBeGreaterThanOrEqual(MIN);
  });

  it.each(fields.map((f) => [`${f.object}.${f.name}`, f.description]))(
    'field %s has a description',
    (_name, d) => {
      expect((d ?? '').length).toBeGreaterThanOrEqual(MIN);
    },
  );

  it.each(permissionSets.map((p) => [p.name, p.description]))(
    'permission set %s has a description',
    (_name, d) => {
      expect((d ?? '').length).toBeGreaterThanOrEqual(MIN);
    },
  );

  const skills = listFiles(path.join(FORCE_APP_DEFAULT, 'skills'), '.skill-meta.xml');
  it.each(skills.map((f) => [path.basename(f), f]))('skill %s has a description', (_name, file) => {
    const x = new XMLParser().parse(fs.readFileSync(file, 'utf8')) as { Skill: { description?: string } };
    expect(String(x.Skill.description ?? '').length).toBeGreaterThanOrEqual(MIN);
  });

  // Limits as the Metadata API stores the text: a formatter's line breaks and indentation count too.
  const LIMITS: [suffix: string, max: number][] = [
    ['.permissionset-meta.xml', 255],
    ['.skill-meta.xml', 255],
    ['.flexipage-meta.xml', 255],
    ['.js-meta.xml', 255],
    ['.object-meta.xml', 1000],
    ['.field-meta.xml', 1000],
  ];
  const raw = LIMITS.flatMap(([suffix, max]) =>
    listFiles(path.dirname(FORCE_APP_DEFAULT), suffix).map((f): [string, string, number] => [
      path.relative(FORCE_APP_DEFAULT, f),
      f,
      max,
    ]),
  );
  it.each(raw)('%s keeps its description within the limit', (_name, file, max) => {
    const m = /<description>([\s\S]*?)<\/description>/.exec(fs.readFileSync(file, 'utf8'));
    expect((m?.[1] ?? '').trim().length).toBeLessThanOrEqual(max);
  });

  it('field labels fit in 40 characters and API names in 40 before __c', () => {
    for (const f of fields) {
      expect({
        f: f.name,
        label: f.label.length <= 40,
        name: f.name.replace(/__c$/, '').length <= 40,
      }).toEqual({
        f: f.name,
        label: true,
        name: true,
      });
    }
  });

  it('fields have unique labels within their object (a report never shows two columns alike)', () => {
    for (const o of Object.values(model.objects)) {
      const labels = Object.values(o.fields).map((f) => f.label);
      expect(new Set(labels).size).toBe(labels.length);
    }
  });
});
