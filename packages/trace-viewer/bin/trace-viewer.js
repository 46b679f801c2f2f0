#!/usr/bin/env node
// Runs the built viewer; inside this repository `npm run traces` runs the sources instead.
import { main } from '../dist/cli.js';

process.exitCode = await main(process.argv.slice(2));
