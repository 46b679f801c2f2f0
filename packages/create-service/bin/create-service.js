#!/usr/bin/env node
// Runs the built CLI; inside this repository `npm run create-service` runs the sources instead.
import { main } from '../dist/cli.js';

process.exitCode = await main(process.argv.slice(2));
