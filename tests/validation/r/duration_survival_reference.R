# Reference numbers for analyses/duration.py from R survival (Therneau).
# Run from the repository root:  Rscript tests/validation/r/duration_survival_reference.R
# Writes tests/validation/r/duration_lung.csv, duration_aml.csv and duration_survival_reference.json.
# R is never a runtime or CI dependency: the outputs are committed next to this script.
suppressPackageStartupMessages(library(survival))
out_dir <- "tests/validation/r"

lung_out <- data.frame(time = lung$time, status = lung$status - 1L, sex = lung$sex)  # status 1 = death
write.csv(lung_out, file.path(out_dir, "duration_lung.csv"), row.names = FALSE)
aml_out <- data.frame(time = aml$time, status = aml$status, x = as.character(aml$x))
write.csv(aml_out, file.path(out_dir, "duration_aml.csv"), row.names = FALSE)

num <- function(v) ifelse(is.na(v), "null", formatC(v, digits = 15, format = "g"))
obj <- function(lst) {
  parts <- vapply(names(lst), function(k) {
    v <- lst[[k]]
    if (is.list(v)) s <- obj(v)
    else if (is.character(v)) s <- paste0('"', v, '"')
    else if (length(v) == 1) s <- num(v)
    else s <- paste0("[", paste(num(v), collapse = ", "), "]")
    paste0('"', k, '": ', s)
  }, "")
  paste0("{", paste(parts, collapse = ", "), "}")
}

times_lung <- c(0, 90, 180, 365, 730)
summarize_fit <- function(time, status, ctype, times, tau) {
  fit <- survfit(Surv(time, status) ~ 1, conf.type = ctype)
  q <- quantile(fit, probs = c(0.25, 0.5, 0.75))
  s <- summary(fit, times = times, extend = TRUE)
  tab <- summary(fit, rmean = tau)$table
  list(n = length(time), events = sum(status),
       quantile_probs = c(0.25, 0.5, 0.75),
       quantile = unname(q$quantile), quantile_lower = unname(q$lower), quantile_upper = unname(q$upper),
       times = times, surv = s$surv, surv_lower = s$lower, surv_upper = s$upper, n_risk = s$n.risk,
       tau = tau, rmean = unname(tab["rmean"]), se_rmean = unname(tab["se(rmean)"]))
}

res <- list()
res$meta <- list(R = R.version.string, survival = as.character(packageVersion("survival")),
                 note = "lung status recoded to 1 = death; aml x = Maintained/Nonmaintained")
subsets <- list(lung_all = rep(TRUE, nrow(lung)), lung_sex1 = lung$sex == 1, lung_sex2 = lung$sex == 2)
for (nm in names(subsets)) {
  idx <- subsets[[nm]]
  for (ct in c("log", "log-log", "plain")) {
    res[[paste(nm, ct, sep = "|")]] <- summarize_fit(lung$time[idx], lung$status[idx] - 1, ct, times_lung, 365)
  }
}
for (grp in c("Maintained", "Nonmaintained")) {
  idx <- aml$x == grp
  for (ct in c("log", "log-log", "plain")) {
    res[[paste(paste0("aml_", grp), ct, sep = "|")]] <- summarize_fit(aml$time[idx], aml$status[idx], ct,
                                                                      c(0, 10, 20, 30, 40), 40)
  }
}
sd <- survdiff(Surv(time, status) ~ sex, data = lung)
res$lung_logrank <- list(chisq = sd$chisq, df = 1, p_value = pchisq(sd$chisq, 1, lower.tail = FALSE),
                         observed = as.numeric(sd$obs), expected = as.numeric(sd$exp))
for (ties in c("efron", "breslow")) {
  cf <- coxph(Surv(time, status) ~ I(sex == 2), data = lung, ties = ties)
  sm <- summary(cf)
  res[[paste0("lung_cox_", ties)]] <- list(
    comparison = "sex 2 vs sex 1", coef = unname(coef(cf)), se = unname(sqrt(diag(vcov(cf)))),
    hr = unname(exp(coef(cf))), hr_lower = unname(sm$conf.int[, "lower .95"]),
    hr_upper = unname(sm$conf.int[, "upper .95"]), wald_p = unname(sm$coefficients[, "Pr(>|z|)"]))
}
sd_aml <- survdiff(Surv(time, status) ~ x, data = aml)
res$aml_logrank <- list(chisq = sd_aml$chisq, df = 1, p_value = pchisq(sd_aml$chisq, 1, lower.tail = FALSE))
writeLines(obj(res), file.path(out_dir, "duration_survival_reference.json"))
