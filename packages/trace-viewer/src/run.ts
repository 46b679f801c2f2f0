// `npm run traces [-- --port <n> --otlp-port <n>]` inside this repository (runs the sources on Node 24).
import { main } from './cli.ts';

process.exitCode = await main(process.argv.slice(2));
