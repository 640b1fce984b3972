"""Who may call: JWT verification (`auth`), trusted issuers and their keys (`jwks`), the jti
replay cache (`jti_replay`) and CORS for browser clients (`cors`)."""
