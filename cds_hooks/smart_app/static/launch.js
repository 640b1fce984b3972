// /app/launch: EHR launch (?iss=...&launch=...) or standalone launch (?iss=..., or a form).
'use strict';

(() => {
  const body = document.body.dataset;
  const status = document.getElementById('launch-status');
  const params = new URLSearchParams(window.location.search);

  function start(iss, launch) {
    status.textContent = 'Connecting to the EHR\u2026';
    MarrowSmart.authorize({
      iss,
      launch,
      clientId: body.clientId,
      redirectUri: body.redirectUri,
      scope: launch ? body.scopes : body.standaloneScopes,
    }).catch((error) => {
      status.textContent = `The app could not be launched: ${error.message}`;
    });
  }

  const iss = params.get('iss');
  if (iss) {
    start(iss, params.get('launch'));
    return;
  }
  status.textContent = 'Standalone launch: enter the FHIR server to log in to.';
  const form = document.getElementById('standalone');
  form.hidden = false;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    start(document.getElementById('iss').value, null);
  });
})();
