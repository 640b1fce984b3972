// The clinical picture the end-to-end tests put on top of a Synthea patient: an MRI lumbar spine
// report with heterogeneous marrow signal (SPEC.md sections 3 and 6) and a first-line lab panel
// (SPEC.md section 4), dated relative to `now` so that the labs stay "current" (within 90 days).
//
// Picture: woman with diffusely heterogeneous marrow, T1 isointense to disc, increased since a
// prior MRI; M-spike 0.9 g/dL, SPEP monoclonal band, FLC kappa/lambda 12 (kappa 62.4 mg/L),
// Hb 11.2 g/dL, calcium, creatinine and counts normal. Expected (SPEC.md section 5): H flags
// (H-IMAGING, H-MPROTEIN, H-FLC, H-ANAEMIA), no U flag -> R4, topic marrow-biopsy-indicated.
// Ids are fixed ("marrow-e2e-...") so that tests can look for them in the cards' evidence.

const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const DAY_MS = 24 * 60 * 60 * 1000;

const daysBefore = (now, days) => new Date(now.getTime() - days * DAY_MS).toISOString();

function labCategory() {
  return [
    {
      coding: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/observation-category',
          code: 'laboratory',
          display: 'Laboratory',
        },
      ],
    },
  ];
}

function quantityLab(patientId, id, effective, code, display, value, unit, low, high) {
  const range = {};
  if (low !== undefined) range.low = { value: low, unit, system: UCUM, code: unit };
  if (high !== undefined) range.high = { value: high, unit, system: UCUM, code: unit };
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    category: labCategory(),
    code: { coding: [{ system: LOINC, code, display }], text: display },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: effective,
    issued: effective,
    valueQuantity: { value, unit, system: UCUM, code: unit },
    ...(Object.keys(range).length ? { referenceRange: [range] } : {}),
  };
}

function textLab(patientId, id, effective, code, display, text) {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    category: labCategory(),
    code: { coding: [{ system: LOINC, code, display }], text: display },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: effective,
    issued: effective,
    valueString: text,
  };
}

function mriReport(patientId, id, effective, reportText, conclusion) {
  return {
    resourceType: 'DiagnosticReport',
    id,
    status: 'final',
    category: [
      { coding: [{ system: LOINC, code: 'LP29684-5', display: 'Radiology' }] },
    ],
    code: {
      coding: [{ system: LOINC, code: '24968-0', display: 'MR Lumbar spine' }],
      text: 'MRI lumbar spine without contrast',
    },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: effective,
    issued: effective,
    conclusion,
    presentedForm: [
      {
        contentType: 'text/plain',
        language: 'en',
        data: Buffer.from(reportText, 'utf8').toString('base64'),
        title: 'MRI lumbar spine report',
      },
    ],
  };
}

const PRIOR_TEXT = `MRI LUMBAR SPINE WITHOUT CONTRAST
INDICATION: Low back pain.
TECHNIQUE: Sagittal T1, T2 and STIR; axial T2. 1.5 T.
FINDINGS: Mildly heterogeneous bone marrow signal in the lumbar vertebral bodies, likely red marrow reconversion. No focal lesion. Disc desiccation at L4-L5.
IMPRESSION: Mildly heterogeneous marrow signal, likely red marrow reconversion.`;
const PRIOR_CONCLUSION = 'Mildly heterogeneous marrow signal, likely red marrow reconversion.';

const INDEX_TEXT = `MRI LUMBAR SPINE WITHOUT CONTRAST
INDICATION: Persistent low back pain.
COMPARISON: MRI lumbar spine two years ago.
TECHNIQUE: Sagittal T1, T2 and STIR; axial T2. 1.5 T.
FINDINGS: Diffusely heterogeneous bone marrow signal throughout the lumbar spine and visualised pelvis, with T1 marrow signal isointense to the intervertebral discs. The heterogeneity has increased in extent compared with the prior MRI. No discrete focal lesion. No compression fracture.
IMPRESSION: Diffusely heterogeneous marrow signal, T1 isointense to disc, increased since the prior study. Cannot exclude an infiltrative process; haematological work-up is suggested.`;
const INDEX_CONCLUSION =
  'Diffusely heterogeneous marrow signal, T1 isointense to disc, increased since the prior study. ' +
  'Cannot exclude an infiltrative process; haematological work-up is suggested.';

