/**
 * CPU time of processes, from /proc/<pid>/stat (user + system, in clock ticks of 10 ms on
 * Linux): what each process of a pipeline spent per request, which explains a throughput gap
 * when both pipelines keep the machine's cores busy. Elsewhere than Linux it reads nothing.
 */
import { readFileSync } from 'node:fs';

const TICK_MS = 10;

/** Milliseconds of CPU the process has used so far, or undefined when it cannot be read. */
export const cpuMillis = (pid: number): number | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces; the fields after its closing parenthesis do not.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return undefined;
  }
};

/** This process's CPU so far (the load generator), in milliseconds. */
export const ownCpuMillis = (): number => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};
