import { PAGE_KIT_SCRIPT } from '../console/page-shell';

/**
 * The transparency page's script, served as /transparency/assets/transparency.js: polls the
 * two public endpoints and fills in the states the page was rendered with. An endpoint that
 * is missing (404) or does not answer leaves every state it feeds "unknown", saying why.
 */
export const TRANSPARENCY_SCRIPT =
  PAGE_KIT_SCRIPT +
  String.raw`
(function () {
  'use strict';
  var root = document.querySelector('main.transparency');
  if (!root) return;
  var el = Halm.el;
  var byId = function (id) { return document.getElementById(id); };
  var integrityEvery = Number(root.getAttribute('data-integrity-poll-ms')) || 5000;
  var invariantsEvery = Number(root.getAttribute('data-invariants-poll-ms')) || 15000;
  var GOOD_WHEN = { enforcementActive: true, invariantsPassing: true, hashChainValid: true, lockdownActive: false };
  var fetches = { integrity: 0, invariants: 0 };
  var lastCheckSeen;

  byId('verify-command').textContent = 'curl ' + location.origin + '/api/public/integrity';

  var setPill = function (node, kind, text) {
    node.className = 'pill pill-' + kind;
    node.textContent = text;
  };

  var showProblem = function (node, text) {
    node.hidden = !text;
    node.textContent = text || '';
  };

  var unavailable = function (answer, what) {
    if (answer.status === 404) return 'The ' + what + ' endpoint is not available on this gateway (HTTP 404): the state is unknown.';
    return 'The ' + what + ' could not be read, so it is unknown. ' + Halm.problemText(answer);
  };

  var showIntegrity = function (answer) {
    var body = answer.ok && answer.body && typeof answer.body === 'object' ? answer.body : null;
    Array.prototype.forEach.call(root.querySelectorAll('.status-item'), function (item) {
      var field = item.getAttribute('data-field');
      var cell = item.querySelector('dd');
      var value = body ? body[field] : undefined;
      if (field === 'lastIntegrityCheck') {
        if (typeof value === 'string') Halm.replace(cell, [el('time', { datetime: value, 'class': 'check-time' }, [Halm.time(value)])]);
        else Halm.replace(cell, [Halm.pill('unknown', body && value === null ? 'not yet checked' : 'unknown')]);
        return;
      }
      if (typeof value !== 'boolean') { Halm.replace(cell, [Halm.pill('unknown', 'unknown')]); return; }
      var text = field === 'lockdownActive' ? (value ? 'Active' : 'Not active') : (value ? 'Yes' : 'No');
      Halm.replace(cell, [Halm.pill(value === GOOD_WHEN[field] ? 'good' : 'bad', text)]);
    });
    var overall = byId('integrity-overall');
    var lockdown = byId('lockdown-state');
    if (!body) {
      setPill(overall, 'unknown', 'Status unknown');
      setPill(lockdown, 'unknown', 'Lockdown: unknown');
      showProblem(byId('integrity-problem'), unavailable(answer, 'integrity status'));
    } else {
      var failing = Object.keys(GOOD_WHEN).filter(function (field) { return body[field] !== GOOD_WHEN[field]; });
      if (body.lockdownActive === true) setPill(overall, 'bad', 'Lockdown active');
      else if (failing.length === 0) setPill(overall, 'good', 'All guarantees enforced');
      else setPill(overall, 'bad', 'Attention: ' + failing.join(', '));
      if (typeof body.lockdownActive === 'boolean') setPill(lockdown, body.lockdownActive ? 'bad' : 'good', body.lockdownActive ? 'Lockdown: active' : 'Lockdown: not active');
      else setPill(lockdown, 'unknown', 'Lockdown: unknown');
      showProblem(byId('integrity-problem'), '');
    }
    // The invariants change only when a check runs: a new check time is the moment to ask for them again.
    var lastCheck = body ? body.lastIntegrityCheck : undefined;
    if (lastCheckSeen !== undefined && lastCheck && lastCheck !== lastCheckSeen) Halm.request('GET', '/api/public/invariants').then(showInvariants);
    if (lastCheck !== undefined) lastCheckSeen = lastCheck;
    fetches.integrity += 1;
    root.setAttribute('data-integrity-fetches', String(fetches.integrity));
    byId('integrity-updated').textContent = 'Fetched ' + new Date().toLocaleTimeString() + ' · refreshes every ' + Math.round(integrityEvery / 1000) + ' s';
  };

  var showInvariants = function (answer) {
    var list = answer.ok && answer.body && Array.isArray(answer.body.invariants) ? answer.body.invariants : null;
    Array.prototype.forEach.call(root.querySelectorAll('.invariant'), function (card) {
      var name = card.getAttribute('data-invariant');
      var state = card.querySelector('.invariant-state .pill');
      var checked = card.querySelector('.invariant-state .checked');
      var found = list ? list.filter(function (entry) { return entry && entry.name === name; })[0] : undefined;
      if (!found) {
        setPill(state, 'unknown', 'unknown');
        checked.textContent = 'Last checked: unknown';
        return;
      }
      if (found.passing === true) setPill(state, 'good', 'Passing');
      else if (found.passing === false) setPill(state, 'bad', 'Violated');
      else setPill(state, 'unknown', 'Not checked yet');
      checked.textContent = 'Last checked: ' + (found.lastCheckedAt ? Halm.time(found.lastCheckedAt) : 'never');
    });
    showProblem(byId('invariants-problem'), list ? '' : unavailable(answer, 'invariants'));
    fetches.invariants += 1;
    root.setAttribute('data-invariants-fetches', String(fetches.invariants));
  };

  var poll = function (path, show, every) {
    var tick = function () {
      // A hidden tab skips its turns instead of asking for what nobody sees.
      if (document.hidden) { setTimeout(tick, every); return; }
      Halm.request('GET', path).then(show).then(function () { setTimeout(tick, every); });
    };
    tick();
  };

  poll('/api/public/integrity', showIntegrity, integrityEvery);
  poll('/api/public/invariants', showInvariants, invariantsEvery);
})();
`;
