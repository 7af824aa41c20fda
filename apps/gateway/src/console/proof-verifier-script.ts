/**
 * Browser JavaScript defining one global, `HalmProof`: what an auditor's browser checks
 * itself, with WebCrypto only, about an event and its inclusion proof from
 * `GET /api/audit/events/:height`. It shares no code with the server on purpose (the
 * point is an independent check), and follows the same specifications:
 *
 * - RFC 8785 canonical JSON of the event (`canonicalize`);
 * - the event's chain hash, SHA-256 over the canonical form of every field but `hash`;
 * - the RFC 9162 leaf hash SHA-256(0x00 || canonical event) and node hash
 *   SHA-256(0x01 || left || right), and the root an audit path leads to (section 2.1.3.2);
 * - the checkpoint's Ed25519 signature over the canonical form of its signed fields.
 *
 * Tree sizes reach past 2^31, so halving is arithmetic, never a bit shift.
 */
export const PROOF_VERIFIER_SCRIPT = String.raw`
var HalmProof = (function () {
  'use strict';
  var subtle = typeof crypto !== 'undefined' && crypto.subtle ? crypto.subtle : null;

  var canonicalize = function (value) {
    if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
    if (typeof value === 'number') {
      if (!isFinite(value)) throw new TypeError('canonical JSON has no form for ' + value);
      return JSON.stringify(value);
    }
    if (Array.isArray(value)) return '[' + value.map(canonicalize).join(',') + ']';
    if (typeof value === 'object') {
      // Array.prototype.sort without a comparator compares UTF-16 code units, as RFC 8785 requires.
      return '{' + Object.keys(value).sort().filter(function (key) { return value[key] !== undefined; }).map(function (key) {
        return JSON.stringify(key) + ':' + canonicalize(value[key]);
      }).join(',') + '}';
    }
    throw new TypeError('canonical JSON has no form for a ' + typeof value);
  };

  var utf8 = function (text) { return new TextEncoder().encode(text); };
  var toHex = function (bytes) { return Array.prototype.map.call(bytes, function (byte) { return (byte < 16 ? '0' : '') + byte.toString(16); }).join(''); };
  var fromHex = function (hex) {
    if (typeof hex !== 'string' || !/^([0-9a-f]{2})*$/.test(hex)) throw new TypeError('not lower-case hex: ' + String(hex).slice(0, 80));
    var bytes = new Uint8Array(hex.length / 2);
    for (var index = 0; index < bytes.length; index += 1) bytes[index] = parseInt(hex.substr(index * 2, 2), 16);
    return bytes;
  };
  var fromBase64Url = function (text) {
    var base64 = String(text).replace(/-/g, '+').replace(/_/g, '/');
    while (base64.length % 4 !== 0) base64 += '=';
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var index = 0; index < binary.length; index += 1) bytes[index] = binary.charCodeAt(index);
    return bytes;
  };
  var concat = function (parts) {
    var length = parts.reduce(function (sum, part) { return sum + part.length; }, 0);
    var bytes = new Uint8Array(length);
    var offset = 0;
    parts.forEach(function (part) { bytes.set(part, offset); offset += part.length; });
    return bytes;
  };
  var sha256 = function (bytes) {
    if (!subtle) return Promise.reject(new Error('this browser offers no WebCrypto here (it needs HTTPS or localhost)'));
    return subtle.digest('SHA-256', bytes).then(function (digest) { return new Uint8Array(digest); });
  };

  var EVENT_FIELDS = ['tenantId', 'height', 'prevHash', 'eventId', 'type', 'recordedAt', 'data'];
  var pick = function (source, fields) {
    var picked = {};
    fields.forEach(function (field) { picked[field] = source[field]; });
    return picked;
  };

  var eventHash = function (event) { return sha256(utf8(canonicalize(pick(event, EVENT_FIELDS)))).then(toHex); };
  var leafHash = function (event) { return sha256(concat([Uint8Array.of(0), utf8(canonicalize(pick(event, EVENT_FIELDS.concat(['hash']))))])).then(toHex); };
  var nodeHash = function (left, right) { return sha256(concat([Uint8Array.of(1), left, right])); };

  /** RFC 9162 section 2.1.3.2: the root the audit path of leaf index in a tree of treeSize leads to, or null when the path cannot be one. */
  var rootFromInclusion = function (leafHex, index, treeSize, proofHex) {
    if (!(index >= 0 && index < treeSize && Number.isSafeInteger(index) && Number.isSafeInteger(treeSize))) return Promise.resolve(null);
    var fn = index;
    var sn = treeSize - 1;
    var steps = proofHex.map(fromHex);
    var walk = function (position, hash) {
      if (position === steps.length) return Promise.resolve(sn === 0 ? hash : null);
      if (sn === 0) return Promise.resolve(null);
      var sibling = steps[position];
      var next;
      if (fn % 2 === 1 || fn === sn) {
        next = nodeHash(sibling, hash);
        while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      } else {
        next = nodeHash(hash, sibling);
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
      return next.then(function (combined) { return walk(position + 1, combined); });
    };
    return walk(0, fromHex(leafHex)).then(function (root) { return root && toHex(root); });
  };

  /** Whether the checkpoint's signature holds under the public key (SubjectPublicKeyInfo DER, base64url); null when this browser has no Ed25519. */
  var checkpointSignature = function (checkpoint, publicKey) {
    if (!subtle) return Promise.resolve(null);
    var signed = utf8(canonicalize(pick(checkpoint, ['tenantId', 'treeSize', 'rootHash', 'issuedAt', 'keyId'])));
    return subtle.importKey('spki', fromBase64Url(publicKey), { name: 'Ed25519' }, false, ['verify'])
      .then(function (key) { return subtle.verify({ name: 'Ed25519' }, key, fromBase64Url(checkpoint.signature), signed); })
      .catch(function (error) { return error && error.name === 'NotSupportedError' ? null : false; });
  };

  /**
   * Every check of one answer of GET /api/audit/events/:height: the event's own hash, its
   * leaf hash (recomputed, and the server's), and the root its proof leads to against the
   * checkpoint's. { verified, eventHashValid, leafHash, leafHashMatches, root, rootMatches, treeSize }.
   */
  var verifyInclusion = function (answer) {
    var event = answer.event;
    return Promise.all([eventHash(event), leafHash(event)]).then(function (hashes) {
      var leaf = hashes[1];
      return rootFromInclusion(leaf, answer.proof.leafIndex, answer.proof.treeSize, answer.proof.hashes).then(function (root) {
        var result = {
          eventHashValid: hashes[0] === event.hash,
          leafHash: leaf,
          leafHashMatches: leaf === answer.leafHash,
          leafIndexMatches: answer.proof.leafIndex === event.height - 1,
          root: root,
          rootMatches: root !== null && root === answer.checkpoint.rootHash,
          treeSize: answer.checkpoint.treeSize,
          treeSizeMatches: answer.proof.treeSize === answer.checkpoint.treeSize
        };
        result.verified = result.eventHashValid && result.leafHashMatches && result.leafIndexMatches && result.rootMatches && result.treeSizeMatches;
        return result;
      });
    });
  };

  return {
    available: subtle !== null,
    canonicalize: canonicalize,
    eventHash: eventHash,
    leafHash: leafHash,
    rootFromInclusion: rootFromInclusion,
    checkpointSignature: checkpointSignature,
    verifyInclusion: verifyInclusion
  };
})();
`;
