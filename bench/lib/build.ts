/**
 * The service runs from compiled JavaScript, as in production (`npm start` runs node on the build),
 * not under tsx, whose loader alone adds ~45 MB of RSS and would distort the memory column. The
 * compile is a plain transpile of src/ with swc (already a dev dependency, as jest uses it): about a
 * second, and type errors elsewhere in the shared tree do not stop it.
 */
import { transformFile } from '@swc/core';
import { mkdirSync, readdirSync, symlinkSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

function listTs(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...listTs(full));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

/**
 * Transpiles repoRoot/src into outRoot/src (CommonJS, ES2022), plus bench/service-entry.ts, and links
 * node_modules, config and force-app beside it, so paths relative to the code resolve as from dist/.
 */
export async function buildService(
  repoRoot: string,
  outRoot: string,
): Promise<{ files: number; ms: number }> {
  const t0 = Date.now();
  const srcDir = join(repoRoot, 'src');
  const files = [
    ...listTs(srcDir),
    join(repoRoot, 'bench', 'service-entry.ts'),
    join(repoRoot, 'bench', 'trace-preload.ts'),
    join(repoRoot, 'bench', 'lib', 'handoff-ids.ts'),
    join(repoRoot, 'bench', 'floor-service.ts'),
    join(repoRoot, 'bench', 'lib', 'payload.ts'),
  ];
  await Promise.all(
    files.map(async (file) => {
      const out = await transformFile(file, {
        swcrc: false,
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022', keepClassNames: true },
        module: { type: 'commonjs' },
        sourceMaps: false,
      });
      const dest = join(outRoot, relative(repoRoot, file)).replace(/\.ts$/, '.js');
      mkdirSync(dirname(dest), { recursive: true });
      writeFileSync(dest, out.code);
    }),
  );
  for (const name of ['node_modules', 'config', 'force-app']) {
    const target = join(repoRoot, name);
    const link = join(outRoot, name);
    if (existsSync(target) && !existsSync(link)) symlinkSync(target, link);
  }
  copyFileSync(join(repoRoot, 'package.json'), join(outRoot, 'package.json'));
  return { files: files.length, ms: Date.now() - t0 };
}
