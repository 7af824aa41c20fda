/** The connectors by action type (`createConnectors`). */
export const CONNECTORS = Symbol('CONNECTORS');
/** This instance's stable name (EXECUTOR_ID, or host name and port). */
export const EXECUTOR_ID = Symbol('EXECUTOR_ID');
