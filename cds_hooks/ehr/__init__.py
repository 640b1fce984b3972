"""Reading the EHR's FHIR server: prefetch and the fallback fetch, report documents kept in
Binaries, and the URL allowlist every fetch is checked against."""
