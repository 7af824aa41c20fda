import type { Actor } from '@halm/contracts';

/** This instance's name in the runs it records (MONITOR_ID, or host name and port). */
export const MONITOR_ID = Symbol('MONITOR_ID');

/** Who the monitor's anomalies and lockdowns name. */
export const MONITOR_ACTOR: Actor = { kind: 'kernel', id: 'integrity-monitor' };
