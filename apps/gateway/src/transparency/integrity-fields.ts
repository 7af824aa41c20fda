/** The fields of `GET /api/public/integrity`, in the seed's order, with how the transparency page labels them. */
export const INTEGRITY_FIELDS = [
  { field: 'enforcementActive', label: 'Enforcement active' },
  { field: 'invariantsPassing', label: 'Invariants passing' },
  { field: 'hashChainValid', label: 'Hash chain valid' },
  { field: 'lockdownActive', label: 'Lockdown active' },
  { field: 'lastIntegrityCheck', label: 'Last integrity check' },
] as const;
