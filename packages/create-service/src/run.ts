// `npm run create-service -- <name> [--dir <path>]` inside this repository (runs the sources on Node 24).
import { main } from './cli.ts';

// npm runs scripts from the repository root; resolve --dir and the default folder where the user was.
process.chdir(process.env['INIT_CWD'] ?? process.cwd());
process.exitCode = await main(process.argv.slice(2));
