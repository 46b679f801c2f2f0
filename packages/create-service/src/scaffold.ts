import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { CreateServiceError } from './errors.ts';
import { validateServiceName } from './service-name.ts';
import { docFiles } from './templates/doc-files.ts';
import { projectFiles } from './templates/project-files.ts';
import { sourceFiles } from './templates/source-files.ts';
import type { GeneratedFile, TemplateContext } from './templates/template-context.ts';

/** Options of {@link scaffoldService}. */
export interface ScaffoldOptions {
  /** Service name; validated with {@link validateServiceName}. */
  name: string;
  /** Target folder; default `./<name>`. It must not exist or be empty. */
  dir?: string;
  /**
   * Where the @service-runtime packages come from: a semver range (default `^0.1.0`), or the path of a
   * service-runtime checkout to depend on its packages with `file:` specifiers.
   */
  packages?: { range: string } | { checkout: string };
}

/** What was generated. */
export interface ScaffoldResult {
  dir: string;
  files: string[];
}

/** Writes a new service that uses every package; refuses to touch a non-empty folder. */
export async function scaffoldService(options: ScaffoldOptions): Promise<ScaffoldResult> {
  const name = validateServiceName(options.name);
  const dir = resolve(options.dir ?? name);
  const existing = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  if (existing.length > 0) {
    throw new CreateServiceError('TARGET_NOT_EMPTY', `${dir} is not empty; choose another --dir or remove it first`);
  }
  const source = options.packages ?? { range: '^0.1.0' };
  const ctx: TemplateContext = {
    name,
    dependency: (pkg) =>
      'range' in source ? source.range : `file:${relative(dir, join(resolve(source.checkout), 'packages', pkg))}`,
  };
  const files: GeneratedFile[] = [...projectFiles(ctx), ...sourceFiles(ctx), ...docFiles(ctx)];
  for (const file of files) {
    const path = join(dir, file.path);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, file.content, { flag: 'wx' });
  }
  return { dir, files: files.map((f) => f.path) };
}
