import { parseArgs } from 'node:util';
import { CreateServiceError } from './errors.ts';
import { scaffoldService } from './scaffold.ts';

const USAGE = `usage: create-service <name> [--dir <path>] [--packages <semver range> | --from <service-runtime checkout>]`;

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function main(
  argv: string[],
  out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        dir: { type: 'string' },
        packages: { type: 'string' },
        from: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      out(USAGE);
      return 0;
    }
    if (positionals.length !== 1) throw new CreateServiceError('USAGE', USAGE);
    if (values.packages !== undefined && values.from !== undefined) {
      throw new CreateServiceError('USAGE', '--packages and --from exclude each other');
    }
    const result = await scaffoldService({
      name: positionals[0]!,
      dir: values.dir,
      packages: values.from !== undefined ? { checkout: values.from } : { range: values.packages ?? '^0.1.0' },
    });
    out(`created ${result.dir}:`);
    for (const file of result.files) out(`  ${file}`);
    out('');
    out(`next: cd ${result.dir} && cp .env.example .env && npm install && npm run dev`);
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`create-service: ${message}\n`);
    return error instanceof CreateServiceError && error.code === 'USAGE' ? 64 : 1;
  }
}
