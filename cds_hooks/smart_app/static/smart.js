// SMART App Launch 2.0 client of the Marrow CDS companion app (written here, no library).
//
// EHR launch (iss + launch) and standalone launch (iss only): discovery through
// {iss}/.well-known/smart-configuration (SMART v2; the CapabilityStatement oauth-uris extension of
// a v1 server as a fallback), authorization code flow with PKCE S256, public client (no secret).
// Tokens stay in this browser tab (sessionStorage); nothing is sent to the Marrow CDS service
// except the id_token, which authenticates the app's calls to the reader endpoints.
'use strict';

const MarrowSmart = (() => {
  const SESSION_KEY = 'marrow-smart-session';
  const STATE_PREFIX = 'marrow-smart-state:';

  function base64url(bytes) {
    let binary = '';
    for (const b of bytes) binary += String.fromCharCode(b);
    return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function randomString(byteCount) {
    const bytes = new Uint8Array(byteCount);
    crypto.getRandomValues(bytes);
    return base64url(bytes);
  }

  async function s256(verifier) {
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
    return base64url(new Uint8Array(digest));
  }

  function trimSlash(url) {
    return url.replace(/\/+$/, '');
  }

  async function discover(iss) {
    const base = trimSlash(iss);
    try {
      const response = await fetch(`${base}/.well-known/smart-configuration`, {
        headers: { Accept: 'application/json' },
      });
      if (response.ok) {
        const config = await response.json();
        if (config.authorization_endpoint && config.token_endpoint) return config;
      }
    } catch (error) {
      // fall through to the v1 CapabilityStatement
    }
    const response = await fetch(`${base}/metadata`, { headers: { Accept: 'application/fhir+json' } });
    if (!response.ok) throw new Error(`the FHIR server's SMART configuration could not be read (${response.status})`);
    const capability = await response.json();
    const security = (capability.rest || [])[0]?.security || {};
    const oauth = (security.extension || []).find((e) =>
      String(e.url).endsWith('/StructureDefinition/oauth-uris'));
    const uri = (name) => (oauth?.extension || []).find((e) => e.url === name)?.valueUri;
    if (!uri('authorize') || !uri('token')) throw new Error('the FHIR server does not advertise SMART');
    return { authorization_endpoint: uri('authorize'), token_endpoint: uri('token'),
      code_challenge_methods_supported: ['S256'] };
  }

  // Start the authorization: redirects the browser to the EHR's authorization endpoint.
  async function authorize({ iss, launch, clientId, redirectUri, scope }) {
    const config = await discover(iss);
    const methods = config.code_challenge_methods_supported || [];
    if (methods.length && !methods.includes('S256')) {
      throw new Error('the authorization server does not support PKCE S256');
    }
    const verifier = randomString(48);
    const state = randomString(24);
    sessionStorage.setItem(STATE_PREFIX + state, JSON.stringify({
      iss: trimSlash(iss), tokenEndpoint: config.token_endpoint, verifier, clientId, redirectUri,
    }));
    const params = new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirectUri,
      scope,
      state,
      aud: trimSlash(iss),
      code_challenge: await s256(verifier),
      code_challenge_method: 'S256',
    });
    if (launch) params.set('launch', launch);
    const url = new URL(config.authorization_endpoint);
    for (const [key, value] of params) url.searchParams.set(key, value);
    window.location.assign(url.toString());
  }

  // On the redirect URI: exchange the code (once) and keep the session in this tab.
  async function completeAuthorization() {
    const here = new URL(window.location.href);
    const code = here.searchParams.get('code');
    const state = here.searchParams.get('state');
    const error = here.searchParams.get('error');
    if (error) throw new Error(`the EHR refused the authorization (${error})`);
    if (!code || !state) return currentSession();
    const saved = sessionStorage.getItem(STATE_PREFIX + state);
    sessionStorage.removeItem(STATE_PREFIX + state);
    // The code and state leave the address bar at once (history, screenshots, bookmarks).
    window.history.replaceState(null, '', here.pathname);
    if (!saved) throw new Error('this launch was not started here (unknown state): launch again');
    const pending = JSON.parse(saved);
    const response = await fetch(pending.tokenEndpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: pending.redirectUri,
        client_id: pending.clientId,
        code_verifier: pending.verifier,
      }),
    });
    if (!response.ok) throw new Error(`the token request failed (${response.status})`);
    const token = await response.json();
    if (!token.access_token || !token.patient) {
      throw new Error('the EHR gave no access token with a patient in context');
    }
    const session = {
      iss: pending.iss,
      accessToken: token.access_token,
      idToken: token.id_token || null,
      patient: token.patient,
      scope: token.scope || '',
      appContext: token.appContext || null,
      expiresAt: Date.now() + 1000 * (Number(token.expires_in) || 300),
    };
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
    return session;
  }

  function currentSession() {
    const raw = sessionStorage.getItem(SESSION_KEY);
    return raw ? JSON.parse(raw) : null;
  }

  // Granted read access to a resource type, SMART v2 (.rs / .r) or v1 (.read / .*).
  function canRead(scope, type) {
    return scope.split(/\s+/).some((s) => {
      const m = /^(patient|user|system)\/(\*|[A-Za-z]+)\.([a-z*]+)(\?.*)?$/.exec(s);
      if (!m || (m[2] !== '*' && m[2] !== type)) return false;
      const p = m[3];
      return p === 'read' || p === '*' || (/^c?r?u?d?s?$/.test(p) && p.includes('r'));
    });
  }

  async function fhirGet(session, url) {
    const absolute = /^https?:/.test(url) ? url : `${session.iss}/${url}`;
    if (!absolute.startsWith(`${session.iss}/`)) throw new Error('a link left the FHIR server');
    const response = await fetch(absolute, {
      headers: { Authorization: `Bearer ${session.accessToken}`, Accept: 'application/fhir+json' },
    });
    if (!response.ok) throw new Error(`the FHIR server answered ${response.status}`);
    return response.json();
  }

  // Every resource of a search, following `next` links up to maxPages.
  async function fhirSearch(session, query, maxPages = 10) {
    const resources = [];
    let url = query;
    for (let page = 0; url && page < maxPages; page += 1) {
      const bundle = await fhirGet(session, url);
      for (const entry of bundle.entry || []) {
        if (entry.resource && entry.search?.mode !== 'outcome') resources.push(entry.resource);
      }
      url = (bundle.link || []).find((l) => l.relation === 'next')?.url || null;
    }
    return resources;
  }

  return { authorize, completeAuthorization, currentSession, canRead, fhirGet, fhirSearch };
})();
