"""Endpoint derivations: ``compute_*`` on arrays, ``derive_*`` on ADaM frames.

Modules: ``as_scores`` (BASDAI, BASFI, BASMI-linear, BASMI2, spinal pain), ``asdas`` (ASDAS-CRP/ESR,
states; improvement on arrays: a wrapper over the presets), ``criteria`` (every response criterion, from the
plan's parameters), ``asas`` (ASAS20/40, 5/6, partial remission, BASDAI50 on arrays: wrappers over the presets),
``ra_scores`` (DAS28; EULAR, ACR on arrays: wrappers over the presets), ``options`` (:class:`DeriveOptions`,
filled from the plan by :mod:`sap.derivations`),
``visits`` (study day, windows), ``baseline``, ``params`` (derived parameter rows), ``intercurrent``,
``response``, ``episodes``, ``rederive``, ``pipeline`` (:func:`derive_analysis_datasets`).

Conventions: missing components give missing results (NaN; never a silent 0/False); binary results
are 1.0/0.0/NaN; cut-offs are compared with a 1e-9 tolerance (see ``_arrays``).

``derive_analysis_datasets(datasets, options)`` returns (all frames; nothing is dropped):

* ``adeff`` - long BDS, one row per input ADQS/ADLB record plus one per derived parameter
  (rows = input rows + derived rows).  Columns: input columns, USUBJID, PARAMCD, PARAM (derived),
  AVAL, AVISIT/AVISITN (analysis visit; NaN when outside every window), AVISIT_NOM/AVISITN_NOM
  (collected), ADY, AWTARGET/AWLO/AWHI, ANL01FL ('Y' = the analysed record of its subject/parameter/
  visit), ANLREAS (why 'N'), PARAMTYP ('DERIVED' | 'SPONSOR' for a sponsor-supplied score | ''),
  DERIVED ('Y'/'N'), SRCDOM (ADQS/ADLB/DERIVED), ABLFL, BASE, CHG, PCHG, ADSL variables.
  Derived PARAMCDs: BASDAI, BASFI, INFLAM, SPPAIN, BASMILIN, BASMI2, LATFLX (per occasion) and
  ASDASCRP, ASDASESR, DAS28CRP, DAS28ESR (per analysis visit).  Raw parameters (e.g. HAQDI, CRP)
  pass through with their own BASE/CHG.
* ``adresp`` - one row per ADSL subject x post-baseline analysis visit x response endpoint:
  USUBJID, PARAMCD (the plan's criteria, e.g. the presets ASAS20, ASAS40, ASAS50, ASAS20ST, ASAS56, ASASPR,
  BASDAI50, ASDASCII, ASDASMI, ASDASCIW, ASDASID, ASDASLDA, ACR20/50/70, EULAR, EULARG), PARAM, AVISIT, AVISITN, TARGETDY, ADY, ADYSRC (OBSERVED/TARGET), AVAL_OC/AVALC_OC
  (observed; NaN/'' if not evaluable), EVALFL, RESCDY, DISCDY, RESCFL, DISCAFL, AVAL_NRI/AVALC_NRI
  (= AVAL/AVALC; composite strategy + non-responder imputation), IMPFL, IMPREAS, STRATEGY, ADSL variables.
* ``addur`` - one row per responder and endpoint: USUBJID, PARAMCD, ONSETVN, ONSETDY, ENDVN, ENDDY,
  AVAL (duration of response in weeks), AVALU, EVENT (1 = loss), CNSR (= 1 - EVENT), EVNTDESC.
* ``adonset`` - one row per ADSL subject and endpoint: USUBJID, PARAMCD, ONSETVN, ONSETDY, ENDDY,
  AVAL (weeks from first dose to onset or censoring), AVALU, EVENT (1 = onset), CNSR, EVNTDESC.
* ``ice`` - one row per subject: USUBJID, RESCDY, DISCFL, DISCDY, DCSREAS.
* ``score_disagreements`` - USUBJID, PARAMCD, AVISIT, AVISITN, ADY, SPONSOR, REDERIVED, DIFF, LEVEL.
* ``derivation_log`` - STEP, DATASET, N_IN, N_OUT, N_FLAGGED, DETAIL.
"""
from .as_scores import (compute_basdai, compute_basfi, compute_basmi2, compute_basmi_linear,
                        compute_basmi_linear_components, compute_side_mean, compute_spinal_pain)
from .asas import (compute_asas20, compute_asas40, compute_asas56, compute_asas_partial_remission,
                   compute_basdai50)
from .asdas import compute_asdas_crp, compute_asdas_esr, compute_asdas_improvement, compute_asdas_state
from .options import RESPONSE_ENDPOINTS, DeriveOptions
from .pipeline import derive_analysis_datasets
from .ra_scores import (compute_acr_response, compute_das28_crp, compute_das28_esr, compute_das28_state,
                        compute_eular_response)

__all__ = [
    "compute_basdai", "compute_basfi", "compute_basmi2", "compute_basmi_linear", "compute_basmi_linear_components",
    "compute_side_mean", "compute_spinal_pain", "compute_asas20", "compute_asas40", "compute_asas56",
    "compute_asas_partial_remission", "compute_basdai50", "compute_asdas_crp", "compute_asdas_esr",
    "compute_asdas_improvement", "compute_asdas_state", "compute_acr_response", "compute_das28_crp",
    "compute_das28_esr", "compute_das28_state", "compute_eular_response", "DeriveOptions",
    "RESPONSE_ENDPOINTS", "derive_analysis_datasets",
]
