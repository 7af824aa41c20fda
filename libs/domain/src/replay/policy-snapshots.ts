import { compileManifest } from '../policy/compile-manifest';
import type { PolicyIdentity } from '../policy/evaluate';
import type { CompiledManifest } from '../policy/manifest';
import type { PolicyVersionRecord, TenantLedger } from '../tenant/tenant-ledger';

export type PolicySnapshot = { ok: true; manifest: CompiledManifest; identity: PolicyIdentity } | { ok: false; reason: string };

const shortHash = (hash: string): string => `${hash.slice(0, 12)}…`;

/**
 * The policy a recorded decision names, as the chain published it: never the manifest the
 * decision could have brought along, and never one from outside the chain. Each published
 * version is compiled once.
 */
export class PolicySnapshots {
  private readonly compiled = new WeakMap<PolicyVersionRecord, CompiledManifest | string>();

  /** The snapshot of the version `policy` names, from the versions `ledger` has folded so far; why there is none otherwise. */
  resolve(ledger: TenantLedger, policy: unknown): PolicySnapshot {
    const named = policy as { version?: unknown; hash?: unknown } | null | undefined;
    if (typeof named?.version !== 'number' || typeof named.hash !== 'string') return { ok: false, reason: 'the decision names no policy version and hash' };
    const published = ledger.policyVersion(named.version);
    if (!published) return { ok: false, reason: `policy version ${named.version} was never published in this chain before the decision: its snapshot is missing` };
    if (published.hash !== named.hash) {
      return { ok: false, reason: `policy version ${named.version} was published with hash ${shortHash(published.hash)}, the decision names ${shortHash(named.hash)}: the snapshot does not match` };
    }
    const manifest = this.compile(published);
    if (typeof manifest === 'string') return { ok: false, reason: manifest };
    return { ok: true, manifest, identity: { version: named.version, hash: named.hash } };
  }

  private compile(published: PolicyVersionRecord): CompiledManifest | string {
    const cached = this.compiled.get(published);
    if (cached !== undefined) return cached;
    const compilation = compileManifest((published.manifest ?? null) as object);
    let result: CompiledManifest | string;
    if (!compilation.ok) result = `the snapshot of policy version ${published.version} does not compile: ${compilation.errors[0]?.message ?? 'unknown error'}`;
    else if (compilation.manifest.hash !== published.hash) result = `the snapshot of policy version ${published.version} does not hash to ${shortHash(published.hash)}, as it was published with`;
    else result = compilation.manifest;
    this.compiled.set(published, result);
    return result;
  }
}
