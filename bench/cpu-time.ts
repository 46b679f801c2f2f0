/** CPU time (user + system) per op of `run`, in µs: wall time would count whatever else the machine runs. */
export async function cpuMicrosPerOp(ops: number, run: () => Promise<void>): Promise<number> {
  const start = process.cpuUsage();
  await run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / ops;
}
