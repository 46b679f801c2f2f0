#!/usr/bin/env node
// Fails when package-lock.json holds more than one copy (or version) of any @opentelemetry/* package:
// a second copy of the API or SDK silently turns spans into no-ops.
import { readFileSync } from 'node:fs';

const lockPath = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const copies = new Map();
for (const [path, entry] of Object.entries(lock.packages ?? {})) {
  const match = path.match(/node_modules\/(@opentelemetry\/[^/]+)$/);
  if (!match || entry.link) continue;
  const list = copies.get(match[1]) ?? [];
  list.push(`${entry.version} at ${path}`);
  copies.set(match[1], list);
}
const duplicated = [...copies].filter(([, list]) => list.length > 1);
if (duplicated.length > 0) {
  console.error('More than one copy of an OpenTelemetry package in package-lock.json:');
  for (const [name, list] of duplicated) console.error(`  ${name}:\n    ${list.join('\n    ')}`);
  console.error('Pin the versions @opentelemetry/sdk-node uses, or add npm "overrides", then reinstall.');
  process.exit(1);
}
console.log(`check-otel-versions: ${copies.size} @opentelemetry packages, one copy each`);
