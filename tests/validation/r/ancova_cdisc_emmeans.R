# Reference LS means for the CDISC pilot ANCOVA (CSR Table 14-3.01) with R lm + emmeans.
# Run from the repository root:  Rscript tests/validation/r/ancova_cdisc_emmeans.R
# Writes tests/validation/r/ancova_cdisc_emmeans.json. R is NOT a runtime or CI dependency.
suppressPackageStartupMessages({library(emmeans); library(haven); library(jsonlite)})
path <- file.path("..", "shared", "data", "cdiscpilot01", "adam_converted", "adqsadas.xpt")
d <- as.data.frame(read_xpt(path))
for (v in names(d)) if (is.character(d[[v]])) d[[v]] <- trimws(d[[v]])
d <- d[d$PARAMCD == "ACTOT" & d$AVISIT == "Week 24" & d$ANL01FL == "Y" & d$EFFFL == "Y" & !is.na(d$CHG), ]
d$TRTP <- factor(d$TRTP, levels = c("Placebo", "Xanomeline Low Dose", "Xanomeline High Dose"))
d$SITEGR1 <- factor(d$SITEGR1)
fit <- lm(CHG ~ TRTP + SITEGR1 + BASE, data = d)
res <- list()
for (w in c("equal", "proportional")) {
  emm <- emmeans(fit, ~ TRTP, weights = w)
  ls <- as.data.frame(summary(emm, infer = c(TRUE, FALSE)))
  dif <- as.data.frame(summary(contrast(emm, "trt.vs.ctrl", ref = 1), infer = c(TRUE, TRUE), adjust = "none"))
  res[[w]] <- list(
    lsmeans = lapply(seq_len(nrow(ls)), function(i) list(group = as.character(ls$TRTP[i]), estimate = ls$emmean[i],
                                                          se = ls$SE[i], df = ls$df[i], lower = ls$lower.CL[i], upper = ls$upper.CL[i])),
    differences = lapply(seq_len(nrow(dif)), function(i) list(contrast = as.character(dif$contrast[i]),
                         estimate = dif$estimate[i], se = dif$SE[i], p_value = dif$p.value[i])))
}
dose <- summary(lm(CHG ~ TRTPN + SITEGR1 + BASE, data = d))$coefficients["TRTPN", ]
out <- list(source = "R lm + emmeans; computed by tests/validation/r/ancova_cdisc_emmeans.R",
            versions = list(R = R.version.string, emmeans = as.character(packageVersion("emmeans"))),
            n = nrow(d), weights = res, dose_slope = list(estimate = dose[[1]], se = dose[[2]], p_value = dose[[4]]))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "tests/validation/r/ancova_cdisc_emmeans.json")