/** Resources of the sample for `patientId`, dated relative to `now`. */
export function marrowSample(patientId, now) {
  const labs = daysBefore(now, 12);
  const p = patientId;
  return [
    mriReport(p, 'marrow-e2e-mri-prior', daysBefore(now, 730), PRIOR_TEXT, PRIOR_CONCLUSION),
    mriReport(p, 'marrow-e2e-mri-index', daysBefore(now, 5), INDEX_TEXT, INDEX_CONCLUSION),
    // history: haemoglobin drifting down over two years
    quantityLab(p, 'marrow-e2e-hb-2y', daysBefore(now, 700), '718-7', 'Hemoglobin [Mass/volume] in Blood', 12.9, 'g/dL', 12.0, 15.5),
    quantityLab(p, 'marrow-e2e-hb-1y', daysBefore(now, 360), '718-7', 'Hemoglobin [Mass/volume] in Blood', 12.3, 'g/dL', 12.0, 15.5),
    // current first-line panel
    quantityLab(p, 'marrow-e2e-hb', labs, '718-7', 'Hemoglobin [Mass/volume] in Blood', 11.2, 'g/dL', 12.0, 15.5),
    quantityLab(p, 'marrow-e2e-wbc', labs, '6690-2', 'Leukocytes [#/volume] in Blood by Automated count', 5.8, '10*3/uL', 4.0, 11.0),
    quantityLab(p, 'marrow-e2e-plt', labs, '777-3', 'Platelets [#/volume] in Blood by Automated count', 212, '10*3/uL', 150, 400),
    quantityLab(p, 'marrow-e2e-neut', labs, '751-8', 'Neutrophils [#/volume] in Blood by Automated count', 3.4, '10*3/uL', 1.8, 7.7),
    quantityLab(p, 'marrow-e2e-ca', labs, '17861-6', 'Calcium [Mass/volume] in Serum or Plasma', 9.6, 'mg/dL', 8.6, 10.3),
    quantityLab(p, 'marrow-e2e-alb', labs, '1751-7', 'Albumin [Mass/volume] in Serum or Plasma', 3.9, 'g/dL', 3.4, 4.7),
    quantityLab(p, 'marrow-e2e-creat', labs, '2160-0', 'Creatinine [Mass/volume] in Serum or Plasma', 0.9, 'mg/dL', 0.6, 1.1),
    quantityLab(p, 'marrow-e2e-egfr', labs, '33914-3', 'Glomerular filtration rate/1.73 sq M.predicted', 74, 'mL/min/{1.73_m2}', 60),
    quantityLab(p, 'marrow-e2e-flc-kappa', labs, '36916-5', 'Kappa light chains.free [Mass/volume] in Serum', 62.4, 'mg/L', 3.3, 19.4),
    quantityLab(p, 'marrow-e2e-flc-lambda', labs, '33944-0', 'Lambda light chains.free [Mass/volume] in Serum', 5.2, 'mg/L', 5.7, 26.3),
    quantityLab(p, 'marrow-e2e-flc-ratio', labs, '48378-4', 'Kappa/Lambda free light chain ratio in Serum', 12.0, '1', 0.26, 1.65),
    quantityLab(p, 'marrow-e2e-mspike', labs, '33358-3', 'Protein.monoclonal [Mass/volume] in Serum or Plasma by Electrophoresis', 0.9, 'g/dL'),
    textLab(p, 'marrow-e2e-spep', labs, '12851-2', 'Protein electrophoresis panel - Serum or Plasma', 'Monoclonal protein (M-spike) detected in the gamma region; immunofixation IgG kappa.'),
    quantityLab(p, 'marrow-e2e-igg', labs, '2465-3', 'IgG [Mass/volume] in Serum', 1850, 'mg/dL', 700, 1600),
    quantityLab(p, 'marrow-e2e-iga', labs, '2458-8', 'IgA [Mass/volume] in Serum', 95, 'mg/dL', 70, 400),
    quantityLab(p, 'marrow-e2e-igm', labs, '2472-9', 'IgM [Mass/volume] in Serum', 48, 'mg/dL', 40, 230),
    quantityLab(p, 'marrow-e2e-b2m', labs, '1952-1', 'Beta-2-Microglobulin [Mass/volume] in Serum or Plasma', 2.4, 'mg/L', 1.21, 2.7),
    quantityLab(p, 'marrow-e2e-ldh', labs, '2532-0', 'Lactate dehydrogenase [Enzymatic activity/volume] in Serum or Plasma', 180, 'U/L', 120, 246),
  ];
}
