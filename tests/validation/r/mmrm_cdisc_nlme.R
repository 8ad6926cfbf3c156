# Reference numbers for the CDISC pilot MMRM (CSR Table 14-3.11 model) with R nlme::gls + emmeans.
# Run from the repository root:  Rscript tests/validation/r/mmrm_cdisc_nlme.R
# Writes tests/validation/r/mmrm_cdisc_nlme.json. R is NOT a runtime or CI dependency.
# Model: CHG ~ TRTP*AVISIT + SITEGR1 + BASE*AVISIT, unstructured covariance (corSymm + varIdent
# spans exactly the UN matrices), REML. Data: ADQSADAS PARAMCD=ACTOT, AVISIT Week 8/16/24,
# DTYPE != LOCF, ANL01FL = Y, EFFFL = Y.
suppressPackageStartupMessages({library(nlme); library(emmeans); library(haven); library(jsonlite)})
path <- file.path("..", "shared", "data", "cdiscpilot01", "adam_converted", "adqsadas.xpt")
d <- as.data.frame(read_xpt(path))
for (v in names(d)) if (is.character(d[[v]])) d[[v]] <- trimws(d[[v]])
d <- d[d$PARAMCD == "ACTOT" & d$AVISIT %in% c("Week 8", "Week 16", "Week 24") & d$DTYPE != "LOCF" &
       d$ANL01FL == "Y" & d$EFFFL == "Y" & !is.na(d$CHG), ]
d$TRTP <- factor(d$TRTP, levels = c("Placebo", "Xanomeline High Dose", "Xanomeline Low Dose"))
d$AVISIT <- factor(d$AVISIT, levels = c("Week 8", "Week 16", "Week 24"))
d$SITEGR1 <- factor(d$SITEGR1)
d$VIS <- as.integer(d$AVISIT)
d <- d[order(d$USUBJID, d$VIS), ]
t0 <- proc.time()[["elapsed"]]
fit <- gls(CHG ~ TRTP * AVISIT + SITEGR1 + BASE * AVISIT, data = d,
           correlation = corSymm(form = ~ VIS | USUBJID), weights = varIdent(form = ~ 1 | AVISIT),
           method = "REML", control = glsControl(opt = "optim", msMaxIter = 1000, tolerance = 1e-10,
                                                 msTol = 1e-12, optimMethod = "BFGS"))
elapsed <- proc.time()[["elapsed"]] - t0
V <- getVarCov(fit, individual = d$USUBJID[d$USUBJID %in% names(which(table(d$USUBJID) == 3))][1])
emm <- emmeans(fit, ~ TRTP | AVISIT, mode = "satterthwaite")   # equal weights over SITEGR1, mean BASE
ls <- as.data.frame(summary(emm, infer = c(TRUE, TRUE)))
dif <- as.data.frame(summary(contrast(emm, "trt.vs.ctrl", ref = 1), infer = c(TRUE, TRUE), adjust = "none"))
out <- list(
  source = "R nlme::gls (corSymm + varIdent, REML) + emmeans; computed by tests/validation/r/mmrm_cdisc_nlme.R",
  versions = list(R = R.version.string, nlme = as.character(packageVersion("nlme")),
                  emmeans = as.character(packageVersion("emmeans"))),
  n_obs = nrow(d), n_subjects = length(unique(d$USUBJID)),
  minus2_reml_loglik = -2 * as.numeric(logLik(fit)),
  coef = as.list(coef(fit)), se = as.list(sqrt(diag(vcov(fit)))),
  covariance = unname(matrix(as.numeric(V), nrow(V))), visits = levels(d$AVISIT),
  lsmeans = lapply(seq_len(nrow(ls)), function(i) list(group = as.character(ls$TRTP[i]),
        visit = as.character(ls$AVISIT[i]), estimate = ls$emmean[i], se = ls$SE[i], df = ls$df[i])),
  differences = lapply(seq_len(nrow(dif)), function(i) list(contrast = as.character(dif$contrast[i]),
        visit = as.character(dif$AVISIT[i]), estimate = dif$estimate[i], se = dif$SE[i], df = dif$df[i],
        p_value = dif$p.value[i])),
  gls_fit_seconds = elapsed)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "tests/validation/r/mmrm_cdisc_nlme.json")
